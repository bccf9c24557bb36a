"""Accuracy of a model (the denoiser, the baseline lifter) on cached windows under each simulated camera regime."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from vimo.conditioning import NormalizationConfig
from vimo.data.camera_sim import Regime
from vimo.data.dataset import WindowCache
from vimo.diffusion.sampling import sample
from vimo.diffusion.scheduler import DDIMScheduler
from vimo.eval.distribution import bootstrap_ci
from vimo.eval.metrics import foot_skating, jitter, mpjpe, pa_mpjpe, procrustes_align, root_aligned_mpjpe
from vimo.models.denoiser import Denoiser
from vimo.representation import DIM, split
from vimo.training.batches import simulate_condition, window_joints


def evaluation_indices(cache: WindowCache, split_name: str, count: int) -> torch.Tensor:
    """``count`` windows spread evenly over a split (fixed, so runs are comparable)."""
    total = cache.num_windows(split_name)
    return torch.linspace(0, total - 1, min(count, total)).round().long()


# A predictor maps conditions (B, W, 54) and a seeded generator to motion windows (B, W, 151) in metres.
Predictor = Callable[[torch.Tensor, torch.Generator], torch.Tensor]


@torch.no_grad()
def evaluate_predictor(
    predict: Predictor,
    cache: WindowCache,
    *,
    split: str = "val",
    per_regime: int = 12,
    seed: int = 0,
    regimes: tuple[Regime, ...] = tuple(Regime),
    batch: int = 16,
    norm_config: NormalizationConfig = NormalizationConfig(),
    predictions: dict[str, np.ndarray] | None = None,
) -> dict[str, dict[str, float]]:
    """Per regime: MPJPE, root-aligned MPJPE, PA-MPJPE (mm, with a 95 % bootstrap interval over windows), foot
    skating (m/s) and jitter (m/s^3) of ``predict`` on the same simulated conditions for every model (seeded by
    ``seed`` and the regime). ``predictions``, when given, receives the predicted joints per regime."""
    idx = evaluation_indices(cache, split, per_regime)
    x_metres = cache.batch(split, idx)
    gt_joints = window_joints(x_metres)[0].numpy()
    gt_contacts = split_contacts(x_metres)
    out: dict[str, dict[str, float]] = {}
    for regime in regimes:
        r_i = list(Regime).index(regime)  # cameras depend on the regime, not on which others are evaluated
        rng = np.random.default_rng([seed, r_i])
        cond, _ = simulate_condition(x_metres, [regime] * len(idx), rng, norm_config=norm_config)
        preds = []
        for b in range(0, len(idx), batch):
            gen = torch.Generator().manual_seed(seed * 1000 + r_i * 100 + b)
            preds.append(predict(cond[b : b + batch], gen))
        pred_joints = window_joints(torch.cat(preds))[0].numpy()
        if predictions is not None:
            predictions[regime.value] = pred_joints
        per_window = np.linalg.norm(procrustes_align(pred_joints, gt_joints) - gt_joints, axis=-1).mean((1, 2))
        ci = bootstrap_ci(np.mean, per_window, rng=np.random.default_rng([seed, r_i, 7]))
        out[regime.value] = {
            "mpjpe_mm": 1000 * mpjpe(pred_joints, gt_joints),
            "root_aligned_mpjpe_mm": 1000 * root_aligned_mpjpe(pred_joints, gt_joints),
            "pa_mpjpe_mm": 1000 * pa_mpjpe(pred_joints, gt_joints),
            "pa_mpjpe_ci95_mm": [1000 * ci.low, 1000 * ci.high],
            "foot_skate_m_s": foot_skating(pred_joints, gt_contacts),
            "jitter_m_s3": jitter(pred_joints),
            "n": len(idx),
        }
    return out


def evaluate_windows(
    model: Denoiser,
    cache: WindowCache,
    *,
    split: str = "val",
    per_regime: int = 12,
    steps: int = 50,
    guidance: float = 2.0,
    seed: int = 0,
    regimes: tuple[Regime, ...] = tuple(Regime),
    batch: int = 16,
    norm_config: NormalizationConfig = NormalizationConfig(),
    predictions: dict[str, np.ndarray] | None = None,
) -> dict[str, dict[str, float]]:
    """``evaluate_predictor`` for a denoiser: one DDIM sample per window."""
    model.eval()
    scheduler = DDIMScheduler()

    def predict(cond: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        enc = model.encode_condition(cond)
        null = model.null_condition(len(cond), cond.shape[1])
        z = sample(model, scheduler, (len(cond), cond.shape[1], DIM), cond=enc, null=null,
                   guidance=guidance, steps=steps, generator=gen)  # fmt: skip
        return cache.normalizer.decode(z)

    return evaluate_predictor(predict, cache, split=split, per_regime=per_regime, seed=seed, regimes=regimes,
                              batch=batch, norm_config=norm_config, predictions=predictions)  # fmt: skip


def split_contacts(x: torch.Tensor) -> np.ndarray:
    return split(x).contacts.numpy()
