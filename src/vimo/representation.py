"""Motion <-> network vector (the 151-dim layout of SPEC section 1) and the fitted normaliser.

This module owns the layout; everything else uses the named slices below.
Per frame: ``[4 foot contacts | 3 root position | 24 x 6D local rotations]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file

from vimo.geometry.kinematics import forward_kinematics
from vimo.geometry.rotations import matrix_to_6d, sixd_to_matrix
from vimo.motion import Motion, canonicalize_root
from vimo.skeleton import NUM_JOINTS, SMPL

CONTACTS = slice(0, 4)
ROOT = slice(4, 7)
ROTATIONS = slice(7, 7 + NUM_JOINTS * 6)
DIM = 7 + NUM_JOINTS * 6  # 151


@dataclass(frozen=True)
class MotionParts:
    contacts: torch.Tensor  # (..., T, 4)
    root_position: torch.Tensor  # (..., T, 3) metres
    rotations: torch.Tensor  # (..., T, 24, 3, 3)


def split(x: torch.Tensor) -> MotionParts:
    """(..., T, 151) -> named parts (6D decoded to matrices)."""
    if x.shape[-1] != DIM:
        raise ValueError(f"motion vector must have {DIM} features, got {x.shape[-1]}")
    rot6d = x[..., ROTATIONS].reshape(*x.shape[:-1], NUM_JOINTS, 6)
    return MotionParts(x[..., CONTACTS], x[..., ROOT], sixd_to_matrix(rot6d))


def window_joints(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, W, 151) motion vectors in metres -> joints (B, W, 24, 3) and global rotations (B, W, 24, 3, 3)."""
    parts = split(x)
    fk = forward_kinematics(parts.rotations, parts.root_position, torch.from_numpy(SMPL.offsets), SMPL.parents)
    return fk.positions, fk.global_rotations


def join(parts: MotionParts) -> torch.Tensor:
    rot6d = matrix_to_6d(parts.rotations).flatten(-2)
    return torch.cat([parts.contacts, parts.root_position, rot6d], dim=-1)


def to_vector(motion: Motion) -> np.ndarray:
    """Motion -> (T, 151) float32. Contacts are computed if the motion has none."""
    if motion.contacts is None:
        motion = motion.with_contacts()
    parts = MotionParts(
        torch.from_numpy(motion.contacts),
        torch.from_numpy(motion.root_position),
        torch.from_numpy(motion.rotations),
    )
    return join(parts).numpy()


def from_vector(x: np.ndarray | torch.Tensor, fps: float = 30.0) -> Motion:
    """(T, 151) -> Motion (contacts thresholded at 0.5)."""
    parts = split(torch.as_tensor(x, dtype=torch.float32))
    contacts = (parts.contacts > 0.5).float().numpy()
    return Motion(parts.rotations.numpy(), parts.root_position.numpy(), fps, contacts)


def canonicalize_vectors(x: torch.Tensor) -> torch.Tensor:
    """Canonicalise windows (..., T, 151): pelvis at x = z = 0 facing +Z on each window's frame 0."""
    parts = split(x)
    root_rot, root_pos = canonicalize_root(parts.rotations[..., 0, :, :], parts.root_position)
    rotations = torch.cat([root_rot[..., None, :, :], parts.rotations[..., 1:, :, :]], dim=-3)
    return join(MotionParts(parts.contacts, root_pos, rotations))


class Normalizer:
    """Per-feature z-scoring fitted on training vectors; serialises to safetensors."""

    def __init__(self, mean: torch.Tensor, std: torch.Tensor) -> None:
        if mean.shape != (DIM,) or std.shape != (DIM,):
            raise ValueError(f"normaliser mean/std must be ({DIM},), got {tuple(mean.shape)}, {tuple(std.shape)}")
        self.mean = mean.float()
        self.std = std.float()

    @classmethod
    def fit(cls, x: torch.Tensor | np.ndarray, *, min_std: float = 1e-2) -> Normalizer:
        flat = torch.as_tensor(x, dtype=torch.float64).reshape(-1, DIM)
        return cls(flat.mean(0).float(), flat.std(0).clamp_min(min_std).float())

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean.to(x)) / self.std.to(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return z * self.std.to(z) + self.mean.to(z)

    def state_dict(self) -> dict[str, torch.Tensor]:
        return {"mean": self.mean.contiguous(), "std": self.std.contiguous()}

    def save(self, path: str | Path) -> None:
        save_file(self.state_dict(), str(path))

    @classmethod
    def load(cls, path: str | Path) -> Normalizer:
        state = load_file(str(path))
        return cls(state["mean"], state["std"])
