"""End to end: `binc factsheet` for every partnership, every province and Flanders, in Dutch and
English, on the shared small synthetic release. Each PDF is read back with poppler (pdftotext,
pdftoppm; Debian package poppler-utils): one page, the region's name, the source line, and the
headline figures as the dashboard formats them — or the word for suppressed, or "te onzeker" for a
value too uncertain to read (on the same release with the shipped rule), or the note for a refused
question. Three regions run as separate processes, the other 40 sheets through the same command line
in-process."""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from support.small_release import small_release, strict_release

from binc.answering import answer
from binc.answering.catalogue import HEADLINES
from binc.cli import main
from binc.core import i18n
from binc.core.errors import UserError
from binc.export.labels import label_for
from binc.factsheet import FLANDERS, build, regions
from binc.release_file import load_release

BINC = str(Path(sys.executable).parent / "binc")
LANGUAGES = ("nl", "en")
OWN_PROCESS = ("P01", "10000", FLANDERS)


@pytest.fixture(autouse=True)
def _poppler() -> None:
    """The PDFs are read as a user's PDF reader would, with poppler-utils; .ci/run installs it, so
    in CI a missing tool fails the test instead of skipping it."""
    if shutil.which("pdftotext") and shutil.which("pdftoppm"):
        return
    if os.environ.get("CI") == "true":
        pytest.fail("CI must read the fact sheets but lacks poppler-utils (pdftotext, pdftoppm)")
    pytest.skip("the fact-sheet tests need poppler-utils (apt-get install poppler-utils)")


def _binc(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "BINC_SYNTHETIC"} | (env or {})
    return subprocess.run(
        [BINC, *args], capture_output=True, text=True, check=False, env=environment, timeout=120
    )


def _pdftotext(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout  # fmt: skip


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def sheets(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], tuple[Path, str]]:
    """(region, language) -> (the PDF, pdftotext's text); every run must exit 0."""
    release, _ = small_release()
    out = tmp_path_factory.mktemp("factsheets")
    jobs = [(code, lang) for code in regions() for lang in LANGUAGES]

    def make(job: tuple[str, str]) -> tuple[Path, str]:
        code, lang = job
        pdf = out / f"{code}_{lang}.pdf"
        done = _binc("factsheet", "--release", str(release), "--region", code,
                     "--out", str(pdf), "--language", lang)  # fmt: skip
        assert done.returncode == 0, (job, done.stdout, done.stderr)
        assert done.stdout.startswith(f"wrote {pdf}"), done.stdout
        return pdf, _pdftotext(pdf)

    def make_in_process(job: tuple[str, str]) -> tuple[Path, str]:
        code, lang = job
        pdf = out / f"{code}_{lang}.pdf"
        printed, errors = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(errors):
            status = main(["factsheet", "--release", str(release), "--region", code,
                           "--out", str(pdf), "--language", lang])  # fmt: skip
        assert status == 0, (job, errors.getvalue())
        return pdf, _pdftotext(pdf)

    # The installed command in its own process for a representative set (a partnership, a province
    # and Flanders, both languages); the same command line in-process for the rest (process start-up
    # would triple the time).
    separate = [job for job in jobs if job[0] in OWN_PROCESS]
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        made = dict(zip(separate, pool.map(make, separate), strict=True))
    made |= {job: make_in_process(job) for job in jobs if job not in made}
    return {job: made[job] for job in jobs}


def _region_name(code: str, lang: str) -> str:
    if code == FLANDERS:
        return i18n.text("factsheet.flanders", lang)
    kind = "partnership" if code.startswith("P") else "province"
    return label_for(kind, code, lang)


def _where(code: str) -> dict[str, tuple[str, ...]]:
    if code == FLANDERS:
        return {}
    return {("partnership" if code.startswith("P") else "province"): (code,)}


def test_every_region_and_language_gives_a_one_page_pdf(sheets, tmp_path):
    assert len(sheets) == 23 * 2
    for (code, lang), (pdf, _) in sheets.items():
        assert pdf.read_bytes().startswith(b"%PDF-")
        prefix = tmp_path / f"{code}_{lang}"
        subprocess.run(["pdftoppm", "-png", "-r", "50", str(pdf), str(prefix)], check=True)
        pages = sorted(tmp_path.glob(f"{code}_{lang}*.png"))
        assert len(pages) == 1, (code, lang, pages)
        assert pages[0].read_bytes().startswith(b"\x89PNG")


def test_each_sheet_names_its_region_and_carries_the_source_line(sheets):
    release = load_release(small_release()[0])
    for (code, lang), (_, text) in sheets.items():
        flat = _flat(text)
        assert _region_name(code, lang) in flat, (code, lang)
        assert "Opgroeien" in flat
        assert "BINC" in flat
        assert release.release_id in flat
        assert i18n.format_date(release.metadata["as_of"], lang) in flat
        assert i18n.text("factsheet.synthetic", lang) not in flat  # not marked synthetic
        assert i18n.text("factsheet.period", lang, year="2025", first="2019", last="2025") in flat


