"""Rotation conversions, all through roma (one convention per representation).

Conventions (tested in tests/geometry/test_rotations.py):
- Rotation matrices act on column vectors: ``v_world = R @ v_local``.
- Quaternions are roma's XYZW order.
- 6D = the first two **columns** of the matrix, concatenated: ``[R[:, 0], R[:, 1]]``
  (roma's convention; pytorch3d uses rows). Decoding uses Gram-Schmidt (roma.special_gramschmidt).
- Euler angles follow BVH channel order as an *intrinsic* sequence: channels "Z X Y" give
  ``R = Rz @ Rx @ Ry``.
"""

from __future__ import annotations

import roma
import torch


def matrix_to_6d(rotmat: torch.Tensor) -> torch.Tensor:
    """(..., 3, 3) -> (..., 6): first two columns, column 0 first."""
    return rotmat[..., :, :2].transpose(-1, -2).reshape(*rotmat.shape[:-2], 6)


def sixd_to_matrix(sixd: torch.Tensor) -> torch.Tensor:
    """(..., 6) -> (..., 3, 3) special orthogonal, via Gram-Schmidt on the two columns."""
    cols = sixd.reshape(*sixd.shape[:-1], 2, 3).transpose(-1, -2)  # (..., 3, 2)
    return roma.special_gramschmidt(cols)


def quat_to_matrix(quat_xyzw: torch.Tensor) -> torch.Tensor:
    return roma.unitquat_to_rotmat(quat_xyzw)


def matrix_to_quat(rotmat: torch.Tensor) -> torch.Tensor:
    return roma.rotmat_to_unitquat(rotmat)


def axis_angle_to_matrix(rotvec: torch.Tensor) -> torch.Tensor:
    """(..., 3) rotation vectors (radians) -> (..., 3, 3)."""
    return roma.rotvec_to_rotmat(rotvec)


def matrix_to_axis_angle(rotmat: torch.Tensor) -> torch.Tensor:
    return roma.rotmat_to_rotvec(rotmat)


def euler_to_matrix(angles: torch.Tensor, order: str, *, degrees: bool = True) -> torch.Tensor:
    """Intrinsic Euler angles (..., 3), given in the order of ``order`` (e.g. "ZXY"), -> (..., 3, 3)."""
    return roma.euler_to_rotmat(order.upper(), angles, degrees=degrees)


def matrix_to_euler(rotmat: torch.Tensor, order: str, *, degrees: bool = True) -> torch.Tensor:
    """Inverse of :func:`euler_to_matrix`; returns (..., 3) in the order of ``order``."""
    return roma.rotmat_to_euler(order.upper(), rotmat, degrees=degrees)


def rotation_about_y(angle: torch.Tensor) -> torch.Tensor:
    """(...,) yaw angles (radians, counter-clockwise seen from +Y) -> (..., 3, 3)."""
    zeros = torch.zeros_like(angle)
    return axis_angle_to_matrix(torch.stack([zeros, angle, zeros], dim=-1))


def minimal_rotation(src: torch.Tensor, dst: torch.Tensor) -> torch.Tensor:
    """The smallest rotation (..., 3, 3) turning direction ``src`` (..., 3) onto ``dst`` (..., 3)."""
    a = torch.nn.functional.normalize(src, dim=-1)
    b = torch.nn.functional.normalize(dst, dim=-1)
    axis = torch.linalg.cross(a, b)
    sin = axis.norm(dim=-1, keepdim=True)
    cos = (a * b).sum(-1, keepdim=True)
    angle = torch.atan2(sin, cos)
    # Antiparallel: any axis orthogonal to a.
    fallback = torch.linalg.cross(a, torch.tensor([1.0, 0.0, 0.0], dtype=a.dtype).expand_as(a))
    fallback2 = torch.linalg.cross(a, torch.tensor([0.0, 1.0, 0.0], dtype=a.dtype).expand_as(a))
    fallback = torch.where(fallback.norm(dim=-1, keepdim=True) > 1e-6, fallback, fallback2)
    axis = torch.where(sin > 1e-8, axis, fallback)
    return axis_angle_to_matrix(torch.nn.functional.normalize(axis, dim=-1) * angle)


def interpolate_rotations(r0: torch.Tensor, r1: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Geodesic interpolation between (..., 3, 3) rotations with per-element weights (...,) in [0, 1]
    (quaternion slerp along the shorter arc)."""
    q0, q1 = matrix_to_quat(r0), matrix_to_quat(r1)
    dot = (q0 * q1).sum(-1, keepdim=True)
    q1 = torch.where(dot < 0, -q1, q1)
    dot = dot.abs().clamp(max=1.0)
    theta = torch.acos(dot)
    w = weight.to(q0.dtype).unsqueeze(-1)
    small = theta < 1e-4
    sin = torch.sin(theta).clamp_min(1e-8)
    a = torch.where(small, 1 - w, torch.sin((1 - w) * theta) / sin)
    b = torch.where(small, w, torch.sin(w * theta) / sin)
    return quat_to_matrix(torch.nn.functional.normalize(a * q0 + b * q1, dim=-1))
