"""The denoising loop: guidance arithmetic, batch invariance, seeds, inpainting constraints (any x0 network)."""

from __future__ import annotations

import torch

from vimo.diffusion.sampling import Constraint, guided_x0, sample
from vimo.diffusion.scheduler import DDIMScheduler


class Cond:
    """A condition batch: what ``guided_x0`` needs (``cat``)."""

    def __init__(self, value: torch.Tensor) -> None:
        self.value = value

    def cat(self, other: Cond) -> Cond:
        return Cond(torch.cat([self.value, other.value]))


class Toy(torch.nn.Module):
    """x0 = 0.5 x_t + the condition (B, 1, D), per batch element; counts its forward passes."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def forward(self, x_t, t, cond):
        self.calls += 1
        return 0.5 * x_t + cond.value + 1e-3 * t[:, None, None]


def _conds(batch: int, dim: int = 4) -> tuple[Cond, Cond]:
    g = torch.Generator().manual_seed(1)
    return Cond(torch.randn(batch, 1, dim, generator=g)), Cond(torch.zeros(batch, 1, dim))


def test_guidance_is_uncond_plus_w_times_the_difference():
    x = torch.randn(3, 5, 4)
    t = torch.full((3,), 10)
    cond, null = _conds(3)
    model = Toy()
    xc, xu = model(x, t, cond), model(x, t, null)
    for w in (0.0, 1.0, 2.5):
        assert torch.allclose(guided_x0(model, x, t, cond, null, w), xu + w * (xc - xu), atol=1e-6)
    model.calls = 0
    guided_x0(model, x, t, cond, null, 2.5)
    assert model.calls == 1  # cond and uncond in one batched forward


def test_guided_x0_is_batch_invariant():
    x = torch.randn(4, 5, 4)
    t = torch.tensor([10, 20, 30, 40])
    cond, null = _conds(4)
    full = guided_x0(Toy(), x, t, cond, null, 2.0)
    for i in range(4):
        one = guided_x0(
            Toy(), x[i : i + 1], t[i : i + 1], Cond(cond.value[i : i + 1]), Cond(null.value[i : i + 1]), 2.0
        )
        assert torch.allclose(full[i : i + 1], one, atol=1e-6)


def test_sample_is_seeded():
    cond, null = _conds(2)

    def run(seed):
        return sample(Toy(), DDIMScheduler(), (2, 5, 4), cond=cond, null=null, steps=5,
                      generator=torch.Generator().manual_seed(seed))  # fmt: skip

    assert torch.equal(run(0), run(0))
    assert not torch.allclose(run(0), run(1))


def test_constraints_hold_exactly_with_and_without_resampling():
    cond, null = _conds(2)
    values = torch.randn(2, 5, 4)
    mask = torch.zeros(1, 5, 1, dtype=torch.bool)
    mask[:, 1:3] = True
    for resample in (1, 3):
        out = sample(Toy(), DDIMScheduler(), (2, 5, 4), cond=cond, null=null, steps=5, resample=resample,
                     generator=torch.Generator().manual_seed(0), constraint=Constraint(values, mask))  # fmt: skip
        assert torch.equal(out[:, 1:3], values[:, 1:3])
        assert not torch.allclose(out[:, 3:], values[:, 3:])
