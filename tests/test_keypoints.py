from __future__ import annotations

import ast
import json
from dataclasses import astuple
from pathlib import Path

import numpy as np
import pytest
import torch

import vimo
from vimo.conditioning import NormalizationConfig, normalize_keypoints
from vimo.errors import InputFormatError
from vimo.keypoints import COCO17_FLIP, COCO17_NAMES, CleaningConfig, Keypoints2D, clean_keypoints
from vimo.video.extract import ExtractionConfig


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


# -- cleaning: one rule, one config, every input path ---------------------------------------------------------
def _track(frames: int = 40) -> np.ndarray:
    data = np.zeros((frames, 17, 3), np.float32)
    data[:, :, 0] = np.arange(frames)[:, None] * 2.0  # x moves 2 px per frame
    data[:, :, 1] = 100.0
    data[:, :, 2] = 0.9
    return data


def test_cleaning_masks_bridges_short_gaps_and_keeps_long_ones() -> None:
    data = _track()
    data[5, 3, 2] = 0.1  # one low-confidence joint
    data[10:14] = 0.0  # 4 frames without any detection
    data[20:35, 7] = 0.0  # a long gap in one joint
    original = data.copy()
    cfg = CleaningConfig(min_conf=0.3, max_gap=8, gap_conf=0.5)
    out, filled = (t.numpy() for t in astuple(clean_keypoints(data, cfg)))
    assert np.array_equal(data, original)  # input untouched
    assert out[5, 3] == pytest.approx([10.0, 100.0, 0.5]) and filled[5, 3]  # masked, then interpolated
    assert np.allclose(out[10:14, :, 0], (np.arange(10, 14) * 2.0)[:, None]) and filled[10:14].all()
    assert np.all(out[10:14, :, 2] == cfg.gap_conf)
    assert (out[20:35, 7] == 0).all() and not filled[20:35, 7].any()  # long gap stays missing
    assert np.array_equal(out[~filled], np.where(original[..., 2:] >= 0.3, original, 0)[~filled])


def test_cleaning_masks_joints_without_neighbours() -> None:
    data = np.zeros((5, 17, 3), np.float32)
    data[2, 0] = (50, 60, 0.8)
    data[3, 1] = (50, 60, 0.2)
    out = clean_keypoints(data)
    assert (out.data[:, 1] == 0).all() and out.data[2, 0, 2] == pytest.approx(0.8) and not out.filled.any()


def test_cleaning_is_idempotent_and_batched() -> None:
    rng = np.random.default_rng(0)
    data = _track(60)
    data[..., :2] += rng.normal(0, 3, data[..., :2].shape)
    data[..., 2] = rng.uniform(0, 1, data[..., 2].shape)  # many gaps of every length
    once = clean_keypoints(data)
    assert torch.equal(clean_keypoints(once.data).data, once.data)
    batch = clean_keypoints(torch.stack([torch.from_numpy(data), torch.from_numpy(data[::-1].copy())]))
    assert torch.equal(batch.data[0], once.data)
    assert torch.equal(batch.data[1], clean_keypoints(data[::-1].copy()).data)


def test_cleaning_config_checks_its_values() -> None:
    with pytest.raises(ValueError, match="min_conf <= gap_conf"):
        CleaningConfig(min_conf=0.6, gap_conf=0.5)


def test_cleaning_settings_live_in_one_config() -> None:
    """No other config (conditioning, extraction, ...) carries its own confidence threshold or gap rule."""
    owners = {}
    for path in Path(vimo.__file__).parent.rglob("*.py"):
        for cls in (n for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.ClassDef)):
            for stmt in cls.body:
                if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                    if stmt.target.id in ("min_conf", "gap_conf", "max_gap") and cls.name != "TrackingConfig":
                        owners.setdefault(stmt.target.id, set()).add(cls.name)  # TrackingConfig.max_gap: tracks
    assert owners == {"min_conf": {"CleaningConfig"}, "gap_conf": {"CleaningConfig"}, "max_gap": {"CleaningConfig"}}
    assert NormalizationConfig().cleaning == ExtractionConfig().cleaning == CleaningConfig()


def test_a_keypoint_file_and_its_cleaned_copy_give_the_network_the_same_condition(tmp_path) -> None:
    """The video path hands the network cleaned keypoints (keypoints.json), a keypoint file arrives raw: the
    same gaps must reach the network the same way."""
    rng = np.random.default_rng(1)
    data = _track(90)
    data[..., :2] += rng.normal(0, 2, data[..., :2].shape)
    data[..., 2] = rng.uniform(0.2, 1.0, data[..., 2].shape)
    data[30:36] = 0.0  # a few frames without a pose: bridged
    data[50:70, 9] = 0.0  # a long gap: left to the model
    raw = Keypoints2D(data, 30.0, (640, 480))
    raw.to_json(tmp_path / "raw.json")
    Keypoints2D(clean_keypoints(data).data.numpy(), 30.0, (640, 480)).to_json(tmp_path / "cleaned.json")
    a, b = (
        normalize_keypoints(torch.from_numpy(Keypoints2D.from_json(tmp_path / n).data))
        for n in ("raw.json", "cleaned.json")
    )
    assert torch.equal(a, b)
