"""Training throughput (samples/s) of the small config, fp32 vs bf16 autocast, measured in one run.

Uses a synthetic window cache generated here (no data files): the step includes the on-the-fly
casual-camera simulation, exactly as in training. Prints both rates and the bf16 / fp32 ratio.

    .venv/bin/python bench/bench_training.py [--steps 6] [--batch 32] [--threads 0]
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
import time
from pathlib import Path

import torch

from vimo.data.dataset import WindowCache
from vimo.data.prepare import PrepareConfig, write_cache
from vimo.data.synthetic import random_motion
from vimo.diffusion.scheduler import DDIMScheduler
from vimo.representation import to_vector
from vimo.training.trainer import TrainConfig, build, training_step


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--steps", type=int, default=6)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--config", default="small")
    ap.add_argument("--threads", type=int, default=0)
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        vectors = [to_vector(random_motion(300, seed=s, amplitude=0.4).with_contacts()) for s in range(8)]
        records = [{"split": "train", "frames": 300} for _ in vectors]
        write_cache(Path(tmp) / "c", records, vectors, config=PrepareConfig())
        cache = WindowCache.load(Path(tmp) / "c")
        rates = {}
        for bf16 in (False, True):
            cfg = dataclasses.replace(TrainConfig(model=args.config, batch_size=args.batch), bf16=bf16)
            model, opt, _ = build(cfg)
            sched = DDIMScheduler()
            training_step(model, opt, sched, cache, cfg, 0)  # warm-up
            t0 = time.perf_counter()
            for step in range(1, args.steps + 1):
                training_step(model, opt, sched, cache, cfg, step)
            rates[bf16] = args.steps * args.batch / (time.perf_counter() - t0)
    print(f"threads={torch.get_num_threads()} config={args.config} batch={args.batch}")
    print(f"fp32: {rates[False]:.1f} samples/s   bf16 autocast: {rates[True]:.1f} samples/s")
    print(f"bf16 / fp32 ratio: {rates[True] / rates[False]:.2f}")


if __name__ == "__main__":
    main()
