"""Retarget a BVH of any skeleton to SMPL-24 through a joint-name mapping table.

Method: every mapped SMPL joint takes its source joint's world orientation, corrected by the fixed
rotation that turns the SMPL rest bone direction onto the source rest bone direction (so the bones
point the same way in every frame, whatever the two rest poses' small differences). Unmapped SMPL
joints (toes, hands) keep their parent's orientation. The pelvis keeps the source root's orientation
as is (both rest poses face +Z, left = +X). The root trajectory is scaled by the ratio of leg lengths
(SMPL proportions), the result resampled to the target frame rate and grounded.
"""

from __future__ import annotations

import numpy as np
import torch

from vimo.errors import InputFormatError
from vimo.geometry.kinematics import global_to_local
from vimo.geometry.rotations import minimal_rotation
from vimo.io.bvh import BvhData
from vimo.motion import Motion
from vimo.skeleton import SMPL

# SMPL joint -> source joint name, one table per naming convention. Extend by adding a table.
JOINT_MAPS: dict[str, dict[str, str]] = {
    # CMU "Daz-friendly" BVH (cgspeed), as in ../shared/data/mocap.
    "cmu_daz": {
        "pelvis": "hip",
        "spine1": "abdomen",
        "spine2": "chest",
        "spine3": "chest",
        "neck": "neck",
        "head": "head",
        "left_collar": "lCollar",
        "right_collar": "rCollar",
        "left_shoulder": "lShldr",
        "right_shoulder": "rShldr",
        "left_elbow": "lForeArm",
        "right_elbow": "rForeArm",
        "left_wrist": "lHand",
        "right_wrist": "rHand",
        "left_hip": "lThigh",
        "right_hip": "rThigh",
        "left_knee": "lShin",
        "right_knee": "rShin",
        "left_ankle": "lFoot",
        "right_ankle": "rFoot",
    },
    # Mixamo (names after an optional "mixamorig:" prefix).
    "mixamo": {
        "pelvis": "Hips",
        "spine1": "Spine",
        "spine2": "Spine1",
        "spine3": "Spine2",
        "neck": "Neck",
        "head": "Head",
        "left_collar": "LeftShoulder",
        "right_collar": "RightShoulder",
        "left_shoulder": "LeftArm",
        "right_shoulder": "RightArm",
        "left_elbow": "LeftForeArm",
        "right_elbow": "RightForeArm",
        "left_wrist": "LeftHand",
        "right_wrist": "RightHand",
        "left_hip": "LeftUpLeg",
        "right_hip": "RightUpLeg",
        "left_knee": "LeftLeg",
        "right_knee": "RightLeg",
        "left_ankle": "LeftFoot",
        "right_ankle": "RightFoot",
        "left_foot": "LeftToeBase",
        "right_foot": "RightToeBase",
    },
    # Our own SMPL BVH export: names are SMPL's.
    "smpl": {name: name for name in SMPL.names},
}
_REQUIRED = ("pelvis", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle")
# CMU's original ASF/AMC-derived BVH (and many MotionBuilder exports): Mixamo's names, another spine.
JOINT_MAPS["cmu_original"] = {
    **JOINT_MAPS["mixamo"], "spine1": "LowerBack", "spine2": "Spine", "spine3": "Spine1",
}  # fmt: skip
# Each SMPL joint's child that defines its bone direction.
_PRIMARY_CHILD = {
    0: 3, 1: 4, 2: 5, 3: 6, 4: 7, 5: 8, 6: 9, 7: 10, 8: 11, 9: 12, 12: 15, 13: 16, 14: 17,
    16: 18, 17: 19, 18: 20, 19: 21, 20: 22, 21: 23,
}  # fmt: skip


def _strip(name: str) -> str:
    return name.split(":")[-1]


def detect_convention(names: tuple[str, ...] | list[str]) -> str:
    """The mapping table whose source names best cover ``names`` (raises if none covers the legs)."""
    present = {_strip(n) for n in names}
    best, best_hits = None, -1
    for key, table in JOINT_MAPS.items():
        if all(table.get(r) in present for r in _REQUIRED):
            hits = sum(v in present for v in table.values())
            if hits > best_hits:
                best, best_hits = key, hits
    if best is None:
        raise InputFormatError(
            f"unknown joint names (first few: {', '.join(list(names)[:8])}); known conventions: "
            f"{', '.join(JOINT_MAPS)}; add a table to vimo.data.retarget.JOINT_MAPS"
        )
    return best


def _bone_directions(
    bvh: BvhData, source_of: dict[int, int], src_rest: np.ndarray
) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Rest bone directions for each corrected SMPL joint: target (n, 3), source (n, 3), joint ids."""
    tgt_rest = SMPL.rest_positions().astype(np.float64)
    d_t, d_s, ids = [], [], []
    for j, s in source_of.items():
        if j == 0:
            continue
        child = _PRIMARY_CHILD.get(j)
        # Walk down the primary-child chain until the child maps to a different source joint.
        while child is not None and source_of.get(child) == s:
            child = _PRIMARY_CHILD.get(child)
        if child is not None and child in source_of:
            src_vec = src_rest[source_of[child]] - src_rest[s]
        elif s in bvh.end_sites:
            src_vec = bvh.end_sites[s]
            child = child if child is not None else None
        else:
            continue
        if child is None:
            continue
        tgt_vec = tgt_rest[child] - tgt_rest[j]
        if np.linalg.norm(src_vec) < 1e-9 or np.linalg.norm(tgt_vec) < 1e-9:
            continue
        d_t.append(tgt_vec)
        d_s.append(src_vec)
        ids.append(j)
    return np.array(d_t), np.array(d_s), ids


def _leg_length(rest: np.ndarray, index: dict[int, int]) -> float:
    """Mean over both legs of hip -> knee -> ankle bone lengths, from rest positions and SMPL -> row ``index``."""
    chains = (("left_hip", "left_knee", "left_ankle"), ("right_hip", "right_knee", "right_ankle"))
    lengths = [sum(float(np.linalg.norm(rest[index[SMPL.index(b)]] - rest[index[SMPL.index(a)]]))
                   for a, b in zip(chain[:-1], chain[1:])) for chain in chains]  # fmt: skip
    return float(np.mean(lengths))


def retarget_bvh(
    bvh: BvhData,
    *,
    convention: str | None = None,
    fps: float | None = None,
    target_fps: float = 30.0,
    ground: bool = True,
) -> Motion:
    """BVH of any mapped skeleton -> SMPL-24 Motion at ``target_fps`` (metres, Y up).

    fps: the true capture rate when the header's Frame Time is wrong (see the mocap README).
    """
    convention = convention or detect_convention(bvh.names)
    table = JOINT_MAPS[convention]
    index = {_strip(n): k for k, n in enumerate(bvh.names)}
    missing = [r for r in _REQUIRED if table.get(r) not in index]
    if missing:
        raise InputFormatError(f"{bvh.source}: joints {missing} not found for convention {convention!r}")
    source_of = {SMPL.index(t): index[s] for t, s in table.items() if s in index}

    fk = bvh.forward_kinematics()
    g_src = fk.global_rotations.numpy()  # (F, Js, 3, 3)
    src_rest = bvh.rest_positions()
    d_t, d_s, ids = _bone_directions(bvh, source_of, src_rest)
    corrections = {j: np.eye(3) for j in source_of}
    if ids:
        corr = minimal_rotation(torch.from_numpy(d_t), torch.from_numpy(d_s)).numpy()
        corrections.update(dict(zip(ids, corr)))

    num_frames = bvh.num_frames
    g_tgt = np.empty((num_frames, SMPL.num_joints, 3, 3))
    for j, p in enumerate(SMPL.parents):
        if j in source_of:
            g_tgt[:, j] = g_src[:, source_of[j]] @ corrections[j]
        else:
            g_tgt[:, j] = g_tgt[:, p]
    local = global_to_local(torch.from_numpy(g_tgt), SMPL.parents).numpy()

    # Scale the root's path by leg length (hip joint -> knee -> ankle bone lengths, source vs SMPL), so a stride
    # of the SMPL legs covers the distance the root travels and planted feet stay planted. (The pelvis's height
    # above the ankles is no measure of it: CMU's hip joints sit above its root, SMPL's below.)
    tgt_rest = SMPL.rest_positions()
    tgt_leg = _leg_length(tgt_rest, {j: j for j in range(SMPL.num_joints)})
    src_leg = _leg_length(src_rest, source_of)
    if src_rest[source_of[0], 1] <= 0.5 * (src_rest[source_of[7], 1] + src_rest[source_of[8], 1]):
        raise InputFormatError(f"{bvh.source}: rest pose is not Y-up (ankles above the hips)")
    root = fk.positions[:, source_of[0]].numpy() * (tgt_leg / src_leg)

    motion = Motion(local.astype(np.float32), root.astype(np.float32), fps or bvh.fps)
    motion = motion.resample(target_fps)
    if ground:
        motion = motion.grounded()
    return motion.with_contacts()
