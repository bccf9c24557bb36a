"""Casual-camera simulator: from 3D COCO-17 markers, what a 2D detector would output on a casual video.

A virtual camera films the markers (``vimo.data.markers``) under one of four regimes, and the
projection is then corrupted like a detector's output:

- ``static``: a tripod shot. The camera looks at the middle of the person's path (with a random
  aim offset so the person isn't always centred) and zooms out where needed so the person stays
  in frame.
- ``moving``: a hand-held operator following the person (smoothed, lagging), orbiting with a
  smoothly varying yaw rate, dollying and zooming (factors relative to the first frame) and shaking.
  The heading of the optical axis never turns faster than ``max_yaw_rate_deg`` (orbit + shake).
- ``montage``: an edit of static shots; at each cut (every ``cut_interval_s``) a new random
  viewpoint (yaw anywhere but at least ``min_cut_yaw_change_deg`` from the last one, new
  distance, elevation and focal length). Within a shot the camera does not move.
- ``tracking``: a crop (a virtual pan-tilt-zoom camera) that follows the person's hips with a short
  causal lag and a zoom that can cut off the limbs; joints outside the crop get confidence 0.

Every regime yields a real pinhole camera per frame (R, t, focal, principal; see
``vimo.geometry.camera`` for the convention), so the clean keypoints back-project exactly.

Corruption, each part switchable (``SimConfig.noiseless()`` turns all of it off): Gaussian noise
with a std proportional to the person's 2D size; a Beta-like confidence that drops where the noise
is large; face points that fade as the head turns away from the camera; occlusion events (1-6
neighbouring joints for 0.3-1.5 s, confidence 0 or a low confidence with jittered positions);
short left/right swaps of a limb; missed frames (all confidence 0). Joints behind the camera or
outside the image get confidence 0; missing joints have x = y = 0 (COCO style) unless
``zero_missing_xy`` is off.

Everything is vectorised over samples and frames (``simulate_batch`` is called every training
step); the only Python loops are over the samples that need a causal smoothing filter.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields

import numpy as np
from scipy.signal import lfilter

from vimo.data.markers import coco_markers
from vimo.geometry.camera import camera_orientation
from vimo.keypoints import COCO17_FLIP, COCO17_NAMES, NUM_KEYPOINTS, Keypoints2D
from vimo.options import Regime
from vimo.skeleton import SMPL

_LEFT_HIP, _RIGHT_HIP = COCO17_NAMES.index("left_hip"), COCO17_NAMES.index("right_hip")
_NOSE, _LEFT_EYE, _RIGHT_EYE, _LEFT_EAR, _RIGHT_EAR = (
    COCO17_NAMES.index(n) for n in ("nose", "left_eye", "right_eye", "left_ear", "right_ear")
)
_NEAR_M = 0.1  # points closer than this to the camera plane count as behind the camera


# Frame sizes (width, height) of typical casual videos, for ``SimConfig.image_size_choices``.
COMMON_IMAGE_SIZES: tuple[tuple[int, int], ...] = (
    (1280, 720), (1920, 1080), (720, 1280), (1080, 1920), (1080, 1080), (640, 480), (480, 640),
)  # fmt: skip

# Limb pairs that a detector swaps left/right, as COCO indices of the left side (the right side
# follows from COCO17_FLIP): ankles, knees + ankles, wrists, elbows + wrists, the whole leg.
SWAP_GROUPS: tuple[tuple[int, ...], ...] = ((15,), (13, 15), (9,), (7, 9), (11, 13, 15))


@dataclass(frozen=True)
class SimConfig:
    """All parameters of the simulator. Ranges ``(lo, hi)`` are sampled uniformly per sample
    (per shot for montage); set lo == hi to fix a value. Angles in degrees, times in seconds."""

    # -- image and camera ----------------------------------------------------------------------
    image_size: tuple[int, int] = (1280, 720)  # (width, height) in pixels when no choices are given
    # If non-empty, each sample draws its (width, height) from these (landscape, portrait, square).
    image_size_choices: tuple[tuple[int, int], ...] = ()
    focal_range: tuple[float, float] = (0.6, 1.6)  # focal length / the image's longer side (~80-35 deg FOV)
    min_focal: float = 0.3  # framing never zooms out below this (same unit); beyond, joints leave the frame
    distance_range: tuple[float, float] = (2.5, 8.0)  # camera to look-at target, metres
    elevation_range_deg: tuple[float, float] = (-10.0, 30.0)  # camera above (+) / below (-) the target
    aim_offset: float = 0.3  # random aim offset, fraction of the half field of view (off-centre framing)
    framing_margin: float = 0.05  # static/moving/montage: person kept inside (1 - margin) of the half image
    min_clearance_m: float = 1.5  # the person's root stays at least this far in front of the camera

    # -- moving --------------------------------------------------------------------------------
    max_yaw_rate_deg: float = 60.0  # bound on the optical axis heading's rate (orbit + shake), deg/s
    orbit_speed: tuple[float, float] = (0.0, 1.0)  # peak orbit yaw rate, fraction of what shake leaves
    # Steady share of the orbit's yaw rate (its sign is the direction); the rest wobbles at yaw_rate_freq_hz.
    # (1, 1): the heading turns at exactly the peak rate, always the same way.
    orbit_drift: tuple[float, float] = (-1.0, 1.0)
    yaw_rate_freq_hz: tuple[float, float] = (0.05, 0.4)  # how fast the orbit's yaw rate itself varies
    elevation_drift_deg: float = 10.0  # slow drift of the elevation (kept inside elevation_range_deg)
    dolly_range: tuple[float, float] = (0.7, 1.5)  # distance factor relative to the first frame
    zoom_range: tuple[float, float] = (0.7, 1.5)  # focal factor relative to the first frame
    dolly_zoom_freq_hz: tuple[float, float] = (0.05, 0.3)  # frequencies of the dolly/zoom changes
    follow_lag_s: tuple[float, float] = (0.3, 1.0)  # time constant of the operator following the root
    shake_amplitude_deg: tuple[float, float] = (0.0, 1.0)  # hand-held jitter per axis (yaw, pitch, roll)
    shake_freq_hz: tuple[float, float] = (0.5, 2.5)

    # -- montage -------------------------------------------------------------------------------
    cut_interval_s: tuple[float, float] = (1.0, 4.0)  # shot length between cuts
    min_cut_yaw_change_deg: float = 30.0  # a cut turns the view by at least this much

    # -- tracking ------------------------------------------------------------------------------
    tracking_lag_s: tuple[float, float] = (0.03, 0.2)  # time constant of the crop centre following the hips
    tracking_size_lag_s: float = 0.5  # time constant of the crop size following the person's size
    tracking_fill: tuple[float, float] = (0.7, 1.3)  # person size / crop height; > 1 cuts off limbs

    # -- detector corruption -------------------------------------------------------------------
    noise_sigma: tuple[float, float] = (0.0, 0.015)  # noise std, fraction of the person's 2D size
    noise_heteroscedasticity: float = 0.5  # log-normal sigma of a per-joint, per-frame noise scale
    # Detector confidence ~ Kumaraswamy(a, b) (Beta-like, sampled in closed form; median ~0.88); None: 1.
    confidence_shape: tuple[float, float] | None = (8.0, 1.5)
    confidence_noise_coupling: float = 1.0  # conf *= exp(-c * max(noise scale - 1, 0))
    occlusion_rate_hz: float = 0.3  # occlusion events per second
    occlusion_joints: tuple[int, int] = (1, 6)  # neighbouring joints hidden per event
    occlusion_duration_s: tuple[float, float] = (0.3, 1.5)
    occlusion_low_conf_prob: float = 0.3  # share of events reported with a low confidence, not 0
    occlusion_low_conf: tuple[float, float] = (0.05, 0.3)  # that low confidence
    occlusion_jitter: float = 0.05  # position jitter std of low-confidence occluded joints, fraction of size
    swap_rate_hz: float = 0.1  # left/right limb swap events per second
    swap_duration_frames: tuple[int, int] = (1, 8)
    missed_rate_hz: float = 0.1  # missed-detection events per second (all joints confidence 0)
    missed_duration_frames: tuple[int, int] = (1, 6)
    # Face self-occlusion: nose and eyes fade out as the head turns away from the camera (cosine of
    # the face direction to the camera from +0.3 down to -0.2), an ear as it turns to the far side.
    face_self_occlusion: bool = True
    zero_missing_xy: bool = True  # write x = y = 0 for joints with confidence 0 (COCO style)

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in ("image_size", "confidence_shape"):  # pairs that are not (lo, hi) ranges
                continue
            if isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, (int, float)) for v in value):
                if value[0] > value[1]:
                    raise ValueError(f"SimConfig.{f.name}: expected (lo, hi) with lo <= hi, got {value}")
        if not (self.dolly_range[0] <= 1.0 <= self.dolly_range[1] and self.zoom_range[0] <= 1.0 <= self.zoom_range[1]):
            raise ValueError(
                f"SimConfig: dolly_range {self.dolly_range} and zoom_range {self.zoom_range} must contain 1 "
                "(factors relative to the first frame)"
            )
        if self.cut_interval_s[0] <= 0 or self.distance_range[0] <= 0 or self.focal_range[0] <= 0:
            raise ValueError("SimConfig: cut_interval_s, distance_range and focal_range must be positive")
        if not 1 <= self.occlusion_joints[0] <= self.occlusion_joints[1] <= NUM_KEYPOINTS:
            raise ValueError(
                f"SimConfig.occlusion_joints must lie in [1, {NUM_KEYPOINTS}], got {self.occlusion_joints}"
            )
        if self.confidence_shape is not None and min(self.confidence_shape) <= 0:
            raise ValueError(
                f"SimConfig.confidence_shape: Kumaraswamy(a, b) needs a, b > 0, got {self.confidence_shape}"
            )
        if not -1.0 <= self.orbit_drift[0] <= self.orbit_drift[1] <= 1.0:
            raise ValueError(f"SimConfig.orbit_drift must lie in [-1, 1], got {self.orbit_drift}")
        if self.swap_duration_frames[0] < 1 or self.missed_duration_frames[0] < 1:
            raise ValueError("SimConfig: swap/missed durations must be at least 1 frame")

    @classmethod
    def noiseless(cls, **overrides: object) -> SimConfig:
        """A config with every detector corruption off (exact projections, confidence 1)."""
        clean: dict[str, object] = dict(
            noise_sigma=(0.0, 0.0),
            confidence_shape=None,
            occlusion_rate_hz=0.0,
            swap_rate_hz=0.0,
            missed_rate_hz=0.0,
            face_self_occlusion=False,
        )
        clean.update(overrides)
        return cls(**clean)  # type: ignore[arg-type]


# Cameras for training and evaluation: every regime's defaults, landscape, portrait and square frames.
CASUAL_SIM_CONFIG = SimConfig(image_size_choices=COMMON_IMAGE_SIZES)


@dataclass(frozen=True)
class Event:
    """A corruption event on frames ``[start, stop)`` affecting COCO joints ``joints``."""

    start: int
    stop: int
    joints: tuple[int, ...]
    low_confidence: bool = False  # occlusion reported with a low confidence instead of 0


@dataclass(frozen=True)
class SimResult:
    """One simulated clip.

    keypoints: (T, 17, 3) float32 ``[x_px, y_px, conf]``.
    image_size: (width, height) pixels.
    R: (T, 3, 3), t: (T, 3) world-to-camera extrinsics; focal: (T,) pixels; principal: (T, 2) pixels.
    cut_frames: frames where a new shot starts (montage; frame 0 excluded).
    missed: (T,) bool frames with no detection; occlusions, swaps: the corruption events.
    """

    keypoints: np.ndarray
    image_size: tuple[int, int]
    R: np.ndarray
    t: np.ndarray
    focal: np.ndarray
    principal: np.ndarray
    cut_frames: tuple[int, ...]
    regime: Regime
    fps: float
    missed: np.ndarray
    occlusions: tuple[Event, ...] = ()
    swaps: tuple[Event, ...] = ()

    def to_keypoints(self) -> Keypoints2D:
        return Keypoints2D(self.keypoints, self.fps, self.image_size)


def random_regimes(
    num: int, rng: np.random.Generator, weights: Mapping[Regime, float] | Sequence[float] | None = None
) -> list[Regime]:
    """``num`` regimes drawn with ``weights`` (per Regime, in enum order or as a mapping; default uniform)."""
    regimes = list(Regime)
    if weights is None:
        p = np.full(len(regimes), 1.0 / len(regimes))
    else:
        if isinstance(weights, Mapping):
            p = np.array([float(weights.get(r, 0.0)) for r in regimes])
        else:
            p = np.asarray(weights, dtype=np.float64)
        if p.shape != (len(regimes),) or (p < 0).any() or p.sum() <= 0:
            raise ValueError(f"weights must be {len(regimes)} non-negative numbers ({[r.value for r in regimes]})")
        p = p / p.sum()
    return [regimes[i] for i in rng.choice(len(regimes), size=num, p=p)]


def simulate(
    markers: np.ndarray, *, regime: Regime, config: SimConfig, rng: np.random.Generator, fps: float = 30.0
) -> SimResult:
    """Simulate one clip of ``markers`` (T, 17, 3) COCO-17 world positions, metres (Y up), at ``fps``.

    Returns the keypoints with the per-frame cameras that produced them and the corruption events.
    All randomness comes from ``rng``: the same generator state gives the same result.
    """
    markers = np.asarray(markers)
    if markers.ndim != 3:
        raise ValueError(f"simulate: markers must be (T, {NUM_KEYPOINTS}, 3), got {markers.shape}")
    return simulate_clips(markers[None], regimes=[regime], config=config, rng=rng, fps=fps)[0]


def simulate_batch(
    markers: np.ndarray,
    *,
    regimes: Sequence[Regime],
    config: SimConfig,
    rng: np.random.Generator,
    fps: float = 30.0,
) -> np.ndarray:
    """Simulate B clips at once: markers (B, T, 17, 3) world metres -> keypoints (B, T, 17, 3) float32.

    Each sample has its own camera, image size (see ``SimConfig.image_size_choices``) and corruption.
    """
    _check_batch("simulate_batch", markers, regimes)
    return _simulate(np.asarray(markers), [Regime(r) for r in regimes], config, rng, fps).keypoints


def simulate_clips(
    markers: np.ndarray,
    *,
    regimes: Sequence[Regime],
    config: SimConfig,
    rng: np.random.Generator,
    fps: float = 30.0,
) -> list[SimResult]:
    """``simulate_batch`` with the cameras and corruption events of every clip: the same draws, so the
    same keypoints for the same generator state. markers (B, T, 17, 3) world metres -> B results."""
    _check_batch("simulate_clips", markers, regimes)
    markers = np.asarray(markers)
    batch = _simulate(markers, [Regime(r) for r in regimes], config, rng, fps)
    T = markers.shape[1]
    return [
        SimResult(
            keypoints=batch.keypoints[b],
            image_size=(int(batch.image_size[b, 0]), int(batch.image_size[b, 1])),
            R=batch.R[b],
            t=batch.t[b],
            focal=batch.focal[b],
            principal=batch.principal[b],
            cut_frames=tuple(int(s) for s in batch.shot_starts[b, 1:] if s < T),
            regime=Regime(regime),
            fps=float(fps),
            occlusions=batch.occlusion.as_list(b),
            swaps=batch.swap.as_list(b),
            missed=batch.missed[b],
        )
        for b, regime in enumerate(regimes)
    ]


def _check_batch(name: str, markers: np.ndarray, regimes: Sequence[Regime]) -> None:
    shape = np.shape(markers)
    if len(shape) != 4:
        raise ValueError(f"{name}: markers must be (B, T, {NUM_KEYPOINTS}, 3), got {shape}")
    if len(regimes) != shape[0]:
        raise ValueError(f"{name}: {len(regimes)} regimes for {shape[0]} samples")


# ------------------------------------------------------------------------------------------------
# Implementation. Shapes: B samples, T frames, S shots, E events, K = 17 keypoints. Per-keypoint
# arrays are kept as (B, T, K) planes (x and y separately) so reductions run over contiguous memory.


@dataclass(frozen=True)
class _Batch:
    keypoints: np.ndarray  # (B, T, K, 3) float32
    image_size: np.ndarray  # (B, 2) int
    R: np.ndarray  # (B, T, 3, 3)
    t: np.ndarray  # (B, T, 3)
    focal: np.ndarray  # (B, T)
    principal: np.ndarray  # (B, T, 2)
    shot_starts: np.ndarray  # (B, S) first frame of each shot (>= T: unused)
    occlusion: _Events
    swap: _Events
    missed: np.ndarray  # (B, T) bool


@dataclass(frozen=True)
class _Events:
    start: np.ndarray  # (B, E) first frame
    stop: np.ndarray  # (B, E) one past the last frame
    valid: np.ndarray  # (B, E) bool (samples have different numbers of events)
    joints: np.ndarray  # (B, E, K) bool
    low: np.ndarray  # (B, E) bool: occlusion reported with a low confidence instead of 0

    def active(self, T: int) -> np.ndarray:
        """(B, E, T) whether each valid event covers each frame."""
        frame = np.arange(T)
        return self.valid[..., None] & (self.start[..., None] <= frame) & (frame < self.stop[..., None])

    def joint_mask(self, T: int, where: np.ndarray | None = None) -> np.ndarray:
        """(B, T, K) union of the joints of the events (those with ``where`` (B, E), if given) per frame."""
        valid = self.valid if where is None else self.valid & where
        if not valid.any():
            return np.zeros((self.start.shape[0], T, NUM_KEYPOINTS), bool)
        active = (self.active(T) & valid[..., None]).astype(np.float32)
        return np.swapaxes(active, 1, 2) @ self.joints.astype(np.float32) > 0

    def as_list(self, b: int) -> tuple[Event, ...]:
        return tuple(
            Event(
                int(self.start[b, e]),
                int(self.stop[b, e]),
                tuple(np.flatnonzero(self.joints[b, e]).tolist()),
                bool(self.low[b, e]),
            )
            for e in np.flatnonzero(self.valid[b])
        )


def _simulate(
    markers: np.ndarray, regimes: list[Regime], cfg: SimConfig, rng: np.random.Generator, fps: float
) -> _Batch:
    if markers.shape[-2:] != (NUM_KEYPOINTS, 3) or markers.shape[1] < 1:
        raise ValueError(f"markers must be (..., T >= 1, {NUM_KEYPOINTS}, 3), got {markers.shape}")
    if not np.isfinite(markers).all():
        raise ValueError("markers contain NaN/inf")
    if not fps > 0:
        raise ValueError(f"fps must be positive, got {fps}")
    B, T = markers.shape[:2]
    markers = markers.astype(np.float32, copy=False)
    regime = np.array([list(Regime).index(r) for r in regimes])
    is_montage = regime == list(Regime).index(Regime.MONTAGE)
    moving = np.flatnonzero(regime == list(Regime).index(Regime.MOVING))
    tracking = np.flatnonzero(regime == list(Regime).index(Regime.TRACKING))

    if cfg.image_size_choices:
        choices = np.asarray(cfg.image_size_choices, dtype=np.int64)
        size = choices[rng.integers(len(choices), size=B)]
    else:
        size = np.tile(np.asarray(cfg.image_size, dtype=np.int64), (B, 1))
    wh = size.astype(np.float64)  # (B, 2)

    starts = _shot_starts(rng, is_montage, T, fps, cfg)
    cam = _camera_paths(markers, starts, moving, wh, cfg, rng, fps)
    # Projection onto the normalised image plane (focal 1, principal 0), keypoints last.
    rel = np.swapaxes(markers - cam.eye[:, :, None].astype(np.float32), -1, -2)  # (B, T, 3, K)
    xyz = cam.R.astype(np.float32) @ rel  # (B, T, 3, K) camera coordinates
    depth = xyz[:, :, 2]
    front = depth > _NEAR_M  # (B, T, K)
    safe = np.where(front, depth, _NEAR_M)
    u, v = xyz[:, :, 0] / safe, xyz[:, :, 1] / safe  # (B, T, K)

    focal, principal = _framing(u, v, front, starts, cam, wh, cfg)
    if len(tracking):
        focal[tracking], principal[tracking] = _tracking_crop(
            u[tracking], v[tracking], front[tracking], wh[tracking], cfg, rng, fps
        )
    f32 = focal.astype(np.float32)[..., None]
    x = u * f32 + principal[..., 0:1].astype(np.float32)
    y = v * f32 + principal[..., 1:2].astype(np.float32)
    visibility = _face_visibility(xyz) if cfg.face_self_occlusion else None
    keypoints, occlusion, swap, missed = _detector(x, y, front, visibility, wh, T, fps, cfg, rng)
    t = -(cam.R @ cam.eye[..., None])[..., 0]
    return _Batch(keypoints, size, cam.R, t, focal, principal, starts, occlusion, swap, missed)


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


def _detector(
    x: np.ndarray,
    y: np.ndarray,
    front: np.ndarray,
    visibility: np.ndarray | None,
    wh: np.ndarray,
    T: int,
    fps: float,
    cfg: SimConfig,
    rng: np.random.Generator,
) -> tuple[np.ndarray, _Events, _Events, np.ndarray]:
    """Corrupt exact pixel planes x, y (B, T, K) like a detector -> keypoints (B, T, K, 3) and events.

    ``visibility`` (B, T, K) in [0, 1] scales the confidence (self-occlusion), if given.
    """
    B = x.shape[0]
    shape = x.shape
    width = wh[:, 0, None, None].astype(np.float32)
    height = wh[:, 1, None, None].astype(np.float32)
    inside = front & (x >= 0) & (x <= width) & (y >= 0) & (y <= height)
    # The person's 2D size: the larger side of the bounding box of the joints in front of the camera.
    span_x = np.where(front, x, -np.inf).max(-1) - np.where(front, x, np.inf).min(-1)
    span_y = np.where(front, y, -np.inf).max(-1) - np.where(front, y, np.inf).min(-1)
    person = np.maximum(span_x, span_y)
    person = np.where(np.isfinite(person), person, 0.0).astype(np.float32)[..., None]  # (B, T, 1)

    swap = _events(rng, B, T, fps, cfg.swap_rate_hz, cfg.swap_duration_frames, _swap_groups(rng, B))
    swapped = swap.joint_mask(T)
    if swapped.any():  # the detector reports the partner's position (and visibility) for these joints
        flip = list(COCO17_FLIP)
        x = np.where(swapped, x[..., flip], x)
        y = np.where(swapped, y[..., flip], y)
        inside = np.where(swapped, inside[..., flip], inside)

    scale = np.ones(shape, np.float32)  # per-joint noise scale (log-normal around 1)
    if cfg.noise_heteroscedasticity > 0:
        scale = np.exp(cfg.noise_heteroscedasticity * rng.standard_normal(shape, dtype=np.float32))
    if cfg.noise_sigma[1] > 0:
        sigma = rng.uniform(*cfg.noise_sigma, size=(B, 1, 1)).astype(np.float32) * person * scale
        x = x + sigma * rng.standard_normal(shape, dtype=np.float32)
        y = y + sigma * rng.standard_normal(shape, dtype=np.float32)
    if cfg.confidence_shape is not None:  # Kumaraswamy(a, b) by inverting its CDF
        a, b = cfg.confidence_shape
        conf = (1.0 - (1.0 - rng.random(shape, dtype=np.float32)) ** (1.0 / b)) ** (1.0 / a)
        if cfg.confidence_noise_coupling > 0:
            conf *= np.exp(-cfg.confidence_noise_coupling * np.maximum(scale - 1.0, 0.0))
    else:
        conf = np.ones(shape, np.float32)
    if visibility is not None:
        conf *= visibility

    occlusion = _events(
        rng, B, T, fps, cfg.occlusion_rate_hz, _frames(cfg.occlusion_duration_s, fps),
        _neighbour_sets(rng, B, cfg.occlusion_joints), low_prob=cfg.occlusion_low_conf_prob,
    )  # fmt: skip
    hidden = occlusion.joint_mask(T, where=~occlusion.low)
    dim = occlusion.joint_mask(T, where=occlusion.low) & ~hidden
    if dim.any():  # a guess with low confidence, somewhere near the joint
        k = int(dim.sum())
        conf[dim] = rng.uniform(*cfg.occlusion_low_conf, size=k)
        spread = cfg.occlusion_jitter * np.broadcast_to(person, shape)[dim]
        x[dim] += spread * rng.standard_normal(k, dtype=np.float32)
        y[dim] += spread * rng.standard_normal(k, dtype=np.float32)
    conf[hidden] = 0.0
    missed_events = _events(rng, B, T, fps, cfg.missed_rate_hz, cfg.missed_duration_frames, _all_joints(B))
    missed = missed_events.active(T).any(axis=1)  # (B, T)
    conf[missed] = 0.0
    conf[~inside] = 0.0
    x = np.clip(x, 0.0, width)
    y = np.clip(y, 0.0, height)
    if cfg.zero_missing_xy:
        found = conf > 0
        x = np.where(found, x, 0.0)
        y = np.where(found, y, 0.0)
    keypoints = np.stack([x, y, conf], axis=-1).astype(np.float32, copy=False)
    return keypoints, occlusion, swap, missed


def _face_visibility(xyz: np.ndarray) -> np.ndarray:
    """(B, T, K) confidence factor from the head's orientation, given camera coordinates (B, T, 3, K).

    Nose and eyes: 1 while the face turns towards the camera (cosine between the face direction,
    ears-midpoint -> nose, and the direction to the camera >= 0.3), fading to 0 at -0.2 (seen from
    behind). Each ear: fading from 1 to 0 as the ear-to-ear axis turns it away (cosine -0.4 to -0.8).
    Body joints: 1.
    """
    ears = 0.5 * (xyz[..., _LEFT_EAR] + xyz[..., _RIGHT_EAR])  # (B, T, 3)
    to_camera = -ears / np.maximum(np.linalg.norm(ears, axis=-1, keepdims=True), 1e-6)

    def cosine(direction: np.ndarray) -> np.ndarray:
        norm = np.maximum(np.linalg.norm(direction, axis=-1), 1e-6)
        return (direction * to_camera).sum(-1) / norm

    face = np.clip((cosine(xyz[..., _NOSE] - ears) + 0.2) / 0.5, 0.0, 1.0)
    side = cosine(xyz[..., _LEFT_EAR] - xyz[..., _RIGHT_EAR])  # > 0: the left side faces the camera
    out = np.ones((*xyz.shape[:2], NUM_KEYPOINTS), np.float32)
    out[..., [_NOSE, _LEFT_EYE, _RIGHT_EYE]] = face[..., None]
    out[..., _LEFT_EAR] = np.clip((side + 0.8) / 0.4, 0.0, 1.0)
    out[..., _RIGHT_EAR] = np.clip((-side + 0.8) / 0.4, 0.0, 1.0)
    return out


def _smooth_noise(
    rng: np.random.Generator, n: int, time_s: np.ndarray, freq_hz: tuple[float, float], components: int = 3
) -> np.ndarray:
    """(n, T) smooth random signals in [-1, 1] whose rate never exceeds 2 pi max(freq_hz) per second:
    a convex combination of sinusoids with random frequencies and phases."""
    freq = rng.uniform(*freq_hz, size=(n, components, 1))
    phase = rng.uniform(0.0, 2.0 * np.pi, size=(n, components, 1))
    weight = rng.uniform(0.1, 1.0, size=(n, components, 1))
    weight /= weight.sum(axis=1, keepdims=True)
    return (weight * np.sin(2.0 * np.pi * freq * time_s + phase)).sum(axis=1)


def _saturate(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Smoothly squash x into (lo, hi) (lo <= 0 <= hi) with slope 1 at 0: scaled tanh on each side."""
    pos = hi * np.tanh(x / hi) if hi > 0 else np.zeros_like(x)
    neg = -lo * np.tanh(x / -lo) if lo < 0 else np.zeros_like(x)
    return np.where(x >= 0, pos, neg)


