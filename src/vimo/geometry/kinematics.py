"""Batched forward kinematics (pure; any leading batch dimensions)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import torch

# Frames per piece where a whole sequence is processed piecewise, so that long motions (a 10-minute video
# is 18,000 frames) never hold several full-length (T, 24, 3, 3) float64 intermediates at once.
FRAME_CHUNK = 2048


def frame_chunks(num_frames: int, chunk: int | None = None) -> Iterator[slice]:
    """Consecutive slices covering ``range(num_frames)``, each at most ``chunk`` (default
    :data:`FRAME_CHUNK`, read at call time) frames long."""
    chunk = FRAME_CHUNK if chunk is None else chunk
    if chunk < 1:
        raise ValueError(f"chunk must be at least 1, got {chunk}")
    return (slice(s, min(s + chunk, num_frames)) for s in range(0, num_frames, chunk))


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
