"""Accuracy of a model (the denoiser, the baseline lifter) on cached windows under each simulated camera regime."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from vimo.conditioning import NormalizationConfig
from vimo.data.camera_sim import CASUAL_SIM_CONFIG, Regime, SimConfig
from vimo.data.dataset import WindowCache
from vimo.diffusion.sampling import sample
from vimo.diffusion.scheduler import DDIMScheduler
from vimo.eval.distribution import bootstrap_ci
from vimo.eval.metrics import foot_skating, jitter, mpjpe, pa_mpjpe, procrustes_align, root_aligned_mpjpe
from vimo.models.denoiser import Denoiser
from vimo.postprocess import smooth_vectors
from vimo.representation import DIM, split, window_joints
from vimo.reprojection import ReprojectionConfig, ReprojectionGuide
from vimo.training.batches import simulate_condition


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
    sim_config: SimConfig | None = None,
) -> dict[str, dict[str, float]]:
    """Per regime: MPJPE, root-aligned MPJPE, PA-MPJPE (mm, with a 95 % bootstrap interval over windows), foot
    skating (m/s) and jitter (m/s^3) of ``predict`` on the same simulated conditions for every model (seeded by
    ``seed`` and the regime). ``predictions``, when given, receives the predicted joints per regime.
    ``sim_config``: the simulator's cameras and detector (default: ``CASUAL_SIM_CONFIG``, as in training)."""
    idx = evaluation_indices(cache, split, per_regime)
    x_metres = cache.batch(split, idx)
    out: dict[str, dict[str, float]] = {}
    for regime in regimes:
        r_i = list(Regime).index(regime)  # cameras depend on the regime, not on which others are evaluated
        rng = np.random.default_rng([seed, r_i])
        cond, _ = simulate_condition(x_metres, [regime] * len(idx), rng, norm_config=norm_config,
                                     sim_config=CASUAL_SIM_CONFIG if sim_config is None else sim_config)  # fmt: skip
        pred_joints, out[regime.value] = score_predictor(
            predict, cond, x_metres, generator_seed=seed * 1000 + r_i * 100, batch=batch,
            ci_rng=np.random.default_rng([seed, r_i, 7]),
        )  # fmt: skip
        if predictions is not None:
            predictions[regime.value] = pred_joints
    return out


@torch.no_grad()
def score_predictor(
    predict: Predictor,
    cond: torch.Tensor,
    x_metres: torch.Tensor,
    *,
    generator_seed: int,
    ci_rng: np.random.Generator,
    batch: int = 16,
) -> tuple[np.ndarray, dict[str, float]]:
    """Run ``predict`` on conditions (B, W, 54) in chunks of ``batch`` (chunk b sampled with a generator seeded
    ``generator_seed + b``) and score it against the true windows x_metres (B, W, 151).

    Returns the predicted joints (B, W, 24, 3) metres and the metrics of ``evaluate_predictor``; the 95 %
    PA-MPJPE interval is a bootstrap over windows drawn from ``ci_rng``."""
    if cond.shape[:2] != x_metres.shape[:2]:
        raise ValueError(f"score_predictor: conditions {tuple(cond.shape)} for windows {tuple(x_metres.shape)}")
    gt_joints = window_joints(x_metres)[0].numpy()
    preds = []
    for b in range(0, len(cond), batch):
        gen = torch.Generator().manual_seed(generator_seed + b)
        preds.append(predict(cond[b : b + batch], gen))
    pred_joints = window_joints(torch.cat(preds))[0].numpy()
    per_window = np.linalg.norm(procrustes_align(pred_joints, gt_joints) - gt_joints, axis=-1).mean((1, 2))
    ci = bootstrap_ci(np.mean, per_window, rng=ci_rng)
    return pred_joints, {
        "mpjpe_mm": 1000 * mpjpe(pred_joints, gt_joints),
        "root_aligned_mpjpe_mm": 1000 * root_aligned_mpjpe(pred_joints, gt_joints),
        "pa_mpjpe_mm": 1000 * pa_mpjpe(pred_joints, gt_joints),
        "pa_mpjpe_ci95_mm": [1000 * ci.low, 1000 * ci.high],
        "foot_skate_m_s": foot_skating(pred_joints, split_contacts(x_metres)),
        "jitter_m_s3": jitter(pred_joints),
        "n": len(cond),
    }


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
    sim_config: SimConfig | None = None,
    smooth: float = 0.0,
    reprojection: ReprojectionConfig | None = None,
) -> dict[str, dict[str, float]]:
    """``evaluate_predictor`` for a denoiser: one DDIM sample per window (smoothed with ``smooth``; training
    validation reads the raw samples)."""
    predict = denoiser_predictor(model, cache.normalizer, steps=steps, guidance=guidance, smooth=smooth,
                                 reprojection=reprojection)  # fmt: skip
    return evaluate_predictor(predict, cache, split=split, per_regime=per_regime, seed=seed, regimes=regimes,
                              batch=batch, norm_config=norm_config, predictions=predictions,
                              sim_config=sim_config)  # fmt: skip


def denoiser_predictor(model: Denoiser, normalizer, *, steps: int = 50, guidance: float = 2.0,
                       smooth: float = 0.0, reprojection: ReprojectionConfig | None = None) -> Predictor:  # fmt: skip
    """A :data:`Predictor` that draws one DDIM sample per window from ``model`` (put in eval mode), guided towards
    the condition's 2D keypoints with ``reprojection`` (:mod:`vimo.reprojection`; None: not), smoothed in time
    with ``smooth`` (sigma in frames, :func:`vimo.postprocess.smooth_vectors`) as generation does."""
    model.eval()
    scheduler = DDIMScheduler()

    def predict(cond: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        enc = model.encode_condition(cond)
        null = model.null_condition(len(cond), cond.shape[1])
        guide = None
        if reprojection is not None and reprojection.strength > 0:
            guide = ReprojectionGuide(normalizer, cond, reprojection)
        z = sample(model, scheduler, (len(cond), cond.shape[1], DIM), cond=enc, null=null,
                   guidance=guidance, steps=steps, generator=gen, guide=guide)  # fmt: skip
        return smooth_vectors(normalizer.decode(z), smooth)

    return predict


def split_contacts(x: torch.Tensor) -> np.ndarray:
    return split(x).contacts.numpy()
