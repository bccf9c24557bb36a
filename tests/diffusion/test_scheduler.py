import torch

from vimo.diffusion.sampling import Constraint, guided_x0, sample
from vimo.diffusion.scheduler import DDIMScheduler, cosine_alphas_cumprod


def test_cosine_schedule_is_monotone_from_clean_to_noise():
    abar = cosine_alphas_cumprod(1000)
    assert abar.shape == (1001,) and abar[0] == 1.0
    assert torch.all(abar[1:] < abar[:-1])
    assert abar[-1] < 1e-3


def test_add_noise_at_t0_is_identity_and_shapes_follow_input():
    s = DDIMScheduler()
    x = torch.randn(3, 7, 5)
    noise = torch.randn_like(x)
    assert torch.equal(s.add_noise(x, noise, torch.zeros(3, dtype=torch.long)), x)
    y = s.add_noise(x, noise, torch.tensor([1, 500, 1000]))
    assert y.shape == x.shape
    # At t = T the sample is (almost) pure noise.
    assert torch.allclose(y[2], noise[2], atol=0.05)


def test_timesteps_match_edge_spacing():
    s = DDIMScheduler()
    s.set_timesteps(50)
    ts = s.timesteps.tolist()
    assert ts[0] == 1000 and ts[-1] == 20 and len(ts) == 50
    assert s.previous_timestep(20) == 0 and s.previous_timestep(1000) == 980


def test_step_with_perfect_x0_reaches_it_and_is_deterministic_under_a_generator():
    for eta in (0.0, 1.0):
        s = DDIMScheduler(eta=eta)
        s.set_timesteps(10)
        x0 = torch.randn(2, 4, 3)
        runs = []
        for _ in range(2):
            g = torch.Generator().manual_seed(7)
            x = torch.randn(x0.shape, generator=g)
            for t in s.timesteps.tolist():
                x = s.step(x0, t, x, generator=g).prev_sample
            runs.append(x)
        assert torch.equal(runs[0], runs[1])
        assert torch.allclose(runs[0], x0)


class _Toy(torch.nn.Module):
    """x0 = a function of the condition (a scalar per sample) and a little of x_t."""

    def forward(self, x_t, t, cond):
        return cond.view(-1, 1, 1) * torch.ones_like(x_t) + 0.01 * x_t


class _Cond:
    def __init__(self, v):
        self.v = v

    def cat(self, other):
        return _Cond(torch.cat([self.v, other.v]))

    def view(self, *shape):
        return self.v.view(*shape)


def test_cfg_with_w1_equals_the_conditional_prediction():
    model = _Toy()
    x = torch.randn(2, 3, 4)
    t = torch.tensor([5, 5])
    cond, null = _Cond(torch.tensor([1.0, 2.0])), _Cond(torch.tensor([0.0, 0.0]))
    assert torch.allclose(guided_x0(model, x, t, cond, null, 1.0), model(x, t, cond))
    w2 = guided_x0(model, x, t, cond, null, 2.0)
    assert torch.allclose(w2, 2 * model(x, t, cond) - model(x, t, null))


def test_inpainting_keeps_known_values_exactly():
    model = _Toy()
    s = DDIMScheduler(eta=1.0)
    known = torch.randn(1, 6, 2)
    mask = torch.zeros(1, 6, 1, dtype=torch.bool)
    mask[:, :2] = True
    for resample in (1, 3):
        gen = torch.Generator().manual_seed(0)
        out = sample(model, s, (1, 6, 2), cond=_Cond(torch.tensor([3.0])), null=None, guidance=1.0, steps=10,
                     generator=gen, constraint=Constraint(known, mask), resample=resample)  # fmt: skip
        assert torch.equal(out[:, :2], known[:, :2])
        assert torch.allclose(out[:, 2:], torch.full_like(out[:, 2:], 3.0), atol=0.1)
