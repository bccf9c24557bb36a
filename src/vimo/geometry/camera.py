"""Pinhole camera geometry (pure numpy functions; any leading batch dimensions, broadcast).

Conventions (tested in tests/geometry/test_camera.py):
- World: metres, **Y up**, right-handed (SPEC section 1).
- Camera (OpenCV style): x right, y down, z forward (the optical axis); right-handed.
- Extrinsics ``(R, t)`` map world to camera: ``x_cam = R @ x_world + t``. The rows of ``R`` are the
  camera's x (right), y (down) and z (forward) axes expressed in world coordinates; the camera
  centre is ``-R.T @ t``.
- Intrinsics: one focal length in pixels (square pixels, no skew) and a principal point in pixels;
  ``u = f * x_cam / z_cam + cx``, ``v = f * y_cam / z_cam + cy``. Pixel coordinates have their
  origin at the image's top-left corner, u to the right and v down.
- Camera angles (``camera_orientation``): yaw is the heading of the optical axis about +Y, 0 looking
  along +Z, positive turning towards +X; pitch is positive looking up; roll turns the camera about
  its optical axis, positive turning its x (right) axis towards its y (down) axis.

Batch dimensions broadcast with numpy's rules; to project N points with one camera per frame, give
the points as (T, N, 3) and the camera as R (T, 1, 3, 3), t (T, 1, 3), focal (T, 1), principal (T, 1, 2).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

ArrayLike = np.ndarray | float | tuple[float, ...]


class Extrinsics(NamedTuple):
    """World-to-camera transform: ``x_cam = R @ x_world + t``."""

    R: np.ndarray  # (..., 3, 3)
    t: np.ndarray  # (..., 3)


class Projection(NamedTuple):
    pixels: np.ndarray  # (..., 2) pixel coordinates (u right, v down)
    depth: np.ndarray  # (...,) z in the camera frame, metres (<= 0: behind the camera)


def look_at(eye: ArrayLike, target: ArrayLike, up: ArrayLike = (0.0, 1.0, 0.0)) -> Extrinsics:
    """Extrinsics of a camera at ``eye`` (..., 3) looking at ``target`` (..., 3), with roll such that
    the world ``up`` direction appears upwards in the image (no roll).

    Where the viewing direction is parallel to ``up`` the camera's right axis falls back to world +X
    (or -Z) so the result stays a rotation.
    """
    eye = np.asarray(eye, dtype=np.float64)
    target = np.asarray(target, dtype=np.float64)
    up = np.asarray(up, dtype=np.float64)
    forward = _normalize(target - eye)
    right = np.cross(forward, up)
    norm = np.linalg.norm(right, axis=-1, keepdims=True)
    fallback = np.cross(forward, np.array([0.0, 0.0, 1.0]))
    fallback = np.where(np.linalg.norm(fallback, axis=-1, keepdims=True) > 1e-9, fallback, [1.0, 0.0, 0.0])
    right = np.where(norm > 1e-9, right, fallback)
    right = _normalize(right)
    down = np.cross(forward, right)
    R = np.stack([right, down, forward], axis=-2)
    t = -(R @ eye[..., None])[..., 0]
    return Extrinsics(R, t)


def camera_orientation(yaw: ArrayLike, pitch: ArrayLike, roll: ArrayLike = 0.0) -> np.ndarray:
    """World-to-camera rotation (..., 3, 3) from yaw, pitch, roll (radians, broadcast together).

    The optical axis is ``(cos(pitch) sin(yaw), sin(pitch), cos(pitch) cos(yaw))``; with roll 0 the
    camera's x axis is horizontal, so this equals ``look_at``'s rotation for the same direction.
    """
    yaw, pitch, roll = np.broadcast_arrays(*(np.asarray(a, dtype=np.float64) for a in (yaw, pitch, roll)))
    sy, cy = np.sin(yaw), np.cos(yaw)
    sp, cp = np.sin(pitch), np.cos(pitch)
    sr, cr = np.sin(roll), np.cos(roll)
    zero = np.zeros_like(yaw)
    forward = np.stack([cp * sy, sp, cp * cy], axis=-1)
    right = np.stack([-cy, zero, sy], axis=-1)  # forward x up, normalised
    down = np.stack([sp * sy, -cp, sp * cy], axis=-1)  # forward x right
    x_axis = cr[..., None] * right + sr[..., None] * down
    y_axis = -sr[..., None] * right + cr[..., None] * down
    return np.stack([x_axis, y_axis, forward], axis=-2)


def camera_center(R: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Camera centre in world coordinates (..., 3) = ``-R.T @ t``."""
    return -(np.swapaxes(R, -1, -2) @ np.asarray(t)[..., None])[..., 0]


def world_to_camera(points: np.ndarray, R: np.ndarray, t: np.ndarray) -> np.ndarray:
    """(..., 3) world points -> (..., 3) camera coordinates ``R @ p + t``."""
    return (R @ np.asarray(points)[..., None])[..., 0] + t


def project(
    points_world: np.ndarray, R: np.ndarray, t: np.ndarray, focal_px: ArrayLike, principal_px: ArrayLike
) -> Projection:
    """Project world points (..., 3) to pixels (..., 2) and depth (...,) (metres along the optical axis).

    Points at or behind the camera (depth <= 0) give meaningless pixels; check ``depth``.
    """
    cam = world_to_camera(points_world, R, t)
    depth = cam[..., 2]
    focal = np.asarray(focal_px)[..., None]
    pixels = focal * cam[..., :2] / depth[..., None] + principal_px
    return Projection(pixels, depth)


def unproject(
    pixels: np.ndarray,
    depth: ArrayLike,
    R: np.ndarray,
    t: np.ndarray,
    focal_px: ArrayLike,
    principal_px: ArrayLike,
) -> np.ndarray:
    """Inverse of ``project``: pixels (..., 2) at ``depth`` (...,) -> world points (..., 3)."""
    depth = np.asarray(depth)[..., None]
    xy = (np.asarray(pixels) - principal_px) / np.asarray(focal_px)[..., None] * depth
    cam = np.concatenate([xy, np.broadcast_to(depth, xy[..., :1].shape)], axis=-1)
    return (np.swapaxes(R, -1, -2) @ (cam - t)[..., None])[..., 0]


def _normalize(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-12)
