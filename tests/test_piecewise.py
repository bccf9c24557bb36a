"""Long sequences are processed piecewise (bounded memory): every piecewise path gives the answer of the
whole-sequence computation, here with pieces of 7 frames against one piece."""

import json

import numpy as np
import pytest
import torch

import vimo.geometry.kinematics as kinematics
from vimo.data.markers import coco_markers, motion_markers
from vimo.data.synthetic import walking_motion
from vimo.geometry.kinematics import forward_kinematics, frame_chunks
from vimo.io.bvh import read_bvh, read_smpl_bvh, write_bvh
from vimo.io.smpl_npz import write_smpl_npz
from vimo.keypoints import Keypoints2D
from vimo.motion import Motion
from vimo.postprocess import foot_lock
from vimo.skeleton import SMPL
from vimo.viz.mannequin import Figure


def _spinning_walk(frames: int = 40) -> Motion:
    """A walk whose pelvis turns 30 degrees per frame, so BVH angles must be unwrapped across pieces."""
    m = walking_motion(frames)
    yaw = np.deg2rad(30.0) * np.arange(frames)
    turn = np.zeros((frames, 3, 3), np.float32)
    turn[:, 0, 0] = turn[:, 2, 2] = np.cos(yaw)
    turn[:, 0, 2], turn[:, 2, 0] = np.sin(yaw), -np.sin(yaw)
    turn[:, 1, 1] = 1.0
    rotations = m.rotations.copy()
    rotations[:, 0] = turn @ rotations[:, 0]
    return Motion(rotations, m.root_position, m.fps).with_contacts()


def _both(monkeypatch, fn):
    """fn() with pieces of 7 frames, then with a single piece."""
    monkeypatch.setattr(kinematics, "FRAME_CHUNK", 7)
    small = fn()
    monkeypatch.setattr(kinematics, "FRAME_CHUNK", 10**9)
    return small, fn()


def test_frame_chunks_cover_the_range_in_order():
    assert list(frame_chunks(16, 7)) == [slice(0, 7), slice(7, 14), slice(14, 16)]
    assert list(frame_chunks(0, 7)) == []
    with pytest.raises(ValueError, match="chunk"):
        list(frame_chunks(5, 0))


def test_joints_and_markers_piecewise_equal_whole(monkeypatch):
    m = _spinning_walk()
    fk = forward_kinematics(torch.from_numpy(m.rotations), torch.from_numpy(m.root_position),
                            torch.from_numpy(SMPL.offsets), SMPL.parents)  # fmt: skip
    (joints, markers), _ = _both(monkeypatch, lambda: (m.joints(), motion_markers(m)))
    np.testing.assert_allclose(joints, fk.positions.numpy(), atol=1e-6)
    np.testing.assert_allclose(markers, coco_markers(fk.positions.numpy(), fk.global_rotations.numpy()), atol=1e-6)


def test_foot_lock_piecewise_equals_whole(monkeypatch):
    m = walking_motion(60)
    feet = m.joints()[:, [7, 8, 10, 11]]
    step = np.linalg.norm(np.diff(feet, axis=0), axis=-1)
    m = Motion(m.rotations, m.root_position, m.fps, (np.concatenate([step, step[-1:]]) < 0.04).astype(np.float32))
    small, whole = _both(monkeypatch, lambda: foot_lock(m))
    assert not np.allclose(whole.rotations, m.rotations)  # it did lock something
    np.testing.assert_allclose(small.rotations, whole.rotations, atol=1e-6)


def test_figure_piecewise_equals_whole(monkeypatch):
    small, whole = _both(monkeypatch, lambda: Figure.of(_spinning_walk()))
    np.testing.assert_allclose(small.joints, whole.joints, atol=1e-6)
    np.testing.assert_allclose(small.head_rotations, whole.head_rotations, atol=1e-6)


def test_bvh_written_piecewise_keeps_angles_unwrapped(monkeypatch, tmp_path):
    m = _spinning_walk()
    _both(monkeypatch, lambda: (write_bvh(m, tmp_path / "a.bvh") if kinematics.FRAME_CHUNK == 7
                                else write_bvh(m, tmp_path / "b.bvh")))  # fmt: skip
    a, b = read_bvh(tmp_path / "a.bvh"), read_bvh(tmp_path / "b.bvh")
    assert a.num_frames == b.num_frames == m.num_frames
    np.testing.assert_allclose(a.values, b.values, atol=2e-6)
    yaw_step = np.abs(np.diff(a.values[:, 3:6], axis=0)).max()
    assert yaw_step < 180.0  # no 360-degree jumps where pieces meet
    np.testing.assert_allclose(read_smpl_bvh(a).joints(), m.joints(), atol=1e-4)


def test_npz_written_piecewise_equals_whole(monkeypatch, tmp_path):
    m = _spinning_walk()
    _both(monkeypatch, lambda: write_smpl_npz(m, tmp_path / f"{kinematics.FRAME_CHUNK}.npz"))
    with np.load(tmp_path / "7.npz") as a, np.load(tmp_path / f"{10**9}.npz") as b:
        assert set(a.files) == set(b.files)
        for key in ("joints", "poses", "rotations"):
            np.testing.assert_allclose(a[key], b[key], atol=1e-6)


def test_keypoints_json_streamed_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    data = rng.uniform(0, 640, (25, 17, 3)).astype(np.float32)
    data[..., 2] = rng.uniform(0, 1, (25, 17))
    kp = Keypoints2D(data, 30.0, (640, 480))
    kp.to_json(tmp_path / "kp.json")
    doc = json.loads((tmp_path / "kp.json").read_text())
    assert len(doc["frames"]) == 25
    back = Keypoints2D.from_json(tmp_path / "kp.json")
    np.testing.assert_array_equal(back.data, data)
    Keypoints2D(data[:0], 30.0, (640, 480)).to_json(tmp_path / "empty.json")
    assert json.loads((tmp_path / "empty.json").read_text())["frames"] == []
