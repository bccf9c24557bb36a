"""Multi-view triangulation (pure numpy; projection matrices P = K [R | t], pixels u right, v down).

- :func:`project_points`: world points (..., 3) through V cameras (V, 3, 4) -> pixels (..., V, 2), depth (..., V).
- :func:`triangulate_dlt`: pixels (..., V, 2) with weights (..., V) -> world points (..., 3), the weighted
  linear (DLT) solution: each view contributes the two rows ``u P3 - P1``, ``v P3 - P2``, each row normalised to
  unit length (so a view's pull does not depend on its distance) and scaled by the view's weight; the point is the
  right singular vector of the smallest singular value. A point with fewer than 2 views of positive weight is NaN.
"""

from __future__ import annotations

import numpy as np

MIN_VIEWS = 2


def project_points(points: np.ndarray, projections: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """World points (..., 3) through cameras (V, 3, 4) -> (pixels (..., V, 2), depth (..., V)).

    ``depth`` is the third homogeneous coordinate: z in the camera frame when P = K [R | t] with K[2] = (0, 0, 1).
    """
    points = np.asarray(points, np.float64)
    homogeneous = np.concatenate([points, np.ones(points.shape[:-1] + (1,))], axis=-1)
    image = np.einsum("vij,...j->...vi", np.asarray(projections, np.float64), homogeneous)
    depth = image[..., 2]
    return image[..., :2] / depth[..., None], depth


def triangulate_dlt(pixels: np.ndarray, weights: np.ndarray, projections: np.ndarray) -> np.ndarray:
    """Weighted DLT (see the module docstring): pixels (..., V, 2), weights (..., V) >= 0, cameras (V, 3, 4) ->
    world points (..., 3); NaN where fewer than 2 views have a positive weight."""
    pixels = np.asarray(pixels, np.float64)
    weights = np.asarray(weights, np.float64)
    projections = np.asarray(projections, np.float64)
    if pixels.shape[-1] != 2 or pixels.shape[:-1] != weights.shape or weights.shape[-1] != len(projections):
        raise ValueError(f"triangulate_dlt: pixels {pixels.shape}, weights {weights.shape} and cameras "
                         f"{projections.shape} do not match ((..., V, 2), (..., V), (V, 3, 4))")  # fmt: skip
    rows = np.stack([pixels[..., 0:1] * projections[:, 2] - projections[:, 0],
                     pixels[..., 1:2] * projections[:, 2] - projections[:, 1]], axis=-2)  # (..., V, 2, 4)  # fmt: skip
    rows = rows / np.linalg.norm(rows, axis=-1, keepdims=True).clip(1e-12)
    rows = rows * np.clip(weights, 0.0, None)[..., None, None]
    system = rows.reshape(rows.shape[:-3] + (-1, 4))
    _, _, vt = np.linalg.svd(system)
    solution = vt[..., -1, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        points = solution[..., :3] / solution[..., 3:]
    enough = (weights > 0).sum(-1) >= MIN_VIEWS
    return np.where(enough[..., None], points, np.nan)
