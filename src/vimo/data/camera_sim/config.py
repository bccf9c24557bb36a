"""The simulator's settings (``SimConfig``, the casual preset ``CASUAL_SIM_CONFIG``) and its output (``SimResult``)."""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from vimo.keypoints import COCO17_NAMES, NUM_KEYPOINTS, Keypoints2D
from vimo.options import Regime

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
