"""Keypoint file readers: each format from a generated fixture with a known answer, selection, bad inputs."""

from __future__ import annotations

import json

import numpy as np
import pytest

from vimo.errors import InputFormatError, VimoError
from vimo.io.keypoint_formats import HALPE26_NAMES, convert_by_name, read_keypoints
from vimo.keypoints import COCO17_NAMES, Keypoints2D

T = 6
# OpenPose BODY_25 index -> COCO-17 index, written out from OpenPose's output documentation (independent
# of the module's name tables): 0 Nose, 2 RShoulder, 3 RElbow, 4 RWrist, 5 LShoulder, 6 LElbow, 7 LWrist,
# 9 RHip, 10 RKnee, 11 RAnkle, 12 LHip, 13 LKnee, 14 LAnkle, 15 REye, 16 LEye, 17 REar, 18 LEar.
BODY25_TO_COCO = {0: 0, 2: 6, 3: 8, 4: 10, 5: 5, 6: 7, 7: 9, 9: 12, 10: 14, 11: 16, 12: 11, 13: 13, 14: 15,
                  15: 2, 16: 1, 17: 4, 18: 3}  # fmt: skip


def truth(seed: int = 0, offset=(300.0, 200.0)) -> np.ndarray:
    """(T, 17, 3) COCO-17 keypoints in pixels with confidences in (0.3, 1), on a 1-pixel grid of halves."""
    rng = np.random.default_rng(seed)
    xy = np.round(rng.uniform(-100, 100, (T, 17, 2)) * 2) / 2 + offset
    conf = np.round(rng.uniform(0.3, 1.0, (T, 17, 1)), 3)
    return np.concatenate([xy, conf], axis=-1)


def write_json(path, doc):
    path.write_text(json.dumps(doc))
    return path


def assert_keypoints(kp: Keypoints2D, expected: np.ndarray) -> None:
    assert kp.data.shape == expected.shape
    np.testing.assert_allclose(kp.data, expected, atol=1e-4)


# -- each format ----------------------------------------------------------------------------------------
def test_vimo_json(tmp_path):
    expected = truth()
    Keypoints2D(expected, 25.0, (640, 480)).to_json(tmp_path / "kp.json")
    kp = read_keypoints(tmp_path / "kp.json")
    assert_keypoints(kp, expected)
    assert kp.fps == 25.0 and kp.image_size == (640, 480)
    with pytest.raises(InputFormatError, match=r"kp\.json.*fps"):
        read_keypoints(tmp_path / "kp.json", fps=30.0)


def test_alphapose_coco17_untracked(tmp_path):
    expected = truth()
    doc = [{"image_id": f"{t}.jpg", "category_id": 1, "keypoints": expected[t].ravel().tolist(), "score": 2.7}
           for t in range(T)]  # fmt: skip
    kp = read_keypoints(write_json(tmp_path / "alphapose-results.json", doc), fps=24.0, image_size=(800, 600))
    assert_keypoints(kp, expected)
    assert kp.fps == 24.0 and kp.image_size == (800, 600)


def test_alphapose_halpe26_gaps_and_extent(tmp_path):
    expected = truth(seed=1)
    halpe = np.zeros((T, 26, 3))
    halpe[:, :17] = expected
    halpe[:, 17:] = [999.0, 999.0, 0.9]  # extra Halpe joints are not COCO-17 joints
    doc = [{"image_id": f"{t}.jpg", "keypoints": halpe[t].ravel().tolist(), "score": 1.0}
           for t in range(T) if t != 2]  # fmt: skip
    kp = read_keypoints(write_json(tmp_path / "halpe.json", doc))
    assert kp.fps == 30.0  # default
    assert (kp.confidence[2] == 0).all()  # frame without a detection: missing
    keep = [t for t in range(T) if t != 2]
    assert_keypoints(kp[0:2], expected[0:2])
    np.testing.assert_allclose(kp.data[keep], expected[keep], atol=1e-4)
    # No size in the file or the arguments: the keypoint extent.
    extent = np.ceil(expected[keep, :, :2].max(axis=(0, 1))).astype(int)
    assert kp.image_size == tuple(extent)


