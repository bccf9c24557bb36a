"""Memory of `vimo run VIDEO` does not grow with the video's length: peak RSS for a short and a long video.

Renders the mannequin stepping in place (640x480, 30 fps, static camera, the fast raster renderer) for
``--short`` and ``--long`` minutes, runs the whole job (`vimo run`, K=1, preview included) on each in a
fresh process and prints each process's peak resident memory (getrusage ru_maxrss) and wall time. A
pipeline that kept frames, keypoint images or per-frame tensors would peak roughly in proportion to the
length; a streaming one peaks at about the same value.

    .venv/bin/python bench/bench_long_video.py [--short 1] [--long 10]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from vimo.data.synthetic import walking_motion
from vimo.video.writer import write_video
from vimo.viz.cameras import CameraPath
from vimo.viz.mannequin import Figure
from vimo.viz.scene import render_frames

PEAK = (
    "import atexit, resource\n"
    "atexit.register(lambda: print('PEAK_KB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, flush=True))\n"
    "from vimo.cli import app\napp()\n"
)


def render(path: Path, minutes: float) -> None:
    frames = int(minutes * 60 * 30)
    motion = walking_motion(frames, speed=0.0)
    cams = CameraPath.static((0.6, 1.3, 4.5), (0.0, 0.9, 0.0), frames=frames, image_size=(640, 480))
    write_video(render_frames(Figure.of(motion), cams, method="raster"), path, 30)


def run(video: Path, out: Path) -> tuple[float, float]:
    t0 = time.perf_counter()
    res = subprocess.run([sys.executable, "-c", PEAK, "run", str(video), "-o", str(out)], capture_output=True,
                         text=True)  # fmt: skip
    wall = time.perf_counter() - t0
    if res.returncode != 0:
        raise SystemExit(f"vimo run {video.name} failed:\n{res.stdout[-2000:]}\n{res.stderr[-2000:]}")
    peak = [int(line.split()[1]) for line in res.stdout.splitlines() if line.startswith("PEAK_KB")][-1]
    return peak / 1024, wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--short", type=float, default=1.0)
    ap.add_argument("--long", type=float, default=10.0)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        rows = []
        for minutes in (args.short, args.long):
            video = tmp / f"{minutes:g}min.mp4"
            t0 = time.perf_counter()
            render(video, minutes)
            print(f"rendered {minutes:g} min in {time.perf_counter() - t0:.0f} s", flush=True)
            peak, wall = run(video, tmp / f"out{minutes:g}")
            rows.append((minutes, peak, wall))
            print(f"{minutes:g} min video: vimo run peak RSS {peak:.0f} MB, {wall:.0f} s", flush=True)
    (m0, p0, _), (m1, p1, _) = rows
    print(f"peak RSS x{p1 / p0:.2f} for a x{m1 / m0:.0f} longer video")


if __name__ == "__main__":
    main()
