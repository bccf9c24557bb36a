import numpy as np
import pytest
import torch
from scipy.spatial.transform import Rotation

from vimo.data.synthetic import random_motion
from vimo.motion import Motion, foot_contacts
from vimo.representation import (
    CONTACTS,
    DIM,
    ROOT,
    ROTATIONS,
    Normalizer,
    canonicalize_vectors,
    from_vector,
    to_vector,
)
from vimo.skeleton import SMPL


def test_validation_errors_name_the_problem():
    m = random_motion(5)
    with pytest.raises(ValueError, match=r"\(T, 24, 3, 3\)"):
        Motion(m.rotations[:, :23], m.root_position, 30.0)
    bad = m.root_position.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="frame 3"):
        Motion(m.rotations, bad, 30.0)
    with pytest.raises(ValueError, match="fps"):
        Motion(m.rotations, m.root_position, 0.0)


def test_slicing_and_resampling():
    m = random_motion(121, fps=120.0)
    assert len(m[10:20]) == 10
    r = m.resample(30.0)
    assert r.fps == 30.0 and len(r) == 31
    # Every 4th source frame coincides with a target frame.
    assert np.allclose(r.joints()[5], m.joints()[20], atol=1e-5)
    # Halfway between two frames: the slerp midpoint of the rotations.
    h = m.resample(240.0)
    mid = Rotation.from_matrix(h.rotations[1, 3].astype(np.float64))
    a, b = (Rotation.from_matrix(m.rotations[k, 3].astype(np.float64)) for k in (0, 1))
    assert (mid * (a * (a.inv() * b) ** 0.5).inv()).magnitude() < 1e-5


def test_mirror_swaps_sides_and_is_an_involution():
    m = random_motion(20).with_contacts()
    mm = m.mirror()
    j, jm = m.joints(), mm.joints()
    left, right = SMPL.index("left_wrist"), SMPL.index("right_wrist")
    # The mirrored right wrist is the reflected left wrist (up to SMPL's slight asymmetry in offsets).
    reflected = j[:, left] * np.array([-1, 1, 1])
    assert np.abs(jm[:, right] - reflected).max() < 0.03
    back = mm.mirror()
    assert np.allclose(back.joints(), j, atol=1e-5)
    assert np.array_equal(back.contacts, m.contacts)


def test_canonicalize_puts_root_at_origin_facing_z():
    m = random_motion(30).canonicalize()
    assert np.allclose(m.root_position[0, [0, 2]], 0.0, atol=1e-6)
    forward = m.rotations[0, 0][:, 2]
    assert abs(forward[0]) < 1e-5 and forward[2] > 0
    # Shape of the motion is unchanged (relative positions).
    raw = random_motion(30).joints()
    can = m.joints()
    assert np.allclose(
        np.linalg.norm(raw[:, 3] - raw[:, 0], axis=-1),
        np.linalg.norm(can[:, 3] - can[:, 0], axis=-1),
        atol=1e-5,
    )


def test_foot_contacts_follow_the_1cm_rule():
    joints = np.zeros((5, 24, 3), dtype=np.float32)
    joints[:, 7, 0] = [0.0, 0.005, 0.02, 0.04, 0.041]  # left ankle: slow, fast, fast, slow
    c = foot_contacts(joints, 30.0)
    assert c[:, 0].tolist() == [1.0, 0.0, 0.0, 1.0, 1.0]
    assert c[:, 1].tolist() == [1.0] * 5


def test_vector_layout_round_trip_and_named_slices():
    m = random_motion(25).with_contacts()
    v = to_vector(m)
    assert v.shape == (25, DIM) == (25, 151)
    assert np.array_equal(v[:, CONTACTS], m.contacts)
    assert np.allclose(v[:, ROOT], m.root_position)
    assert v[:, ROTATIONS].shape[1] == 144
    back = from_vector(v)
    assert np.allclose(back.joints(), m.joints(), atol=1e-5)


def test_canonicalize_vectors_matches_motion_canonicalize_in_batches():
    ms = [random_motion(20, seed=s).with_contacts() for s in range(3)]
    batch = torch.from_numpy(np.stack([to_vector(m) for m in ms]))
    can = canonicalize_vectors(batch)
    for k, m in enumerate(ms):
        assert np.allclose(from_vector(can[k]).joints(), m.canonicalize().joints(), atol=1e-5)


def test_normalizer_round_trip_and_serialisation(tmp_path):
    x = torch.randn(10, 150, DIM) * 3 + 1
    norm = Normalizer.fit(x)
    z = norm.encode(x)
    assert abs(float(z.mean())) < 0.05
    assert torch.allclose(norm.decode(z), x, atol=1e-4)
    norm.save(tmp_path / "n.safetensors")
    again = Normalizer.load(tmp_path / "n.safetensors")
    assert torch.equal(again.mean, norm.mean) and torch.equal(again.std, norm.std)
