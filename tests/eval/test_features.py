from __future__ import annotations

import numpy as np
import pytest

from vimo.eval.features import (
    HIP_WIDTH,
    HUMERUS_LENGTH,
    KINETIC_FEATURE_NAMES,
    MANUAL_FEATURE_NAMES,
    MANUAL_JOINT_NAMES,
    SHOULDER_WIDTH,
    kinetic_features,
    manual_features,
    relative_to_first_root,
)
from vimo.skeleton import SMPL

REST = SMPL.rest_positions().astype(np.float64)  # (24, 3) root at the origin
J = SMPL.index


def _static(pose: np.ndarray, t: int = 120) -> np.ndarray:
    return np.repeat(pose[None], t, axis=0)


def _kin(features: np.ndarray) -> np.ndarray:
    """(72,) -> (24, 3): [horizontal KE, vertical KE, energy] per joint."""
    return features.reshape(24, 3)


def _kinetic_loop(p: np.ndarray, dt: float, compat: bool) -> np.ndarray:
    """Direct per-frame transcription of the definition (slow), to check the vectorised version."""
    t_len, n_joints, _ = p.shape
    out = np.zeros((n_joints, 3))
    for j in range(n_joints):
        for i in range(1, t_len):
            ks = [i + w for w in range(-2, 3) if 1 <= i + w <= t_len - 1]
            v = sum(p[k, j] - p[k - 1, j] for k in ks) / (len(ks) * dt)
            out[j, 0] += v[0] ** 2 + v[2] ** 2
            out[j, 1] += v[1] ** 2
            ks = [i + w for w in range(-2, 3) if 1 <= i + w <= t_len - 2]
            acc = np.zeros(3)
            for k in ks:
                v2 = (p[k + 1, j] - p[k, j]) / dt
                v1 = p[k, j] - p[k - 1, j] / dt if compat else (p[k, j] - p[k - 1, j]) / dt
                acc += (v2 - v1) / dt
            out[j, 2] += np.linalg.norm(acc / len(ks))
    return (out / (t_len - 1)).reshape(-1)


# --- kinetic features ---------------------------------------------------------------------------------------


def test_kinetic_layout_and_names() -> None:
    f = kinetic_features(_static(REST))
    assert f.shape == (72,) and len(KINETIC_FEATURE_NAMES) == 72
    assert KINETIC_FEATURE_NAMES[:3] == (
        "pelvis.kinetic_horizontal",
        "pelvis.kinetic_vertical",
        "pelvis.energy_expenditure",
    )


@pytest.mark.parametrize("compat", [True, False])
def test_kinetic_matches_direct_loop_on_random_motion(compat: bool) -> None:
    rng = np.random.default_rng(0)
    p = np.cumsum(rng.normal(scale=0.01, size=(13, 24, 3)), axis=0) + REST
    np.testing.assert_allclose(kinetic_features(p, compat=compat), _kinetic_loop(p, 1 / 60, compat), rtol=1e-10)


def test_kinetic_static_pose_compat_energy_is_3540_times_distance() -> None:
    # Test vector (features-manual.md): T=120, 1/60 s, static pose -> KE 0, energy 3540 |p|.
    pose = REST.copy()
    pose[5] = [0.0, 0.0, 0.52174]
    k = _kin(kinetic_features(_static(pose)))
    np.testing.assert_allclose(k[:, :2], 0.0, atol=1e-12)
    np.testing.assert_allclose(k[:, 2], 3540.0 * np.linalg.norm(pose, axis=-1), rtol=1e-9)
    assert k[5, 2] == pytest.approx(1846.96, abs=0.01)


def test_kinetic_compat_shift_plus_2m_in_x_adds_7080() -> None:
    # Joints on the +x ray: |p + 2 x| = |p| + 2, so every energy term grows by 3540 * 2 = 7080 exactly.
    pose = np.zeros((24, 3))
    pose[:, 0] = np.linspace(0.0, 1.0, 24)
    before = _kin(kinetic_features(_static(pose)))[:, 2]
    after = _kin(kinetic_features(_static(pose + [2.0, 0.0, 0.0])))[:, 2]
    np.testing.assert_allclose(after - before, 7080.0, rtol=1e-9)
    # For a general pose the term is 3540 |p + (2, 0, 0)|, within 7080 of the unshifted value.
    general = _kin(kinetic_features(_static(REST + [2.0, 0.0, 0.0])))[:, 2]
    np.testing.assert_allclose(general, 3540.0 * np.linalg.norm(REST + [2.0, 0.0, 0.0], axis=-1), rtol=1e-9)


