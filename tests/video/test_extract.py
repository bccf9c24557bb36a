"""Keypoint cleaning and end-to-end extraction from rendered videos."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from vimo.conditioning import normalize_keypoints
from vimo.errors import VimoError
from vimo.keypoints import COCO17_NAMES
from vimo.video.extract import extract_keypoints, write_preview


def _error(keypoints: np.ndarray, truth: np.ndarray, height: np.ndarray) -> np.ndarray:
    ok = keypoints[..., 2] > 0
    return (np.linalg.norm(keypoints[..., :2] - truth, axis=-1) / height[:, None])[ok]


@pytest.fixture(scope="module")
def extraction(two_person_video):  # noqa: ANN001, ANN201
    path, _ = two_person_video
    calls: list[tuple[int, int]] = []
    result = extract_keypoints(path, progress=lambda done, total: calls.append((done, total)))
    return result, calls


def test_extraction_follows_the_performer(extraction, two_person_video, tmp_path) -> None:  # noqa: ANN001
    result, calls = extraction
    path, scene = two_person_video
    T = len(scene.frames)
    kp = result.keypoints
    assert kp.num_frames == T and kp.fps == 30.0 and kp.image_size == (480, 360)
    assert result.start_time == pytest.approx(0.0)
    # The chosen track is the performer: its boxes contain the performer's projected hips.
    chosen = next(t for t in result.tracks if t.id == result.person)
    hips = scene.truth[0][chosen.frames][:, 11:13].mean(axis=1)
    assert ((chosen.boxes[:, 0] < hips[:, 0]) & (hips[:, 0] < chosen.boxes[:, 2])).all()
    # Keypoints match the projected truth.
    err = _error(kp.data, scene.truth[0], scene.person_height(0))
    assert result.coverage.detected > 0.9
    assert np.median(err) < 0.05
    assert set(result.coverage.per_joint) == set(COCO17_NAMES)
    # World landmarks on frames with a pose.
    found = np.isfinite(result.world_landmarks[:, 0, 0])
    assert result.world_landmarks.shape == (T, 33, 3) and found.mean() > 0.9
    assert np.abs(result.world_landmarks[found]).max() < 2.0  # metres around the hips
    # Progress: both passes, monotonic, ending at total.
    done = [d for d, _ in calls]
    assert done == sorted(done) and calls[-1] == (2 * T, 2 * T)
    assert "track" in result.summary()
    # Cleaned once, by the rule every input path shares: the network gets the same condition from the cleaned
    # keypoints (what vimo run VIDEO uses and writes as keypoints.json) as from the raw ones (a keypoint file).
    assert torch.equal(
        normalize_keypoints(torch.from_numpy(kp.data)), normalize_keypoints(torch.from_numpy(result.raw.data))
    )
    preview = write_preview(result, tmp_path / "tracks.png")
    assert preview.stat().st_size > 1000


def test_person_override_follows_the_bystander(extraction, two_person_video) -> None:  # noqa: ANN001
    result, _ = extraction
    path, scene = two_person_video
    others = [t for t in result.tracks if t.id != result.person]
    if not others:
        pytest.skip("the detector did not track the bystander")
    other = max(others, key=lambda t: len(t.frames))
    hips = scene.truth[1][other.frames][:, 11:13].mean(axis=1)
    assert ((other.boxes[:, 0] < hips[:, 0]) & (hips[:, 0] < other.boxes[:, 2])).mean() > 0.8  # it is the bystander
    picked = extract_keypoints(path, person=other.id)  # the same range: the same track ids
    assert picked.person == other.id
    T = picked.keypoints.num_frames
    err = _error(picked.keypoints.data, scene.truth[1][:T], scene.person_height(1)[:T])
    assert np.median(err) < 0.1
    with pytest.raises(VimoError, match="person=9 is not a track id"):
        extract_keypoints(path, person=9, end=0.5)


def test_video_without_a_person(tmp_path, make_video) -> None:  # noqa: ANN001
    path = make_video(tmp_path / "square.mp4", frames=15, size=(160, 96))
    with pytest.raises(VimoError, match=r"square\.mp4: no person detected in 15 frames"):
        extract_keypoints(path)
