"""The training losses: FK frames, and configs saved before a choice existed."""

import roma
import torch

from vimo.data.synthetic import random_motion
from vimo.representation import MotionParts, Normalizer, join, split, to_vector
from vimo.training.losses import LossWeights, diffusion_losses
from vimo.training.trainer import TrainConfig


def _turned(x: torch.Tensor, yaw: float, shift: float) -> torch.Tensor:
    """The same motion turned about +Y by ``yaw`` and moved by ``shift`` metres along X."""
    parts = split(x)
    turn = roma.rotvec_to_rotmat(torch.tensor([0.0, yaw, 0.0], dtype=x.dtype))
    rotations = parts.rotations.clone()
    rotations[..., 0, :, :] = turn @ rotations[..., 0, :, :]
    root = parts.root_position @ turn.T + torch.tensor([shift, 0.0, 0.0], dtype=x.dtype)
    return join(MotionParts(parts.contacts, root, rotations))


def test_body_frame_fk_ignores_heading_and_trajectory_but_not_pose():
    x = torch.from_numpy(to_vector(random_motion(40, seed=1, amplitude=0.4).with_contacts())).float()[None]
    norm = Normalizer(torch.zeros(151), torch.ones(151))
    moved = _turned(x, 1.1, 0.7)
    body = LossWeights(fk_frame="body")
    world = LossWeights(fk_frame="world")
    assert diffusion_losses(moved, x, norm, body).fk < 1e-8
    assert diffusion_losses(moved, x, norm, world).fk > 0.05
    other = torch.from_numpy(to_vector(random_motion(40, seed=2, amplitude=0.4).with_contacts())).float()[None]
    assert diffusion_losses(other, x, norm, body).fk > 1e-3


def test_configs_saved_before_the_recipe_change_keep_adan_and_world_fk():
    old = {"model": "small", "lr": 4e-4, "loss": {"simple": 0.636, "velocity": 2.964, "fk": 12.92, "foot": 109.42}}
    cfg = TrainConfig.from_dict(old)
    assert cfg.optimizer == "adan" and cfg.loss.fk_frame == "world"
    new = TrainConfig()
    assert new.optimizer == "adamw" and new.loss.fk_frame == "body"
    import dataclasses

    assert TrainConfig.from_dict(dataclasses.asdict(new)) == new
