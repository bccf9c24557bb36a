"""Metrics without ground truth: bone-length stability and foot skating near the ground."""

import numpy as np

from vimo.data.markers import motion_markers
from vimo.data.synthetic import random_motion
from vimo.eval.metrics import COCO17_LIMBS, SMPL_LIMBS, TOE_JOINTS, bone_length_cv, foot_skating_near_ground
from vimo.keypoints import COCO17_NAMES
from vimo.skeleton import SMPL


def test_limbs_are_the_same_eight_named_bones_in_both_skeletons():
    names = [(COCO17_NAMES[a], COCO17_NAMES[b]) for a, b in COCO17_LIMBS]
    assert len(set(names)) == 8
    assert ("left_shoulder", "left_elbow") in names and ("right_knee", "right_ankle") in names
    assert [(SMPL.names[a], SMPL.names[b]) for a, b in SMPL_LIMBS] == names


def test_bone_cv_is_zero_for_a_rigid_skeleton_and_positive_when_limbs_stretch():
    motion = random_motion(60, seed=3)
    joints = motion.joints().astype(np.float64)
    assert bone_length_cv(joints, SMPL_LIMBS) < 1e-5  # forward kinematics: rigid
    markers = motion_markers(motion).astype(np.float64)
    arms = COCO17_LIMBS[:2] + COCO17_LIMBS[4:6]  # markers on SMPL joints (the hip markers are offset from them)
    assert bone_length_cv(markers, arms) < 1e-5
    elbow, wrist = SMPL_LIMBS[1]  # the left forearm stretches by 1 + 0.2 sin(...)
    scale = 1.0 + 0.2 * np.sin(np.linspace(0, 6, len(joints)))
    stretched = joints.copy()
    stretched[:, wrist] = joints[:, elbow] + scale[:, None] * (joints[:, wrist] - joints[:, elbow])
    cv = bone_length_cv(stretched, SMPL_LIMBS)
    np.testing.assert_allclose(cv, scale.std() / scale.mean() / len(SMPL_LIMBS), rtol=1e-4)  # one bone of eight


def test_bone_cv_ignores_frames_without_output():
    joints = random_motion(30, seed=1).joints().astype(np.float64)
    joints[5:9] = np.nan
    assert bone_length_cv(joints, SMPL_LIMBS) < 1e-5
    assert np.isnan(bone_length_cv(joints[5:9], SMPL_LIMBS))


def test_foot_skating_near_ground_counts_low_toes_only():
    joints = np.zeros((31, 24, 3))
    joints[:, :, 1] = 1.0  # everything high
    left, right = TOE_JOINTS
    joints[:, left, 1] = 0.01  # the left toe on the floor, sliding at 0.5 m/s along x
    joints[:, left, 0] = 0.5 * np.arange(31) / 30
    joints[:, right, 2] = 2.0 * np.arange(31) / 30  # the right toe moves fast, but in the air
    np.testing.assert_allclose(foot_skating_near_ground(joints), 0.5)
    joints[:, left, 1] = 0.3
    assert np.isnan(foot_skating_near_ground(joints))