def test_headline_figures_are_written_as_the_dashboard_writes_them(sheets):
    """Asked again here with answer(): a shown figure and its interval appear in nl-BE/en format,
    a suppressed one as the word for suppressed, one too uncertain to read (rare under the small
    release's lenient rule, but a median of a few days can be) as "te onzeker" without its
    interval, a refused one as the note."""
    release = load_release(small_release()[0])
    latest = max(str(y) for y in release.metadata["years"])
    shown = 0
    for (code, lang), (_, text) in sheets.items():
        flat = _flat(text)
        for measure in HEADLINES:
            try:
                table = answer(release, measure, (), {**_where(code), "year": (latest,)})
            except UserError:
                assert _flat(i18n.text("factsheet.refused_not_measured", lang)) in flat
                continue
            row = table.frame.row(0, named=True)
            if row["suppressed"]:
                assert i18n.text("chart.suppressed", lang) in flat
                continue
            places = 0 if table.kind == "count" else 1
            number = lambda v, p=places, lg=lang: i18n.format_number(v, lg, p)  # noqa: E731
            if row["too_uncertain"]:
                assert i18n.text("chart.too_uncertain", lang) in flat, (code, lang, measure)
                assert f"{number(row['ci_low'])} – {number(row['ci_high'])}" not in flat
                continue
            assert number(row["value"]) in flat, (code, lang, measure)
            assert f"{number(row['ci_low'])} – {number(row['ci_high'])}" in flat
            shown += 1
    assert shown >= 8  # the control: Flanders' headlines are shown in both languages


def test_a_suppressed_cell_appears_only_as_the_word(sheets):
    """As many 'suppressed' words as the sheet has suppressed cells (the reading note capitalises it)."""
    release = load_release(small_release()[0])
    for code in ("P01", "10000", FLANDERS):
        for lang in LANGUAGES:
            sheet = build(release, code, lang)
            cells = [c for p in (*sheet.headlines, sheet.trend, *sheet.breakdowns) for c in p.cells]
            word = i18n.text("chart.suppressed", lang)
            found = len(re.findall(rf"\b{word}\b", sheets[(code, lang)][1]))
            assert found == sum(c.suppressed for c in cells), (code, lang)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_too_uncertain_value_is_written_as_the_word_without_its_number(tmp_path, lang):
    """On the small release with the shipped rule (most values too uncertain): the PDF says "te
    onzeker" / "too uncertain" once per such cell, explains it in the reading note, and prints no
    interval of a too uncertain headline; a shown headline keeps its number and interval."""
    path = strict_release()
    release = load_release(path)
    latest = max(str(y) for y in release.metadata["years"])
    word = i18n.text("chart.too_uncertain", lang)
    uncertain_headlines = shown_headlines = 0
    for code in ("P01", FLANDERS):
        pdf = tmp_path / f"{code}_{lang}.pdf"
        with contextlib.redirect_stdout(io.StringIO()):
            status = main(["factsheet", "--release", str(path), "--region", code,
                           "--out", str(pdf), "--language", lang])  # fmt: skip
        assert status == 0
        flat = _flat(_pdftotext(pdf))
        sheet = build(release, code, lang)
        cells = [c for p in (*sheet.headlines, sheet.trend, *sheet.breakdowns) for c in p.cells]
        # lower case: the reading note's "'Te onzeker'" / "'Too uncertain'" is not counted
        assert len(re.findall(rf"\b{word}\b", flat)) == sum(c.too_uncertain for c in cells), code
        assert f"'{word.capitalize()}'" in flat  # the reading note explains it
        for measure in HEADLINES:
            try:
                table = answer(release, measure, (), {**_where(code), "year": (latest,)})
            except UserError:
                continue
            row = table.frame.row(0, named=True)
            if row["suppressed"]:
                continue
            places = 0 if table.kind == "count" else 1
            number = lambda v, p=places: i18n.format_number(v, lang, p)  # noqa: E731
            interval = f"{number(row['ci_low'])} – {number(row['ci_high'])}"
            if row["too_uncertain"]:
                assert interval not in flat, (code, measure)
                uncertain_headlines += 1
            else:
                assert number(row["value"]) in flat, (code, measure)
                assert interval in flat, (code, measure)
                shown_headlines += 1
    # the control: Flanders has headlines of both kinds under this rule
    assert uncertain_headlines >= 1
    assert shown_headlines >= 1


def test_dutch_numbers_use_a_decimal_comma(sheets):
    text = _flat(sheets[(FLANDERS, "nl")][1])
    assert re.search(r"\b\d+,\d\b", text)
    english = _flat(sheets[(FLANDERS, "en")][1])
    assert re.search(r"\b\d+\.\d\b", english)


def test_a_synthetic_release_is_marked_on_the_sheet(tmp_path):
    release, _ = small_release()
    pdf = tmp_path / "s.pdf"
    done = _binc("factsheet", "--release", str(release), "--region", "P03", "--out", str(pdf),
                 env={"BINC_SYNTHETIC": "1"})  # fmt: skip
    assert done.returncode == 0, done.stderr
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True)
    assert _flat(text.stdout).count(i18n.text("factsheet.synthetic", "nl")) == 2  # top and bottom


@pytest.mark.parametrize("code", ["P17", "flandres", "1000", "", "P01\nforged line"])
def test_an_unknown_region_is_one_line_and_exit_2(tmp_path, code):
    release, _ = small_release()
    pdf = tmp_path / "x.pdf"
    done = _binc("factsheet", "--release", str(release), "--region", code, "--out", str(pdf))
    assert done.returncode == 2
    assert done.stdout == ""
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert done.stderr.startswith("binc factsheet: unknown region")
    assert not pdf.exists()
