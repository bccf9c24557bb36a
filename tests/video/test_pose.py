"""The MediaPipe pose backend: the COCO-17 table, crops and their mapping back to the full frame."""

from __future__ import annotations

import numpy as np
import pytest

from vimo.errors import VimoError
from vimo.keypoints import COCO17_NAMES
from vimo.video.pose import (
    BLAZEPOSE33_NAMES,
    BLAZEPOSE_INDEX_OF_COCO17,
    COCO17_FROM_BLAZEPOSE,
    CropBox,
    MediaPipePose,
)


def test_coco_table_matches_spec_and_mediapipe() -> None:
    import mediapipe as mp

    assert BLAZEPOSE_INDEX_OF_COCO17 == (0, 2, 5, 7, 8, 11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28)  # SPEC 1
    assert list(COCO17_FROM_BLAZEPOSE) == list(COCO17_NAMES)
    assert [n.lower() for n in mp.solutions.pose.PoseLandmark.__members__] == list(BLAZEPOSE33_NAMES)


@pytest.mark.parametrize("box", [CropBox(40, 30, 100), CropBox(-30, -20, 120), CropBox(150, 100, 80)])
def test_crop_maps_back_to_frame_pixels(box: CropBox) -> None:
    h, w = 160, 200
    frame = np.zeros((h, w, 3), np.uint8)
    dots = np.array([[70.5, 60.5], [30.5, 20.5], [180.5, 140.5]])  # pixel centres
    size = 50
    for x, y in dots:
        frame[int(y), int(x)] = 255
    crop = box.crop(frame, size)
    assert crop.shape == (size, size, 3)
    for x, y in dots:
        inside = box.x0 <= x < box.x0 + box.side and box.y0 <= y < box.y0 + box.side
        if not inside:
            continue
        local = (np.array([x, y]) - [box.x0, box.y0]) * size / box.side  # where the dot lands in the crop
        assert crop[..., 0][int(local[1]), int(local[0])] > 0
        assert box.to_frame(local, size) == pytest.approx([x, y])
    if box.x0 < 0:
        assert (crop[: int(-box.y0 * size / box.side) - 1] == 0).all()  # padding is black


def test_crop_box_around_and_scaled() -> None:
    box = CropBox.around((100, 50, 140, 150), expand=1.5)
    assert (box.side, box.x0 + box.side / 2, box.y0 + box.side / 2) == (150, 120, 100)
    assert box.scaled(0.5) == CropBox(round(box.x0 / 2), round(box.y0 / 2), 75)


def test_pose_on_a_crop_lands_in_full_frame_coordinates(walking_scene) -> None:  # noqa: ANN001
    frames = walking_scene.frames[::4]
    truth = walking_scene.truth[0][::4]
    height = walking_scene.person_height()[::4]
    full_err, crop_err = [], []
    with MediaPipePose() as full, MediaPipePose(crop_size=192) as cropped:
        for image, true, tall in zip(frames, truth, height):
            lo, hi = true.min(axis=0), true.max(axis=0)
            box = CropBox.around((*lo, *hi), expand=1.6)
            a, b = full(image), cropped(image, box)
            assert a.found and b.found
            full_err.append(np.median(np.linalg.norm(a.keypoints[:, :2] - true, axis=1)) / tall)
            crop_err.append(np.median(np.linalg.norm(b.keypoints[:, :2] - true, axis=1)) / tall)
            assert b.world is not None and b.world.shape == (33, 3) and np.isfinite(b.world).all()
            assert b.landmarks.shape == (33, 3) and np.array_equal(
                b.landmarks[list(BLAZEPOSE_INDEX_OF_COCO17)], b.keypoints
            )
    assert np.median(full_err) < 0.04 and np.median(crop_err) < 0.04


def test_pose_without_a_person_is_missing() -> None:
    with MediaPipePose() as pose:
        est = pose(np.full((120, 160, 3), 90, np.uint8))
    assert not est.found and est.world is None and (est.keypoints == 0).all()


def test_models_that_would_download_are_refused() -> None:
    from pathlib import Path

    import mediapipe as mp

    heavy = Path(mp.__file__).parent / "modules" / "pose_landmark" / "pose_landmark_heavy.tflite"
    if heavy.exists():
        pytest.skip("the heavy model is installed here")
    with pytest.raises(VimoError, match="model_complexity=2 needs pose_landmark_heavy.tflite"):
        MediaPipePose(model_complexity=2)


def test_mediapipe_finds_the_mannequin(walking_scene) -> None:  # noqa: ANN001
    """The renderer's figure reads as a person to MediaPipe: found on most frames, COCO keypoints
    within 10% of the person's height of the projected truth (median)."""
    errors = []
    with MediaPipePose() as pose:
        for k, image in enumerate(walking_scene.frames):
            est = pose(image)
            if est.found:
                err = np.linalg.norm(est.keypoints[:, :2] - walking_scene.truth[0][k], axis=1)
                errors.append(err / walking_scene.person_height()[k])
    assert len(errors) >= 0.9 * len(walking_scene.frames)
    errors = np.array(errors)
    assert np.median(errors) < 0.10
    assert np.median(errors) < 0.03  # in practice about 1.5%
