"""The one exception for "the user's input or environment is wrong" (exit 2, no traceback)."""

from __future__ import annotations


class UserError(Exception):
    """Bad invocation or unreadable repository: shown as one line, exit code 2."""
