"""2D fidelity under a fitted weak-perspective camera: exact for true projections, blind to the camera, and only
counting confident keypoints."""

from __future__ import annotations

import math

import numpy as np

from vimo.data.markers import motion_markers
from vimo.data.synthetic import random_motion, walking_motion
from vimo.fidelity import fit_weak_perspective, reprojection_fidelity


def _markers() -> np.ndarray:
    return motion_markers(walking_motion(30)).astype(np.float64)  # (T, 17, 3) metres


def _project(points: np.ndarray, *, yaw: float, scale: float, shift: tuple[float, float]) -> np.ndarray:
    """Orthographic view after turning the body by ``yaw`` about Y: pixels, y down, confidence 1."""
    c, s = math.cos(yaw), math.sin(yaw)
    x = c * points[..., 0] + s * points[..., 2]
    xy = np.stack([shift[0] + scale * x, shift[1] - scale * points[..., 1]], axis=-1)
    return np.concatenate([xy, np.ones_like(xy[..., :1])], axis=-1)


def test_true_projections_are_explained_exactly_from_any_camera():
    markers = _markers()
    for yaw, scale, shift in ((0.0, 200.0, (320.0, 400.0)), (1.1, 90.0, (50.0, 700.0)), (-2.5, 400.0, (0.0, 0.0))):
        fid = reprojection_fidelity(markers, _project(markers, yaw=yaw, scale=scale, shift=shift))
        assert fid.error < 1e-4 and fid.pck == 1.0 and fid.frames == len(markers)


def test_a_wrong_motion_scores_worse():
    markers = _markers()
    keypoints = _project(markers, yaw=0.3, scale=200.0, shift=(320.0, 400.0))
    other = motion_markers(random_motion(30, seed=3, amplitude=0.8)).astype(np.float64)
    wrong = reprojection_fidelity(other, keypoints)
    assert wrong.error > 0.1 and wrong.pck < 0.9


def test_only_confident_keypoints_count():
    markers = _markers()
    keypoints = _project(markers, yaw=0.0, scale=200.0, shift=(320.0, 400.0))
    keypoints[:, 0, :2] += 500.0  # the nose is far off ...
    keypoints[:, 0, 2] = 0.1  # ... but not confident
    assert reprojection_fidelity(markers, keypoints).pck == 1.0
    keypoints[:5, :, 2] = 0.0  # frames without any confident keypoint: no camera, not counted
    fid = reprojection_fidelity(markers, keypoints)
    assert fid.frames == len(markers) - 5
    assert np.isnan(fit_weak_perspective(markers, keypoints)[:5]).all()


def test_without_a_torso_there_is_no_score():
    markers = _markers()
    keypoints = _project(markers, yaw=0.0, scale=200.0, shift=(320.0, 400.0))
    keypoints[:, 5:7, 2] = 0.0  # no shoulders anywhere
    fid = reprojection_fidelity(markers, keypoints)
    assert math.isnan(fid.error) and math.isnan(fid.pck) and fid.frames == 0
