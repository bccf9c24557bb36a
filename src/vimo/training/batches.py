"""Training/evaluation batches: motion windows -> simulated casual-camera 2D conditions."""

from __future__ import annotations

import numpy as np
import torch

from vimo.conditioning import NormalizationConfig, normalize_keypoints
from vimo.data.camera_sim import COMMON_IMAGE_SIZES, Regime, SimConfig, simulate_batch
from vimo.data.markers import coco_markers
from vimo.geometry.kinematics import forward_kinematics
from vimo.representation import split
from vimo.skeleton import SMPL

# Cameras for training and evaluation: every regime's defaults, landscape, portrait and square frames.
CASUAL_SIM_CONFIG = SimConfig(image_size_choices=COMMON_IMAGE_SIZES)


def window_joints(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, W, 151) motion vectors in metres -> joints (B, W, 24, 3) and global rotations (B, W, 24, 3, 3)."""
    parts = split(x)
    fk = forward_kinematics(parts.rotations, parts.root_position, torch.from_numpy(SMPL.offsets), SMPL.parents)
    return fk.positions, fk.global_rotations


def window_markers(x: torch.Tensor) -> np.ndarray:
    """(B, W, 151) motion vectors in metres -> the COCO-17 markers the simulator films, (B, W, 17, 3) float64
    world metres."""
    joints, rots = window_joints(x)
    return coco_markers(joints.double().numpy(), rots.double().numpy())


def simulate_condition(
    x: torch.Tensor,
    regimes: list[Regime],
    rng: np.random.Generator,
    *,
    sim_config: SimConfig = CASUAL_SIM_CONFIG,
    norm_config: NormalizationConfig = NormalizationConfig(),
    fps: float = 30.0,
) -> tuple[torch.Tensor, np.ndarray]:
    """Motion windows (B, W, 151) metres -> (condition (B, W, 54), raw keypoints (B, W, 17, 3) pixels)."""
    keypoints = simulate_batch(window_markers(x), regimes=regimes, config=sim_config, rng=rng, fps=fps)
    cond = normalize_keypoints(torch.from_numpy(np.ascontiguousarray(keypoints)).float(), norm_config)
    return cond, keypoints
