"""The speed head: a per-frame speed profile target, and a head that learns its timing from the condition."""

import numpy as np
import torch

from vimo.diffusion.scheduler import DDIMScheduler
from vimo.models.denoiser import Denoiser, DenoiserConfig, speed_profile
from vimo.representation import Normalizer
from vimo.training.dance import DanceConfig
from vimo.training.optim import optimizer_and_ema
from vimo.training.trainer import denoiser_update


def test_speed_profile_is_z_scored_and_dips_where_the_motion_stops():
    x = torch.zeros(1, 40, 151)
    step = torch.ones(40)
    step[10:20] = 0.0  # the body holds still on frames 10-19
    x[0, :, 4:] = torch.cumsum(step, 0)[:, None] * 0.01
    s = speed_profile(x)[0]
    assert abs(float(s.mean())) < 1e-4 and abs(float(s.std()) - 1) < 0.05
    assert s[10:19].max() < s[:9].min()


def test_the_smoothed_speed_profile_keeps_dips_and_cannot_be_faked_with_jitter():
    gen = torch.Generator().manual_seed(0)
    step = torch.ones(60)
    step[25:35] = 0.2  # a slow stretch: the dip a viewer sees
    x = torch.zeros(1, 60, 151)
    x[0, :, 4:] = torch.cumsum(step, 0)[:, None] * 0.01
    jittery = x + 0.01 * torch.randn(x.shape, generator=gen)  # frame-to-frame noise, as undertrained samplers add
    smooth, noisy = speed_profile(x, 3.0)[0], speed_profile(jittery, 3.0)[0]
    assert smooth[28:32].max() < smooth[:15].min() and noisy[28:32].max() < noisy[:15].min()
    corr = lambda a, b: float(torch.corrcoef(torch.stack([a, b]))[0, 1])  # noqa: E731
    assert corr(speed_profile(x)[0], speed_profile(jittery)[0]) < 0.85  # the jitter blurs the raw profile...
    assert corr(smooth, noisy) > 0.99  # ...not the smoothed one
    # steady motion whose jitter stops during frames 20-39 fakes the dip in the raw profile, much less smoothed
    steady = torch.zeros(1, 60, 151)
    steady[0, :, 4:] = torch.arange(60.0)[:, None] * 0.01
    noise = 0.01 * torch.randn(steady.shape, generator=gen)
    noise[:, 20:40] = 0
    assert corr(speed_profile(x)[0], speed_profile(steady + noise)[0]) > 0.5
    assert corr(smooth, speed_profile(steady + noise, 3.0)[0]) < 0.35
    assert torch.equal(speed_profile(x, 0.0), speed_profile(x))


def _batch(rng: np.random.Generator, batch: int = 8, frames: int = 40):
    """Motions whose speed follows a beat track given as condition channel 0 (slow on beats)."""
    cond = torch.zeros(batch, frames, 35)
    x0 = torch.zeros(batch, frames, 151)
    for b in range(batch):
        beats = np.zeros(frames)
        beats[rng.integers(0, 6) :: int(rng.integers(6, 12))] = 1.0
        cond[b, :, 0] = torch.from_numpy(beats).float()
        step = 1.0 - 0.9 * beats
        direction = torch.from_numpy(rng.standard_normal(147)).float()
        x0[b, :, 7:] = torch.tensor([1.0, 0.0, 0.0, 0.0, 1.0, 0.0]).repeat(24)  # identity rotations (6D)
        x0[b, :, 4:] += torch.from_numpy(np.cumsum(step))[:, None].float() * 0.02 * direction
    return x0, cond


def test_speed_head_learns_the_timing_from_the_condition():
    torch.manual_seed(0)
    cfg = DanceConfig(model="tiny", lr=3e-3, warmup_steps=1, bf16=False, cond_drop=0.0)
    model = Denoiser(DenoiserConfig(width=32, layers=1, heads=2, ff=64, cond_layers=1, dropout=0.0, cond_dim=35,
                                    max_frames=40, cond_conv=9, frame_inject=True, speed_head=True))  # fmt: skip
    opt, _ = optimizer_and_ema(model, cfg)
    normalizer = Normalizer(torch.zeros(151), torch.ones(151))
    held_x, held_c = _batch(np.random.default_rng(99))

    def held_out_error() -> float:
        with torch.no_grad():
            return float(
                torch.nn.functional.mse_loss(model.speed(model.encode_condition(held_c)), speed_profile(held_x))
            )

    before = held_out_error()
    scheduler = DDIMScheduler()
    for step in range(120):
        rng = np.random.default_rng([0, step])
        x0, cond = _batch(rng)
        denoiser_update(
            model, opt, scheduler, normalizer, cfg, step, x0, cond, rng, torch.Generator().manual_seed(step)
        )
    assert held_out_error() < 0.5 * before
