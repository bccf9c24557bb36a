"""Content hashes of files (cache keys and identities that survive renames and moves)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

BLOCK_BYTES = 1 << 20  # read files in 1 MiB blocks (memory stays bounded for long videos)


def file_sha256(path: str | os.PathLike) -> str:
    """The SHA-256 of the file's bytes, as 64 hex digits."""
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(BLOCK_BYTES), b""):
            h.update(block)
    return h.hexdigest()
