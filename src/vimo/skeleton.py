"""The SMPL 24-joint skeleton as data (names, parents, rest offsets, mirror map, axes).

Conventions (SPEC section 1): metres, Y up, right-handed, the rest pose faces +Z and the
character's left side is +X.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

JOINT_NAMES: tuple[str, ...] = (
    "pelvis", "left_hip", "right_hip", "spine1", "left_knee", "right_knee", "spine2",
    "left_ankle", "right_ankle", "spine3", "left_foot", "right_foot", "neck", "left_collar",
    "right_collar", "head", "left_shoulder", "right_shoulder", "left_elbow", "right_elbow",
    "left_wrist", "right_wrist", "left_hand", "right_hand",
)  # fmt: skip

PARENTS: tuple[int, ...] = (-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19, 20, 21)

# Parent-relative rest offsets in metres (the SMPL template used by AIST++ and EDGE).
REST_OFFSETS = np.array(
    [
        [0.0, 0.0, 0.0],
        [0.05858135, -0.08228004, -0.01766408],
        [-0.06030973, -0.09051332, -0.01354254],
        [0.00443945, 0.12440352, -0.03838522],
        [0.04345142, -0.38646945, 0.008037],
        [-0.04325663, -0.38368791, -0.00484304],
        [0.00448844, 0.1379564, 0.02682033],
        [-0.01479032, -0.42687458, -0.037428],
        [0.01905555, -0.4200455, -0.03456167],
        [-0.00226458, 0.05603239, 0.00285505],
        [0.04105436, -0.06028581, 0.12204243],
        [-0.03483987, -0.06210566, 0.13032329],
        [-0.0133902, 0.21163553, -0.03346758],
        [0.07170245, 0.11399969, -0.01889817],
        [-0.08295366, 0.11247234, -0.02370739],
        [0.01011321, 0.08893734, 0.05040987],
        [0.12292141, 0.04520509, -0.019046],
        [-0.11322832, 0.04685326, -0.00847207],
        [0.2553319, -0.01564902, -0.02294649],
        [-0.26012748, -0.01436928, -0.03126873],
        [0.26570925, 0.01269811, -0.00737473],
        [-0.26910836, 0.00679372, -0.00602676],
        [0.08669055, -0.01063603, -0.01559429],
        [-0.0887537, -0.00865157, -0.01010708],
    ],
    dtype=np.float32,
)

# Foot-contact joints, in the order of the motion vector's contact channels.
CONTACT_JOINT_NAMES: tuple[str, ...] = ("left_ankle", "right_ankle", "left_foot", "right_foot")


def mirror_map(names: tuple[str, ...] | list[str]) -> list[int]:
    """Index map swapping ``left_*`` and ``right_*`` names (identity for the others)."""
    names = list(names)
    out = []
    for name in names:
        if name.startswith("left_"):
            out.append(names.index("right_" + name[5:]))
        elif name.startswith("right_"):
            out.append(names.index("left_" + name[6:]))
        else:
            out.append(names.index(name))
    return out


@dataclass(frozen=True)
class Skeleton:
    """A kinematic tree: joint names, parent indices and parent-relative rest offsets (J, 3)."""

    names: tuple[str, ...]
    parents: tuple[int, ...]
    offsets: np.ndarray = field(repr=False)
    up_axis: tuple[float, float, float] = (0.0, 1.0, 0.0)
    forward_axis: tuple[float, float, float] = (0.0, 0.0, 1.0)

    def __post_init__(self) -> None:
        if len(self.names) != len(self.parents) or self.offsets.shape != (len(self.names), 3):
            raise ValueError(
                f"skeleton: {len(self.names)} names, {len(self.parents)} parents, "
                f"offsets {self.offsets.shape}; expected equal joint counts and offsets (J, 3)"
            )
        for j, p in enumerate(self.parents):
            if p >= j:
                raise ValueError(f"skeleton: parent of joint {j} ({self.names[j]}) is {p}; parents must precede")

    @property
    def num_joints(self) -> int:
        return len(self.names)

    def index(self, name: str) -> int:
        try:
            return self.names.index(name)
        except ValueError:
            raise KeyError(f"unknown joint {name!r}; known: {', '.join(self.names)}") from None

    def indices(self, names: tuple[str, ...] | list[str]) -> list[int]:
        return [self.index(n) for n in names]

    def children(self, j: int) -> list[int]:
        return [c for c, p in enumerate(self.parents) if p == j]

    @property
    def mirror_indices(self) -> list[int]:
        """Index map swapping left_* and right_* joints (identity for central joints)."""
        return mirror_map(self.names)

    def rest_positions(self) -> np.ndarray:
        """Global joint positions (J, 3) in the rest pose with the root at the origin."""
        pos = np.zeros_like(self.offsets)
        for j, p in enumerate(self.parents):
            if p >= 0:
                pos[j] = pos[p] + self.offsets[j]
        return pos


SMPL = Skeleton(names=JOINT_NAMES, parents=PARENTS, offsets=REST_OFFSETS)
NUM_JOINTS = SMPL.num_joints
CONTACT_JOINTS: tuple[int, ...] = tuple(SMPL.indices(CONTACT_JOINT_NAMES))
