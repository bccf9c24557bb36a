"""Weak-perspective (scaled orthographic) cameras fitted in closed form (pure torch; any batch dimensions).

A weak-perspective camera maps a 3D point ``X`` to ``s * R2 @ (X - mu_X) + mu_x`` where ``R2`` (2, 3) holds two
orthonormal rows of a rotation, ``s`` is a scale and ``mu_X`` / ``mu_x`` are the weighted centroids of the 3D
points and of their 2D observations. Fit: the weighted least-squares 2x3 affine map between the centred point
sets, then its nearest scaled-orthonormal matrix (SVD: ``mean(singular values) * U @ V^T``). The depth sign is
not observable (the usual orthographic mirror ambiguity); any 2x3 with orthonormal rows is the top of a proper
rotation, so no reflection is ever fitted.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class WeakPerspective:
    matrix: torch.Tensor  # (..., 2, 3) s * R2
    centre_3d: torch.Tensor  # (..., 3) weighted centroid of the points
    centre_2d: torch.Tensor  # (..., 2) weighted centroid of the observations

    def project(self, points: torch.Tensor) -> torch.Tensor:
        """(..., N, 3) -> (..., N, 2)."""
        centred = points - self.centre_3d[..., None, :]
        return (self.matrix[..., None, :, :] @ centred[..., None])[..., 0] + self.centre_2d[..., None, :]


def fit_weak_perspective(points: torch.Tensor, observed: torch.Tensor, weights: torch.Tensor) -> WeakPerspective:
    """Per batch element, the weak-perspective camera that best maps ``points`` (..., N, 3) onto ``observed``
    (..., N, 2) under per-point ``weights`` (..., N) >= 0. Elements with fewer than 3 weighted points get a
    well-defined but meaningless camera: callers weight their residuals by ``weights`` anyway."""
    w = weights.to(points.dtype)
    total = w.sum(-1, keepdim=True).clamp_min(1e-8)  # (..., 1)
    mu_3d = (points * w[..., None]).sum(-2) / total
    mu_2d = (observed * w[..., None]).sum(-2) / total
    xc = points - mu_3d[..., None, :]
    yc = observed - mu_2d[..., None, :]
    eye = torch.eye(3, dtype=points.dtype, device=points.device)
    xtx = torch.einsum("...k,...ki,...kj->...ij", w, xc, xc) + 1e-6 * eye
    ytx = torch.einsum("...k,...ki,...kj->...ij", w, yc, xc)  # (..., 2, 3)
    affine = ytx @ torch.linalg.inv(xtx)
    u, s, vh = torch.linalg.svd(affine, full_matrices=False)  # (..., 2, 2), (..., 2), (..., 2, 3)
    return WeakPerspective(s.mean(-1)[..., None, None] * (u @ vh), mu_3d, mu_2d)
