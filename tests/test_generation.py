"""The one inference interface: the post-processing chain (smooth -> ground -> foot-lock -> score), the config's
defaults, and every bundle kind behaving as a MotionGenerator."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from vimo.data.markers import motion_markers
from vimo.data.synthetic import random_motion, walking_motion
from vimo.errors import VimoError
from vimo.fidelity import reprojection_fidelity
from vimo.generation import FPS, Generated, GenerationConfig, MotionGenerator, finish, generate_any
from vimo.keypoints import Keypoints2D
from vimo.motion import Motion
from vimo.postprocess import foot_lock, foot_skating, smooth_vectors
from vimo.representation import from_vector, to_vector


def _sliding_walk(frames: int = 90) -> Motion:
    """A walk off the floor (lifted 0.3 m), its stance phases labelled as contact: grounding and locking both
    have work to do."""
    m = walking_motion(frames)
    feet = m.joints()[:, [7, 8, 10, 11]]
    step = np.linalg.norm(np.diff(feet, axis=0), axis=-1)
    contacts = (np.concatenate([step, step[-1:]]) < 0.04).astype(np.float32)
    return Motion(m.rotations, m.root_position + np.array([0.0, 0.3, 0.0], np.float32), m.fps, contacts)


def _keypoints_of(motion: Motion, *, fps: float = FPS) -> Keypoints2D:
    """The motion's COCO-17 markers seen by an orthographic camera looking along -Z (pixels, y down)."""
    markers = motion_markers(motion)
    xy = np.stack([320 + 200 * markers[..., 0], 400 - 200 * markers[..., 1]], axis=-1)
    return Keypoints2D(np.concatenate([xy, np.ones_like(xy[..., :1])], axis=-1), fps, (640, 480))


@pytest.fixture(scope="module")
def walk_vectors() -> torch.Tensor:
    return torch.from_numpy(to_vector(_sliding_walk()))[None]  # (1, T, 151)


def test_finish_is_smooth_then_ground_then_lock_then_score(walk_vectors):
    kp = _keypoints_of(_sliding_walk())
    out = finish(walk_vectors, smooth=1.5, foot_lock=True, keypoints=kp)

    smoothed = from_vector(smooth_vectors(walk_vectors, 1.5)[0], fps=FPS)
    grounded = smoothed.grounded()
    locked = foot_lock(grounded)
    np.testing.assert_array_equal(out.motions[0].rotations, locked.rotations)
    np.testing.assert_array_equal(out.motions[0].root_position, locked.root_position)
    assert out.fidelity == [reprojection_fidelity(motion_markers(locked), kp.data)]
    before, after = out.foot_skate[0]
    assert before == foot_skating(grounded.joints(), grounded.contacts)
    assert after == foot_skating(locked.joints(), grounded.contacts) < before
    # The order matters: grounding before smoothing, or locking before grounding, gives other motions.
    assert not np.allclose(foot_lock(smoothed).root_position, locked.root_position)
    assert abs(out.motions[0].joints()[..., 1].min()) < 0.05  # on the floor (it started 0.3 m above it)


def test_finish_options_turn_steps_off(walk_vectors):
    raw = finish(walk_vectors, smooth=0.0, foot_lock=False)
    expected = from_vector(walk_vectors[0], fps=FPS).grounded()
    np.testing.assert_array_equal(raw.motions[0].root_position, expected.root_position)
    assert raw.foot_skate == [] and raw.fidelity == [] and raw.best == 0  # no keypoints: nothing to score


def test_finish_picks_the_sample_that_explains_the_keypoints(walk_vectors):
    walk = _sliding_walk()
    other = torch.from_numpy(to_vector(random_motion(walk.num_frames, seed=1, amplitude=0.8)))[None]
    out = finish(torch.cat([other, walk_vectors]), smooth=0.0, foot_lock=False, keypoints=_keypoints_of(walk))
    assert out.best == 1
    assert out.fidelity[1].pck > out.fidelity[0].pck


def test_finish_scores_against_keypoints_at_30_fps(walk_vectors):
    walk = _sliding_walk()
    fast = _keypoints_of(walk).resample(60.0)
    out = finish(walk_vectors, smooth=0.0, foot_lock=False, keypoints=fast)
    assert out.fidelity[0].pck > 0.9  # resampled back to 30 fps before comparing frame by frame


def test_config_falls_back_to_the_bundle_defaults():
    cfg = GenerationConfig()
    assert cfg.smoothing(1.5) == 1.5 and cfg.guidance_weight(2.5) == 2.5
    explicit = replace(cfg, smooth=0.0, guidance=1.0)
    assert explicit.smoothing(1.5) == 0.0 and explicit.guidance_weight(2.5) == 1.0
    with pytest.raises(VimoError, match="--smooth must be >= 0"):
        replace(cfg, smooth=-1.0).smoothing(1.0)


def test_generate_any_calls_the_model_s_generate():
    seen = []

    class Fake:
        KIND = "fake"
        info: dict = {}

        @classmethod
        def load(cls, prefix, *, device="cpu"):
            return cls()

        def save(self, prefix):
            pass

        def generate(self, inputs, config, progress=None):
            seen.append((inputs, config, progress))
            return Generated([], [], 0)

    fake = Fake()
    assert isinstance(fake, MotionGenerator)
    cfg = GenerationConfig(seed=3)
    generate_any(fake, "inputs", cfg, print)
    assert seen == [("inputs", cfg, print)]
