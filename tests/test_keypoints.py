from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from vimo.errors import InputFormatError
from vimo.keypoints import COCO17_FLIP, COCO17_NAMES, Keypoints2D


def _random_kp(frames: int = 12, seed: int = 0) -> Keypoints2D:
    rng = np.random.default_rng(seed)
    data = np.concatenate(
        [
            rng.uniform(0, 1280, (frames, 17, 1)),
            rng.uniform(0, 720, (frames, 17, 1)),
            rng.uniform(0, 1, (frames, 17, 1)),
        ],
        axis=-1,
    )
    data[2, 5, 2] = 0.0  # a missing joint
    return Keypoints2D(data.astype(np.float32), 30.0, (1280, 720))


def test_coco_names_and_flip_map() -> None:
    assert COCO17_NAMES[0] == "nose" and COCO17_NAMES[11] == "left_hip" and COCO17_NAMES[16] == "right_ankle"
    assert len(COCO17_NAMES) == 17
    assert COCO17_FLIP[0] == 0
    for j, name in enumerate(COCO17_NAMES):
        partner = COCO17_NAMES[COCO17_FLIP[j]]
        assert partner == name.replace("left_", "@").replace("right_", "left_").replace("@", "right_")
        assert COCO17_FLIP[COCO17_FLIP[j]] == j


def test_validation_errors_name_field_frame_and_expectation() -> None:
    with pytest.raises(InputFormatError, match=r"16 joints.*|.*\(T, 17, 3\).*16"):
        Keypoints2D(np.zeros((5, 16, 3), np.float32), 30.0, (640, 480))
    data = np.zeros((5, 17, 3), np.float32)
    data[3, 2, 0] = np.nan
    with pytest.raises(InputFormatError, match=r"NaN/inf at frame 3, joint 2 \(right_eye\)"):
        Keypoints2D(data, 30.0, (640, 480))
    data = np.zeros((5, 17, 3), np.float32)
    data[4, 0, 2] = 1.5
    with pytest.raises(InputFormatError, match=r"confidence 1.5 at frame 4.*\[0, 1\]"):
        Keypoints2D(data, 30.0, (640, 480))
    ok = np.zeros((5, 17, 3), np.float32)
    with pytest.raises(InputFormatError, match="fps"):
        Keypoints2D(ok, 0.0, (640, 480))
    with pytest.raises(InputFormatError, match="image_size"):
        Keypoints2D(ok, 30.0, (0, 480))
    with pytest.raises(InputFormatError, match="image_size"):
        Keypoints2D(ok, 30.0, (640,))


def test_slicing_and_basic_access() -> None:
    kp = _random_kp(10)
    part = kp[2:5]
    assert isinstance(part, Keypoints2D) and part.num_frames == 3 and len(part) == 3
    np.testing.assert_array_equal(part.data, kp.data[2:5])
    assert part.fps == kp.fps and part.image_size == (1280, 720)
    assert kp.xy.shape == (10, 17, 2) and kp.confidence.shape == (10, 17)
    with pytest.raises(TypeError):
        kp[3]  # noqa: B018


def test_resample_interpolates_confident_joints_and_takes_nearest_otherwise() -> None:
    data = np.zeros((3, 17, 3), np.float32)
    data[:, :, 0] = np.array([0.0, 10.0, 20.0])[:, None]
    data[:, :, 1] = 5.0
    data[:, :, 2] = np.array([0.9, 0.5, 0.8])[:, None]
    data[1, 4, 2] = 0.0  # joint 4 missing in the middle frame
    kp = Keypoints2D(data, 10.0, (100, 100))
    up = kp.resample(20.0)
    assert up.num_frames == 5 and up.fps == 20.0
    # frame 1 of the output lies halfway between source frames 0 and 1
    np.testing.assert_allclose(up.data[1, 0], [5.0, 5.0, 0.5])
    np.testing.assert_allclose(up.data[3, 0], [15.0, 5.0, 0.5])
    # joint 4: a neighbour is missing -> nearest source frame (ties go to the later frame)
    np.testing.assert_allclose(up.data[1, 4], data[1, 4])
    np.testing.assert_allclose(up.data[2, 4], data[1, 4])
    down = kp.resample(5.0)
    assert down.num_frames == 2
    np.testing.assert_allclose(down.data, data[[0, 2]])
    assert kp.resample(10.0).num_frames == 3