@pytest.mark.parametrize("compat", [True, False])
def test_kinetic_constant_1mps_along_x(compat: bool) -> None:
    t = np.arange(120)[:, None, None] / 60.0
    p = REST[None] + t * np.array([1.0, 0.0, 0.0])
    k = _kin(kinetic_features(p, compat=compat))
    np.testing.assert_allclose(k[:, 0], 1.0, rtol=1e-9)
    np.testing.assert_allclose(k[:, 1], 0.0, atol=1e-12)
    if not compat:
        np.testing.assert_allclose(k[:, 2], 0.0, atol=1e-6)


def test_kinetic_frame_time_and_up_axis() -> None:
    # 30 fps data, 1 m/s upwards: with frame_time 1/30 the vertical KE is 1 m^2/s^2; with the default 1/60 it
    # is 4 (the reference's 1/60 applied to 30 fps data doubles velocities).
    t = np.arange(60)[:, None, None] / 30.0
    p = REST[None] + t * np.array([0.0, 1.0, 0.0])
    np.testing.assert_allclose(_kin(kinetic_features(p, frame_time=1 / 30))[:, 1], 1.0, rtol=1e-9)
    np.testing.assert_allclose(_kin(kinetic_features(p))[:, 1], 4.0, rtol=1e-9)
    # Z up: the same motion is horizontal.
    k = _kin(kinetic_features(p, frame_time=1 / 30, up_axis=2))
    np.testing.assert_allclose(k[:, 0], 1.0, rtol=1e-9)
    np.testing.assert_allclose(k[:, 1], 0.0, atol=1e-12)


def test_kinetic_corrected_static_zero_translation_invariant_and_acceleration() -> None:
    k = _kin(kinetic_features(_static(REST + 3.0), compat=False))
    np.testing.assert_allclose(k, 0.0, atol=1e-9)
    rng = np.random.default_rng(1)
    p = np.cumsum(rng.normal(scale=0.01, size=(40, 24, 3)), axis=0) + REST
    np.testing.assert_allclose(
        kinetic_features(p, compat=False), kinetic_features(p + [5.0, -1.0, 2.0], compat=False), rtol=1e-7
    )
    assert not np.allclose(kinetic_features(p), kinetic_features(p + [5.0, -1.0, 2.0]))  # compat: position leaks
    # Constant acceleration of 2 m/s^2: energy 2 at every frame.
    t = np.arange(50)[:, None, None] / 60.0
    accel = REST[None] + 0.5 * 2.0 * t**2 * np.array([0.0, 0.0, 1.0])
    np.testing.assert_allclose(_kin(kinetic_features(accel, compat=False))[:, 2], 2.0, rtol=1e-6)


def test_kinetic_rejects_short_or_misshaped_input() -> None:
    with pytest.raises(ValueError, match="T>=3"):
        kinetic_features(np.zeros((2, 24, 3)))
    with pytest.raises(ValueError, match="up_axis"):
        kinetic_features(np.zeros((5, 24, 3)), up_axis=3)


def test_relative_to_first_root() -> None:
    p = _static(REST + [1.0, 2.0, 3.0], t=4)
    out = relative_to_first_root(p)
    np.testing.assert_allclose(out[0, 0], 0.0)
    np.testing.assert_allclose(out, _static(REST, t=4))


# --- manual features ----------------------------------------------------------------------------------------


def _active(f: np.ndarray) -> set[int]:
    """1-based numbers of the features that are on in every frame (features-manual.md numbering)."""
    assert ((f == 0) | (f == 1)).all(), f
    return {i + 1 for i in np.flatnonzero(f == 1)}


def test_manual_constants_match_skeleton_and_spec() -> None:
    assert len(MANUAL_FEATURE_NAMES) == 32
    assert HUMERUS_LENGTH == pytest.approx(0.25684, abs=1e-5)
    assert SHOULDER_WIDTH == pytest.approx(0.39085, abs=1e-5)
    assert HIP_WIDTH == pytest.approx(0.11925, abs=1e-5)
    assert HUMERUS_LENGTH == pytest.approx(np.linalg.norm(REST[J("left_elbow")] - REST[J("left_shoulder")]), 1e-6)
    assert SHOULDER_WIDTH == pytest.approx(np.linalg.norm(REST[J("left_shoulder")] - REST[J("right_shoulder")]), 1e-6)
    assert HIP_WIDTH == pytest.approx(np.linalg.norm(REST[J("left_hip")] - REST[J("right_hip")]), 1e-6)
    assert MANUAL_JOINT_NAMES[J("left_foot")] == "ltoes" and MANUAL_JOINT_NAMES[J("right_wrist")] == "rwrist"


