"""Sampling speed of the shipped model: seconds per 150-frame window (50 DDIM steps, batched CFG), without and
with reprojection guidance (the default: vimo.reprojection), against the goal of 2.0 s per guided window.

Reference measured in the same run: one batched (cond + uncond) denoiser forward pass; the ratio says
how close the loop is to its floor of 50 such passes. The guided loop is also given as a ratio to the unguided
one. Needs weights/vimo-small.* (no data files).

    .venv/bin/python bench/bench_sampling.py [--weights weights/vimo-small] [--repeats 3] [--threads 0]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from vimo.diffusion.sampling import sample
from vimo.diffusion.scheduler import DDIMScheduler
from vimo.pipeline import DEFAULT_WEIGHTS, ViMo
from vimo.reprojection import ReprojectionGuide

GOAL_S = 2.0  # guided sampling, seconds per 150-frame window with the defaults (issue 23)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--weights", default=str(DEFAULT_WEIGHTS))
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--threads", type=int, default=0)
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    vimo = ViMo.load(args.weights)
    model, w = vimo.model, vimo.model.cfg.max_frames
    cond = torch.randn(1, w, model.cfg.cond_dim)
    with torch.no_grad():
        enc = model.encode_condition(cond)
        null = model.null_condition(1, w)
        both = enc.cat(null)
        x = torch.randn(2, w, model.cfg.motion_dim)
        t = torch.tensor([500, 500])
        model(x, t, both)  # warm-up
        fwd = []
        for _ in range(10):
            t0 = time.perf_counter()
            model(x, t, both)
            fwd.append(time.perf_counter() - t0)
    # A plausible condition for the guide: confidences in [0.3, 1] (random keypoints in torso units).
    cond[..., 2:51:3] = torch.rand(1, w, 17) * 0.7 + 0.3

    def timed(guided: bool) -> float:
        times = []
        for r in range(args.repeats):
            t0 = time.perf_counter()
            with torch.no_grad():
                enc = model.encode_condition(cond)
                guide = ReprojectionGuide(vimo.normalizer, cond, vimo.reprojection) if guided else None
                sample(model, DDIMScheduler(), (1, w, model.cfg.motion_dim), cond=enc, null=null,
                       guidance=vimo.guidance, steps=args.steps, generator=torch.Generator().manual_seed(r),
                       guide=guide)  # fmt: skip
            times.append(time.perf_counter() - t0)
        return statistics.median(times)

    f, s, g = statistics.median(fwd), timed(False), timed(True)
    print(f"threads={torch.get_num_threads()} model={model.cfg.width}x{model.cfg.layers}")
    print(f"one batched CFG forward (2 x {w} frames): {f * 1000:.1f} ms")
    print(f"sampling one {w}-frame window, {args.steps} DDIM steps with CFG: {s:.2f} s")
    print(f"ratio to {args.steps} bare forwards: {s / (args.steps * f):.2f}")
    print(
        f"with reprojection guidance (strength {vimo.reprojection.strength:g}): {g:.2f} s, {g / s:.2f}x unguided; "
        f"{g / GOAL_S:.2f} of the {GOAL_S:.1f} s goal"
    )


if __name__ == "__main__":
    main()
