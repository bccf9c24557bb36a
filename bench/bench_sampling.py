"""Sampling speed of the shipped model: seconds per 150-frame window (50 DDIM steps, batched CFG).

Reference measured in the same run: one batched (cond + uncond) denoiser forward pass; the ratio says
how close the loop is to its floor of 50 such passes. Needs weights/vimo-small.* (no data files).

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
    loop = []
    for r in range(args.repeats):
        t0 = time.perf_counter()
        with torch.no_grad():
            enc = model.encode_condition(cond)
            sample(model, DDIMScheduler(), (1, w, model.cfg.motion_dim), cond=enc, null=null, guidance=vimo.guidance,
                   steps=args.steps, generator=torch.Generator().manual_seed(r))  # fmt: skip
        loop.append(time.perf_counter() - t0)
    f, s = statistics.median(fwd), statistics.median(loop)
    print(f"threads={torch.get_num_threads()} model={model.cfg.width}x{model.cfg.layers}")
    print(f"one batched CFG forward (2 x {w} frames): {f * 1000:.1f} ms")
    print(f"sampling one {w}-frame window, {args.steps} DDIM steps with CFG: {s:.2f} s")
    print(f"ratio to {args.steps} bare forwards: {s / (args.steps * f):.2f}")


if __name__ == "__main__":
    main()