def _ema(x: np.ndarray, lag_s: np.ndarray, fps: float) -> np.ndarray:
    """Causal exponential smoothing of x (n, T, D) along T with per-row time constants lag_s (n,),
    starting from the first frame."""
    alpha = 1.0 - np.exp(-1.0 / (np.maximum(lag_s, 1e-6) * fps))
    out = np.empty_like(x)
    for i, a in enumerate(alpha):  # one C-level filter call per sample (no loop over frames)
        out[i] = x[i, :1] + lfilter([a], [1.0, a - 1.0], x[i] - x[i, :1], axis=0)
    return out


def _shot_reduce(x: np.ndarray, starts: np.ndarray, op: np.ufunc, fill: float) -> np.ndarray:
    """Reduce (B, T, ...) values with ``op`` over each shot's frames -> (B, S, ...); unused shots ``fill``.

    Shots are contiguous runs of frames, so one ``op.reduceat`` over the flattened frames does it.
    """
    B, T = x.shape[:2]
    used = starts < T  # (B, S); shot 0 is always used
    offsets = (np.arange(B)[:, None] * T + starts)[used]  # increasing
    out = np.full((*starts.shape, *x.shape[2:]), fill, dtype=np.float64)
    out[used] = op.reduceat(x.reshape(B * T, *x.shape[2:]), offsets, axis=0)
    return out


