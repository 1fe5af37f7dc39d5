"""The strings a fact sheet's PDF draws, read straight from its page streams (no PDF library:
the tests check what reportlab wrote, independently of any renderer)."""

from __future__ import annotations

import base64
import re
import zlib


def drawn_strings(pdf: bytes) -> list[str]:
    """Every string the PDF draws (reportlab's page streams: ASCII85 and Flate, one Tj a string),
    decoded as drawn (WinAnsi)."""
    escapes = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}

    def unescape(raw: bytes) -> bytes:
        return re.sub(
            rb"\\([0-7]{1,3}|.)",
            lambda m: bytes([int(m[1], 8)]) if m[1][:1].isdigit() else escapes.get(m[1], m[1]),
            raw,
            flags=re.S,
        )

    streams = re.findall(rb"/ASCII85Decode /FlateDecode \] /Length \d+\s*>>\s*stream\r?\n(.*?)~>\s*endstream",
                         pdf, re.S)  # fmt: skip
    assert streams, "no page stream found"
    drawn = []
    for body in streams:
        content = zlib.decompress(base64.a85decode(body))
        for raw in re.findall(rb"\(((?:[^()\\]|\\.)*)\)\s*Tj", content, re.S):
            drawn.append(unescape(raw).decode("cp1252"))
    return drawn
