"""Camera-agnostic 2D fidelity: how well 3D joints explain detected 2D keypoints under *some* camera.

Per frame we fit a weak-perspective (scaled orthographic) camera to the confident keypoints by
weighted least squares (a 2x3 affine map, then its nearest scaled-orthonormal rows via SVD), project,
and measure the 2D error in torso lengths. No camera is estimated across frames, so moving cameras,
zooms and cuts cost nothing. Generation scores every motion it returns with :func:`reprojection_fidelity`
(:func:`vimo.generation.finish`); the benchmarks use it too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from vimo.conditioning import HIPS, SHOULDERS
from vimo.geometry.weak_perspective import fit_weak_perspective as weak_perspective


@dataclass(frozen=True)
class Fidelity:
    error: float  # mean 2D error of confident keypoints, in torso lengths
    pck: float  # fraction of confident keypoints within ``threshold`` torso lengths (higher is better)
    frames: int  # frames with enough confident keypoints to fit a camera


def fit_weak_perspective(points: np.ndarray, keypoints: np.ndarray, *, min_conf: float = 0.3) -> np.ndarray:
    """points (T, K, 3) world, keypoints (T, K, 3) [x, y, conf] -> projections (T, K, 2) under each frame's best
    weak-perspective camera (:func:`vimo.geometry.weak_perspective.fit_weak_perspective`, fitted on the keypoints
    with confidence >= ``min_conf``); NaN where a frame has fewer than 4 of them."""
    confident = keypoints[..., 2] >= min_conf  # (T, K)
    pts = torch.from_numpy(np.asarray(points, dtype=np.float64))
    camera = weak_perspective(pts, torch.from_numpy(np.asarray(keypoints[..., :2], dtype=np.float64)),
                              torch.from_numpy(confident.astype(np.float64)))  # fmt: skip
    proj = camera.project(pts).numpy()
    proj[confident.sum(-1) < 4] = np.nan
    return proj


def reprojection_fidelity(
    markers: np.ndarray, keypoints: np.ndarray, *, min_conf: float = 0.3, threshold: float = 0.25
) -> Fidelity:
    """markers (T, 17, 3) COCO-17 3D positions; keypoints (T, 17, 3) detections in pixels."""
    proj = fit_weak_perspective(markers, keypoints, min_conf=min_conf)
    xy = keypoints[..., :2]
    torso = np.linalg.norm(xy[:, list(SHOULDERS)].mean(1) - xy[:, list(HIPS)].mean(1), axis=-1)  # (T,)
    torso_ok = (keypoints[:, list(SHOULDERS) + list(HIPS), 2] >= min_conf).all(-1) & (torso > 1e-3)
    if not torso_ok.any():
        return Fidelity(float("nan"), float("nan"), 0)
    torso = np.where(torso_ok, torso, np.median(torso[torso_ok]))
    err = np.linalg.norm(proj - xy, axis=-1) / torso[:, None]  # (T, 17)
    valid = (keypoints[..., 2] >= min_conf) & np.isfinite(err)
    if not valid.any():
        return Fidelity(float("nan"), float("nan"), 0)
    e = err[valid]
    return Fidelity(float(e.mean()), float((e < threshold).mean()), int(valid.any(-1).sum()))
