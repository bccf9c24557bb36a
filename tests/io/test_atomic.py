"""Atomic writes (issue 18): the user's umask, and no temp file left behind on any catchable signal."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from vimo.io.atomic import atomic_open, atomic_path, umask


@pytest.fixture
def umask_027():
    old = os.umask(0o027)
    try:
        yield
    finally:
        os.umask(old)


def test_outputs_follow_the_users_umask(tmp_path, umask_027):
    from vimo.data.synthetic import walking_motion
    from vimo.export import write_motion
    from vimo.video.writer import write_video

    assert umask() == 0o027
    with atomic_open(tmp_path / "a.json") as fh:
        fh.write("{}")
    with atomic_path(tmp_path / "b.bin") as tmp:
        tmp.write_bytes(b"x")
    files = write_motion(walking_motion(10), tmp_path / "run", ("npz", "bvh", "glb"))
    files.append(write_video([np.zeros((8, 8, 3), np.uint8)] * 2, tmp_path / "v.mp4", fps=30))
    for path in [tmp_path / "a.json", tmp_path / "b.bin", *files]:
        assert oct(path.stat().st_mode & 0o777) == oct(0o640), path


def test_a_cache_folder_follows_the_users_umask(tmp_path, umask_027):
    from vimo.data.prepare import PrepareConfig, prepare
    from vimo.data.synthetic import walking_motion
    from vimo.io.bvh import write_bvh

    write_bvh(walking_motion(40), tmp_path / "walk.bvh")
    prepare([tmp_path / "walk.bvh"], tmp_path / "cache", config=PrepareConfig(window=30), workers=1)
    assert oct((tmp_path / "cache").stat().st_mode & 0o777) == oct(0o750)
    assert oct((tmp_path / "cache" / "meta.json").stat().st_mode & 0o777) == oct(0o640)


# A preview being written slowly: the frames come one every 20 ms, for 20 s.
SLOW_WRITER = """
import signal, sys, time
import numpy as np
from vimo.video.writer import write_video
# As from a terminal: a test run under nohup or in a background job inherits SIGHUP / SIGINT ignored, and the
# writer rightly leaves an ignored signal ignored.
signal.signal(signal.SIGHUP, signal.SIG_DFL)
signal.signal(signal.SIGINT, signal.default_int_handler)
def frames():
    for i in range(1000):
        time.sleep(0.02)
        yield np.full((16, 16, 3), i % 255, np.uint8)
print("start", flush=True)
write_video(frames(), sys.argv[1], fps=30)
"""


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_signal_while_a_video_is_written_leaves_no_temp_file(tmp_path, signum):
    target = tmp_path / "preview.mp4"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src"), "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-c", SLOW_WRITER, str(target)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)  # fmt: skip
    try:
        assert proc.stdout.readline().strip() == b"start"
        deadline = time.monotonic() + 30
        while not list(tmp_path.iterdir()) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [p.name for p in tmp_path.iterdir()][0].startswith(".preview.")  # the temp file, being written
        time.sleep(0.3)
        proc.send_signal(signum)
        proc.wait(timeout=30)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode != 0
    assert list(tmp_path.iterdir()) == []
