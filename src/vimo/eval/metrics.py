"""Accuracy metrics against ground truth (SPEC section 4). Inputs are numpy joints (..., T, J, 3) metres."""

from __future__ import annotations

import numpy as np

from vimo.keypoints import COCO17_NAMES
from vimo.postprocess import TOE_JOINTS, foot_skating  # noqa: F401  (next to foot locking; a metric here too)
from vimo.skeleton import SMPL

# The eight limb bones of COCO-17 (upper arms, forearms, thighs, shins) as keypoint index pairs.
COCO17_LIMBS: tuple[tuple[int, int], ...] = tuple(
    (COCO17_NAMES.index(f"{side}_{a}"), COCO17_NAMES.index(f"{side}_{b}"))
    for side in ("left", "right")
    for a, b in (("shoulder", "elbow"), ("elbow", "wrist"), ("hip", "knee"), ("knee", "ankle"))
)
# The same eight bones on the SMPL-24 skeleton (SMPL's hip joints stand for COCO's hips).
SMPL_LIMBS: tuple[tuple[int, int], ...] = tuple(
    (SMPL.index(f"{side}_{a}"), SMPL.index(f"{side}_{b}"))
    for side in ("left", "right")
    for a, b in (("shoulder", "elbow"), ("elbow", "wrist"), ("hip", "knee"), ("knee", "ankle"))
)


def mpjpe(pred: np.ndarray, gt: np.ndarray) -> float:
    """Mean per-joint position error (metres)."""
    return float(np.linalg.norm(pred - gt, axis=-1).mean())


