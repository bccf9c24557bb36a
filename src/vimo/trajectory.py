"""A world trajectory from the body: the root travels so that planted feet stay planted.

The model's own root channels carry little horizontal travel (a window is canonical at its start and the
network sees no camera), so a runner filmed by a panning camera runs on the spot. Here the horizontal root
velocity is re-derived from the legs: on every frame where a foot is in contact (the motion's contact
channels, ankle or toe) on this frame and the one before, the root moves by minus that contact joint's
horizontal displacement, so the foot stays where it was put down (kinematic odometry). Between stance
phases (flight, or frames without contacts) the velocity is interpolated linearly from the stance phases
around it (a runner keeps its speed in the air); before the first and after the last stance it is held.
Where the motion has no contact at all, its root is left alone. The vertical root channel is untouched.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import scipy.ndimage

from vimo.motion import Motion
from vimo.skeleton import CONTACT_JOINTS


@dataclass(frozen=True)
class TrajectoryConfig:
    smooth: float = 2.0  # Gaussian sigma (frames) on the derived horizontal velocity
    min_stance_frames: int = 2  # frames with a foot planted (on this and the previous frame) needed at all


def stance_velocity(motion: Motion) -> tuple[np.ndarray, np.ndarray]:
    """Horizontal root velocity (T, 2) [x, z] in metres per frame that keeps the planted contact joints still,
    and a (T,) mask of the frames where some contact joint was planted on that frame and the one before.
    Frame 0's velocity is 0 and unmasked."""
    if motion.contacts is None:
        motion = motion.with_contacts()
    joints = motion.joints().astype(np.float64)  # (T, 24, 3)
    feet = joints[:, list(CONTACT_JOINTS)][..., [0, 2]]  # (T, 4, 2)
    planted = (motion.contacts[1:] > 0.5) & (motion.contacts[:-1] > 0.5)  # (T-1, 4)
    step = feet[1:] - feet[:-1]  # (T-1, 4, 2): includes the root's own motion
    count = planted.sum(-1)  # (T-1,)
    mean_step = (step * planted[..., None]).sum(1) / np.maximum(count, 1)[:, None]
    root = motion.root_position[:, [0, 2]].astype(np.float64)
    velocity = np.zeros((motion.num_frames, 2))
    velocity[1:] = (root[1:] - root[:-1]) - mean_step
    mask = np.zeros(motion.num_frames, dtype=bool)
    mask[1:] = count > 0
    return velocity, mask


def world_trajectory(motion: Motion, config: TrajectoryConfig = TrajectoryConfig()) -> Motion:
    """``motion`` with its horizontal root path re-derived from its planted feet (module docstring); the first
    frame's root position is kept. Needs contacts (computed from the motion when absent)."""
    velocity, mask = stance_velocity(motion)
    if mask.sum() < config.min_stance_frames:
        return motion
    frames = np.arange(motion.num_frames)
    filled = np.stack([np.interp(frames, frames[mask], velocity[mask, c]) for c in range(2)], -1)
    filled[0] = 0.0
    if config.smooth > 0:
        filled[1:] = scipy.ndimage.gaussian_filter1d(filled[1:], config.smooth, axis=0, mode="nearest")
    root = motion.root_position.astype(np.float64).copy()
    root[:, [0, 2]] = root[0, [0, 2]] + np.cumsum(filled, axis=0)
    return replace(motion, root_position=root.astype(np.float32))


def travelled_distance(root_position: np.ndarray) -> float:
    """Length of the horizontal root path (T, 3) in metres."""
    return float(np.linalg.norm(np.diff(root_position[:, [0, 2]], axis=0), axis=-1).sum())
