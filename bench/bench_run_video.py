"""End-to-end speed of `vimo run VIDEO` against MediaPipe extraction alone, in the same run.

Renders a 640x480 30 fps clip of the mannequin walking under a moving camera (no data files), then
times (a) 2D extraction alone (`extract_keypoints`) and (b) the whole job (`run_video`, K=1: extraction,
generation with the shipped model, motion files, preview). Prints both and the ratio (goal <= 1.5). Each
is timed ``--repeat`` times, alternating, and the fastest run of each is compared (timings on a shared
2-core machine vary by +-5 % from run to run).

    .venv/bin/python bench/bench_run_video.py [--seconds 10] [--no-preview] [--steps 50]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from vimo.data.markers import motion_markers
from vimo.data.synthetic import walking_motion
from vimo.demo import demo_camera
from vimo.generation import GenerationConfig
from vimo.run import RunConfig, run
from vimo.video.extract import extract_keypoints
from vimo.viz.video import render_video


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--no-preview", action="store_true")
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        truth = walking_motion(int(args.seconds * 30))
        clip = Path(tmp) / "clip.mp4"
        render_video(truth, demo_camera(motion_markers(truth)), clip, fps=30)
        extract_s = total_s = float("inf")
        for k in range(args.repeat):
            t0 = time.perf_counter()
            extract_keypoints(clip)
            extract_s = min(extract_s, time.perf_counter() - t0)
            t0 = time.perf_counter()
            out = run(clip, Path(tmp) / f"out{k}", RunConfig(generation=GenerationConfig(steps=args.steps),
                                                            preview=not args.no_preview))  # fmt: skip
            if time.perf_counter() - t0 < total_s:
                total_s, report = time.perf_counter() - t0, out
    frames = len(truth)
    print(f"clip: 640x480, 30 fps, {frames} frames")
    print(f"fastest of {args.repeat} runs each")
    print(f"extraction alone: {extract_s:.1f} s ({frames / extract_s:.1f} frames/s)")
    print(f"vimo run (K=1, {args.steps} steps, preview={not args.no_preview}): {total_s:.1f} s")
    print(f"stages: {report.timings_s}")
    print(f"ratio run / extraction: {total_s / extract_s:.2f} (goal <= 1.5)")


if __name__ == "__main__":
    main()
