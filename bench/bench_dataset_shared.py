"""Acceptance run of `vimo dataset build` on the real clips in ../shared/data/videos (issue 6).

1. builds the dataset with the local engine, timing it (clips/min, share of 2D extraction vs generation);
2. builds it again with the Ray engine (a local Ray instance, 2 CPUs) into another folder and checks that the
   manifest and summary are byte-identical;
3. starts the CLI build a third time, sends SIGTERM once the first sample is written, re-runs it, and checks
   that the manifest equals the local one (no clip lost, none duplicated) and nothing temporary is left.

    .venv/bin/python bench/bench_dataset_shared.py [--videos ../shared/data/videos] [--samples 3] [--steps 50]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from vimo.apps.dataset import DatasetConfig, RayConfig, build_dataset


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--videos", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data/videos")
    ap.add_argument("--samples", type=int, default=3)
    ap.add_argument("--steps", type=int, default=50)
    # the four pose2sim views last 1.7 s: keep clips from 1.5 s so that every clip of ../shared counts
    ap.add_argument("--min-clip-seconds", type=float, default=1.5)
    args = ap.parse_args()
    if not args.videos.is_dir():
        sys.exit(f"{args.videos}: not found (needs ../shared)")
    config = DatasetConfig(samples=args.samples, steps=args.steps, min_clip_seconds=args.min_clip_seconds)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t0 = time.perf_counter()
        local = build_dataset([args.videos], tmp / "local", config=config, engine="local")
        wall = time.perf_counter() - t0
        sec = local.seconds
        staged = sec["extract"] + sec["generate"]
        s = local.summary
        print(f"local: {local.clips_computed} clips, {s.motions} motions kept of {local.samples_generated}, "
              f"rejects {({k: v for k, v in s.rejects.items() if v})}, failed videos {len(s.failed)}")  # fmt: skip
        print(f"  wall {wall:.1f} s = {local.clips_computed / wall * 60:.1f} clips/min; 2D extraction "
              f"{sec['extract']:.1f} s ({sec['extract'] / staged:.0%}), generation {sec['generate']:.1f} s "
              f"({sec['generate'] / staged:.0%})")  # fmt: skip

        t0 = time.perf_counter()
        build_dataset([args.videos], tmp / "ray", config=config, engine="ray", ray=RayConfig(workers=2))
        same = all((tmp / "ray" / f).read_bytes() == (tmp / "local" / f).read_bytes()
                   for f in ("manifest.jsonl", "summary.json"))  # fmt: skip
        print(f"ray: {time.perf_counter() - t0:.1f} s; manifest and summary identical to local: {same}")

        out = tmp / "killed"
        cmd = [sys.executable, "-c", "from vimo.cli import app; app()", "dataset", "build", str(args.videos),
               "-o", str(out), "--samples", str(args.samples), "--steps", str(args.steps),
               "--min-clip-seconds", str(args.min_clip_seconds)]  # fmt: skip
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(os.environ))
        while not list(out.glob("motions/*/*/sample_*.npz")) and proc.poll() is None:
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=120)
        res = subprocess.run(cmd, capture_output=True, text=True)
        resumed = (out / "manifest.jsonl").read_bytes() == (tmp / "local" / "manifest.jsonl").read_bytes()
        leftovers = [p.name for p in out.rglob("*") if ".tmp" in p.name]
        print(f"killed with SIGTERM (exit {code}), re-run exit {res.returncode}: manifest identical to local: "
              f"{resumed}; temporary files left: {len(leftovers)}")  # fmt: skip
        if not (s.motions and same and resumed and not leftovers and code == 130 and res.returncode == 0):
            sys.exit("FAILED")


if __name__ == "__main__":
    main()
