"""The MediaPipe peer: BlazePose's own 3D world landmarks, as the 17 COCO keypoints in our axes."""

from __future__ import annotations

import numpy as np

from vimo.video.pose import BLAZEPOSE33_NAMES, BLAZEPOSE_INDEX_OF_COCO17

# MediaPipe world axes (x right, y down, z away from the camera) -> ours (Y up): a half turn about X.
_FROM_MEDIAPIPE = np.array([1.0, -1.0, -1.0])


def mediapipe_coco17(world: np.ndarray) -> np.ndarray:
    """BlazePose world landmarks (..., 33, 3) -> the 17 COCO keypoints (..., 17, 3) in our axes.

    MediaPipe: metres, origin between the hips, x right, y down, z away from the camera. Ours: Y up, and a body
    facing the camera faces +Z with its left side at +X (as SMPL's rest pose). That is a half turn about X,
    (x, y, z) -> (x, -y, -z); flipping y alone would mirror the body, which no rotation (so no Procrustes) undoes.
    NaN rows (no pose) stay NaN.
    """
    world = np.asarray(world, dtype=np.float64)
    if world.shape[-2:] != (len(BLAZEPOSE33_NAMES), 3):
        raise ValueError(f"mediapipe_coco17: expected landmarks (..., 33, 3), got {world.shape}")
    return world[..., list(BLAZEPOSE_INDEX_OF_COCO17), :] * _FROM_MEDIAPIPE


def fill_missing_frames(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(T, K, 3) with NaN on frames without output -> (filled copy, found (T,) bool): each coordinate linearly
    interpolated over time between found frames, held at the ends. Nothing found: the input, all False."""
    points = np.asarray(points, dtype=np.float64)
    found = np.isfinite(points).all(axis=(-1, -2))
    if not found.any():
        return points.copy(), found
    t = np.arange(len(points))
    flat = points.reshape(len(points), -1)
    filled = np.stack([np.interp(t, t[found], flat[found, c]) for c in range(flat.shape[1])], axis=-1)
    return filled.reshape(points.shape), found
