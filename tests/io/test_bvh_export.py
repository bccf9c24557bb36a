"""BVH export of the SMPL skeleton: round trips through our readers, file layout, malformed inputs."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from vimo.data.mocap import load_motion
from vimo.errors import InputFormatError
from vimo.io.bvh import Y_TO_Z_UP, is_smpl_bvh, read_bvh, read_smpl_bvh, write_bvh
from vimo.skeleton import SMPL

TOL_M = 1e-4


@pytest.mark.parametrize("order", ["ZXY", "XYZ"])
@pytest.mark.parametrize("up", ["y", "z"])
@pytest.mark.parametrize("units", ["m", "cm"])
def test_write_read_round_trip(tmp_path, make_motion, units, up, order):
    seed = ["m", "cm"].index(units) * 4 + ["y", "z"].index(up) * 2 + ["ZXY", "XYZ"].index(order)
    motion = make_motion(seed=seed)
    path = tmp_path / "m.bvh"
    write_bvh(motion, path, units=units, up=up, rotation_order=order)
    bvh = read_bvh(path)
    assert is_smpl_bvh(bvh)
    back = read_smpl_bvh(bvh)
    assert back.fps == motion.fps and len(back) == len(motion)
    np.testing.assert_allclose(back.joints(), motion.joints(), atol=TOL_M)
    np.testing.assert_allclose(back.root_position, motion.root_position, atol=TOL_M)


@pytest.mark.parametrize("up", ["y", "z"])
def test_file_geometry_matches_motion_through_generic_fk(tmp_path, make_motion, up):
    """The lead's generic BVH FK (no SMPL knowledge) sees exactly our joints, turned and scaled."""
    motion = make_motion(seed=3)
    path = tmp_path / "m.bvh"
    write_bvh(motion, path, units="cm", up=up)
    bvh = read_bvh(path)
    world = bvh.forward_kinematics().positions.numpy() / 100.0  # (T, J, 3) metres, file axes
    expected = motion.joints() @ (Y_TO_Z_UP.T if up == "z" else np.eye(3))
    order = [SMPL.index(n) for n in bvh.names]
    np.testing.assert_allclose(world, expected[:, order], atol=TOL_M)
    if up == "z":  # the rest pose stands along +Z: head about 60 cm above the pelvis
        assert bvh.rest_positions()[bvh.names.index("head"), 2] > 50.0


def test_file_layout(tmp_path, make_motion):
    motion = make_motion(seed=4, fps=25.0)
    path = tmp_path / "m.bvh"
    write_bvh(motion, path, rotation_order="yxz")
    bvh = read_bvh(path)
    assert sorted(bvh.names) == sorted(SMPL.names)
    assert bvh.channels[0] == ("Xposition", "Yposition", "Zposition", "Yrotation", "Xrotation", "Zrotation")
    assert all(ch == ("Yrotation", "Xrotation", "Zrotation") for ch in bvh.channels[1:])
    leaves = {n for j, n in enumerate(SMPL.names) if not SMPL.children(j)}
    assert {bvh.names[j] for j in bvh.end_sites} == leaves
    assert bvh.fps == pytest.approx(25.0, rel=1e-8)
    assert bvh.num_frames == len(motion)
    # metres by default (issue 18.10; Blender imports them at its default scale)
    np.testing.assert_allclose(bvh.offsets[bvh.names.index("left_knee")], SMPL.offsets[4], atol=1e-6)
    assert [p.name for p in tmp_path.iterdir()] == ["m.bvh"]  # no temp file left behind


def test_bad_options_raise(tmp_path, make_motion):
    motion = make_motion(seed=5, num_frames=3)
    for kwargs in ({"units": "ft"}, {"up": "x"}, {"rotation_order": "XXY"}):
        with pytest.raises(ValueError):
            write_bvh(motion, tmp_path / "m.bvh", **kwargs)
    assert not list(tmp_path.iterdir())


def test_load_motion_reads_smpl_bvh_directly(tmp_path, make_motion):
    motion = make_motion(seed=6, num_frames=61, fps=60.0)
    path = tmp_path / "m.bvh"
    write_bvh(motion, path, units="m", up="z")
    loaded = load_motion(path, target_fps=30.0)
    expected = motion.resample(30.0)
    assert loaded.fps == 30.0 and len(loaded) == len(expected)
    # Not retargeted, not grounded: the root keeps its height and path exactly.
    np.testing.assert_allclose(loaded.joints(), expected.joints(), atol=TOL_M)
    assert loaded.contacts is not None and loaded.contacts.shape == (len(loaded), 4)


def test_non_smpl_rest_pose_is_not_read_directly(tmp_path, make_motion):
    path = tmp_path / "m.bvh"
    write_bvh(make_motion(seed=7, num_frames=3), path, units="m")
    bvh = read_bvh(path)
    offsets = bvh.offsets.copy()
    elbow = bvh.names.index("left_elbow")
    offsets[elbow] = [0.0, -np.linalg.norm(offsets[elbow]), 0.0]  # arm hanging down: an A/I-pose rest
    a_pose = dataclasses.replace(bvh, offsets=offsets)
    assert not is_smpl_bvh(a_pose)
    with pytest.raises(InputFormatError, match="rest pose differs.*left_elbow"):
        read_smpl_bvh(a_pose)


def _write_text(path, text):
    path.write_text(text)
    return path


def test_truncated_bvh_raises_with_file_name(tmp_path, make_motion):
    path = tmp_path / "cut_short.bvh"
    write_bvh(make_motion(seed=8, num_frames=10), path)
    lines = path.read_text().splitlines()
    _write_text(path, "\n".join(lines[:-4]) + "\n")
    with pytest.raises(InputFormatError, match="cut_short.bvh.*truncated"):
        load_motion(path)
    _write_text(path, path.read_text()[:300])  # cut inside the hierarchy
    with pytest.raises(InputFormatError, match="cut_short.bvh"):
        load_motion(path)


def test_unknown_joint_names_raise_with_file_name(tmp_path, make_motion):
    path = tmp_path / "robot.bvh"
    write_bvh(make_motion(seed=9, num_frames=4), path)
    text = path.read_text()
    for j, name in enumerate(SMPL.names):
        text = text.replace(f" {name}\n", f" servo{j}\n")
    _write_text(path, text)
    with pytest.raises(InputFormatError, match="robot.bvh.*unknown joint names"):
        load_motion(path)


def test_nan_in_bvh_raises_with_file_name(tmp_path, make_motion):
    path = tmp_path / "nan.bvh"
    write_bvh(make_motion(seed=10, num_frames=4), path)
    lines = path.read_text().splitlines()
    values = lines[-2].split()
    values[5] = "nan"
    lines[-2] = " ".join(values)
    _write_text(path, "\n".join(lines) + "\n")
    with pytest.raises(InputFormatError, match="nan.bvh.*frame 2"):
        load_motion(path)
