"""Long inputs as overlapping windows: where windows start, placing a window's output in the world frame,
and cross-fading overlaps (root lerp, rotation slerp). Shared by the diffusion pipeline and the baseline lifter.

Windows are motion vectors (K, W, 151) in metres/6D (:mod:`vimo.representation`), Y up.
"""

from __future__ import annotations

import torch

from vimo.geometry.rotations import interpolate_rotations, rotation_about_y
from vimo.motion import facing_yaw
from vimo.representation import MotionParts, join, split


def window_starts(num_frames: int, window: int, overlap: int) -> list[int]:
    """First frame of each window of ``window`` frames covering ``num_frames``, consecutive windows sharing
    at least ``overlap`` frames (the last window ends at the last frame)."""
    starts = [0]
    while starts[-1] + window < num_frames:
        nxt = starts[-1] + window - overlap
        starts.append(min(nxt, num_frames - window))
    return starts


def world_from_canonical(x: torch.Tensor, yaw: torch.Tensor, origin: torch.Tensor) -> torch.Tensor:
    """Place canonical windows (K, W, 151) into a world frame: rotate by yaw (K,) about Y, then add origin (K, 3)
    horizontally (x, z; the pelvis height is kept)."""
    parts = split(x)
    turn = rotation_about_y(yaw)[:, None]  # (K, 1, 3, 3)
    rots = parts.rotations.clone()
    rots[:, :, 0] = turn @ rots[:, :, 0]
    horizontal = torch.tensor([1.0, 0.0, 1.0], dtype=x.dtype, device=x.device)
    root = (turn @ parts.root_position[..., None])[..., 0] + origin[:, None] * horizontal
    return join(MotionParts(parts.contacts, root, rots))


def align_to(x: torch.Tensor, frame: int, rotation: torch.Tensor, position: torch.Tensor) -> torch.Tensor:
    """Turn windows (K, W, 151) about Y and shift them horizontally so that on ``frame`` their pelvis faces
    like ``rotation`` (K, 3, 3) and stands above ``position`` (K, 3) (pelvis heights are kept)."""
    here = split(x[:, frame])
    turn = facing_yaw(rotation) - facing_yaw(here.rotations[:, 0])
    zeros = torch.zeros_like(position)
    turned = world_from_canonical(x, turn, zeros)
    return world_from_canonical(turned, torch.zeros_like(turn), position - split(turned[:, frame]).root_position)


def fade_weights(overlap: int, fade: int) -> torch.Tensor:
    """(overlap,) cross-fade weights: 0 (keep the previous window) on the first ``overlap - fade`` frames,
    then a linear ramp strictly between 0 and 1 over the last ``fade`` frames."""
    fade_start = max(0, overlap - fade)
    w = torch.zeros(overlap)
    w[fade_start:] = torch.linspace(0, 1, overlap - fade_start + 2)[1:-1]
    return w


def blend(a: torch.Tensor, b: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """Cross-fade motion vectors a -> b (K, F, 151) with weights w (F,) (0 = a): root lerp, rotation slerp."""
    pa, pb = split(a), split(b)
    ww = w.view(1, -1, 1)
    root = pa.root_position + ww * (pb.root_position - pa.root_position)
    rots = interpolate_rotations(pa.rotations, pb.rotations, w.view(1, -1, 1).expand(pa.rotations.shape[:-2]))
    contacts = torch.where(ww < 0.5, pa.contacts, pb.contacts)
    return join(MotionParts(contacts, root, rots))
