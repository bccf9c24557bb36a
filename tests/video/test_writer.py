"""The threaded frame prefetcher behind every preview: order, errors, early stops."""

import threading
import time

import numpy as np
import pytest

from vimo.video.writer import prefetched, write_video


def test_prefetched_keeps_order_and_runs_the_producer_in_another_thread():
    seen = set()

    def frames():
        for i in range(50):
            seen.add(threading.get_ident())
            yield i

    assert list(prefetched(frames(), depth=3)) == list(range(50))
    assert threading.get_ident() not in seen


def test_prefetched_reraises_the_producers_error_after_the_frames_before_it():
    def frames():
        yield 1
        yield 2
        raise ValueError("frame 2 is broken")

    got = []
    with pytest.raises(ValueError, match="frame 2 is broken"):
        for x in prefetched(frames()):
            got.append(x)
    assert got == [1, 2]


def test_stopping_early_stops_the_producer():
    produced = []

    def frames():
        for i in range(10_000):
            produced.append(i)
            yield i

    it = prefetched(frames(), depth=2)
    assert [next(it) for _ in range(3)] == [0, 1, 2]
    it.close()
    time.sleep(0.3)
    count = len(produced)
    time.sleep(0.3)
    assert len(produced) == count < 100


def test_a_failing_frame_source_leaves_no_video(tmp_path):
    def frames():
        yield np.zeros((8, 8, 3), np.uint8)
        raise RuntimeError("renderer crashed")

    with pytest.raises(RuntimeError, match="renderer crashed"):
        write_video(frames(), tmp_path / "x.mp4", 30)
    assert list(tmp_path.iterdir()) == []
