"""User-facing errors. The CLI prints them as one line and exits non-zero; no traceback."""

from __future__ import annotations


class VimoError(Exception):
    """A problem with the user's input or environment (bad file, missing field, unwritable dir).

    The message must name the file and, where known, the frame/field, and what was expected.
    """


class InputFormatError(VimoError):
    """An input file is malformed (truncated, wrong shape, unknown joint names, NaNs)."""
