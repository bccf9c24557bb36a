"""Keyframe adherence of motion completion vs RePaint-style resampling (R), at low keyframe density.

A 10-second motion (a CMU test take when ../shared is present, else the procedural walk) keeps 6
frames out of every 60 (0.2 s per 2 s); the rest is generated without a video (in-betweening). For
R = 1, 2, 4 we report the PA-MPJPE and the MPJPE (mm) of the generated frames within 5 frames of a kept
frame against the original motion: how well the generation meets the keyframes.

    .venv/bin/python bench/bench_completion.py [--weights weights/vimo-small] [--steps 50]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from vimo.apps.completion import complete
from vimo.data.synthetic import walking_motion
from vimo.eval.metrics import mpjpe, pa_mpjpe
from vimo.generation import GenerationConfig
from vimo.pipeline import DEFAULT_WEIGHTS, ViMo

TEST_TAKE = Path(__file__).resolve().parents[2] / "shared/data/mocap/cmu/atelier_10-14/14/14_30.bvh.gz"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--weights", default=str(DEFAULT_WEIGHTS))
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--repeats", default="1,2,4")
    args = ap.parse_args()
    if TEST_TAKE.exists():
        from vimo.data.mocap import load_motion

        truth, source = load_motion(TEST_TAKE)[:300], TEST_TAKE.name
    else:
        truth, source = walking_motion(300), "generated walk"
    keep = np.zeros(len(truth), dtype=bool)
    for s in range(0, len(truth), 60):
        keep[s : s + 6] = True
    near = np.zeros_like(keep)
    for i in np.flatnonzero(keep):
        near[max(0, i - 5) : i + 6] = True
    near &= ~keep
    vimo = ViMo.load(args.weights)
    gt = truth.joints()
    print(f"input: {source}, {len(truth)} frames, {keep.sum()} kept, {near.sum()} generated frames next to them")
    for r in (int(v) for v in args.repeats.split(",")):
        t0 = time.perf_counter()
        out = complete(vimo, truth, keep, None, GenerationConfig(steps=args.steps, resample=r)).motion.joints()
        dt = time.perf_counter() - t0
        print(f"R={r}: near-keyframe PA-MPJPE {1000 * pa_mpjpe(out[near], gt[near]):.1f} mm, "
              f"MPJPE {1000 * mpjpe(out[near], gt[near]):.1f} mm ({dt:.1f} s)")  # fmt: skip


if __name__ == "__main__":
    main()
