"""The mannequin: a human figure made of capsules between SMPL-24 joints and a sphere head with eyes, nose
and hair (``Figure``), and its colours (``MannequinStyle``).

Shapes: joints (T, 24, 3) world metres, Y up.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vimo.motion import Motion
from vimo.skeleton import SMPL


@dataclass(frozen=True)
class MannequinStyle:
    """Colours (RGB 0-255) of the figure's materials."""

    skin: tuple[int, int, int] = (226, 178, 146)
    shirt: tuple[int, int, int] = (52, 98, 186)
    trousers: tuple[int, int, int] = (58, 58, 72)
    shoes: tuple[int, int, int] = (35, 32, 30)
    hair: tuple[int, int, int] = (58, 40, 28)
    eyes: tuple[int, int, int] = (25, 25, 30)


BYSTANDER_STYLE = MannequinStyle(shirt=(176, 64, 52), trousers=(120, 104, 80))


@dataclass(frozen=True)
class _Part:
    a: str  # SMPL joint at one end
    b: str  # SMPL joint at the other end (a == b: a sphere)
    radius: float  # metres
    material: str  # MannequinStyle field
    shift: tuple[float, float] = (0.0, 0.0)  # move the ends along a -> b by these fractions (a, b)


# Capsules between SMPL joints (radii in metres, roughly an adult's limb and trunk thickness).
BODY_PARTS: tuple[_Part, ...] = (
    _Part("pelvis", "spine1", 0.115, "trousers"),
    _Part("left_hip", "right_hip", 0.095, "trousers"),
    _Part("spine1", "spine2", 0.12, "shirt"),
    _Part("spine2", "spine3", 0.125, "shirt"),
    _Part("left_hip", "left_collar", 0.075, "shirt", (0.25, 0.0)),
    _Part("right_hip", "right_collar", 0.075, "shirt", (0.25, 0.0)),
    _Part("spine3", "neck", 0.09, "shirt"),
    _Part("left_collar", "left_shoulder", 0.07, "shirt"),
    _Part("right_collar", "right_shoulder", 0.07, "shirt"),
    _Part("neck", "head", 0.052, "skin"),
    _Part("left_hip", "left_knee", 0.075, "trousers"),
    _Part("right_hip", "right_knee", 0.075, "trousers"),
    _Part("left_knee", "left_ankle", 0.055, "trousers"),
    _Part("right_knee", "right_ankle", 0.055, "trousers"),
    _Part("left_ankle", "left_foot", 0.045, "shoes", (-0.35, 0.15)),
    _Part("right_ankle", "right_foot", 0.045, "shoes", (-0.35, 0.15)),
    _Part("left_shoulder", "left_elbow", 0.05, "shirt"),
    _Part("right_shoulder", "right_elbow", 0.05, "shirt"),
    _Part("left_elbow", "left_wrist", 0.04, "skin"),
    _Part("right_elbow", "right_wrist", 0.04, "skin"),
    _Part("left_wrist", "left_hand", 0.038, "skin", (0.0, 0.3)),
    _Part("right_wrist", "right_hand", 0.038, "skin", (0.0, 0.3)),
)

# Head spheres: (centre offset in the head joint's frame (+X left, +Y up, +Z forward), radius, material).
HEAD_PARTS: tuple[tuple[tuple[float, float, float], float, str], ...] = (
    ((0.0, 0.035, 0.02), 0.1, "skin"),
    ((0.0, 0.06, -0.005), 0.102, "hair"),  # a cap of hair: covers the top and back of the skull
    ((0.034, 0.055, 0.105), 0.016, "eyes"),
    ((-0.034, 0.055, 0.105), 0.016, "eyes"),
    ((0.0, 0.02, 0.122), 0.02, "skin"),  # nose
    ((0.098, 0.03, 0.01), 0.025, "skin"),  # ears
    ((-0.098, 0.03, 0.01), 0.025, "skin"),
)

_MATERIALS = ("skin", "shirt", "trousers", "shoes", "hair", "eyes")
_J = SMPL.index


@dataclass(frozen=True)
class Figure:
    """A posed figure to render: joints (T, 24, 3) world metres and the head's frame
    head_rotations (T, 3, 3) (joint-to-world; columns = the head's left, up, forward axes)."""

    joints: np.ndarray
    head_rotations: np.ndarray
    style: MannequinStyle = MannequinStyle()

    @classmethod
    def of(cls, source: Motion | np.ndarray | Figure, style: MannequinStyle | None = None) -> Figure:
        """From a ``Motion`` (the head's frame from forward kinematics) or joints (T, 24, 3)
        (the head's frame estimated from the neck, head and shoulders)."""
        if isinstance(source, Figure):
            return source if style is None else cls(source.joints, source.head_rotations, style)
        style = style or MannequinStyle()
        if isinstance(source, Motion):
            joints = np.empty((source.num_frames, SMPL.num_joints, 3), np.float64)
            head = np.empty((source.num_frames, 3, 3), source.rotations.dtype)
            for sl, fk in source.fk_pieces():
                joints[sl], head[sl] = fk.positions.numpy(), fk.global_rotations[:, _J("head")].numpy()
            return cls(joints, head, style)
        joints = np.asarray(source, dtype=np.float64)
        if joints.ndim != 3 or joints.shape[1:] != (SMPL.num_joints, 3):
            raise ValueError(f"render: joints must be (T, {SMPL.num_joints}, 3), got {joints.shape}")
        return cls(joints, head_frame(joints), style)

    def __len__(self) -> int:
        return self.joints.shape[0]


def head_frame(joints: np.ndarray) -> np.ndarray:
    """(T, 24, 3) joints -> (T, 3, 3) head rotations: up along neck -> head, left from the shoulders."""
    up = unit(joints[:, _J("head")] - joints[:, _J("neck")])
    left = joints[:, _J("left_shoulder")] - joints[:, _J("right_shoulder")]
    left = unit(left - (left * up).sum(-1, keepdims=True) * up)
    forward = np.cross(left, up)
    return np.stack([left, up, forward], axis=-1)


def unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-9)


def primitives(fig: Figure, k: int) -> list[tuple[np.ndarray, np.ndarray, float, np.ndarray]]:
    """Frame k of a figure as capsules (a (3,), b (3,), radius, colour (3,) float RGB 0-1) in world metres."""
    joints = fig.joints[k]
    colour = {m: np.asarray(getattr(fig.style, m), np.float64) / 255.0 for m in _MATERIALS}
    out = []
    for part in BODY_PARTS:
        a, b = joints[_J(part.a)], joints[_J(part.b)]
        a, b = a + part.shift[0] * (b - a), b + part.shift[1] * (b - a)
        out.append((a, b, part.radius, colour[part.material]))
    head, rot = joints[_J("head")], fig.head_rotations[k]
    for offset, radius, material in HEAD_PARTS:
        centre = head + rot @ np.asarray(offset)
        out.append((centre, centre, radius, colour[material]))
    return out
