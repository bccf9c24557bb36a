"""The four-view real-footage benchmark (vimo.eval.fourview): the Qualisys reader (vimo.io.qualisys) and the
triangulation (vimo.geometry.triangulation) on synthetic cameras made here, the limb-direction score, and the whole
benchmark on the Pose2Sim clip in ../shared."""

from __future__ import annotations

import numpy as np
import pytest
from tests.conftest import require_shared

from vimo.errors import VimoError
from vimo.eval import fourview as fv
from vimo.geometry.camera import look_at
from vimo.geometry.triangulation import project_points, triangulate_dlt
from vimo.io.qualisys import FLIP_YZ, read_qca
from vimo.keypoints import Keypoints2D

SUBPIXELS = 64  # sensor sub-pixels per pixel in the synthetic calibration
SIZE = (1088, 1920)
EYES = np.array([[3.0, 1.5, 2.0], [-2.5, 1.2, 2.5], [-2.0, 1.8, -3.0], [2.8, 1.0, -2.2]])
TARGET = np.array([0.0, 1.0, 0.0])
FOCAL = np.array([[1680.0, 1681.0], [1675.0, 1674.5], [1690.0, 1690.0], [1700.0, 1699.0]])
PRINCIPAL = np.array([[533.0, 948.0], [540.0, 960.0], [530.0, 950.0], [545.0, 955.0]])


def _qca_text(cameras: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]], *, drop: str = "") -> str:
    """A Qualisys calibration for OpenCV cameras (R, centre metres, focal px, principal px), as QTM writes it:
    r = F @ R (world-to-camera into y-up, z-backwards camera axes), (x, y, z) = the centre in millimetres."""
    parts = []
    for k, (R, centre, focal, principal) in enumerate(cameras):
        r = FLIP_YZ @ R
        rot = " ".join(f'r{i + 1}{j + 1}="{r[i, j]!r}"' for i in range(3) for j in range(3))
        pos = " ".join(f'{a}="{v * 1000.0!r}"' for a, v in zip("xyz", centre, strict=True))
        fu, fv_ = focal * SUBPIXELS
        cu, cv = principal * SUBPIXELS
        intrinsic = (f'focalLengthU="{fu!r}" focalLengthV="{fv_!r}" centerPointU="{cu!r}" centerPointV="{cv!r}" '
                     f'sensorMinU="0" sensorMaxU="{SIZE[0] * SUBPIXELS}" sensorMinV="0" '
                     f'sensorMaxV="{SIZE[1] * SUBPIXELS}" radialDistortion1="0.01" radialDistortion2="0.02" '
                     'radialDistortion3="0.0" tangentalDistortion1="0.001" tangentalDistortion2="0.002"')  # fmt: skip
        intrinsic = intrinsic.replace(f'{drop}="', 'unused="') if drop else intrinsic
        parts.append(f'<camera serial="cam{k + 1:02d}"><fov_video left="0" top="0" right="{SIZE[0] - 1}" '
                     f'bottom="{SIZE[1] - 1}"/><transform {rot} {pos}/><intrinsic {intrinsic}/></camera>')  # fmt: skip
    return f"<?xml version='1.0'?><calibration><cameras>{''.join(parts)}</cameras></calibration>"


def _cameras() -> list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    return [(look_at(eye, TARGET).R, eye, f, c) for eye, f, c in zip(EYES, FOCAL, PRINCIPAL, strict=True)]


def _projections(cams) -> np.ndarray:
    out = []
    for R, centre, focal, principal in cams:
        K = np.array([[focal[0], 0, principal[0]], [0, focal[1], principal[1]], [0, 0, 1.0]])
        out.append(K @ np.concatenate([R, (-R @ centre)[:, None]], axis=1))
    return np.stack(out)


