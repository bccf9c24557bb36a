from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from vimo.data.camera_sim import (
    Regime,
    SimConfig,
    SimResult,
    random_regimes,
    simulate,
    simulate_batch,
    simulate_clips,
)
from vimo.data.markers import motion_markers
from vimo.geometry.camera import project, unproject, world_to_camera
from vimo.keypoints import COCO17_FLIP, COCO17_NAMES, Keypoints2D
from vimo.motion import Motion
from vimo.skeleton import SMPL

FPS = 30.0
HIPS = [COCO17_NAMES.index("left_hip"), COCO17_NAMES.index("right_hip")]


def walk(frames: int = 150, *, speed: float = 1.2, heading: float = 0.4) -> np.ndarray:
    """(T, 17, 3) markers of a person walking at ``speed`` m/s with swinging legs and arms."""
    t = np.arange(frames) / FPS
    phase = 2 * np.pi * 0.9 * t
    rotvec = np.zeros((frames, 24, 3))
    rotvec[:, 0, 1] = heading
    rotvec[:, SMPL.index("left_hip"), 0] = -0.45 * np.sin(phase)
    rotvec[:, SMPL.index("right_hip"), 0] = 0.45 * np.sin(phase)
    rotvec[:, SMPL.index("left_knee"), 0] = 0.6 * np.clip(np.sin(phase + 1.2), 0, None)
    rotvec[:, SMPL.index("right_knee"), 0] = 0.6 * np.clip(np.sin(phase + 1.2 + np.pi), 0, None)
    rotvec[:, SMPL.index("left_shoulder"), 2] = -1.2
    rotvec[:, SMPL.index("right_shoulder"), 2] = 1.2
    rots = Rotation.from_rotvec(rotvec.reshape(-1, 3)).as_matrix().reshape(frames, 24, 3, 3)
    direction = np.array([np.sin(heading), 0.0, np.cos(heading)])
    root = np.array([0.3, 0.93, -0.5]) + speed * t[:, None] * direction
    return motion_markers(Motion(rots.astype(np.float32), root.astype(np.float32), FPS))


