"""Procedural motions for tests, fixtures and demos that must not depend on ../shared."""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

from vimo.motion import Motion
from vimo.skeleton import SMPL


def random_motion(frames: int = 40, fps: float = 30.0, seed: int = 0, *, amplitude: float = 0.6) -> Motion:
    """Smooth random motion: each joint's rotation vector is a sum of slow sines; the root walks a curve
    at a random heading. Not human-like, but smooth, seeded and fully general (all joints move)."""
    rng = np.random.default_rng(seed)
    t = np.arange(frames)[:, None, None] / fps
    freq = rng.uniform(0.3, 1.5, (1, 24, 3))
    amp = rng.uniform(0.0, amplitude, (1, 24, 3))
    rotvec = amp * np.sin(2 * np.pi * freq * t + rng.uniform(0, 6, (1, 24, 3)))
    rotvec[:, 0, 1] += rng.uniform(-np.pi, np.pi)
    rots = Rotation.from_rotvec(rotvec.reshape(-1, 3)).as_matrix().reshape(frames, 24, 3, 3)
    s = np.arange(frames) / fps
    root = np.stack([np.sin(s) + 2.0, 0.9 + 0.02 * np.sin(5 * s), 0.8 * s - 1.0], -1)
    return Motion(rots.astype(np.float32), root.astype(np.float32), fps)


def walking_motion(frames: int = 150, fps: float = 30.0, *, speed: float = 1.2, cadence: float = 1.8) -> Motion:
    """A simple human-like walk along +Z: legs and arms swing in antiphase, knees bend in swing,
    the pelvis bobs. ``cadence`` is strides per second."""
    t = np.arange(frames) / fps
    phase = 2 * np.pi * cadence * t / 2.0
    rotvec = np.zeros((frames, 24, 3))
    j = SMPL.index
    swing = 0.45 * np.sin(phase)
    rotvec[:, j("left_hip"), 0] = -swing
    rotvec[:, j("right_hip"), 0] = swing
    rotvec[:, j("left_knee"), 0] = 0.6 * np.clip(np.sin(phase + 1.2), 0, None)
    rotvec[:, j("right_knee"), 0] = 0.6 * np.clip(np.sin(phase + 1.2 + np.pi), 0, None)
    rotvec[:, j("left_shoulder"), 2] = -1.2  # arms down from the T-pose
    rotvec[:, j("right_shoulder"), 2] = 1.2
    rotvec[:, j("left_shoulder"), 0] = 0.4 * np.sin(phase)
    rotvec[:, j("right_shoulder"), 0] = -0.4 * np.sin(phase)
    rotvec[:, j("left_elbow"), 1] = 0.3
    rotvec[:, j("right_elbow"), 1] = -0.3
    rots = Rotation.from_rotvec(rotvec.reshape(-1, 3)).as_matrix().reshape(frames, 24, 3, 3)
    root = np.stack([np.zeros_like(t), 0.93 + 0.02 * np.cos(2 * phase), speed * t], -1)
    return Motion(rots.astype(np.float32), root.astype(np.float32), fps).with_contacts()
