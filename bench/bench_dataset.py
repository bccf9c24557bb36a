"""Throughput of `vimo dataset build`: clips per minute, and the share of time in 2D extraction vs generation.

Renders a few 640x480, 30 fps clips of the mannequin walking under a moving hand-held camera (no data
files), builds a dataset from them with the shipped model into a temporary folder, and prints clips and
motions per minute of wall clock, and the time spent in each stage (summed over tasks). A second build of
the same folder checks that a re-run is a no-op and times it.

    .venv/bin/python bench/bench_dataset.py [--videos 3] [--seconds 10] [--samples 3] [--steps 50]
                                            [--engine local|ray] [--workers N]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from vimo.apps.dataset import DatasetConfig, RayConfig, build_dataset
from vimo.data.markers import motion_markers
from vimo.data.synthetic import walking_motion
from vimo.demo import demo_camera
from vimo.viz.video import render_video


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--videos", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--samples", type=int, default=3)
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--engine", choices=("local", "ray"), default="local")
    ap.add_argument("--workers", type=int, default=None)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "videos"
        folder.mkdir()
        for i in range(args.videos):
            truth = walking_motion(int(args.seconds * 30), speed=1.0 + 0.1 * i)
            render_video(truth, demo_camera(motion_markers(truth), seed=i), folder / f"walk_{i}.mp4", fps=30)
        config = DatasetConfig(samples=args.samples, steps=args.steps)
        ray = RayConfig(workers=args.workers) if args.engine == "ray" else None
        t0 = time.perf_counter()
        report = build_dataset([folder], Path(tmp) / "ds", config=config, engine=args.engine, ray=ray)
        wall = time.perf_counter() - t0
        t0 = time.perf_counter()
        again = build_dataset([folder], Path(tmp) / "ds", config=config, engine=args.engine, ray=ray)
        noop = time.perf_counter() - t0
    s, sec = report.summary, report.seconds
    staged = sec["extract"] + sec["generate"]
    print(f"{args.videos} videos x {args.seconds:g} s, 640x480; engine {args.engine}; K={args.samples}, "
          f"{args.steps} DDIM steps")  # fmt: skip
    print(f"clips: {report.clips_computed} generated, {s.clips} with kept motions; motions kept {s.motions} of "
          f"{report.samples_generated}; rejects {({k: v for k, v in s.rejects.items() if v})}")  # fmt: skip
    print(f"wall clock {wall:.1f} s: {report.clips_computed / wall * 60:.1f} clips/min, "
          f"{report.samples_generated / wall * 60:.1f} samples/min, "
          f"{args.videos * args.seconds / wall:.2f} s of video per s")  # fmt: skip
    print(f"stage time: 2D extraction {sec['extract']:.1f} s ({sec['extract'] / staged:.0%}), "
          f"generation {sec['generate']:.1f} s ({sec['generate'] / staged:.0%}); "
          f"per clip: {sec['generate'] / max(report.clips_computed, 1):.1f} s generation")  # fmt: skip
    print(f"re-run (no-op): {noop:.2f} s, up to date: {again.up_to_date}")


if __name__ == "__main__":
    main()
