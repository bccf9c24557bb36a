import os
import sys

import numpy as np
import pytest

from vimo.memory import release_freed_memory


def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim: Linux only")
def test_freed_heap_memory_goes_back_to_the_os():
    # 100 KB blocks stay below glibc's mmap threshold, so they come from the heap; the last one stays alive
    # above the freed ones, so the allocator alone keeps them all (the situation between stages of a job).
    blocks = [np.ones(100 * 1024, np.uint8) for _ in range(1500)]
    keep = blocks[-1]
    del blocks
    before = _rss_mb()
    assert release_freed_memory()
    after = _rss_mb()
    assert before - after > 50, f"RSS {before:.0f} -> {after:.0f} MB"
    assert keep.sum() == 100 * 1024
