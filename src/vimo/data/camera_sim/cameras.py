"""The virtual cameras of the four regimes: shots, paths (follow, orbit, dolly, zoom, shake), framing and the
tracking crop. Shapes: B samples, T frames, S shots."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vimo.data.camera_sim.config import _LEFT_HIP, _RIGHT_HIP, SimConfig
from vimo.data.camera_sim.signals import _ema, _frames, _saturate, _shot_reduce, _smooth_noise
from vimo.geometry.camera import camera_orientation


def _shot_starts(rng: np.random.Generator, is_montage: np.ndarray, T: int, fps: float, cfg: SimConfig) -> np.ndarray:
    """(B, S) first frame of each shot; shot 0 starts at 0, unused shots start at T + 1.

    Montage shots last ``cut_interval_s`` (whole frames); the first may be shorter, as the clip may
    start in the middle of a shot. Other regimes have one shot.
    """
    B = len(is_montage)
    lo, hi = _frames(cfg.cut_interval_s, fps)
    S = 2 + T // lo
    intervals = rng.integers(lo, hi + 1, size=(B, S - 1))
    intervals[:, 0] = rng.integers(1, hi + 1, size=B)
    starts = np.concatenate([np.zeros((B, 1), np.int64), np.cumsum(intervals, axis=1)], axis=1)
    starts[~is_montage, 1:] = T + 1
    return np.where(starts < T, starts, T + 1)


@dataclass(frozen=True)
class _CameraPath:
    R: np.ndarray  # (B, T, 3, 3) world to camera
    eye: np.ndarray  # (B, T, 3) camera centre, metres
    shot: np.ndarray  # (B, T) shot index of each frame
    focal_shot: np.ndarray  # (B, S) drawn focal length per shot, pixels (before framing)
    zoom: np.ndarray  # (B, T) focal factor relative to the first frame (moving), else 1


def _camera_paths(
    markers: np.ndarray,
    starts: np.ndarray,
    moving: np.ndarray,
    wh: np.ndarray,
    cfg: SimConfig,
    rng: np.random.Generator,
    fps: float,
) -> _CameraPath:
    """Extrinsics per frame: a viewpoint per shot, animated for the moving regime."""
    B, T = markers.shape[:2]
    S = starts.shape[1]
    time_s = np.arange(T) / fps
    shot = (starts[:, :, None] <= np.arange(T)).sum(axis=1) - 1  # (B, T)
    rows = np.arange(B)[:, None]
    root = markers[:, :, [_LEFT_HIP, _RIGHT_HIP]].mean(axis=2, dtype=np.float64)  # (B, T, 3)

    # A viewpoint per shot; each cut turns the view by min_cut_yaw_change_deg .. 180 deg.
    turn = rng.uniform(np.deg2rad(cfg.min_cut_yaw_change_deg), np.pi, size=(B, S))
    turn *= rng.choice([-1.0, 1.0], size=(B, S))
    turn[:, 0] = rng.uniform(0.0, 2.0 * np.pi, size=B)
    yaw = np.cumsum(turn, axis=1)[rows, shot]  # (B, T) heading of the optical axis
    elev = np.deg2rad(rng.uniform(*cfg.elevation_range_deg, size=(B, S)))[rows, shot]
    dist_shot = rng.uniform(*cfg.distance_range, size=(B, S))
    focal_shot = rng.uniform(*cfg.focal_range, size=(B, S)) * wh.max(axis=1, keepdims=True)
    half_fov = np.arctan(wh[:, None, :] / 2.0 / focal_shot[..., None])  # (B, S, 2)
    aim = (rng.uniform(-1.0, 1.0, size=(B, S, 2)) * cfg.aim_offset * half_fov)[rows, shot]  # (B, T, 2)
    dolly = np.ones((B, T))
    zoom = np.ones((B, T))
    shake = np.zeros((B, T, 3))  # yaw, pitch, roll jitter
    # Look-at anchor: the middle of the person's path over the shot.
    lo = _shot_reduce(root, starts, np.minimum, 0.0)
    hi = _shot_reduce(root, starts, np.maximum, 0.0)
    anchor = (0.5 * (lo + hi))[rows, shot]  # (B, T, 3)

    if len(moving):
        n = len(moving)
        amp = np.deg2rad(rng.uniform(*cfg.shake_amplitude_deg, size=(n, 1, 3)))
        jitter = np.stack([_smooth_noise(rng, n, time_s, cfg.shake_freq_hz) for _ in range(3)], axis=-1)
        shake[moving] = amp * jitter
        # |d(shake yaw)/dt| <= amp * 2 pi f_max; the orbit gets the rest of the yaw-rate budget.
        shake_rate = np.deg2rad(cfg.shake_amplitude_deg[1]) * 2.0 * np.pi * cfg.shake_freq_hz[1]
        rate_max = max(0.0, np.deg2rad(cfg.max_yaw_rate_deg) - shake_rate)
        drift = rng.uniform(*cfg.orbit_drift, size=(n, 1))
        wobble = _smooth_noise(rng, n, time_s, cfg.yaw_rate_freq_hz)
        speed = rng.uniform(*cfg.orbit_speed, size=(n, 1))
        rate = rate_max * speed * np.clip(drift + (1.0 - np.abs(drift)) * wobble, -1.0, 1.0)  # rad/s
        yaw[moving] += (np.cumsum(rate, axis=1) - rate[:, :1]) / fps  # frame-to-frame step = rate / fps
        drift_e = _smooth_noise(rng, n, time_s, cfg.yaw_rate_freq_hz)
        elev_lo, elev_hi = np.deg2rad(cfg.elevation_range_deg)
        elev_drift = np.deg2rad(cfg.elevation_drift_deg) * (drift_e - drift_e[:, :1])
        elev[moving] = np.clip(elev[moving] + elev_drift, elev_lo, elev_hi)
        for out, (f_lo, f_hi) in ((dolly, cfg.dolly_range), (zoom, cfg.zoom_range)):
            wave = _smooth_noise(rng, n, time_s, cfg.dolly_zoom_freq_hz)
            strength = rng.uniform(0.0, 1.5, size=(n, 1))  # log units
            out[moving] = np.exp(_saturate(strength * (wave - wave[:, :1]), np.log(f_lo), np.log(f_hi)))
        anchor[moving] = _ema(root[moving], rng.uniform(*cfg.follow_lag_s, size=n), fps)  # operator follows

    # Place the camera behind the anchor, far enough that the root stays min_clearance_m in front.
    forward = np.stack([np.cos(elev) * np.sin(yaw), -np.sin(elev), np.cos(elev) * np.cos(yaw)], axis=-1)
    beyond = ((root - anchor) * forward).sum(axis=-1)  # (B, T) the root's depth beyond the anchor
    needed = _shot_reduce((cfg.min_clearance_m - beyond) / dolly, starts, np.maximum, -np.inf)
    dist = np.maximum(dist_shot, needed)[rows, shot] * dolly
    eye = anchor - dist[..., None] * forward
    R = camera_orientation(yaw + aim[..., 0] + shake[..., 0], -elev + aim[..., 1] + shake[..., 1], shake[..., 2])
    return _CameraPath(R=R, eye=eye, shot=shot, focal_shot=focal_shot, zoom=zoom)


def _framing(
    u: np.ndarray,
    v: np.ndarray,
    front: np.ndarray,
    starts: np.ndarray,
    cam: _CameraPath,
    wh: np.ndarray,
    cfg: SimConfig,
) -> tuple[np.ndarray, np.ndarray]:
    """Focal (B, T) and principal point (B, T, 2): each shot's drawn focal length, reduced where
    needed so that every joint in front of the camera stays inside (1 - framing_margin) of the
    half image over the whole shot (never below min_focal)."""
    B, T = u.shape[:2]
    reach_u = np.where(front, np.abs(u), 0.0).max(axis=-1)  # (B, T) furthest |u| of the person
    reach_v = np.where(front, np.abs(v), 0.0).max(axis=-1)
    half = (1.0 - cfg.framing_margin) * wh / 2.0  # (B, 2)
    with np.errstate(divide="ignore"):
        fits = np.minimum(half[:, :1] / reach_u, half[:, 1:] / reach_v) / cam.zoom  # (B, T) largest focal
    cap = _shot_reduce(fits, starts, np.minimum, np.inf)  # (B, S)
    floor = cfg.min_focal * wh.max(axis=1, keepdims=True)
    focal_shot = np.maximum(np.minimum(cam.focal_shot, cap), floor)
    focal = focal_shot[np.arange(B)[:, None], cam.shot] * cam.zoom
    principal = np.broadcast_to(wh[:, None, :] / 2.0, (B, T, 2)).copy()
    return focal, principal


def _tracking_crop(
    u: np.ndarray,
    v: np.ndarray,
    front: np.ndarray,
    wh: np.ndarray,
    cfg: SimConfig,
    rng: np.random.Generator,
    fps: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Intrinsics (focal (n, T), principal (n, T, 2)) of a crop of the normalised image plane.

    The crop centre follows the hip centre and its height follows the person's size / fill, both
    with a causal lag; the crop keeps the output image's aspect ratio. It is a pinhole camera with
    the same extrinsics, so its pixels still back-project exactly.
    """
    n = u.shape[0]
    hips = np.stack([u[:, :, [_LEFT_HIP, _RIGHT_HIP]].mean(-1), v[:, :, [_LEFT_HIP, _RIGHT_HIP]].mean(-1)], -1)
    width = np.where(front, u, -np.inf).max(-1) - np.where(front, u, np.inf).min(-1)  # (n, T)
    height = np.where(front, v, -np.inf).max(-1) - np.where(front, v, np.inf).min(-1)
    size = np.maximum(height, width * (wh[:, 1:] / wh[:, :1])).astype(np.float64)  # crop height that fits
    ok = np.isfinite(size) & (size > 0)
    if not ok.all():  # frames with nobody in front of the camera: hold a typical size
        typical = np.array([np.median(row[m]) if m.any() else 1.0 for row, m in zip(size, ok, strict=True)])
        size = np.where(ok, size, typical[:, None])
    centre = _ema(hips.astype(np.float64), rng.uniform(*cfg.tracking_lag_s, size=n), fps)  # (n, T, 2)
    size = _ema(size[..., None], np.full(n, cfg.tracking_size_lag_s), fps)[..., 0]
    fill = rng.uniform(*cfg.tracking_fill, size=(n, 1))
    focal = wh[:, 1:] * fill / size  # output pixels per normalised unit
    principal = wh[:, None, :] / 2.0 - centre * focal[..., None]
    return focal, principal
