"""Checks on input paths before they are read: a regular file, never a device or a pipe (which a reader would
read forever, e.g. ``/dev/zero``) and never a folder where a file is expected."""

from __future__ import annotations

import os
from pathlib import Path

from vimo.errors import InputFormatError


def regular_file(path: str | os.PathLike, what: str) -> Path:
    """``path`` if it is a regular file (after links); InputFormatError naming it and ``what`` was expected
    (e.g. "a keypoint file") otherwise."""
    path = Path(path)
    if not path.exists():
        raise InputFormatError(f"{path}: no such file")
    if path.is_dir():
        raise InputFormatError(f"{path}: is a folder; expected {what}")
    if not path.is_file():
        raise InputFormatError(f"{path}: not a regular file (a device or a pipe); expected {what}")
    return path
