"""Giving freed memory back to the operating system between the stages of a long job.

glibc's allocator keeps freed heap memory for reuse; after a stage that made many temporaries (decoding,
rendering, whole-sequence post-processing) the process's resident size stays at that stage's high-water
mark, and the next stage adds its own on top. ``malloc_trim(0)`` returns the free pages, so a job's peak is
the largest single stage rather than a sum that grows with the input's length. A no-op where the C library
is not glibc.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
from functools import cache


@cache
def _malloc_trim():
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc.malloc_trim
    except (OSError, AttributeError):  # not glibc (e.g. musl has no malloc_trim)
        return None


def release_freed_memory() -> bool:
    """Return free heap pages to the OS (~3 ms); True if the allocator could be asked to. No ``gc.collect()``:
    the stages' arrays are freed by reference counting, and a full collection costs ~0.16 s with torch and
    MediaPipe loaded (measured), which a short video's run would feel four times."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
