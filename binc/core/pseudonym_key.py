"""Keyed pseudonyms: HMAC-SHA256 of the normalised national number, and where the key comes from.

The key is the only thing that links a pseudonym back to a person. It is read from
BINC_PSEUDONYM_KEY or a key file, held in memory only, and never written, logged or put in an
error message.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

import polars as pl

from binc.core.environment import KEY_ENV
from binc.core.errors import UserError

MIN_KEY_LENGTH = 32
# The message whose HMAC names the privacy ledger of data pseudonymised with this key. It holds
# letters, so it can never be a national number (whose HMAC is a pseudonym).
LEDGER_ID_MESSAGE = b"binc privacy ledger v1"
LEDGER_ID_HEX_DIGITS = 32  # half a SHA-256: never mistaken for a 64-hex pseudonym
_BLOCK = 64  # SHA-256 block size, as in RFC 2104


class PseudonymKey:
    """Holds the key; its repr never shows it, so it cannot leak through a log or traceback."""

    __slots__ = ("_inner", "_inner_pad", "_outer", "_outer_pad")

    def __init__(self, key: bytes) -> None:
        if len(key) < MIN_KEY_LENGTH:
            raise UserError(
                f"the pseudonymisation key is too short: it needs at least {MIN_KEY_LENGTH} characters "
                "(make one with: python -c 'import secrets; print(secrets.token_hex(32))')"
            )
        if len(key) > _BLOCK:
            key = hashlib.sha256(key).digest()
        padded = key.ljust(_BLOCK, b"\0")
        self._inner_pad = bytes(b ^ 0x36 for b in padded)
        self._outer_pad = bytes(b ^ 0x5C for b in padded)
        # Precomputed HMAC inner and outer states: one copy per value instead of a full hmac.new().
        self._inner = hashlib.sha256(self._inner_pad)
        self._outer = hashlib.sha256(self._outer_pad)

    def __repr__(self) -> str:
        return "PseudonymKey(<hidden>)"

    def pseudonym(self, national_number: str) -> str:
        inner = self._inner.copy()
        inner.update(national_number.encode("ascii"))
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()

    def ledger_id(self) -> str:
        """The id of the privacy ledger of the data pseudonymised with this key: the first 32 hex
        digits of HMAC-SHA256(key, "binc privacy ledger v1"). One-way: it gives nothing of the key
        nor of any pseudonym, and the same key always gives the same id (binc.release.ledger)."""
        inner = self._inner.copy()
        inner.update(LEDGER_ID_MESSAGE)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()[:LEDGER_ID_HEX_DIGITS]

    def pseudonymise(self, numbers: pl.Series) -> pl.Series:
        """The pseudonyms of a column of normalised numbers (null stays null), named `pseudonym`.

        One copy of the precomputed inner and outer SHA-256 states per value: half the work of
        a full HMAC (or of DuckDB's sha256 over the padded input). It runs on
        the ingest workers, next to the other worker's polars validation. The values are taken
        as bytes (valid numbers are ASCII digits): no str object and no encode() per value.
        """
        copy_inner, copy_outer = self._inner.copy, self._outer.copy

        def one(number: bytes) -> str:
            state = copy_inner()
            state.update(number)
            result = copy_outer()
            result.update(state.digest())
            return result.hexdigest()

        values = [None if n is None else one(n) for n in numbers.cast(pl.Binary).to_list()]
        return pl.Series("pseudonym", values, dtype=pl.String)


def load_key(key_file: Path | None) -> PseudonymKey:
    """The key from --key-file, else from BINC_PSEUDONYM_KEY; refuse to run without one."""
    if key_file is not None:
        try:
            raw = key_file.read_bytes().strip()
        except OSError as error:
            raise UserError(f"{key_file}: cannot read the key file ({error.strerror})") from None
        return PseudonymKey(raw)
    value = os.environ.get(KEY_ENV, "").strip()
    if not value:
        raise UserError(
            f"no pseudonymisation key: set {KEY_ENV} or pass --key-file FILE "
            "(the key must never be stored with the data)"
        )
    return PseudonymKey(value.encode("utf-8"))


def create_key_file(path: Path) -> Path:
    """Write a new random key readable only by the owner (used by the demo, outside the demo folder)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(secrets.token_hex(32) + "\n")
    return path