def _frames(range_s: tuple[float, float], fps: float) -> tuple[int, int]:
    """A (lo, hi) range in seconds as whole frames inside it (at least 1)."""
    lo = max(1, int(np.ceil(range_s[0] * fps - 1e-9)))
    return lo, max(lo, int(np.floor(range_s[1] * fps + 1e-9)))


def _events(
    rng: np.random.Generator,
    B: int,
    T: int,
    fps: float,
    rate_hz: float,
    duration_frames: tuple[int, int],
    draw_joints: Callable[[int], np.ndarray],
    *,
    low_prob: float = 0.0,
) -> _Events:
    """Random events: Poisson(rate * clip duration) per sample, each lasting ``duration_frames`` and lying
    wholly inside the clip (shortened only if longer than it); ``draw_joints(E)`` -> (B, E, K) masks."""
    count = rng.poisson(rate_hz * T / fps, size=B) if rate_hz > 0 else np.zeros(B, np.int64)
    E = int(count.max(initial=0))
    length = np.minimum(rng.integers(duration_frames[0], duration_frames[1] + 1, size=(B, E)), T)
    start = np.floor(rng.random(size=(B, E)) * (T - length + 1)).astype(np.int64)
    valid = np.arange(E) < count[:, None]
    joints = draw_joints(E)
    low = rng.random(size=(B, E)) < low_prob if low_prob > 0 else np.zeros((B, E), bool)
    return _Events(start=start, stop=start + length, valid=valid, joints=joints, low=low)