def test_openpose_body25_folder_maps_by_name(tmp_path):
    expected = truth(seed=2)
    folder = tmp_path / "openpose"
    folder.mkdir()
    for t in range(T):
        body25 = np.zeros((25, 3))
        for src, dst in BODY25_TO_COCO.items():
            body25[src] = expected[t, dst]
        body25[1] = [0.0, 0.0, 0.0]  # neck undetected
        body25[8] = [1.0, 2.0, 0.8]  # mid_hip: not a COCO joint
        people = [{"person_id": [-1], "pose_keypoints_2d": body25.ravel().tolist(), "face_keypoints_2d": []}]
        write_json(folder / f"clip_{t:012d}_keypoints.json", {"version": 1.3, "people": people})
    (folder / "notes.txt").write_text("not a frame")
    kp = read_keypoints(folder, image_size=(1920, 1080))
    assert_keypoints(kp, expected)
    names = list(COCO17_NAMES)
    # Spot checks: BODY_25 RShoulder (2) -> right_shoulder, LHip (12) -> left_hip, LEar (18) -> left_ear.
    for body25_index, coco_name in ((2, "right_shoulder"), (12, "left_hip"), (18, "left_ear")):
        coco_index = names.index(coco_name)
        assert BODY25_TO_COCO[body25_index] == coco_index
        np.testing.assert_allclose(kp.data[:, coco_index], expected[:, coco_index], atol=1e-4)


def test_coco_annotations(tmp_path):
    expected = truth(seed=3)
    expected[..., 2] = 1.0
    expected[1, 4] = [0.0, 0.0, 0.0]  # not labelled
    flags = np.where(expected[..., 2] > 0, 2.0, 0.0)
    flags[2, 5] = 1.0  # labelled but occluded: still a known position
    images = [{"id": 100 + t, "file_name": f"{t:06d}.jpg", "width": 1280, "height": 720, "frame_id": t}
              for t in reversed(range(T + 1))]  # fmt: skip
    anns = [{"id": t, "image_id": 100 + t, "category_id": 1, "num_keypoints": 17,
             "keypoints": np.concatenate([expected[t, :, :2], flags[t, :, None]], -1).ravel().tolist()}
            for t in range(T)]  # fmt: skip
    categories = [{"id": 1, "name": "person", "keypoints": list(COCO17_NAMES), "skeleton": []}]
    doc = {"images": images, "annotations": anns, "categories": categories}
    path = write_json(tmp_path / "person_keypoints.json", doc)
    kp = read_keypoints(path)
    assert kp.image_size == (1280, 720)  # from the file
    assert len(kp) == T + 1 and (kp.confidence[T] == 0).all()  # the last image has no annotation
    assert_keypoints(kp[:T], expected)
    with pytest.raises(InputFormatError, match="image_size"):
        read_keypoints(path, image_size=(640, 480))


def test_mmpose_video_and_meta_forms(tmp_path):
    expected = truth(seed=4)
    frames = [{"frame_id": t, "instances": [{"keypoints": expected[t, :, :2].tolist(),
                                             "keypoint_scores": expected[t, :, 2].tolist(),
                                             "bbox": [[0, 0, 10, 10]], "bbox_score": 0.9}]}
              for t in range(T)]  # fmt: skip
    assert_keypoints(read_keypoints(write_json(tmp_path / "video.json", frames)), expected)
    # --save-predictions form with the joint names in meta_info, in a shuffled order.
    perm = np.random.default_rng(0).permutation(17)
    meta = {"dataset_name": "coco", "keypoint_id2name": {str(k): COCO17_NAMES[p] for k, p in enumerate(perm)}}
    info = [{"frame_id": t, "instances": [{"keypoints": expected[t, perm, :2].tolist(),
                                           "keypoint_scores": expected[t, perm, 2].tolist()}]}
            for t in range(T)]  # fmt: skip
    path = write_json(tmp_path / "results_clip.json", {"meta_info": meta, "instance_info": info})
    assert_keypoints(read_keypoints(path, format="mmpose"), expected)


# -- several people ---------------------------------------------------------------------------------------
def test_untracked_selection_follows_the_first_choice(tmp_path):
    main = truth(seed=5, offset=(300.0, 300.0))
    other = truth(seed=6, offset=(1500.0, 300.0))
    doc = []
    for t in range(T):
        # The other person scores higher after frame 0 (still >= half), but is far from our choice.
        image = f"{t}.jpg"
        doc.append({"image_id": image, "keypoints": other[t].ravel().tolist(), "score": 3.0 if t else 1.0})
        doc.append({"image_id": image, "keypoints": main[t].ravel().tolist(), "score": 2.0})
    kp = read_keypoints(write_json(tmp_path / "two.json", doc))
    assert_keypoints(kp, main)


def test_tracked_selection_and_person(tmp_path):
    a, b = truth(seed=7), truth(seed=8, offset=(900.0, 200.0))
    doc = []
    for t in range(T):
        doc.append({"image_id": f"{t}.jpg", "keypoints": a[t].ravel().tolist(), "score": 1.0, "idx": 4})
        if t < T - 1:  # track 9 scores less in total (one frame short, lower scores)
            doc.append({"image_id": f"{t}.jpg", "keypoints": b[t].ravel().tolist(), "score": 0.9, "idx": 9})
    path = write_json(tmp_path / "tracked.json", doc)
    assert_keypoints(read_keypoints(path), a)
    picked = read_keypoints(path, person=9)
    assert_keypoints(picked[: T - 1], b[: T - 1])
    assert (picked.confidence[T - 1] == 0).all()
    with pytest.raises(InputFormatError, match=r"tracked\.json: person=3 not found.*\[4, 9\]"):
        read_keypoints(path, person=3)