def test_read_qca_gives_the_cameras_it_was_written_from(tmp_path):
    path = tmp_path / "Calib.qca.txt"
    cams = _cameras()
    path.write_text(_qca_text(cams))
    read = read_qca(path)
    assert [c.name for c in read] == ["cam01", "cam02", "cam03", "cam04"]
    for cam, (R, centre, focal, principal) in zip(read, cams, strict=True):
        np.testing.assert_allclose(cam.R, R, atol=1e-12)
        np.testing.assert_allclose(cam.center, centre, atol=1e-9)
        np.testing.assert_allclose(cam.focal, focal, rtol=1e-12)
        np.testing.assert_allclose(cam.principal, principal, rtol=1e-12)
        np.testing.assert_allclose(cam.distortion, [0.01, 0.02, 0.001, 0.002, 0.0])
        assert cam.image_size == SIZE
    np.testing.assert_allclose(np.stack([c.projection_matrix for c in read]), _projections(cams), atol=1e-6)


def test_read_qca_names_the_camera_and_field_that_is_missing(tmp_path):
    path = tmp_path / "Calib.qca.txt"
    path.write_text(_qca_text(_cameras(), drop="focalLengthV"))
    with pytest.raises(VimoError, match=r"camera cam01: field intrinsic.focalLengthV is None"):
        read_qca(path)
    path.write_text("<calibration><cameras>")
    with pytest.raises(VimoError, match="not a readable Qualisys calibration"):
        read_qca(path)


def test_triangulation_recovers_known_points(rng):
    P = _projections(_cameras())
    points = rng.uniform([-0.8, 0.0, -0.8], [0.8, 1.9, 0.8], size=(20, 12, 3))
    pixels, depth = project_points(points, P)
    assert pixels.shape == (20, 12, 4, 2) and (depth > 0).all()
    weights = rng.uniform(0.3, 1.0, size=(20, 12, 4))
    np.testing.assert_allclose(triangulate_dlt(pixels, weights, P), points, atol=1e-6)
    # A view without weight gives no pull, however wrong its pixels; fewer than 2 views: NaN.
    weights[..., 0] = 0.0
    pixels[..., 0, :] += 300.0
    np.testing.assert_allclose(triangulate_dlt(pixels, weights, P), points, atol=1e-6)
    weights[:5, :, 1:3] = 0.0
    out = triangulate_dlt(pixels, weights, P)
    assert np.isnan(out[:5]).all() and np.isfinite(out[5:]).all()


def test_triangulate_keypoints_through_a_calibration_file(tmp_path, rng):
    path = tmp_path / "Calib.qca.txt"
    path.write_text(_qca_text(_cameras()))
    cameras = read_qca(path)
    limbs = rng.uniform([-0.5, 0.0, -0.5], [0.5, 1.8, 0.5], size=(6, 12, 3))
    pixels, _ = project_points(limbs, np.stack([c.projection_matrix for c in cameras]))
    views = []
    for v in range(4):
        data = np.zeros((6, 17, 3), np.float32)
        data[:, list(fv.LIMB_JOINTS), :2] = pixels[:, :, v]
        data[:, list(fv.LIMB_JOINTS), 2] = 0.9
        views.append(Keypoints2D(data.astype(np.float64), 30.0, SIZE))
    ref = fv.triangulate(views, cameras)
    np.testing.assert_allclose(ref.points, limbs, atol=2e-3)  # float32 pixels: ~1e-4 px
    assert ref.median_reprojection() < 1e-3


def _pose(rng: np.random.Generator) -> np.ndarray:
    return rng.normal(size=(4, 12, 3))


