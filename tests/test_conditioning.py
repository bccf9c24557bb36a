import numpy as np
import torch

from vimo.conditioning import CONDITION_DIM, VARIANTS, NormalizationConfig, normalize_keypoints
from vimo.data.camera_sim import Regime, SimConfig, simulate
from vimo.data.markers import motion_markers
from vimo.data.synthetic import walking_motion


def _clean_keypoints(frames=90):
    sim = simulate(motion_markers(walking_motion(frames)), regime=Regime.STATIC,
                   config=SimConfig.noiseless(), rng=np.random.default_rng(0))  # fmt: skip
    return torch.from_numpy(sim.keypoints).float()


def test_shape_and_finite_even_with_missing_frames():
    kp = _clean_keypoints()
    kp[10:40, :, 2] = 0.0  # a long gap with no detection at all
    kp[:, 0, 2] = 0.0  # a joint never seen
    out = normalize_keypoints(kp)
    assert out.shape == (90, CONDITION_DIM)
    assert torch.isfinite(out).all()
    assert torch.all(out[:, 2] == 0)  # the never-seen nose stays masked (conf channel 0)


def test_pose_channels_are_invariant_to_translation_zoom_and_cuts():
    kp = _clean_keypoints()
    # Per frame a different image translation and zoom, as under a moving camera with cuts.
    rng = np.random.default_rng(1)
    shift = torch.from_numpy(rng.uniform(-300, 300, (90, 1, 2))).float()
    zoom = torch.from_numpy(np.repeat(rng.uniform(0.5, 2.0, (6, 1, 1)), 15, axis=0)).float()  # cuts every 15
    moved = kp.clone()
    moved[..., :2] = kp[..., :2] * zoom + shift
    cfg = NormalizationConfig(scale_window=1)  # per-frame scale: exact invariance
    a, b = normalize_keypoints(kp, cfg), normalize_keypoints(moved, cfg)
    assert torch.allclose(a[:, :51], b[:, :51], atol=1e-4)
    # The default running median is invariant away from the cuts (within 7 frames of one it may mix).
    a, b = normalize_keypoints(kp), normalize_keypoints(moved)
    steady = [t for t in range(90) if all(abs(t - c) > 8 for c in range(0, 91, 15))]
    assert torch.allclose(a[steady, :51], b[steady, :51], atol=1e-4)


def test_short_gaps_are_interpolated_and_long_gaps_stay_masked():
    kp = _clean_keypoints()
    wrist = 9
    kp[20:24, wrist, 2] = 0.0  # 4 frames: filled
    kp[50:70, wrist, 2] = 0.0  # 20 frames: masked
    out = normalize_keypoints(kp).reshape(90, -1)[:, :51].reshape(90, 17, 3)
    ref = normalize_keypoints(_clean_keypoints()).reshape(90, -1)[:, :51].reshape(90, 17, 3)
    assert torch.all(out[20:24, wrist, 2] == NormalizationConfig().cleaning.gap_conf)
    assert torch.allclose(out[20:24, wrist, :2], ref[20:24, wrist, :2], atol=0.05)
    assert torch.all(out[50:70, wrist] == 0)


def test_motion_channels_follow_the_centre_and_are_zeroed_on_cuts():
    kp = _clean_keypoints()
    moved = kp.clone()
    moved[45:, :, 0] += 500  # a jump of many torsos: a cut
    out = normalize_keypoints(moved)
    assert torch.all(out[45, 51:] == 0)
    assert not torch.all(out[:, 51:] == 0)
    assert torch.all(normalize_keypoints(moved, VARIANTS["no_motion"])[:, 51:] == 0)


def test_batch_dims():
    kp = _clean_keypoints()
    batch = torch.stack([kp, kp.flip(0)])
    out = normalize_keypoints(batch)
    assert torch.allclose(out[1], normalize_keypoints(kp.flip(0)), atol=1e-6)
