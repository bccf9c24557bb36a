import numpy as np
import pytest
import torch

from vimo.data.synthetic import random_motion
from vimo.motion import facing_yaw
from vimo.representation import canonicalize_vectors, split, to_vector
from vimo.stitching import align_to, blend, fade_weights, window_starts, world_from_canonical


@pytest.mark.parametrize("frames", [10, 150, 151, 270, 1000])
def test_window_starts_cover_the_input_with_the_overlap(frames):
    starts = window_starts(frames, 150, 30)
    assert starts[0] == 0 and starts[-1] + min(150, frames) == frames
    for a, b in zip(starts, starts[1:]):
        assert 0 < b - a <= 120  # consecutive windows share >= 30 frames


def _windows(count=2, frames=40):
    return torch.stack([torch.from_numpy(to_vector(random_motion(frames, seed=s))) for s in range(count)])


def test_align_to_puts_the_anchor_frame_on_the_reference():
    x = _windows()
    ref = split(_windows(2)[:, 0].flip(0))  # some other poses and places
    out = align_to(x, 7, ref.rotations[:, 0], ref.root_position)
    here = split(out[:, 7])
    assert torch.allclose(facing_yaw(here.rotations[:, 0]), facing_yaw(ref.rotations[:, 0]), atol=1e-5)
    assert torch.allclose(here.root_position[:, [0, 2]], ref.root_position[:, [0, 2]], atol=1e-5)
    assert torch.allclose(here.root_position[:, 1], split(x[:, 7]).root_position[:, 1])  # height kept
    # A rigid motion: local rotations and contacts are untouched, distances between frames kept.
    assert torch.allclose(split(out).rotations[:, :, 1:], split(x).rotations[:, :, 1:])
    d_in = split(x).root_position.diff(dim=1)[..., [0, 2]].norm(dim=-1)
    d_out = split(out).root_position.diff(dim=1)[..., [0, 2]].norm(dim=-1)
    assert torch.allclose(d_in, d_out, atol=1e-5)


def test_world_from_canonical_inverts_canonicalisation():
    x = _windows()
    parts = split(x[:, 0])
    back = world_from_canonical(canonicalize_vectors(x), facing_yaw(parts.rotations[:, 0]), parts.root_position)
    assert torch.allclose(back, x, atol=1e-4)


def test_fade_weights_and_blend_ends():
    w = fade_weights(30, 10)
    assert w.shape == (30,) and (w[:20] == 0).all() and (w[20:] > 0).all() and (w < 1).all()
    assert (w.diff() >= 0).all()
    a, b = _windows()
    full = torch.linspace(0, 1, 40)
    mixed = blend(a[None], b[None], full)[0]
    assert torch.allclose(mixed[0], a[0], atol=1e-5) and torch.allclose(mixed[-1], b[-1], atol=1e-5)
    assert np.isfinite(mixed.numpy()).all()
