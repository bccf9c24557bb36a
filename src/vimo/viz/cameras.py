"""Cameras for the renderer: one pinhole camera per frame (``CameraPath``), placed by hand, around a
motion or following it.

Cameras follow ``vimo.geometry.camera`` (OpenCV convention, ``x_cam = R @ x_world + t``): a ``CameraPath`` holds
one pinhole camera per frame (R, t, focal, principal) and the image size, the same fields as
``vimo.data.camera_sim.SimResult``, which can be passed directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from scipy.ndimage import uniform_filter1d

from vimo.geometry.camera import look_at


class HasCameras(Protocol):
    """Anything with per-frame pinhole cameras, e.g. ``SimResult``."""

    R: np.ndarray
    t: np.ndarray
    focal: np.ndarray
    principal: np.ndarray
    image_size: tuple[int, int]


@dataclass(frozen=True)
class CameraPath:
    """One pinhole camera per frame (OpenCV convention; see ``vimo.geometry.camera``).

    R: (T, 3, 3) world-to-camera rotations; t: (T, 3) translations (metres);
    focal: (T,) pixels; principal: (T, 2) pixels; image_size: (width, height) pixels.
    """

    R: np.ndarray
    t: np.ndarray
    focal: np.ndarray
    principal: np.ndarray
    image_size: tuple[int, int]

    def __post_init__(self) -> None:
        R = np.asarray(self.R, dtype=np.float64)
        num = R.shape[0] if R.ndim == 3 else -1
        t = np.asarray(self.t, dtype=np.float64)
        focal = np.asarray(self.focal, dtype=np.float64)
        principal = np.asarray(self.principal, dtype=np.float64)
        if R.shape != (num, 3, 3) or t.shape != (num, 3) or focal.shape != (num,) or principal.shape != (num, 2):
            raise ValueError(
                "CameraPath: expected R (T, 3, 3), t (T, 3), focal (T,), principal (T, 2); got "
                f"{R.shape}, {t.shape}, {focal.shape}, {principal.shape}"
            )
        w, h = (int(v) for v in self.image_size)
        if w <= 0 or h <= 0:
            raise ValueError(f"CameraPath: image_size must be positive (width, height), got {self.image_size}")
        for name, value in (("R", R), ("t", t), ("focal", focal), ("principal", principal), ("image_size", (w, h))):
            object.__setattr__(self, name, value)

    def __len__(self) -> int:
        return self.R.shape[0]

    @classmethod
    def from_cameras(cls, cameras: HasCameras) -> CameraPath:
        """From any object with the fields R, t, focal, principal, image_size (e.g. a ``SimResult``)."""
        if isinstance(cameras, CameraPath):
            return cameras
        return cls(cameras.R, cameras.t, cameras.focal, cameras.principal, tuple(cameras.image_size))

    @classmethod
    def static(
        cls,
        eye: Sequence[float],
        target: Sequence[float],
        *,
        frames: int,
        image_size: tuple[int, int] = (640, 480),
        focal: float | None = None,
    ) -> CameraPath:
        """A tripod camera at ``eye`` looking at ``target`` (world metres) for ``frames`` frames.

        focal: pixels; default the image width (a ~53 degree horizontal field of view).
        """
        R, t = look_at(np.asarray(eye, np.float64), np.asarray(target, np.float64))
        w, h = image_size
        f = float(w if focal is None else focal)
        return cls(
            np.broadcast_to(R, (frames, 3, 3)),
            np.broadcast_to(t, (frames, 3)),
            np.full(frames, f),
            np.broadcast_to([w / 2.0, h / 2.0], (frames, 2)),
            (w, h),
        )

    @classmethod
    def follow(
        cls,
        joints: np.ndarray,
        *,
        image_size: tuple[int, int] = (480, 480),
        distance: float = 4.0,
        azimuth_deg: float = 30.0,
        elevation_deg: float = 12.0,
        smoothing_s: float = 0.5,
        fps: float = 30.0,
    ) -> CameraPath:
        """A camera that follows the pelvis (smoothed) from a fixed direction.

        joints: (T, 24, 3). azimuth about +Y from the +Z axis (0: in front of a figure facing +Z),
        elevation above the horizon; distance in metres; focal fits a 2.4 m tall view at ``distance``.
        """
        window = 2 * int(round(smoothing_s * fps / 2)) + 1  # odd: centred
        root = uniform_filter1d(np.asarray(joints, np.float64)[:, 0], window, axis=0, mode="nearest")
        target = root * [1.0, 0.0, 1.0] + [0.0, 0.9, 0.0]
        az, el = np.deg2rad(azimuth_deg), np.deg2rad(elevation_deg)
        direction = np.array([np.cos(el) * np.sin(az), np.sin(el), np.cos(el) * np.cos(az)])
        R, t = look_at(target + distance * direction, target)
        w, h = image_size
        frames = len(root)
        return cls(R, t, np.full(frames, h * distance / 2.4), np.broadcast_to([w / 2.0, h / 2.0], (frames, 2)), (w, h))

    @classmethod
    def overview(
        cls,
        joints: np.ndarray,
        *,
        image_size: tuple[int, int] = (480, 480),
        azimuth_deg: float = 30.0,
        elevation_deg: float = 15.0,
    ) -> CameraPath:
        """A fixed camera that keeps the whole motion (all frames of joints (T, 24, 3)) in view."""
        joints = np.asarray(joints, np.float64)
        lo, hi = joints.reshape(-1, 3).min(0), joints.reshape(-1, 3).max(0)
        centre = (lo + hi) / 2.0
        radius = max(0.5 * float(np.linalg.norm(hi - lo)), 1.0)
        w, h = image_size
        focal = float(min(w, h))  # ~53 degrees across the shorter side
        distance = 1.15 * radius * focal / (min(w, h) / 2.0) + radius
        az, el = np.deg2rad(azimuth_deg), np.deg2rad(elevation_deg)
        direction = np.array([np.cos(el) * np.sin(az), np.sin(el), np.cos(el) * np.cos(az)])
        return cls.static(centre + distance * direction, centre, frames=len(joints), image_size=image_size, focal=focal)
