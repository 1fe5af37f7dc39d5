"""The one exception type for mistakes a user can fix; the CLI prints it as one line, without a traceback."""

from __future__ import annotations


class UserError(Exception):
    """A problem with the user's input or environment, explained in one sentence naming file, row and field."""
