"""The casual-camera benchmark on cached windows: ViMo vs reference predictors, per camera regime.

References, measured in the same run on the same windows:
- ``mean_pose``: the average training pose (pelvis-relative, facing-aligned) on every frame;
- ``nearest_window_oracle``: the training window closest to the *ground truth* (15 sampled frames of
  pelvis-relative, facing-aligned joints), copied whole. It uses the answer, so it is an optimistic
  bound on what memorising the training set could achieve, not a competitor.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch

from vimo.data.camera_sim import Regime
from vimo.data.dataset import WindowCache
from vimo.diffusion.sampling import sample
from vimo.diffusion.scheduler import DDIMScheduler
from vimo.eval.metrics import foot_skating, mpjpe, pa_mpjpe, root_aligned_mpjpe
from vimo.geometry.rotations import rotation_about_y
from vimo.motion import facing_yaw
from vimo.postprocess import smooth_vectors
from vimo.representation import DIM, split, window_joints
from vimo.reprojection import ReprojectionGuide
from vimo.training.validation import evaluate_predictor, evaluate_windows, evaluation_indices


@dataclass(frozen=True)
class CasualConfig:
    split: str = "test"
    windows: int = 64  # per regime, evenly spread over the split
    steps: int = 50
    guidance: float | None = None
    seed: int = 0
    best_of: int = 1  # > 1: also ViMo's best of this many samples per window (chosen with the truth: an oracle)
    reprojection: float | None = None  # reprojection-guidance strength; None: the model's, 0: off


def distribution_scores(pred: np.ndarray, real: np.ndarray) -> dict[str, float]:
    """FID_k, FID_m (against ``real``, z-scored with it) and Div_k, Div_m of windows (N, W, 24, 3)."""
    import warnings

    from vimo.eval.distribution import diversity, fid
    from vimo.eval.features import kinetic_features, manual_features

    def feats(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return (np.stack([kinetic_features(j, frame_time=1 / 30) for j in x]),
                np.stack([manual_features(j) for j in x]))  # fmt: skip

    (pk, pm), (rk, rm) = feats(pred), feats(real)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # N < 100 here: N is reported beside it
        return {"fid_k": fid(pk, rk).value, "fid_m": fid(pm, rm).value, "div_k": diversity(pk, rk),
                "div_m": diversity(pm, rm)}  # fmt: skip


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
    """{method: {regime: metrics}} for ViMo (1 sample; with ``config.best_of`` > 1 also the best of that many),
    the baseline lifter when given (a :class:`vimo.lifter.Lifter`), all on the same windows and cameras, and the
    references (camera-independent). Metrics: accuracy with a 95 % interval, foot skating, jitter, and FID_k,
    FID_m, Div_k, Div_m against the true windows (the real motions of the split)."""
    guidance = vimo.guidance if config.guidance is None else config.guidance
    reprojection = vimo.reprojection
    if config.reprojection is not None:
        reprojection = replace(reprojection, strength=config.reprojection)
    kw = dict(split=config.split, per_regime=config.windows, seed=config.seed)
    x_test = cache.batch(config.split, evaluation_indices(cache, config.split, config.windows))
    real = window_joints(x_test)[0].numpy()
    methods, preds = {}, {}
    preds["vimo"] = {}
    methods["vimo"] = evaluate_windows(vimo.model, cache, steps=config.steps, guidance=guidance, smooth=vimo.smooth,
                                       norm_config=vimo.norm_config, predictions=preds["vimo"],
                                       reprojection=reprojection, **kw)  # fmt: skip
    if config.best_of > 1:
        model, scheduler = vimo.model.eval(), DDIMScheduler()

        def best_of(cond: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
            k, (b, w, _) = config.best_of, cond.shape
            enc = model.encode_condition(cond.repeat(k, 1, 1))
            guide = ReprojectionGuide(cache.normalizer, cond.repeat(k, 1, 1), reprojection)
            z = sample(model, scheduler, (k * b, w, DIM), cond=enc, null=model.null_condition(k * b, w),
                       guidance=guidance, steps=config.steps, generator=gen, guide=guide)  # fmt: skip
            return smooth_vectors(cache.normalizer.decode(z).view(k, b, w, DIM), vimo.smooth)

        methods[f"vimo_best_of_{config.best_of}"] = _best_of_k(
            best_of, cache, x_test, vimo.norm_config, config, preds.setdefault(f"vimo_best_of_{config.best_of}", {})
        )
    if baseline is not None:
        preds["baseline_motionbert"] = {}
        methods["baseline_motionbert"] = evaluate_predictor(
            lambda cond, _gen: baseline.predict(cond), cache, norm_config=baseline.norm_config,
            predictions=preds["baseline_motionbert"], **kw)  # fmt: skip
    for name, per_regime in preds.items():
        for regime, p in per_regime.items():
            methods[name][regime].update(distribution_scores(p, real))
    report = {"config": config.__dict__ | {"guidance": guidance, "smooth": vimo.smooth,
                                           "reprojection": asdict(reprojection)}, "methods": methods,
              "real_set": distribution_scores(real, real)}  # its own Div_k / Div_m (FIDs are 0)  # fmt: skip
    for name, scores in references(cache, x_test).items():
        report["methods"][name] = {r.value: scores for r in Regime}
    return report


def _best_of_k(sample_k, cache: WindowCache, x_test: torch.Tensor, norm_config, config: CasualConfig,
               predictions: dict) -> dict:  # fmt: skip
    """Per regime, the sample (of K) closest to the truth per window (PA-MPJPE): the paper's best-of-K."""
    from vimo.eval.metrics import procrustes_align

    gt = window_joints(x_test)[0].numpy()
    chosen = {}

    def predict(cond: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        k_x = sample_k(cond, gen)  # (K, B, W, 151)
        offset = predict.seen % len(gt)  # windows in order, regime after regime
        truth = gt[offset : offset + cond.shape[0]]
        predict.seen += cond.shape[0]
        joints = window_joints(k_x.flatten(0, 1))[0].numpy().reshape(*k_x.shape[:2], *truth.shape[1:])
        err = np.linalg.norm(procrustes_align(joints, truth[None]) - truth[None], axis=-1).mean((2, 3))  # (K, B)
        pick = torch.from_numpy(err.argmin(0))
        return k_x[pick, torch.arange(cond.shape[0])]

    predict.seen = 0
    out = evaluate_predictor(predict, cache, split=config.split, per_regime=config.windows, seed=config.seed,
                             norm_config=norm_config, predictions=chosen)  # fmt: skip
    predictions.update(chosen)
    return out


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
            vimo.model, cache, split="val", per_regime=windows, steps=steps, guidance=w, seed=seed, smooth=vimo.smooth
        )
        vals = {r: v["pa_mpjpe_mm"] for r, v in scores.items()}
        out[w] = {**vals, "mean": float(np.mean(list(vals.values()))), "worst": float(max(vals.values()))}
    return out


def best_guidance(sweep: dict[float, dict[str, float]]) -> float:
    """The guidance weight of a :func:`guidance_sweep` with the lowest mean validation error."""
    return min(sweep, key=lambda w: sweep[w]["mean"])