def test_manual_rest_pose() -> None:
    # T-pose: wrists far apart (9), upper arms away from the torso axis (24, 25); 16 is on because the
    # reference's plane normal (c - a) x (b - a) flips between the mirrored planes 15 and 16 (kept).
    f = manual_features(_static(REST, t=5))
    assert f.shape == (32,)
    assert _active(f) == {9, 16, 24, 25}


def test_manual_hands_above_head() -> None:
    pose = REST.copy()
    for side, sx in (("left", 1.0), ("right", -1.0)):
        pose[J(f"{side}_elbow")] = pose[J(f"{side}_shoulder")] + [0.02 * sx, 0.26, 0.0]
        pose[J(f"{side}_wrist")] = pose[J(f"{side}_elbow")] + [0.01 * sx, 0.26, 0.0]
        pose[J(f"{side}_hand")] = pose[J(f"{side}_wrist")] + [0.0, 0.08, 0.0]
    assert _active(manual_features(_static(pose, t=5))) == {3, 4, 16, 24, 25}


def test_manual_bent_right_knee_and_elbow() -> None:
    pose = REST.copy()
    pose[J("right_ankle")] = pose[J("right_knee")] + [0.0, 0.0, -0.42]  # shin backwards: 90 deg at the knee
    pose[J("right_foot")] = pose[J("right_ankle")] + [0.0, -0.06, 0.12]
    pose[J("right_wrist")] = pose[J("right_elbow")] + [0.0, 0.0, 0.26]  # forearm forwards: 90 deg at the elbow
    pose[J("right_hand")] = pose[J("right_wrist")] + [0.0, 0.0, 0.08]
    on = _active(manual_features(_static(pose, t=5)))
    assert {7, 20, 17} <= on  # right elbow bent, right knee bent, right ankle lifted > 1.2 humerus
    assert not {8, 21, 18} & on  # left side unchanged


def test_manual_fast_wrist_threshold_uses_120_per_frame() -> None:
    def wrist_moving(step: float) -> np.ndarray:
        p = _static(REST, t=6)
        p[:, J("right_wrist"), 2] += step * np.arange(6)
        return manual_features(p)

    thr = 2.5 * HUMERUS_LENGTH / 120.0  # metres per frame
    assert 13 in _active(wrist_moving(1.05 * thr)) and 14 not in _active(wrist_moving(1.05 * thr))
    assert 13 not in _active(wrist_moving(0.95 * thr))


def test_manual_move_ignores_fourth_joint() -> None:
    # Features 5-6 are move(belly, chest, chest, wrist): the wrist (j4) is ignored, the chest is tested.
    p = _static(REST, t=6)
    p[:, J("right_wrist"), 1] += 0.01 * np.arange(6)  # wrist up at 1.2 m/s along belly -> chest: ignored
    assert not {5, 6} & _active(manual_features(p))
    p = _static(REST, t=6)
    p[:, J("spine3"), 1] += 0.01 * np.arange(6)  # chest up relative to the belly: both features on
    assert {5, 6} <= _active(manual_features(p))


def test_manual_fractions_and_root_speed() -> None:
    p = _static(REST, t=5)
    p[3:] += [0.01, 0.0, 0.0]  # one jump of 1.2 m/s among 4 frame pairs
    f = manual_features(p)
    assert f[31] == pytest.approx(0.25)  # fast(root)
    assert f[12] == pytest.approx(0.25) and f[21] == pytest.approx(0.25)  # wrist, ankle also fast
    assert f[0] == 0.0 and f[9] == 0.0  # relative velocities unaffected by a whole-body move


def test_manual_lying_down_and_translation_invariance() -> None:
    rot = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])  # 90 deg about x
    assert 29 in _active(manual_features(_static(REST @ rot.T, t=4)))
    rng = np.random.default_rng(2)
    p = np.cumsum(rng.normal(scale=0.004, size=(30, 24, 3)), axis=0) + REST
    np.testing.assert_array_equal(manual_features(p), manual_features(p + [3.0, 1.5, -2.0]))


def test_manual_rejects_wrong_joint_count() -> None:
    with pytest.raises(ValueError, match="24"):
        manual_features(np.zeros((5, 22, 3)))
