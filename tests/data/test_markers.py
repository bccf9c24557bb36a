from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

from vimo.data.markers import coco_markers, motion_markers
from vimo.keypoints import COCO17_NAMES
from vimo.motion import Motion
from vimo.skeleton import SMPL


def _rest_markers() -> tuple[np.ndarray, np.ndarray]:
    joints = SMPL.rest_positions().astype(np.float64)
    return coco_markers(joints, np.broadcast_to(np.eye(3), (24, 3, 3))), joints


def _k(name: str) -> int:
    return COCO17_NAMES.index(name)


def test_rest_pose_sides_face_and_hips() -> None:
    markers, joints = _rest_markers()
    assert markers.shape == (17, 3)
    for j, name in enumerate(COCO17_NAMES):
        if name.startswith("left_"):
            assert markers[j, 0] > 0, name  # the character's left is +X
        elif name.startswith("right_"):
            assert markers[j, 0] < 0, name
    head = joints[SMPL.index("head")]
    assert markers[_k("nose"), 2] > head[2] + 0.05  # the nose is in front of the head joint
    assert markers[_k("left_eye"), 1] > markers[_k("nose"), 1]  # eyes above the nose
    assert markers[_k("left_ear"), 2] < markers[_k("left_eye"), 2]  # ears behind the eyes
    coco_width = markers[_k("left_hip"), 0] - markers[_k("right_hip"), 0]
    smpl_width = joints[SMPL.index("left_hip"), 0] - joints[SMPL.index("right_hip"), 0]
    assert coco_width > 1.4 * smpl_width
    assert markers[_k("left_hip"), 1] < joints[SMPL.index("left_hip"), 1] - 0.03  # lower than SMPL's
    for name in ("left_shoulder", "right_elbow", "left_wrist", "right_knee", "left_ankle"):
        np.testing.assert_allclose(markers[_k(name)], joints[SMPL.index(name)])


def test_markers_follow_the_body_rotation() -> None:
    rng = np.random.default_rng(0)
    T = 4
    rots = np.tile(np.eye(3, dtype=np.float32), (T, 24, 1, 1))
    rots[:, 0] = Rotation.from_rotvec(rng.normal(size=(T, 3))).as_matrix()
    root = rng.normal(size=(T, 3)).astype(np.float32)
    markers = motion_markers(Motion(rots, root, 30.0))
    rest, _ = _rest_markers()
    # a rigid body: every marker is the rest marker rotated by the pelvis and moved with the root
    expected = np.einsum("tij,kj->tki", rots[:, 0], rest) + root[:, None]
    np.testing.assert_allclose(markers, expected, atol=1e-5)


def test_turning_the_head_moves_the_face_only() -> None:
    rots = np.tile(np.eye(3, dtype=np.float32), (1, 24, 1, 1))
    rots[0, SMPL.index("head")] = Rotation.from_rotvec([0.0, np.pi / 2, 0.0]).as_matrix()  # look to the left
    turned = motion_markers(Motion(rots, np.zeros((1, 3), np.float32), 30.0))[0]
    rest, joints = _rest_markers()
    head = joints[SMPL.index("head")]
    assert turned[_k("nose"), 0] > head[0] + 0.05  # the nose now points to +X (the character's left)
    assert turned[_k("left_ear"), 2] < head[2] - 0.05  # the left ear went backwards
    body = [_k(n) for n in COCO17_NAMES[5:]]
    np.testing.assert_allclose(turned[body], rest[body], atol=1e-6)


def test_any_batch_dims_and_dtype() -> None:
    rng = np.random.default_rng(1)
    joints = rng.normal(size=(2, 3, 24, 3)).astype(np.float32)
    rots = Rotation.from_rotvec(rng.normal(size=(2 * 3 * 24, 3))).as_matrix().reshape(2, 3, 24, 3, 3)
    out = coco_markers(joints, rots)
    assert out.shape == (2, 3, 17, 3) and out.dtype == np.float32
    np.testing.assert_allclose(out[1, 2], coco_markers(joints[1, 2], rots[1, 2]), atol=1e-6)
