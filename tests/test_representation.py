"""The 151-channel motion vector: named slices, round trips, canonical windows, the normaliser."""

from __future__ import annotations

import numpy as np
import torch

from vimo.data.synthetic import random_motion, walking_motion
from vimo.representation import (
    CONTACTS,
    DIM,
    ROOT,
    ROTATIONS,
    Normalizer,
    canonicalize_vectors,
    from_vector,
    split,
    to_vector,
)


def test_the_slices_tile_the_vector():
    assert (CONTACTS.start, CONTACTS.stop, ROOT.stop, ROTATIONS.stop) == (0, ROOT.start, ROTATIONS.start, DIM)
    assert DIM == 151


def test_motion_vector_motion_round_trip():
    m = random_motion(40, seed=0, amplitude=0.5).with_contacts()
    back = from_vector(to_vector(m), fps=m.fps)
    np.testing.assert_allclose(back.rotations, m.rotations, atol=1e-5)
    np.testing.assert_allclose(back.root_position, m.root_position, atol=1e-6)
    np.testing.assert_array_equal(back.contacts, m.contacts)


def test_split_reads_the_named_parts_with_any_batch_dims():
    x = torch.from_numpy(np.stack([to_vector(walking_motion(20)), to_vector(random_motion(20, seed=1))]))
    parts = split(x)
    assert parts.contacts.shape == (2, 20, 4) and parts.root_position.shape == (2, 20, 3)
    assert parts.rotations.shape == (2, 20, 24, 3, 3)
    assert torch.equal(parts.root_position, x[..., ROOT])


def test_canonical_windows_start_at_the_origin_facing_plus_z():
    x = torch.from_numpy(to_vector(random_motion(30, seed=2, amplitude=0.5)))[None]
    parts = split(canonicalize_vectors(x))
    assert torch.allclose(parts.root_position[0, 0, [0, 2]], torch.zeros(2), atol=1e-5)
    forward = parts.rotations[0, 0, 0] @ torch.tensor([0.0, 0.0, 1.0])  # the pelvis's facing direction
    assert abs(float(forward[0])) < 1e-5 and float(forward[2]) > 0


def test_normaliser_round_trips_and_saves(tmp_path):
    x = torch.randn(10, 30, DIM) * 3 + 1
    norm = Normalizer.fit(x)
    z = norm.encode(x)
    assert torch.allclose(z.reshape(-1, DIM).mean(0), torch.zeros(DIM), atol=1e-4)
    assert torch.allclose(norm.decode(z), x, atol=1e-4)
    norm.save(tmp_path / "n.safetensors")
    again = Normalizer.load(tmp_path / "n.safetensors")
    assert torch.equal(again.mean, norm.mean) and torch.equal(again.std, norm.std)
