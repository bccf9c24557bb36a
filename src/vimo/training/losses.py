"""The paper's training losses (eq. 3-7), pure functions of predictions and targets.

All inputs are normalised motion vectors (B, W, 151); FK-based terms decode them to metres first.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from vimo.geometry.kinematics import forward_kinematics
from vimo.representation import Normalizer, split
from vimo.skeleton import CONTACT_JOINTS, SMPL


@dataclass(frozen=True)
class LossWeights:
    # Relative to EDGE (0.636 simple, 2.964 velocity, 0.646 FK, 10.942 foot), rescaled because our FK
    # and foot terms are in metres (squared), not on normalised values: at initialisation each
    # auxiliary term then contributes a fraction of the simple loss comparable to EDGE's.
    simple: float = 0.636
    velocity: float = 2.964
    fk: float = 0.646 * 20.0
    foot: float = 10.942 * 10.0
    # Where the FK term compares joints: "world" (EDGE: root trajectory and heading included) or "body"
    # (in the root joint's frame: pose only, since a camera-free 2D input leaves trajectory and heading
    # ambiguous and their errors would otherwise dominate the term).
    fk_frame: str = "world"


@dataclass
class LossTerms:
    total: torch.Tensor
    simple: torch.Tensor
    velocity: torch.Tensor
    fk: torch.Tensor
    foot: torch.Tensor

    def as_floats(self) -> dict[str, float]:
        return {k: float(v.detach()) for k, v in self.__dict__.items()}


def _masked_mean(sq: torch.Tensor, valid: torch.Tensor | None) -> torch.Tensor:
    """Mean of sq (B, W, ...) over frames where valid (B, W) is True."""
    if valid is None:
        return sq.mean()
    w = valid.to(sq.dtype).reshape(valid.shape + (1,) * (sq.dim() - 2))
    return (sq * w).sum() / (w.sum() * sq[0, 0].numel()).clamp_min(1)


def _in_root_frame(joints: torch.Tensor, rotations: torch.Tensor) -> torch.Tensor:
    """Joints (B, W, 24, 3) relative to the root joint, in the root's rotated frame (rotations[..., 0, :, :])."""
    rel = joints - joints[..., :1, :]
    return torch.einsum("bwji,bwkj->bwki", rotations[..., 0, :, :], rel)


def diffusion_losses(
    pred: torch.Tensor,
    target: torch.Tensor,
    normalizer: Normalizer,
    weights: LossWeights,
    valid: torch.Tensor | None = None,
) -> LossTerms:
    """pred, target: (B, W, 151) normalised x0; valid: (B, W) True on real (unpadded) frames."""
    simple = _masked_mean((pred - target) ** 2, valid)
    vel_valid = None if valid is None else valid[:, 1:] & valid[:, :-1]
    velocity = _masked_mean(((pred[:, 1:] - pred[:, :-1]) - (target[:, 1:] - target[:, :-1])) ** 2, vel_valid)

    offsets = torch.from_numpy(SMPL.offsets)
    p_parts, t_parts = split(normalizer.decode(pred)), split(normalizer.decode(target))
    p_joints = forward_kinematics(p_parts.rotations, p_parts.root_position, offsets, SMPL.parents).positions
    t_joints = forward_kinematics(t_parts.rotations, t_parts.root_position, offsets, SMPL.parents).positions
    if weights.fk_frame == "body":
        fk = _masked_mean((_in_root_frame(p_joints, p_parts.rotations) - _in_root_frame(t_joints, t_parts.rotations))
                          ** 2, valid)  # fmt: skip
    else:
        fk = _masked_mean((p_joints - t_joints) ** 2, valid)

    # Foot contact (eq. 6): feet predicted in contact should not move.
    feet = p_joints[:, :, list(CONTACT_JOINTS)]  # (B, W, 4, 3)
    foot_vel = feet[:, 1:] - feet[:, :-1]
    static = (p_parts.contacts[:, :-1] > 0.95).unsqueeze(-1).to(foot_vel.dtype)
    foot = _masked_mean((foot_vel * static) ** 2, vel_valid)

    total = weights.simple * simple + weights.velocity * velocity + weights.fk * fk + weights.foot * foot
    return LossTerms(total, simple, velocity, fk, foot)