def test_openpose_person_id_tracks(tmp_path):
    a, b = truth(seed=9), truth(seed=10, offset=(900.0, 200.0))
    folder = tmp_path / "op"
    folder.mkdir()
    for t in range(T):
        people = []
        for pid, src in ((0, a), (1, b)):
            body25 = np.zeros((25, 3))
            for s, d in BODY25_TO_COCO.items():
                body25[s] = src[t, d]
            people.append({"person_id": [pid], "pose_keypoints_2d": body25.ravel().tolist()})
        write_json(folder / f"v_{t:012d}_keypoints.json", {"people": people})
    assert_keypoints(read_keypoints(folder, person=1, image_size=(1280, 720)), b)


def test_convert_by_name():
    src_names = ("right_wrist", "Left Eye", "neck")
    data = np.arange(9, dtype=np.float32).reshape(1, 3, 3) + 1
    out = convert_by_name(src_names, data)
    assert out.shape == (1, 17, 3)
    names = list(COCO17_NAMES)
    np.testing.assert_array_equal(out[0, names.index("right_wrist")], data[0, 0])
    np.testing.assert_array_equal(out[0, names.index("left_eye")], data[0, 1])
    assert out[0, names.index("nose"), 2] == 0  # absent -> missing
    halpe = np.random.default_rng(0).uniform(size=(2, 26, 3))
    np.testing.assert_array_equal(convert_by_name(HALPE26_NAMES, halpe), halpe[:, :17])


# -- malformed inputs -------------------------------------------------------------------------------------
def test_sixteen_joints_raise_with_file_name(tmp_path):
    doc = [{"image_id": "0.jpg", "keypoints": [1.0, 2.0, 0.5] * 16, "score": 1.0}]
    with pytest.raises(InputFormatError, match=r"sixteen\.json.*16 keypoints"):
        read_keypoints(write_json(tmp_path / "sixteen.json", doc))
    vimo = {"format": "vimo-keypoints/1", "fps": 30, "image_size": [10, 10],
            "joint_names": list(COCO17_NAMES), "frames": [[[1.0, 1.0, 1.0]] * 16]}  # fmt: skip
    with pytest.raises(InputFormatError, match=r"vimo16\.json.*16 joints"):
        read_keypoints(write_json(tmp_path / "vimo16.json", vimo))
    frames = [{"frame_id": 0, "instances": [{"keypoints": [[1.0, 1.0]] * 16, "keypoint_scores": [1.0] * 16}]}]
    with pytest.raises(InputFormatError, match=r"mm16\.json.*16 keypoints"):
        read_keypoints(write_json(tmp_path / "mm16.json", frames))


def test_nan_raises_with_file_and_frame(tmp_path):
    values = truth()[0].ravel().tolist()
    values[4] = float("nan")
    doc = [{"image_id": "3.jpg", "keypoints": values, "score": 1.0}]
    with pytest.raises(InputFormatError, match=r"nan\.json: detection 0 \(image 3\.jpg\): NaN/inf.*joint 1"):
        read_keypoints(write_json(tmp_path / "nan.json", doc))
    folder = tmp_path / "op"
    folder.mkdir()
    body = [1.0] * 75
    body[30] = float("nan")
    write_json(folder / "v_000000000000_keypoints.json", {"people": [{"pose_keypoints_2d": body}]})
    with pytest.raises(InputFormatError, match=r"v_000000000000_keypoints\.json: person 0: NaN/inf"):
        read_keypoints(folder)


def test_empty_and_unrecognised_inputs(tmp_path):
    empty = tmp_path / "empty_folder"
    empty.mkdir()
    with pytest.raises(InputFormatError, match=r"empty_folder: no OpenPose"):
        read_keypoints(empty)
    with pytest.raises(InputFormatError, match=r"broken\.json: not valid JSON"):
        (tmp_path / "broken.json").write_text('[{"image_id": "0.jpg", "keypoi')
        read_keypoints(tmp_path / "broken.json")
    with pytest.raises(InputFormatError, match=r"other\.json: unrecognised keypoint file"):
        read_keypoints(write_json(tmp_path / "other.json", {"hello": 1}))
    with pytest.raises(InputFormatError, match=r"missing\.json: no such file"):
        read_keypoints(tmp_path / "missing.json")
    nobody = tmp_path / "nobody"
    nobody.mkdir()
    write_json(nobody / "v_000000000000_keypoints.json", {"people": []})
    with pytest.raises(InputFormatError, match=r"nobody: no person detected"):
        read_keypoints(nobody)
    with pytest.raises(VimoError, match="did you mean 'openpose'"):
        read_keypoints(empty, format="openpos")
