"""ViMo's sampling path: sample_sequence (windows, inpainting, seeds, guidance) and ViMo.generate."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from vimo.data.synthetic import walking_motion
from vimo.errors import VimoError
from vimo.generation import FPS, GenerationConfig
from vimo.keypoints import Keypoints2D
from vimo.models.denoiser import CONFIGS, Denoiser, DenoiserConfig
from vimo.pipeline import Known, ViMo, sample_sequence
from vimo.representation import DIM, Normalizer, to_vector

WINDOW = 40


@pytest.fixture(scope="module")
def denoiser() -> Denoiser:
    torch.manual_seed(0)
    return Denoiser(DenoiserConfig(**{**CONFIGS["tiny"].to_dict(), "max_frames": WINDOW})).eval()


@pytest.fixture(scope="module")
def normalizer() -> Normalizer:
    return Normalizer(torch.zeros(DIM), torch.full((DIM,), 0.5))


def _condition(frames: int, seed: int = 0) -> torch.Tensor:
    return torch.randn(frames, 54, generator=torch.Generator().manual_seed(seed))


FAST = GenerationConfig(steps=3, overlap=10, fade=4)


def test_shapes_for_one_window_a_padded_window_and_many_windows(denoiser, normalizer):
    for frames in (WINDOW, 17, 3 * WINDOW + 5):
        out = sample_sequence(denoiser, normalizer, _condition(frames), frames, replace(FAST, samples=2),
                              default_guidance=2.0)  # fmt: skip
        assert out.shape == (2, frames, DIM) and torch.isfinite(out).all()


def test_seeded_and_deterministic(denoiser, normalizer):
    def run(seed):
        return sample_sequence(denoiser, normalizer, _condition(90), 90, replace(FAST, seed=seed), default_guidance=2.0)

    a, b, c = run(0), run(0), run(1)
    assert torch.equal(a, b)
    assert not torch.allclose(a, c)


def test_the_guidance_setting_is_the_bundle_default_unless_the_config_names_one(denoiser, normalizer):
    cond = _condition(30)

    def run(config, default):
        return sample_sequence(denoiser, normalizer, cond, 30, config, default_guidance=default)

    assert torch.equal(run(FAST, 3.0), run(replace(FAST, guidance=3.0), 1.0))
    assert not torch.allclose(run(FAST, 3.0), run(FAST, 1.0))


def test_unconditional_sampling_takes_no_condition(denoiser, normalizer):
    out = sample_sequence(denoiser, normalizer, None, 50, FAST, default_guidance=2.0)
    assert out.shape == (1, 50, DIM)


def test_known_frames_come_back_exactly_across_windows(denoiser, normalizer):
    frames = 2 * WINDOW + 10
    values = torch.from_numpy(to_vector(walking_motion(frames)))
    mask = torch.zeros(frames, dtype=torch.bool)
    mask[:12] = mask[WINDOW + 5 : WINDOW + 15] = True
    out = sample_sequence(denoiser, normalizer, _condition(frames), frames, FAST, default_guidance=2.0,
                          known=Known(mask, values))  # fmt: skip
    assert torch.equal(out[0, mask], values[mask])


def test_progress_counts_windows(denoiser, normalizer):
    calls = []
    sample_sequence(denoiser, normalizer, _condition(100), 100, FAST, default_guidance=2.0,
                    progress=lambda done, total: calls.append((done, total)))  # fmt: skip
    total = calls[-1][1]
    assert total >= 3 and calls == [(i + 1, total) for i in range(total)]


def _keypoints(frames: int, fps: float = FPS) -> Keypoints2D:
    rng = np.random.default_rng(0)
    data = np.concatenate([rng.uniform(100, 400, (frames, 17, 2)), np.ones((frames, 17, 1))], axis=-1)
    return Keypoints2D(data.astype(np.float32), fps, (640, 480))


def test_vimo_generate_resamples_to_30_fps_and_scores_every_sample(denoiser, normalizer):
    vimo = ViMo(denoiser, normalizer, smooth=0.0)
    out = vimo.generate(_keypoints(50, fps=25.0), replace(FAST, samples=3))
    assert len(out.motions) == len(out.fidelity) == len(out.foot_skate) == 3
    assert all(m.fps == FPS and m.num_frames == _keypoints(50, fps=25.0).resample(FPS).num_frames for m in out.motions)
    assert 0 <= out.best < 3


def test_vimo_generate_rejects_bad_requests_with_one_line(denoiser, normalizer):
    vimo = ViMo(denoiser, normalizer)
    with pytest.raises(VimoError, match="--samples must be at least 1"):
        vimo.generate(_keypoints(30), replace(FAST, samples=0))
    with pytest.raises(VimoError, match="keypoints have 1 frame"):
        vimo.generate(_keypoints(1), FAST)
