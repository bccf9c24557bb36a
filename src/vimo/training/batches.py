"""Training/evaluation batches: motion windows -> simulated casual-camera 2D conditions."""

from __future__ import annotations

import numpy as np
import torch

from vimo.conditioning import NormalizationConfig, normalize_keypoints
from vimo.data.camera_sim import CASUAL_SIM_CONFIG, Regime, SimConfig, simulate_batch
from vimo.data.markers import window_markers


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
