from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import torch
from scipy.ndimage import gaussian_filter1d

from vimo.geometry.rotations import axis_angle_to_matrix
from vimo.motion import Motion


def smooth_motion(seed: int, num_frames: int = 45, fps: float = 30.0) -> Motion:
    """A random smooth motion: every joint swings on sinusoids up to ~100 degrees, the pelvis spins
    about Y and tilts, the root wanders on a smooth random path around 0.9 m height."""
    rng = np.random.default_rng(seed)
    t = np.arange(num_frames) / fps
    amp = rng.uniform(0.2, 1.0, (24, 3, 1))
    freq = rng.uniform(0.2, 1.5, (24, 3, 1))
    phase = rng.uniform(0, 2 * np.pi, (24, 3, 1))
    rotvec = np.moveaxis(amp * np.sin(2 * np.pi * freq * t + phase), -1, 0)  # (T, 24, 3)
    rotvec[:, 0, 1] += rng.uniform(-3, 3) * t  # spin about Y
    rots = axis_angle_to_matrix(torch.from_numpy(rotvec)).numpy()
    steps = gaussian_filter1d(rng.normal(0.0, 0.03, (num_frames, 3)), sigma=2.0, axis=0, mode="nearest")
    root = np.cumsum(steps, axis=0) + rng.uniform(-2, 2, 3) * [1, 0, 1] + [0.0, 0.9, 0.0]
    return Motion(rots, root, fps)


@pytest.fixture
def make_motion() -> Callable[..., Motion]:
    return smooth_motion