def test_limb_direction_error_is_zero_under_each_alignment_and_counts_a_bent_forearm(rng):
    ref = _pose(rng)
    turn = look_at([1.0, 2.0, 3.0], [0.0, 0.0, 0.0]).R
    moved = 1.7 * ref @ turn.T + np.array([0.3, -2.0, 5.0])
    assert fv.mean_limb_direction_error(moved, ref, fv.Alignment.PROCRUSTES) < 1e-5
    assert fv.mean_limb_direction_error(ref @ turn.T + 1.0, ref, fv.Alignment.TORSO) < 1e-5
    # The left forearm turned by 90 degrees about an axis across it: only that bone is wrong, by 90 (torso).
    elbow, wrist = fv.LIMB_NAMES.index("left_elbow"), fv.LIMB_NAMES.index("left_wrist")
    bent = ref.copy()
    bone = ref[:, wrist] - ref[:, elbow]
    across = np.cross(bone, rng.normal(size=3))
    across *= np.linalg.norm(bone, axis=-1, keepdims=True) / np.linalg.norm(across, axis=-1, keepdims=True)
    bent[:, wrist] = ref[:, elbow] + across
    errors = fv.limb_direction_errors(bent @ turn.T, ref, fv.Alignment.TORSO)
    forearm = fv.LIMB_BONES.index((elbow, wrist))
    np.testing.assert_allclose(errors[:, forearm], 90.0, atol=1e-6)
    np.testing.assert_allclose(np.delete(errors, forearm, axis=1), 0.0, atol=1e-5)


def test_constant_pose_is_the_pose_of_a_body_that_only_turns(rng):
    pose = _pose(rng)[0]
    frames = np.stack([pose @ look_at([np.sin(a), 0.3, np.cos(a)], [0, 0, 0]).R.T + a for a in np.linspace(0, 2, 9)])
    mean = fv.constant_pose(frames)
    assert fv.mean_limb_direction_error(np.broadcast_to(mean, frames.shape), frames, fv.Alignment.TORSO) < 1e-5


@pytest.mark.shared
def test_the_four_view_benchmark_on_the_pose2sim_clip():
    """The whole benchmark on ../shared's Pose2Sim clip (~1 min). What it achieves today (2026-12-04, shipped
    vimo-small, seed 0; Procrustes alignment): triangulation median reprojection 17.6 px (14-24 per view);
    ViMo 24.5 / 28.7 / 25.7 / 28.2 degrees per view, the lifter 26-34, the constant mean pose 21.2: issue 23's goal
    (ViMo <= 15 degrees and below the constant pose in every view) is not met. The bounds below hold those
    numbers with a margin; the bench (bench/bench_fourview.py) prints the goal comparison."""
    from vimo.bundle import load_generator
    from vimo.paths import BASELINE_WEIGHTS, VIMO_WEIGHTS

    require_shared(fv.POSE2SIM / fv.POSE2SIM_CALIBRATION)
    models = {fv.VIMO: load_generator(VIMO_WEIGHTS), fv.LIFTER: load_generator(BASELINE_WEIGHTS)}
    report = fv.fourview_report([fv.POSE2SIM / v for v in fv.POSE2SIM_VIEWS], fv.POSE2SIM / fv.POSE2SIM_CALIBRATION,
                                models=models)  # fmt: skip
    print(report.table(fv.Alignment.PROCRUSTES), report.table(fv.Alignment.TORSO), sep="\n")
    assert report.frames == 50  # 100 frames at 60 fps, taken at ViMo's 30
    assert np.isfinite(report.reference.points).mean() > 0.95
    assert report.reference.median_reprojection() < 30.0
    assert all(report.reference.median_reprojection(v) < 40.0 for v in range(4))
    headline = report.errors[fv.Alignment.PROCRUSTES.value]
    assert set(headline) == {"cam01", "cam02", "cam03", "cam04"}
    for view, errors in headline.items():
        assert set(errors) == {fv.VIMO, fv.LIFTER, fv.CONSTANT}
        assert 5.0 < errors[fv.VIMO] < 35.0, (view, errors)  # today 24.5-28.7
        assert 15.0 < errors[fv.CONSTANT] < 28.0, (view, errors)  # today 21.2 (the same pose in every view)
        assert report.goal_met(view) == (errors[fv.VIMO] <= fv.GOAL_DEGREES and errors[fv.VIMO] < errors[fv.CONSTANT])
    torso = report.errors[fv.Alignment.TORSO.value]
    # The torso-only alignment cannot absorb limb errors: every method scores at least as badly (within noise).
    assert all(torso[v][m] >= headline[v][m] - 1.0 for v in headline for m in headline[v])
