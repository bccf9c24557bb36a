"""Hostile input files read by the library (issue 18, points 4, 7, 8): one InputFormatError naming the file and
what is wrong, never an IndexError, RecursionError or a misleading cause."""

import json

import numpy as np
import pytest

from vimo.data.mocap import load_motion
from vimo.data.synthetic import walking_motion
from vimo.errors import InputFormatError
from vimo.io.bvh import write_bvh
from vimo.io.keypoint_formats import read_keypoints
from vimo.keypoints import Keypoints2D


def _bvh_header(tmp_path) -> str:
    write_bvh(walking_motion(3), tmp_path / "w.bvh")
    return (tmp_path / "w.bvh").read_text().partition("MOTION")[0]


def test_a_bvh_without_frames_is_named(tmp_path):
    path = tmp_path / "zero.bvh"
    path.write_text(_bvh_header(tmp_path) + "MOTION\nFrames: 0\nFrame Time: 0.0333333\n")
    with pytest.raises(InputFormatError, match=r"zero.bvh: the BVH has no frames \(Frames: 0\)"):
        load_motion(path)


def test_a_bvh_at_a_billion_fps_names_the_file_and_the_rate(tmp_path):
    path = tmp_path / "fast.bvh"
    write_bvh(walking_motion(60), path)
    text = path.read_text()
    path.write_text(text.replace(text.split("Frame Time:")[1].splitlines()[0], " 0.000000001"))
    with pytest.raises(InputFormatError, match=r"fast.bvh: Frame Time 1e-09 s \(1e\+09 fps\)"):
        load_motion(path)


def test_a_text_file_named_npz_is_reported_as_text_not_pickled_data(tmp_path):
    path = tmp_path / "motion.npz"
    path.write_text("hello, I am a text file\n")
    with pytest.raises(InputFormatError, match=r"motion.npz: not an .npz file .*this is a text file"):
        load_motion(path)
    np.save(tmp_path / "arr.npy", np.zeros(3))
    (tmp_path / "arr.npy").rename(tmp_path / "arr.npz")
    with pytest.raises(InputFormatError, match=r"arr.npz: not an .npz file .*a single .npy array"):
        load_motion(tmp_path / "arr.npz")


def _keypoints(tmp_path, *, fps=30.0, conf=0.9) -> Keypoints2D:
    data = np.random.default_rng(0).uniform(0, 100, (40, 17, 3)).astype(np.float32)
    data[..., 2] = conf
    kp = Keypoints2D(data, fps, (640, 480))
    kp.to_json(tmp_path / "kp.json")
    return kp


def test_deeply_nested_json_is_named_not_a_recursion_error(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(InputFormatError, match="deep.json: JSON nested too deeply"):
        read_keypoints(path)


def test_keypoints_at_a_billion_fps_name_the_file_and_the_rate(tmp_path):
    _keypoints(tmp_path)
    doc = json.loads((tmp_path / "kp.json").read_text())
    doc["fps"] = 1e9
    (tmp_path / "kp.json").write_text(json.dumps(doc))
    with pytest.raises(InputFormatError, match=r"kp.json: fps 1e\+09 is not a video frame rate"):
        read_keypoints(tmp_path / "kp.json")


def test_keypoints_without_a_single_confident_point_are_an_error(tmp_path):
    _keypoints(tmp_path, conf=0.0)
    with pytest.raises(InputFormatError, match="kp.json: every keypoint has confidence 0 in all 40 frames"):
        read_keypoints(tmp_path / "kp.json")
    # one confident point anywhere is enough to follow
    kp = _keypoints(tmp_path, conf=0.0)
    data = kp.data.copy()
    data[7, 3, 2] = 0.5
    Keypoints2D(data, 30.0, (640, 480)).to_json(tmp_path / "kp.json")
    assert read_keypoints(tmp_path / "kp.json").num_frames == 40