def test_json_round_trip_is_exact(tmp_path: Path) -> None:
    kp = _random_kp(20)
    path = tmp_path / "sub" / "clip.json"
    kp.to_json(path)
    assert sorted(p.name for p in path.parent.iterdir()) == ["clip.json"]  # no temp file left
    doc = json.loads(path.read_text())
    assert doc["format"] == "vimo-keypoints/1" and doc["image_size"] == [1280, 720]
    assert doc["joint_names"] == list(COCO17_NAMES) and len(doc["frames"]) == 20
    back = Keypoints2D.from_json(path)
    np.testing.assert_array_equal(back.data, kp.data)
    assert back.fps == kp.fps and back.image_size == kp.image_size


def test_json_reorders_joints_by_name_and_reads_null_as_missing(tmp_path: Path) -> None:
    names = list(reversed(COCO17_NAMES))
    frame = [[float(16 - i), 1.0, 0.5] for i in range(17)]  # file column i holds COCO joint 16 - i
    frame[0] = None  # right_ankle missing
    path = tmp_path / "k.json"
    path.write_text(json.dumps({"format": "vimo-keypoints/1", "fps": 25, "image_size": [64, 48],
                                "joint_names": names, "frames": [frame]}))  # fmt: skip
    kp = Keypoints2D.from_json(path)
    np.testing.assert_array_equal(kp.data[0, :16, 0], np.arange(16))
    np.testing.assert_array_equal(kp.data[0, 16], [0.0, 0.0, 0.0])


def _write(path: Path, **changes: object) -> Path:
    doc: dict[str, object] = {
        "format": "vimo-keypoints/1",
        "fps": 30.0,
        "image_size": [640, 480],
        "joint_names": list(COCO17_NAMES),
        "frames": [[[1.0, 2.0, 0.5]] * 17] * 3,
    }
    doc.update(changes)
    path.write_text(json.dumps(doc))
    return path


def test_json_errors_name_the_file_and_the_problem(tmp_path: Path) -> None:
    bad = tmp_path / "broken.json"
    bad.write_text('{"format": "vimo-keypoints/1", "fps": ')
    with pytest.raises(InputFormatError, match=r"broken\.json.*not valid JSON"):
        Keypoints2D.from_json(bad)
    frames = [[[1.0, 2.0, 0.5]] * 17, [[1.0, 2.0, 0.5]] * 16]
    with pytest.raises(InputFormatError, match=r"short\.json: frame 1: expected 17 joints.*got 16"):
        Keypoints2D.from_json(_write(tmp_path / "short.json", frames=frames))
    with pytest.raises(InputFormatError, match=r"names\.json.*joint_names"):
        Keypoints2D.from_json(_write(tmp_path / "names.json", joint_names=list(COCO17_NAMES[:16])))
    nan_path = tmp_path / "nan.json"
    nan_path.write_text(_write(nan_path).read_text().replace("[1.0, 2.0, 0.5]", "[NaN, 2.0, 0.5]", 1))
    with pytest.raises(InputFormatError, match=r"nan\.json.*NaN/inf at frame 0"):
        Keypoints2D.from_json(nan_path)
    missing = tmp_path / "missing.json"
    missing.write_text(json.dumps({"format": "vimo-keypoints/1", "frames": []}))
    with pytest.raises(InputFormatError, match=r"missing\.json: missing field\(s\) fps, image_size, joint_names"):
        Keypoints2D.from_json(missing)
    with pytest.raises(InputFormatError, match=r"fmt\.json.*'format'"):
        Keypoints2D.from_json(_write(tmp_path / "fmt.json", format="openpose"))
    with pytest.raises(InputFormatError, match=r"joint\.json: frame 2, joint left_eye"):
        frames = [[[1.0, 2.0, 0.5]] * 17] * 2 + [[[1.0, 2.0, 0.5], [1.0, "x", 0.5]] + [[1.0, 2.0, 0.5]] * 15]
        Keypoints2D.from_json(_write(tmp_path / "joint.json", frames=frames))
    with pytest.raises(InputFormatError, match=r"conf\.json.*confidence 2"):
        Keypoints2D.from_json(_write(tmp_path / "conf.json", frames=[[[1.0, 2.0, 2.0]] * 17]))