def _swap_groups(rng: np.random.Generator, B: int) -> Callable[[int], np.ndarray]:
    """Draws (B, E, K) masks of a random left/right limb group (both sides) per event."""
    return lambda E: _SWAP_TABLE[rng.integers(len(SWAP_GROUPS), size=(B, E))]


def _neighbour_sets(rng: np.random.Generator, B: int, count: tuple[int, int]) -> Callable[[int], np.ndarray]:
    """Draws (B, E, K) masks of ``count`` (lo, hi) keypoints nearest to a random seed keypoint."""

    def draw(E: int) -> np.ndarray:
        seed = rng.integers(NUM_KEYPOINTS, size=(B, E))
        k = rng.integers(count[0], count[1] + 1, size=(B, E))
        return _NEIGHBOUR_RANK[seed] < k[..., None]

    return draw


def _all_joints(B: int) -> Callable[[int], np.ndarray]:
    return lambda E: np.ones((B, E, NUM_KEYPOINTS), bool)


def _swap_table() -> np.ndarray:
    """(groups, K) masks of each swap group, both sides."""
    table = np.zeros((len(SWAP_GROUPS), NUM_KEYPOINTS), bool)
    for g, left in enumerate(SWAP_GROUPS):
        table[g, list(left)] = True
        table[g, [COCO17_FLIP[j] for j in left]] = True
    return table


def _neighbour_rank() -> np.ndarray:
    """(K, K) rank of keypoint j among those nearest to keypoint i in the rest pose (0 = i itself)."""
    identity = np.broadcast_to(np.eye(3), (SMPL.num_joints, 3, 3))
    rest = coco_markers(SMPL.rest_positions().astype(np.float64), identity)
    order = np.argsort(np.linalg.norm(rest[:, None] - rest[None], axis=-1), axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.broadcast_to(np.arange(NUM_KEYPOINTS), order.shape), axis=1)
    return rank


_SWAP_TABLE = _swap_table()
_NEIGHBOUR_RANK = _neighbour_rank()
