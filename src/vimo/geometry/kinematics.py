"""Batched forward kinematics (pure; any leading batch dimensions)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class FKResult:
    positions: torch.Tensor  # (..., J, 3) world joint positions
    global_rotations: torch.Tensor  # (..., J, 3, 3) joint-to-world rotations


def forward_kinematics(
    local_rotations: torch.Tensor,
    root_position: torch.Tensor,
    offsets: torch.Tensor,
    parents: Sequence[int],
) -> FKResult:
    """Local joint rotations -> world positions and rotations.

    local_rotations: (..., J, 3, 3) parent-relative; the root's is relative to the world.
    root_position: (..., 3) world position of joint 0.
    offsets: (J, 3) or (..., J, 3) parent-relative rest offsets (the root's is ignored).
    parents: J parent indices, -1 for the root, each parent before its children.
    """
    num_joints = len(parents)
    if local_rotations.shape[-3:] != (num_joints, 3, 3):
        raise ValueError(f"local_rotations must be (..., {num_joints}, 3, 3), got {tuple(local_rotations.shape)}")
    offsets = offsets.to(local_rotations)
    rots: list[torch.Tensor] = []
    pos: list[torch.Tensor] = []
    for j, p in enumerate(parents):
        if p < 0:
            rots.append(local_rotations[..., j, :, :])
            pos.append(root_position)
        else:
            rots.append(rots[p] @ local_rotations[..., j, :, :])
            pos.append(pos[p] + (rots[p] @ offsets[..., j, :, None])[..., 0])
    return FKResult(positions=torch.stack(pos, dim=-2), global_rotations=torch.stack(rots, dim=-3))


def global_to_local(global_rotations: torch.Tensor, parents: Sequence[int]) -> torch.Tensor:
    """(..., J, 3, 3) joint-to-world rotations -> parent-relative rotations."""
    out = []
    for j, p in enumerate(parents):
        g = global_rotations[..., j, :, :]
        out.append(g if p < 0 else global_rotations[..., p, :, :].transpose(-1, -2) @ g)
    return torch.stack(out, dim=-3)
