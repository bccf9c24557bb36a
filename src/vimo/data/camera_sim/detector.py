"""The detector's corruption of the projected keypoints: noise, confidence, face visibility, occlusion and swap
events, missed frames. Shapes: B samples, T frames, E events, K = 17 keypoints."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from vimo.data.camera_sim.config import (
    _LEFT_EAR,
    _LEFT_EYE,
    _NOSE,
    _RIGHT_EAR,
    _RIGHT_EYE,
    SWAP_GROUPS,
    Event,
    SimConfig,
)
from vimo.data.camera_sim.signals import _frames
from vimo.data.markers import coco_markers
from vimo.keypoints import COCO17_FLIP, NUM_KEYPOINTS
from vimo.skeleton import SMPL


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
