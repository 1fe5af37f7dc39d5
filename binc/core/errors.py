"""The one exception type for mistakes a user can fix; the CLI prints it as one line, without a traceback."""

from __future__ import annotations

import errno


class UserError(Exception):
    """A problem with the user's input or environment, explained in one sentence naming file, row and field.

    `reason` and `details`, when given, say the same thing as data, so that a reader in another
    language gets it in theirs: the dashboard shows the text `refusal.<reason>` of its language
    files, filled in with `details` (dimension names, codes and counts, labelled and formatted
    there). The message itself stays the command line's English sentence.
    """

    def __init__(self, message: str, *, reason: str | None = None, **details: object) -> None:
        super().__init__(message)
        self.reason = reason
        self.details = details


class TooCostlyToProtectError(UserError):
    """A table whose small cells would cost too much work to protect; asked differently, it can be."""


def shown(value: object, limit: int = 40) -> str:
    """A value the user typed, as a message may echo it: quoted, with newlines, control and bidi
    characters escaped (the message stays one honest line, in a terminal or a log) and cut to
    `limit` characters (a 100 kB filter value does not come back as a 100 kB message)."""
    text = str(value)
    return repr(text if len(text) <= limit else text[:limit] + "…")


# Why a file could not be used, recognised from the OS error or from DuckDB's message (matched as
# text, so this module imports nothing). Each kind has one plain sentence; the caller names the file.
IN_USE, FULL, READ_ONLY, DAMAGED = "in use", "full", "read-only", "damaged"
_ERRNOS = {
    errno.ENOSPC: (FULL, "no space left on device"),
    errno.EDQUOT: (FULL, "disk quota exceeded"),
    errno.EFBIG: (FULL, "file size limit reached"),
    errno.EROFS: (READ_ONLY, "read-only file system"),
    errno.EACCES: (READ_ONLY, "permission denied"),
    errno.EPERM: (READ_ONLY, "operation not permitted"),
}
_TEXTS = (
    ("Could not set lock on file", IN_USE, "in use by another process"),
    ("No space left on device", FULL, "no space left on device"),
    ("Disk quota exceeded", FULL, "disk quota exceeded"),
    ("File too large", FULL, "file size limit reached"),
    ("Read-only file system", READ_ONLY, "read-only file system"),
    ("Permission denied", READ_ONLY, "permission denied"),
    ("Operation not permitted", READ_ONLY, "operation not permitted"),
    ("Corrupt database file", DAMAGED, "checksum mismatch"),
    ("not a valid DuckDB database file", DAMAGED, "not a DuckDB database file"),
    ("Could not read enough bytes", DAMAGED, "the file is shorter than its contents say"),
)


def storage_problem(error: BaseException) -> tuple[str, str] | None:
    """(kind, reason) when `error` says a file is in use, full, read-only or damaged; else None."""
    if isinstance(error, OSError) and error.errno in _ERRNOS:
        return _ERRNOS[error.errno]
    text = str(error)
    for needle, kind, reason in _TEXTS:
        if needle in text:
            return kind, reason
    return None


def storage_message(
    error: BaseException, path: object, what: str, *, writing: bool, kept: str = ""
) -> str | None:
    """One line for a storage problem with `path` (`what`: e.g. "the warehouse"), or None when
    `error` is not one; `kept` says what survived a failed write (e.g. "the previous release is kept")."""
    problem = storage_problem(error)
    if problem is None:
        return None
    kind, reason = problem
    if kind == IN_USE:
        return f"{path}: {what} is in use by another process; try again when it finishes"
    if kind == DAMAGED:
        return (
            f"{path}: cannot read {what} ({reason}); the file is damaged, truncated or of "
            "another kind — restore it from a backup"
        )
    if kind == READ_ONLY:
        text = f"{path}: cannot {'write' if writing else 'read'} {what} ({reason})"
    else:
        text = f"{path}: {reason} while {'writing' if writing else 'reading'} {what}"
    return text + (f"; {kept}" if kept else "")
