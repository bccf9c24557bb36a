"""Virtual COCO-17 markers on the SMPL-24 skeleton (what a 2D detector would find on the body).

SPEC section 1: limbs map to SMPL joints (shoulders 16/17, elbows 18/19, wrists 20/21, knees 4/5,
ankles 7/8); COCO hips sit wider and lower than SMPL's hip joints; face points (nose, eyes, ears)
are fixed offsets in the head joint's frame. In the rest pose every joint frame is aligned with the
world: +X is the character's left, +Y up, +Z forward (the way the body faces).
"""

from __future__ import annotations

import numpy as np
import torch

from vimo.keypoints import COCO17_NAMES
from vimo.motion import Motion
from vimo.representation import window_joints
from vimo.skeleton import REST_OFFSETS, SMPL

# COCO keypoints that sit on an SMPL joint, as (COCO name, SMPL joint name).
JOINT_MARKERS: tuple[tuple[str, str], ...] = (
    ("left_shoulder", "left_shoulder"), ("right_shoulder", "right_shoulder"),
    ("left_elbow", "left_elbow"), ("right_elbow", "right_elbow"),
    ("left_wrist", "left_wrist"), ("right_wrist", "right_wrist"),
    ("left_knee", "left_knee"), ("right_knee", "right_knee"),
    ("left_ankle", "left_ankle"), ("right_ankle", "right_ankle"),
)  # fmt: skip

# Face points: offsets in metres in the SMPL head joint's frame (+X left, +Y up, +Z forward at rest).
# Chosen from adult head anthropometry relative to where the SMPL template puts its head joint
# (~14 cm above the shoulder joints and ~5 cm in front of the neck joint, i.e. near the centre of
# the skull at about nose height): the nose tip ~10 cm forward and ~3 cm up; the eyes 6.4 cm
# apart (interpupillary distance), ~6.5 cm up and ~7.5 cm forward; the ears (tragus) 15 cm apart
# (head breadth), ~4 cm up and ~1 cm behind the joint.
FACE_OFFSETS: dict[str, tuple[float, float, float]] = {
    "nose": (0.0, 0.03, 0.10),
    "left_eye": (0.032, 0.065, 0.075),
    "right_eye": (-0.032, 0.065, 0.075),
    "left_ear": (0.075, 0.04, -0.01),
    "right_ear": (-0.075, 0.04, -0.01),
}

# COCO hips: annotators mark the hips at the side of the pelvis, wider and lower than SMPL's hip
# joint centres (which are only ~12 cm apart). We place them 1.5x as far from the pelvis's midline
# and 4 cm lower, as offsets in the pelvis frame added to the SMPL hip joints.
HIP_WIDTH_SCALE = 1.5
HIP_DROP_M = 0.04
HIP_OFFSETS: dict[str, tuple[float, float, float]] = {
    "left_hip": ((HIP_WIDTH_SCALE - 1.0) * float(REST_OFFSETS[SMPL.index("left_hip"), 0]), -HIP_DROP_M, 0.0),
    "right_hip": (
        (HIP_WIDTH_SCALE - 1.0) * float(REST_OFFSETS[SMPL.index("right_hip"), 0]),
        -HIP_DROP_M,
        0.0,
    ),
}

_HEAD = SMPL.index("head")
_PELVIS = SMPL.index("pelvis")
# Each COCO keypoint: (SMPL joint it hangs from, joint whose frame the offset is in, offset).
_SOURCE = np.zeros(len(COCO17_NAMES), dtype=np.int64)
_FRAME = np.zeros(len(COCO17_NAMES), dtype=np.int64)
_OFFSET = np.zeros((len(COCO17_NAMES), 3), dtype=np.float64)
for _k, _name in enumerate(COCO17_NAMES):
    if _name in FACE_OFFSETS:
        _SOURCE[_k], _FRAME[_k], _OFFSET[_k] = _HEAD, _HEAD, FACE_OFFSETS[_name]
    elif _name in HIP_OFFSETS:
        _SOURCE[_k], _FRAME[_k], _OFFSET[_k] = SMPL.index(_name), _PELVIS, HIP_OFFSETS[_name]
    else:
        _SOURCE[_k] = _FRAME[_k] = SMPL.index(dict(JOINT_MARKERS)[_name])


def coco_markers(joints: np.ndarray, global_rotations: np.ndarray) -> np.ndarray:
    """Virtual COCO-17 markers (..., 17, 3) from SMPL joints.

    joints: (..., 24, 3) world joint positions, metres.
    global_rotations: (..., 24, 3, 3) joint-to-world rotations (``v_world = R @ v_joint``).
    Returns world positions in metres, in COCO-17 order, with the dtype of ``joints``.
    """
    joints = np.asarray(joints)
    rots = np.asarray(global_rotations)
    if joints.shape[-2:] != (SMPL.num_joints, 3) or rots.shape[-3:] != (SMPL.num_joints, 3, 3):
        raise ValueError(
            f"coco_markers: expected joints (..., 24, 3) and global_rotations (..., 24, 3, 3), "
            f"got {joints.shape} and {rots.shape}"
        )
    offsets = (rots[..., _FRAME, :, :] @ _OFFSET[:, :, None].astype(rots.dtype))[..., 0]  # (..., 17, 3)
    return (joints[..., _SOURCE, :] + offsets).astype(joints.dtype, copy=False)


def coco_markers_torch(joints: torch.Tensor, global_rotations: torch.Tensor) -> torch.Tensor:
    """:func:`coco_markers` for tensors (differentiable): joints (..., 24, 3), global_rotations (..., 24, 3, 3)
    -> (..., 17, 3) metres, on the inputs' device and dtype."""
    offsets = torch.from_numpy(_OFFSET).to(global_rotations)
    frame_rots = global_rotations[..., torch.from_numpy(_FRAME), :, :]  # (..., 17, 3, 3)
    return joints[..., torch.from_numpy(_SOURCE), :] + (frame_rots @ offsets[:, :, None])[..., 0]


def motion_markers(motion: Motion) -> np.ndarray:
    """COCO-17 markers (T, 17, 3) float32 in world metres for a ``Motion`` (piecewise over frames)."""
    out = np.empty((motion.num_frames, len(COCO17_NAMES), 3), dtype=np.float32)
    for sl, fk in motion.fk_pieces():
        out[sl] = coco_markers(fk.positions.numpy(), fk.global_rotations.numpy())
    return out


def window_markers(x: torch.Tensor) -> np.ndarray:
    """(B, W, 151) motion vectors in metres -> the COCO-17 markers the simulator films, (B, W, 17, 3) float64
    world metres."""
    joints, rots = window_joints(x)
    return coco_markers(joints.double().numpy(), rots.double().numpy())