def similarity(src: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The similarity (Umeyama: scale, rotation, translation) mapping points src (..., N, 3) onto dst, as
    (scale (...,), rot (..., 3, 3), shift (..., 3)) with ``aligned = scale * src @ rot + shift``."""
    mu_p, mu_g = src.mean(-2, keepdims=True), dst.mean(-2, keepdims=True)
    p, g = src - mu_p, dst - mu_g
    cov = np.swapaxes(p, -1, -2) @ g  # (..., 3, 3)
    u, s, vt = np.linalg.svd(cov)
    d = np.sign(np.linalg.det(u @ vt))
    fix = np.ones_like(s)
    fix[..., -1] = d
    rot = (u * fix[..., None, :]) @ vt  # maps p onto g: p @ rot
    scale = (s * fix).sum(-1) / (p**2).sum((-1, -2)).clip(1e-12)
    shift = mu_g[..., 0, :] - scale[..., None] * (mu_p @ rot)[..., 0, :]
    return scale, rot, shift


def procrustes_align(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """Per-frame similarity (scale, rotation, translation) alignment of pred (..., J, 3) onto gt."""
    scale, rot, shift = similarity(pred, gt)
    return scale[..., None, None] * pred @ rot + shift[..., None, :]


def pa_mpjpe(pred: np.ndarray, gt: np.ndarray) -> float:
    """MPJPE after per-frame Procrustes alignment (metres)."""
    return mpjpe(procrustes_align(pred, gt), gt)


def root_aligned_mpjpe(pred: np.ndarray, gt: np.ndarray) -> float:
    """MPJPE after subtracting each frame's pelvis position (metres)."""
    return mpjpe(pred - pred[..., :1, :], gt - gt[..., :1, :])


def jitter(pred: np.ndarray, fps: float = 30.0) -> float:
    """Mean magnitude of the third difference of joint positions x fps^3 (m/s^3)."""
    d3 = np.diff(pred, n=3, axis=-3)
    return float(np.linalg.norm(d3, axis=-1).mean() * fps**3)


def acceleration_error(pred: np.ndarray, gt: np.ndarray, fps: float = 30.0) -> float:
    """Mean |second difference of pred - second difference of gt| x fps^2 (m/s^2)."""
    a_p, a_g = np.diff(pred, n=2, axis=-3), np.diff(gt, n=2, axis=-3)
    return float(np.linalg.norm(a_p - a_g, axis=-1).mean() * fps**2)


def foot_skating_near_ground(pred: np.ndarray, fps: float = 30.0, *, floor: float = 0.0, height: float = 0.05) -> float:
    """Foot skating without ground-truth contacts: mean horizontal speed (m/s) of the toe joints over the steps
    (frame t -> t+1) where the toe is within ``height`` metres of the floor (y = ``floor``) at both ends.

    pred: (..., T, 24, 3) world metres, Y up, feet grounded. NaN when no toe comes near the floor.
    """
    toes = pred[..., list(TOE_JOINTS), :]  # (..., T, 2, 3)
    step = np.linalg.norm(np.diff(toes[..., [0, 2]], axis=-3), axis=-1) * fps  # (..., T-1, 2)
    low = toes[..., 1] - floor < height  # (..., T, 2)
    on = low[..., 1:, :] & low[..., :-1, :]
    return float((step * on).sum() / on.sum()) if on.any() else float("nan")


def bone_length_cv(points: np.ndarray, bones: tuple[tuple[int, int], ...]) -> float:
    """Bone-length stability: per bone, the coefficient of variation (std / mean) of its length over the frames,
    averaged over the bones. 0 for a rigid skeleton.

    points: (T, K, 3) metres (frames with NaN are ignored); bones: (a, b) index pairs into K.
    NaN when fewer than 2 frames are finite.
    """
    a, b = (list(i) for i in zip(*bones))
    lengths = np.linalg.norm(points[:, a] - points[:, b], axis=-1)  # (T, bones)
    lengths = lengths[np.isfinite(lengths).all(-1)]
    if len(lengths) < 2:
        return float("nan")
    return float((lengths.std(0) / np.maximum(lengths.mean(0), 1e-9)).mean())


def _segments(num_frames: int, length: int) -> list[slice]:
    """Consecutive ``length``-frame segments (one shorter segment when the motion is shorter than that)."""
    if num_frames <= length:
        return [slice(0, num_frames)]
    return [slice(s, s + length) for s in range(0, num_frames - length + 1, length)]


def world_errors(pred: np.ndarray, gt: np.ndarray, *, segment: int = 100) -> dict[str, float]:
    """World-frame accuracy of joints (T, J, 3) metres, joint 0 the root (the WHAM / GVHMR protocols), per
    ``segment``-frame segment, averaged over segments:
    - ``wa_mpjpe``: MPJPE after one similarity alignment of the whole segment (all its frames' joints);
    - ``w_mpjpe``: MPJPE after the similarity that aligns the segment's first two frames only;
    - ``rte_percent``: mean root position error after that first-two-frames alignment, as a percentage of the
      truth's travelled (horizontal) distance in the segment; NaN when it travels less than 10 cm.
    """
    wa, w, rte = [], [], []
    for sl in _segments(len(gt), segment):
        p, g = pred[sl], gt[sl]
        flat_p, flat_g = p.reshape(-1, 3), g.reshape(-1, 3)
        scale, rot, shift = similarity(flat_p, flat_g)
        wa.append(mpjpe(scale * flat_p @ rot + shift, flat_g))
        scale, rot, shift = similarity(p[:2].reshape(-1, 3), g[:2].reshape(-1, 3))
        aligned = scale * p @ rot + shift
        w.append(mpjpe(aligned, g))
        travel = float(np.linalg.norm(np.diff(g[:, 0, [0, 2]], axis=0), axis=-1).sum())
        root_err = float(np.linalg.norm(aligned[:, 0] - g[:, 0], axis=-1).mean())
        rte.append(100 * root_err / travel if travel > 0.1 else np.nan)
    finite = [r for r in rte if np.isfinite(r)]
    return {"wa_mpjpe": float(np.mean(wa)), "w_mpjpe": float(np.mean(w)),
            "rte_percent": float(np.mean(finite)) if finite else float("nan")}  # fmt: skip
