import numpy as np
import torch

from vimo.data.synthetic import walking_motion
from vimo.motion import Motion
from vimo.postprocess import FootLockConfig, contact_runs, foot_lock, foot_skating, smooth_vectors, two_bone_ik
from vimo.representation import to_vector
from vimo.skeleton import SMPL


def _sliding_walk(frames=120):
    """The procedural walk slides its stance foot 1-3 cm per frame; label its stance phases as contact
    (feet slower than 4 cm/frame), as a model would predict them."""
    m = walking_motion(frames)
    feet = m.joints()[:, [7, 8, 10, 11]]
    step = np.linalg.norm(np.diff(feet, axis=0), axis=-1)
    contacts = (np.concatenate([step, step[-1:]]) < 0.04).astype(np.float32)
    return Motion(m.rotations, m.root_position, m.fps, contacts)


def test_contact_runs():
    c = np.array([0, 1, 1, 1, 0, 1, 0, 1, 1, 1, 1])
    assert contact_runs(c, 3) == [(1, 4), (7, 11)]


def test_two_bone_ik_reaches_reachable_targets_and_keeps_bone_lengths():
    hip = torch.tensor([[0.0, 1.0, 0.0]], dtype=torch.float64)
    knee = torch.tensor([[0.0, 0.55, 0.05]], dtype=torch.float64)
    ankle = torch.tensor([[0.0, 0.1, 0.0]], dtype=torch.float64)
    target = torch.tensor([[0.1, 0.2, 0.15]], dtype=torch.float64)
    r1, r2 = two_bone_ik(hip, knee, ankle, target)
    new_knee = hip + (r1 @ (knee - hip)[..., None])[..., 0]
    new_ankle = new_knee + (r2 @ r1 @ (ankle - knee)[..., None])[..., 0]
    assert torch.allclose(new_ankle, target, atol=1e-6)
    assert torch.allclose((new_knee - hip).norm(), (knee - hip).norm())
    assert new_knee[0, 2] > 0  # still bends forward


def test_foot_lock_removes_sliding_and_keeps_the_rest():
    m = _sliding_walk()
    locked = foot_lock(m)
    before = foot_skating(m.joints(), m.contacts)
    after = foot_skating(locked.joints(), m.contacts)
    assert after < 0.5 * before, (before, after)
    # Only the legs change; the upper body and root are untouched; bones stay rigid.
    assert np.array_equal(locked.root_position, m.root_position)
    upper = [SMPL.index(n) for n in ("spine1", "neck", "left_wrist", "head")]
    assert np.allclose(locked.joints()[:, upper], m.joints()[:, upper], atol=1e-5)
    j = locked.joints()
    bones = np.linalg.norm(j[:, 1:] - j[:, list(SMPL.parents[1:])], axis=-1)
    assert bones.std(axis=0).max() < 1e-4


def test_no_pops_at_the_blend_edges():
    m = _sliding_walk()
    locked = foot_lock(m, FootLockConfig(blend=5))
    ankle = locked.joints()[:, 7]
    accel = np.linalg.norm(np.diff(ankle, n=2, axis=0), axis=-1) * 30**2
    # Ankle acceleration stays within a few times the original's peak (no teleporting).
    orig = np.linalg.norm(np.diff(m.joints()[:, 7], n=2, axis=0), axis=-1) * 30**2
    assert accel.max() < 4 * orig.max() + 5.0


def test_smoothing_removes_frame_noise_keeps_the_motion_and_leaves_contacts_alone():
    from vimo.eval.metrics import jitter
    from vimo.representation import from_vector

    m = _sliding_walk(120)
    clean = torch.from_numpy(to_vector(m))
    noisy = clean.clone()
    noisy[:, 4:] += 0.02 * torch.randn(120, clean.shape[1] - 4, generator=torch.Generator().manual_seed(0))
    out = smooth_vectors(noisy[None], 1.0)[0]  # leading batch axis: time is the second-to-last
    j = lambda x: from_vector(x).joints()  # noqa: E731
    assert jitter(j(out)) < 0.3 * jitter(j(noisy))
    # the walk itself survives: closer to the clean walk than the noisy input was
    assert np.abs(j(out) - j(clean)).mean() < 0.6 * np.abs(j(noisy) - j(clean)).mean()
    assert torch.equal(out[:, :4], noisy[:, :4])
    assert smooth_vectors(noisy, 0.0) is noisy


def test_legs_are_built_from_joint_names():
    from vimo.postprocess import LEGS
    from vimo.skeleton import CONTACT_JOINT_NAMES

    for leg, side in zip(LEGS, ("left", "right")):
        assert [SMPL.names[j] for j in (leg.hip, leg.knee, leg.ankle)] == [
            f"{side}_{p}" for p in ("hip", "knee", "ankle")
        ]
        assert [CONTACT_JOINT_NAMES[c] for c in leg.contacts] == [f"{side}_ankle", f"{side}_foot"]
        assert SMPL.parents[leg.ankle] == leg.knee and SMPL.parents[leg.knee] == leg.hip
