"""The overview page offers the fact sheet of the sidebar's region (Flanders when none) as a PDF
download, built only when the button is clicked."""

from __future__ import annotations

import pytest
from support.small_release import app_test, page_path

from binc.core import i18n
from binc.factsheet import FLANDERS, region

pytestmark = pytest.mark.usefixtures("app_release")


def _overview(lang: str = "nl"):
    at = app_test()
    at.query_params = {"lang": lang}
    at.run()
    at.switch_page(page_path("overview")).run()
    return at


def _button(at):
    buttons = [b for b in at.get("download_button") if b.proto.label == i18n.text("factsheet.download", "nl")
               or b.proto.label == i18n.text("factsheet.download", "en")]  # fmt: skip
    assert len(buttons) == 1
    return buttons[0].proto


def test_the_overview_offers_the_fact_sheet_of_flanders_when_no_region_is_chosen():
    at = _overview()
    assert not at.exception
    button = _button(at)
    assert button.label == i18n.text("factsheet.download", "nl")
    assert region(FLANDERS).name("nl") in button.help


def test_the_fact_sheet_follows_the_sidebar_region_and_language():
    at = _overview("en")
    at.selectbox(key="f_region").set_value("P05").run()
    assert not at.exception
    button = _button(at)
    assert button.label == i18n.text("factsheet.download", "en")
    assert region("P05").name("en") in button.help


def test_the_button_builds_the_pdf_only_when_clicked(monkeypatch):
    """The page hands the button a callable (no PDF is made while the page runs); calling it, as a
    click does, gives the one-page PDF of the chosen region."""
    import streamlit as st

    handed = []
    original = st.download_button

    def spy(label, data, *args, **kwargs):
        handed.append((label, data))
        return original(label, data, *args, **kwargs)

    monkeypatch.setattr(st, "download_button", spy)
    at = _overview()
    at.selectbox(key="f_region").set_value("P02").run()
    assert not at.exception
    # the page's last fact sheet button (the trend chart has a CSV button of its own)
    build = [data for label, data in handed if label == i18n.text("factsheet.download", "nl")][-1]
    assert callable(build)
    pdf = build()
    assert pdf.startswith(b"%PDF-")
    assert b"/Count 1 /Kids" in pdf
