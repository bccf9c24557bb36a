"""The simulator's entry points: one clip (``simulate``), a batch (``simulate_batch``, every training step), clips
of a batch (``simulate_clips``), and random regimes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from vimo.data.camera_sim.cameras import _camera_paths, _framing, _shot_starts, _tracking_crop
from vimo.data.camera_sim.config import _NEAR_M, SimConfig, SimResult
from vimo.data.camera_sim.detector import _detector, _Events, _face_visibility
from vimo.keypoints import NUM_KEYPOINTS
from vimo.options import Regime


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
