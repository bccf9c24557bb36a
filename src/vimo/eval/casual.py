"""The casual-camera benchmark on cached windows: ViMo vs reference predictors, per camera regime.

References, measured in the same run on the same windows:
- ``mean_pose``: the average training pose (pelvis-relative, facing-aligned) on every frame;
- ``nearest_window_oracle``: the training window closest to the *ground truth* (15 sampled frames of
  pelvis-relative, facing-aligned joints), copied whole. It uses the answer, so it is an optimistic
  bound on what memorising the training set could achieve, not a competitor.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from vimo.data.camera_sim import Regime
from vimo.data.dataset import WindowCache
from vimo.eval.metrics import foot_skating, mpjpe, pa_mpjpe, root_aligned_mpjpe
from vimo.geometry.rotations import rotation_about_y
from vimo.motion import facing_yaw
from vimo.representation import split
from vimo.training.batches import window_joints
from vimo.training.validation import evaluate_predictor, evaluate_windows, evaluation_indices


@dataclass(frozen=True)
class CasualConfig:
    split: str = "test"
    windows: int = 64  # per regime, evenly spread over the split
    steps: int = 50
    guidance: float | None = None
    seed: int = 0


def _local_pose(x: torch.Tensor) -> torch.Tensor:
    """(B, W, 151) metres -> (B, W, 24, 3) pelvis-relative joints in each frame's facing frame."""
    joints, _ = window_joints(x)
    yaw = facing_yaw(split(x).rotations[..., 0, :, :])  # (B, W)
    undo = rotation_about_y(-yaw)  # (B, W, 3, 3)
    rel = joints - joints[..., :1, :]
    return (undo[..., None, :, :] @ rel[..., None])[..., 0]


def _score(pred: np.ndarray, gt: np.ndarray, gt_contacts: np.ndarray) -> dict[str, float]:
    return {
        "mpjpe_mm": 1000 * mpjpe(pred, gt),
        "root_aligned_mpjpe_mm": 1000 * root_aligned_mpjpe(pred, gt),
        "pa_mpjpe_mm": 1000 * pa_mpjpe(pred, gt),
        "foot_skate_m_s": foot_skating(pred, gt_contacts),
        "n": int(pred.shape[0]),
    }


@torch.no_grad()
def references(cache: WindowCache, x_test: torch.Tensor, *, chunk: int = 2048) -> dict[str, dict[str, float]]:
    """Mean-pose and nearest-training-window (oracle) scores on test windows x_test (B, W, 151)."""
    gt_local = _local_pose(x_test)  # (B, W, 24, 3)
    contacts = split(x_test).contacts.numpy()
    frames = torch.linspace(0, x_test.shape[1] - 1, 15).round().long()
    total = cache.num_windows("train")
    pose_sum = torch.zeros(24, 3, dtype=torch.float64)
    count = 0
    best_d = torch.full((len(x_test),), float("inf"))
    best_i = torch.zeros(len(x_test), dtype=torch.long)
    query = gt_local[:, frames].flatten(1)  # (B, 15*72)
    for start in range(0, total, chunk):
        idx = torch.arange(start, min(total, start + chunk))
        rows = cache.windows["train"][idx]
        first = cache.seq_start[rows[:, 0]] + rows[:, 1]
        # Only the sampled frames; facing-aligned pelvis-relative poses need no window canonicalisation.
        local = _local_pose(cache.vectors[first[:, None] + frames[None, :]])  # (chunk, 15, 24, 3)
        pose_sum += local.double().sum((0, 1))
        count += local.shape[0] * local.shape[1]
        d = torch.cdist(query, local.flatten(1))  # (B, chunk)
        m, arg = d.min(1)
        better = m < best_d
        best_d = torch.where(better, m, best_d)
        best_i = torch.where(better, idx[arg], best_i)
    mean_pose = (pose_sum / count).float()
    gt = gt_local.numpy()
    out = {"mean_pose": _score(np.broadcast_to(mean_pose.numpy(), gt.shape).copy(), gt, contacts)}
    nearest = _local_pose(cache.batch("train", best_i)).numpy()
    out["nearest_window_oracle"] = _score(nearest, gt, contacts)
    return out


def casual_report(vimo, cache: WindowCache, config: CasualConfig = CasualConfig(), *, baseline=None) -> dict:
    """{method: {regime: metrics}} for ViMo (1 sample), the baseline lifter when given (a
    :class:`vimo.lifter.Lifter`; the same windows and cameras) and the references (camera-independent)."""
    guidance = vimo.guidance if config.guidance is None else config.guidance
    vimo_scores = evaluate_windows(vimo.model, cache, split=config.split, per_regime=config.windows,
                                   steps=config.steps, guidance=guidance, seed=config.seed,
                                   norm_config=vimo.norm_config)  # fmt: skip
    if baseline is not None:
        report_baseline = evaluate_predictor(lambda cond, _gen: baseline.predict(cond), cache, split=config.split,
                                             per_regime=config.windows, seed=config.seed,
                                             norm_config=baseline.norm_config)  # fmt: skip
    x_test = cache.batch(config.split, evaluation_indices(cache, config.split, config.windows))
    refs = references(cache, x_test)
    report = {"config": config.__dict__ | {"guidance": guidance}, "methods": {"vimo": vimo_scores}}
    if baseline is not None:
        report["methods"]["baseline_motionbert"] = report_baseline
    for name, scores in refs.items():
        report["methods"][name] = {r.value: scores for r in Regime}
    return report


def summarise(report: dict, metric: str = "pa_mpjpe_mm") -> dict[str, dict[str, float]]:
    """Per method: the metric per regime, its mean over regimes and the worst regime."""
    out = {}
    for method, per_regime in report["methods"].items():
        vals = {r: v[metric] for r, v in per_regime.items()}
        out[method] = {
            **vals,
            "mean": float(np.mean(list(vals.values()))),
            "worst": float(max(vals.values())),
        }
    return out


def markdown_table(report: dict, metric: str = "pa_mpjpe_mm") -> str:
    summary = summarise(report, metric)
    regimes = [r.value for r in Regime]
    lines = [f"| method | {' | '.join(regimes)} | mean | worst |", "|---" * (len(regimes) + 3) + "|"]
    for method, vals in summary.items():
        cells = " | ".join(f"{vals[r]:.1f}" for r in regimes)
        lines.append(f"| {method} | {cells} | {vals['mean']:.1f} | {vals['worst']:.1f} |")
    return "\n".join(lines)


def write_report(report: dict, out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "casual.json").write_text(json.dumps(report, indent=1))
    (out_dir / "casual.md").write_text(
        "PA-MPJPE (mm), single sample, per camera regime\n\n" + markdown_table(report) + "\n\n"
        "MPJPE after root alignment (mm)\n\n" + markdown_table(report, "root_aligned_mpjpe_mm") + "\n"
    )


def guidance_sweep(
    vimo,
    cache: WindowCache,
    weights: tuple[float, ...] = (1.0, 1.5, 2.0, 3.0),
    *,
    windows: int = 16,
    steps: int = 50,
    seed: int = 0,
) -> dict[float, dict[str, float]]:
    """Validation PA-MPJPE (mm) per guidance weight: per regime, mean and worst. Pick the lowest mean."""
    out = {}
    for w in weights:
        scores = evaluate_windows(
            vimo.model, cache, split="val", per_regime=windows, steps=steps, guidance=w, seed=seed
        )
        vals = {r: v["pa_mpjpe_mm"] for r, v in scores.items()}
        out[w] = {**vals, "mean": float(np.mean(list(vals.values()))), "worst": float(max(vals.values()))}
    return out