def clean_pixels(sim: SimResult, markers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The exact projection (T, 17, 2) and depth (T, 17) with the simulation's recorded cameras."""
    return project(markers, sim.R[:, None], sim.t[:, None], sim.focal[:, None], sim.principal[:, None])


def heading_deg(R: np.ndarray) -> np.ndarray:
    forward = R[:, 2]
    return np.rad2deg(np.unwrap(np.arctan2(forward[:, 0], forward[:, 2])))


def only(**changes: object) -> SimConfig:
    """A noiseless config with the given changes (one corruption at a time)."""
    return SimConfig.noiseless(**changes)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_static_zero_noise_back_projects_exactly(seed: int) -> None:
    markers = walk(120)
    sim = simulate(markers, regime=Regime.STATIC, config=SimConfig.noiseless(), rng=np.random.default_rng(seed))
    assert (sim.keypoints[..., 2] == 1.0).all()  # everyone in frame, confidence 1
    depth = world_to_camera(markers, sim.R[:, None], sim.t[:, None])[..., 2]
    back = unproject(sim.keypoints[..., :2], depth, sim.R[:, None], sim.t[:, None], sim.focal[:, None],
                     sim.principal[:, None])  # fmt: skip
    np.testing.assert_allclose(back, markers, atol=1e-5)
    # a tripod: the camera never moves
    for arr in (sim.R, sim.t, sim.focal, sim.principal):
        assert np.ptp(arr, axis=0).max() == 0.0
    assert sim.cut_frames == ()


@pytest.mark.parametrize("regime", list(Regime))
def test_every_regime_is_a_true_pinhole_camera(regime: Regime) -> None:
    markers = walk(150)
    config = SimConfig.noiseless(image_size_choices=((720, 1280),))
    sim = simulate(markers, regime=regime, config=config, rng=np.random.default_rng(3))
    assert sim.image_size == (720, 1280) and sim.regime == regime
    pixels, depth = clean_pixels(sim, markers)
    seen = sim.keypoints[..., 2] > 0
    np.testing.assert_allclose(sim.keypoints[..., :2][seen], pixels[seen], atol=1e-2)
    R = sim.R
    np.testing.assert_allclose(R @ np.swapaxes(R, -1, -2), np.broadcast_to(np.eye(3), R.shape), atol=1e-9)
    if regime != Regime.TRACKING:  # the framing keeps the person in the picture
        assert seen.mean() > 0.95


def test_same_seed_same_output_other_seed_differs() -> None:
    markers = walk(90)
    config = SimConfig()
    for regime in Regime:
        a = simulate(markers, regime=regime, config=config, rng=np.random.default_rng(7))
        b = simulate(markers, regime=regime, config=config, rng=np.random.default_rng(7))
        c = simulate(markers, regime=regime, config=config, rng=np.random.default_rng(8))
        np.testing.assert_array_equal(a.keypoints, b.keypoints)
        np.testing.assert_array_equal(a.R, b.R)
        assert not np.array_equal(a.keypoints, c.keypoints)
    batch = np.stack([markers] * 4)
    regimes = [Regime.STATIC, Regime.MOVING, Regime.MONTAGE, Regime.TRACKING]
    x = simulate_batch(batch, regimes=regimes, config=config, rng=np.random.default_rng(1))
    y = simulate_batch(batch, regimes=regimes, config=config, rng=np.random.default_rng(1))
    np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_montage_cuts_change_the_view_only_at_cut_frames(seed: int) -> None:
    markers = walk(450, speed=0.6)
    sim = simulate(markers, regime=Regime.MONTAGE, config=SimConfig(), rng=np.random.default_rng(seed))
    cuts = np.asarray(sim.cut_frames)
    assert len(cuts) >= 3  # 15 s with shots of 1-4 s
    assert 1 <= cuts[0] <= 4 * FPS  # the clip may start mid-shot
    gaps = np.diff(cuts) / FPS
    assert ((gaps >= 1.0) & (gaps <= 4.0)).all()
    changed = (
        (np.abs(np.diff(sim.R, axis=0)).max(axis=(1, 2)) > 0)
        | (np.abs(np.diff(sim.t, axis=0)).max(axis=1) > 0)
        | (np.diff(sim.focal) != 0)
    )
    np.testing.assert_array_equal(np.flatnonzero(changed) + 1, cuts)


def test_montage_cut_turns_the_view_by_at_least_the_minimum() -> None:
    markers = walk(450, speed=0.6)
    config = SimConfig(aim_offset=0.0, min_cut_yaw_change_deg=40.0)
    for seed in range(3):
        sim = simulate(markers, regime=Regime.MONTAGE, config=config, rng=np.random.default_rng(seed))
        cuts = np.asarray(sim.cut_frames)
        forward = sim.R[:, 2]
        yaw = np.arctan2(forward[:, 0], forward[:, 2])
        turn = np.rad2deg(np.abs(np.angle(np.exp(1j * (yaw[cuts] - yaw[cuts - 1])))))
        assert (turn >= 40.0 - 1e-6).all()


@pytest.mark.parametrize("seed", range(6))
def test_moving_yaw_rate_and_zoom_stay_within_bounds(seed: int) -> None:
    markers = walk(300)
    # full orbit speed and strong shake: the bound must hold for their sum
    config = SimConfig(max_yaw_rate_deg=45.0, orbit_speed=(1.0, 1.0), shake_amplitude_deg=(1.0, 1.0))
    sim = simulate(markers, regime=Regime.MOVING, config=config, rng=np.random.default_rng(seed))
    rate = np.abs(np.diff(heading_deg(sim.R))) * FPS
    assert rate.max() <= 45.0 + 1e-6
    zoom = sim.focal / sim.focal[0]
    assert zoom.min() >= 0.7 - 1e-9 and zoom.max() <= 1.5 + 1e-9
    assert np.ptp(sim.t, axis=0).max() > 0.05  # the camera does move


def test_moving_camera_really_turns_and_zooms() -> None:
    markers = walk(300)
    rates, zooms = [], []
    for seed in range(8):
        sim = simulate(markers, regime=Regime.MOVING, config=SimConfig(), rng=np.random.default_rng(seed))
        rates.append(np.abs(np.diff(heading_deg(sim.R))).max() * FPS)
        zooms.append(np.ptp(sim.focal / sim.focal[0]))
    assert max(rates) > 20.0 and max(rates) <= 60.0 + 1e-6
    assert max(zooms) > 0.2


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_tracking_keeps_the_hips_centred_and_cropped_joints_missing(seed: int) -> None:
    markers = walk(300, speed=1.5)
    config = SimConfig.noiseless(tracking_fill=(1.6, 1.6))  # tight crop: head and feet leave the frame
    sim = simulate(markers, regime=Regime.TRACKING, config=config, rng=np.random.default_rng(seed))
    width, height = sim.image_size
    pixels, depth = clean_pixels(sim, markers)
    hips = pixels[:, HIPS].mean(axis=1)
    off_centre = np.linalg.norm(hips - [width / 2, height / 2], axis=-1)
    assert off_centre.mean() < 0.1 * width
    outside = (pixels[..., 0] < 0) | (pixels[..., 0] > width) | (pixels[..., 1] < 0) | (pixels[..., 1] > height)
    assert outside.any()
    conf = sim.keypoints[..., 2]
    assert (conf[outside] == 0).all() and (conf[~outside] == 1).all()
    assert (sim.keypoints[..., :2][outside] == 0).all()  # missing joints carry no position
    # a static camera does not centre a walking person like this
    static = simulate(markers, regime=Regime.STATIC, config=config, rng=np.random.default_rng(seed))
    static_hips = clean_pixels(static, markers)[0][:, HIPS].mean(axis=1)
    assert np.linalg.norm(static_hips - [width / 2, height / 2], axis=-1).mean() > off_centre.mean()


def test_occlusion_events_zero_the_confidence_of_their_joints() -> None:
    markers = walk(300, speed=0.3)
    config = only(occlusion_rate_hz=1.5, occlusion_low_conf_prob=0.0)
    sim = simulate(markers, regime=Regime.STATIC, config=config, rng=np.random.default_rng(4))
    assert len(sim.occlusions) >= 3
    expected = np.zeros((300, 17), bool)
    for event in sim.occlusions:
        assert 0.3 * FPS <= event.stop - event.start <= 1.5 * FPS
        assert 1 <= len(event.joints) <= 6 and not event.low_confidence
        expected[event.start : event.stop, list(event.joints)] = True
    conf = sim.keypoints[..., 2]
    np.testing.assert_array_equal(conf == 0, expected)  # zero exactly where occluded, 1 elsewhere
    assert (conf[~expected] == 1).all()


def test_low_confidence_occlusions_jitter_the_position() -> None:
    markers = walk(300, speed=0.3)
    config = only(occlusion_rate_hz=1.5, occlusion_low_conf_prob=1.0, occlusion_low_conf=(0.1, 0.2))
    sim = simulate(markers, regime=Regime.STATIC, config=config, rng=np.random.default_rng(5))
    mask = np.zeros((300, 17), bool)
    for event in sim.occlusions:
        assert event.low_confidence
        mask[event.start : event.stop, list(event.joints)] = True
    conf = sim.keypoints[..., 2]
    assert mask.any() and (conf[mask] >= 0.1).all() and (conf[mask] <= 0.2).all()
    error = np.linalg.norm(sim.keypoints[..., :2] - clean_pixels(sim, markers)[0], axis=-1)
    assert error[mask].mean() > 1.0 and error[~mask].max() < 1e-2


def test_swaps_exchange_left_and_right_limbs() -> None:
    markers = walk(300, speed=0.3)
    sim = simulate(markers, regime=Regime.STATIC, config=only(swap_rate_hz=2.0), rng=np.random.default_rng(6))
    assert len(sim.swaps) >= 2
    pixels = clean_pixels(sim, markers)[0]
    swapped = np.zeros((300, 17), bool)
    for event in sim.swaps:
        assert 1 <= event.stop - event.start <= 8
        assert set(event.joints) == {COCO17_FLIP[j] for j in event.joints}  # both sides of a limb
        assert all(COCO17_NAMES[j] != "nose" for j in event.joints)
        swapped[event.start : event.stop, list(event.joints)] = True
    source = np.where(swapped, np.asarray(COCO17_FLIP), np.arange(17))
    expected = np.take_along_axis(pixels, source[..., None], axis=1)
    np.testing.assert_allclose(sim.keypoints[..., :2], expected, atol=1e-2)
    assert np.abs(sim.keypoints[..., :2] - pixels)[swapped].max() > 5.0  # the swap is visible


def test_missed_frames_have_no_detection() -> None:
    markers = walk(300, speed=0.3)
    sim = simulate(markers, regime=Regime.STATIC, config=only(missed_rate_hz=2.0), rng=np.random.default_rng(7))
    assert 1 <= sim.missed.sum() < 300
    assert (sim.keypoints[sim.missed] == 0).all()
    assert (sim.keypoints[~sim.missed, :, 2] == 1).all()


def test_noise_std_scales_with_the_person_size() -> None:
    markers = walk(300, speed=0.0)
    results = []
    for distance in (2.5, 7.0):
        config = SimConfig.noiseless(
            noise_sigma=(0.01, 0.01), noise_heteroscedasticity=0.0, distance_range=(distance, distance),
            focal_range=(0.5, 0.5), elevation_range_deg=(0.0, 0.0), aim_offset=0.0,
        )  # fmt: skip
        sim = simulate(markers, regime=Regime.STATIC, config=config, rng=np.random.default_rng(8))
        pixels = clean_pixels(sim, markers)[0]
        size = np.ptp(pixels, axis=1).max(axis=-1)  # (T,) larger side of the bounding box
        residual = (sim.keypoints[..., :2] - pixels) / size[:, None, None]
        results.append((np.median(size), residual.std()))
    (near_size, near_std), (far_size, far_std) = results
    assert near_size > 2.0 * far_size
    assert near_std == pytest.approx(0.01, rel=0.1) and far_std == pytest.approx(0.01, rel=0.1)


def test_default_config_corrupts_but_keeps_most_joints() -> None:
    markers = np.stack([walk(150, heading=h) for h in (0.0, 1.0, 2.0, 3.0)] * 4)
    rng = np.random.default_rng(9)
    regimes = random_regimes(16, rng)
    out = simulate_batch(markers, regimes=regimes, config=SimConfig(), rng=rng)
    conf = out[..., 2]
    assert 0.5 < (conf > 0).mean() < 0.99
    assert 0.5 < conf[conf > 0].mean() < 0.98


def test_simulate_batch_shapes_and_valid_keypoints() -> None:
    markers = np.stack([walk(60, heading=h) for h in np.linspace(0, 6, 6)])
    rng = np.random.default_rng(10)
    sizes = ((1280, 720), (720, 1280))
    config = SimConfig(image_size_choices=sizes)
    out = simulate_batch(markers, regimes=random_regimes(6, rng), config=config, rng=rng)
    assert out.shape == (6, 60, 17, 3) and out.dtype == np.float32
    assert np.isfinite(out).all()
    assert ((out[..., 2] >= 0) & (out[..., 2] <= 1)).all()
    for clip in out:
        Keypoints2D(clip, FPS, (1280, 1280))  # validates
        assert clip[..., 0].max() <= 1280 and clip[..., 1].max() <= 1280
    with pytest.raises(ValueError, match="2 regimes for 6 samples"):
        simulate_batch(markers, regimes=[Regime.STATIC] * 2, config=config, rng=rng)
    with pytest.raises(ValueError, match=r"\(B, T, 17, 3\)"):
        simulate_batch(markers[0], regimes=[Regime.STATIC], config=config, rng=rng)


def test_simulate_clips_has_the_batch_keypoints_with_cameras_and_events() -> None:
    markers = np.stack([walk(90, heading=h) for h in np.linspace(0, 6, 4)])
    regimes = list(Regime)
    config = SimConfig(cut_interval_s=(0.5, 1.0), occlusion_rate_hz=2.0)
    keypoints = simulate_batch(markers, regimes=regimes, config=config, rng=np.random.default_rng(12))
    clips = simulate_clips(markers, regimes=regimes, config=config, rng=np.random.default_rng(12))
    np.testing.assert_array_equal(np.stack([c.keypoints for c in clips]), keypoints)
    assert [c.regime for c in clips] == regimes
    assert clips[regimes.index(Regime.MONTAGE)].cut_frames and not clips[0].cut_frames
    assert any(c.occlusions for c in clips)
    for clip, m in zip(clips, markers, strict=True):
        pixels, depth = clean_pixels(clip, m)  # the recorded cameras are the ones that filmed
        assert clip.R.shape == (90, 3, 3) and np.isfinite(pixels).all()
    with pytest.raises(ValueError, match="1 regimes for 4 samples"):
        simulate_clips(markers, regimes=[Regime.STATIC], config=config, rng=np.random.default_rng(0))


def test_orbit_drift_one_turns_the_heading_at_exactly_the_peak_rate() -> None:
    config = SimConfig(max_yaw_rate_deg=40.0, orbit_speed=(1.0, 1.0), orbit_drift=(1.0, 1.0),
                       shake_amplitude_deg=(0.0, 0.0))  # fmt: skip
    for seed in range(3):
        sim = simulate(walk(120), regime=Regime.MOVING, config=config, rng=np.random.default_rng(seed))
        np.testing.assert_allclose(np.diff(heading_deg(sim.R)) * FPS, 40.0, atol=1e-6)
    with pytest.raises(ValueError, match="orbit_drift"):
        SimConfig(orbit_drift=(-2.0, 1.0))


def test_random_regimes_mixes_all_and_honours_weights() -> None:
    rng = np.random.default_rng(11)
    assert set(random_regimes(200, rng)) == set(Regime)
    assert set(random_regimes(50, rng, {Regime.MONTAGE: 1.0})) == {Regime.MONTAGE}
    assert set(random_regimes(50, rng, [0, 1, 0, 0])) == {Regime.MOVING}
    with pytest.raises(ValueError):
        random_regimes(5, rng, [1.0, 1.0])


def test_config_validation_and_result_conversion() -> None:
    with pytest.raises(ValueError, match="distance_range"):
        SimConfig(distance_range=(8.0, 2.5))
    with pytest.raises(ValueError, match="zoom_range"):
        SimConfig(zoom_range=(1.2, 1.5))
    config = replace(SimConfig.noiseless(), image_size=(640, 480))
    sim = simulate(walk(30), regime="static", config=config, rng=np.random.default_rng(0))  # type: ignore[arg-type]
    kp = sim.to_keypoints()
    assert kp.image_size == (640, 480) and kp.fps == FPS and kp.num_frames == 30


def test_face_points_fade_when_the_person_faces_away() -> None:
    heading = 0.4
    markers = walk(30, speed=0.0, heading=heading)
    forward = np.array([np.sin(heading), 0.0, np.cos(heading)])  # the way the body (and head) faces
    config = SimConfig.noiseless(face_self_occlusion=True)
    seen = {"front": 0, "back": 0}
    for seed in range(16):
        sim = simulate(markers, regime=Regime.STATIC, config=config, rng=np.random.default_rng(seed))
        camera = -sim.R[0].T @ sim.t[0]
        to_camera = camera - markers[0, 0]
        facing = forward @ to_camera / np.linalg.norm(to_camera)
        face = sim.keypoints[:, :3, 2]  # nose and eyes
        if facing > 0.5:
            seen["front"] += 1
            assert (face == 1).all()
        elif facing < -0.5:
            seen["back"] += 1
            assert (face == 0).all()
        assert (sim.keypoints[:, 5:, 2] == 1).all()  # the body is unaffected
    assert seen["front"] and seen["back"]
