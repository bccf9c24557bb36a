"""Condition-normalisation ablation with a cheap proxy: how much 3D pose each variant's 2D features carry.

For every variant in ``vimo.conditioning.VARIANTS`` a small temporal lifter (per-frame MLP + one temporal
convolution over +-4 frames) is trained from the same seed on the same batches of training windows filmed by
the casual-camera simulator (all regimes mixed), then evaluated on the same validation windows and cameras
under each regime. PA-MPJPE (pose) and root-aligned MPJPE (pose + heading) in mm, lower is better. Training a
diffusion model per variant costs hours here; the proxy costs about a minute per variant and ranks the
features the denoiser's condition encoder receives.

    .venv/bin/python bench/bench_conditioning.py [--data data/cache] [--steps 400] [--windows 32]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from torch import nn

from vimo.conditioning import VARIANTS
from vimo.data.camera_sim import Regime, random_regimes
from vimo.data.dataset import WindowCache
from vimo.training.batches import simulate_condition
from vimo.training.losses import LossWeights, diffusion_losses
from vimo.training.validation import evaluate_predictor


class ProxyLifter(nn.Module):
    def __init__(self, cond_dim: int, out_dim: int, width: int = 256) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv1d(cond_dim, width, 1), nn.GELU(), nn.Conv1d(width, width, 9, padding=4), nn.GELU(),
            nn.Conv1d(width, out_dim, 1),
        )  # fmt: skip

    def forward(self, cond: torch.Tensor) -> torch.Tensor:
        return self.net(cond.transpose(1, 2)).transpose(1, 2)


def run_variant(cache: WindowCache, name: str, steps: int, windows: int) -> dict[str, dict[str, float]]:
    norm = VARIANTS[name]
    torch.manual_seed(0)
    probe, _ = simulate_condition(cache.batch("train", torch.zeros(1, dtype=torch.long)), [Regime.STATIC],
                                  np.random.default_rng(0), norm_config=norm)  # fmt: skip
    model = ProxyLifter(probe.shape[-1], 151)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    weights = LossWeights(fk_frame="body")
    for step in range(steps):
        rng = np.random.default_rng([11, step])
        x = cache.batch("train", torch.from_numpy(rng.integers(0, cache.num_windows("train"), 32)))
        cond, _ = simulate_condition(x, random_regimes(32, rng), rng, norm_config=norm)
        loss = diffusion_losses(model(cond), cache.normalizer.encode(x), cache.normalizer, weights).total
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        return evaluate_predictor(lambda c, g: cache.normalizer.decode(model(c)), cache, per_regime=windows,
                                  seed=1234, norm_config=norm)  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="data/cache")
    ap.add_argument("--steps", type=int, default=400)
    ap.add_argument("--windows", type=int, default=32)
    args = ap.parse_args()
    cache = WindowCache.load(args.data)
    regimes = [r.value for r in Regime]
    print(f"proxy lifter, {args.steps} steps x 32 windows, {args.windows} val windows per regime; "
          "PA-MPJPE / root-aligned MPJPE (mm)")  # fmt: skip
    print("| variant | " + " | ".join(regimes) + " | mean PA | s |")
    print("|---" * (len(regimes) + 3) + "|")
    for name in VARIANTS:
        t0 = time.perf_counter()
        res = run_variant(cache, name, args.steps, args.windows)
        cells = [f"{res[r]['pa_mpjpe_mm']:.1f} / {res[r]['root_aligned_mpjpe_mm']:.0f}" for r in regimes]
        mean = np.mean([res[r]["pa_mpjpe_mm"] for r in regimes])
        print(f"| {name} | " + " | ".join(cells) + f" | {mean:.1f} | {time.perf_counter() - t0:.0f} |", flush=True)


if __name__ == "__main__":
    main()
