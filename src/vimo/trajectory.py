"""A world trajectory from the body: the root travels so that the planted foot stays planted.

The model's own root channels carry little horizontal travel (a window is canonical at its start and the
network sees no camera), so a runner filmed by a panning camera runs on the spot. Here the horizontal root
velocity is re-derived from the legs (kinematic odometry). On each step (frame t-1 -> t) the anchors are the
contact joints (ankles, toes) in contact on both frames (the motion's contact channels) that are also near the
floor and not moving up or down (a predicted contact in the air is a wrong prediction); on steps with none,
the lowest contact joint when it is within ``planted_height`` of its own floor level (its 5th percentile
height; a runner's EDGE contacts are nearly empty). The root moves by minus the anchors' mean horizontal
displacement, so a planted foot stays where it was put down; a running median removes single wrong anchors, and
a step implying more than ``max_speed`` (a sample whose facing flips) is not trusted. Between planted steps (flight)
the velocity is interpolated linearly from the planted steps around it (a runner keeps its speed in the air);
before the first and after the last it is held. The vertical root channel is untouched.
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
    planted_height: float = 0.01  # metres above its floor level under which the lowest contact joint is planted
    min_planted_steps: int = 2  # fewer planted steps than this: the root is left alone
    contact_height: float = 0.08  # metres above its floor level over which a predicted contact is not trusted
    contact_lift: float = 0.01  # metres per frame of vertical motion over which a predicted contact is not trusted
    median: int = 5  # frames of the running median on the planted steps' velocity (a wrong anchor is one spike)
    max_speed: float = 7.0  # m/s; a planted step implying more (a sample flipping its facing) is not trusted


def stance_velocity(motion: Motion, config: TrajectoryConfig = TrajectoryConfig()) -> tuple[np.ndarray, np.ndarray]:
    """Horizontal root velocity (T, 2) [x, z] in metres per frame that keeps each step's anchor joint still, and a
    (T,) mask of the frames whose step (from the frame before) had a planted anchor. Frame 0: 0 and unmasked."""
    if motion.contacts is None:
        motion = motion.with_contacts()
    feet = motion.joints().astype(np.float64)[:, list(CONTACT_JOINTS)]  # (T, 4, 3)
    height = feet[..., 1] - np.percentile(feet[..., 1], 5, axis=0)  # (T, 4) above each joint's floor
    step_height = 0.5 * (height[1:] + height[:-1])  # (T-1, 4)
    lowest = step_height.argmin(-1)  # (T-1,)
    # A contact that is off the floor or moving up or down is a wrong contact prediction, not an anchor.
    lift = np.abs(feet[1:, :, 1] - feet[:-1, :, 1])  # (T-1, 4) metres per frame
    on_floor = (step_height < config.contact_height) & (lift < config.contact_lift)
    contact = (motion.contacts[1:] > 0.5) & (motion.contacts[:-1] > 0.5) & on_floor  # (T-1, 4)
    steps = feet[1:, :, [0, 2]] - feet[:-1, :, [0, 2]]  # (T-1, 4, 2), the root's motion included
    root = motion.root_position[:, [0, 2]].astype(np.float64)
    # A foot pushing the body along moves backwards relative to it (a swinging foot near the floor moves forwards).
    forward = motion.rotations[1:, 0, :, 2][:, [0, 2]]  # (T-1, 2) the pelvis's facing, horizontal
    relative = steps - (root[1:] - root[:-1])[:, None]
    pushing = (relative * forward[:, None]).sum(-1) < 0  # (T-1, 4)
    rows = np.arange(len(lowest))
    near_floor = np.zeros_like(contact)
    near_floor[rows, lowest] = (step_height[rows, lowest] < config.planted_height) & pushing[rows, lowest]
    anchors = np.where(contact.any(-1, keepdims=True), contact, near_floor)  # (T-1, 4)
    count = anchors.sum(-1)
    foot_step = (steps * anchors[..., None]).sum(1) / np.maximum(count, 1)[:, None]
    velocity = np.zeros((motion.num_frames, 2))
    velocity[1:] = (root[1:] - root[:-1]) - foot_step
    planted = (count > 0) & (np.linalg.norm(velocity[1:], axis=-1) * motion.fps <= config.max_speed)
    mask = np.zeros(motion.num_frames, dtype=bool)
    mask[1:] = planted
    return velocity, mask


def world_trajectory(motion: Motion, config: TrajectoryConfig = TrajectoryConfig()) -> Motion:
    """``motion`` with its horizontal root path re-derived from its planted feet (module docstring); the first
    frame's root position is kept. Needs contacts (computed from the motion when absent)."""
    velocity, mask = stance_velocity(motion, config)
    if mask.sum() < max(1, config.min_planted_steps):
        return motion
    frames = np.arange(motion.num_frames)
    if config.median > 1:
        velocity[mask] = scipy.ndimage.median_filter(velocity[mask], size=(config.median, 1), mode="nearest")
    filled = np.stack([np.interp(frames, frames[mask], velocity[mask, c]) for c in range(2)], -1)
    filled[0] = 0.0
    if config.smooth > 0:
        filled[1:] = scipy.ndimage.gaussian_filter1d(filled[1:], config.smooth, axis=0, mode="nearest")
    root = motion.root_position.astype(np.float64).copy()
    root[:, [0, 2]] = root[0, [0, 2]] + np.cumsum(filled, axis=0)
    return replace(motion, root_position=root.astype(np.float32))


def travelled_distance(root_position: np.ndarray, *, every: int = 15) -> float:
    """Length in metres of the horizontal root path (T, 3) sampled every ``every`` frames (and at the last frame),
    so that the sway of a gait (left-right, every step) does not count as travel."""
    frames = np.unique(np.r_[np.arange(0, len(root_position), every), len(root_position) - 1])
    return float(np.linalg.norm(np.diff(root_position[frames][:, [0, 2]], axis=0), axis=-1).sum())
