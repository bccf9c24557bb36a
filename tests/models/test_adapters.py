"""Zero-convolution adapters: the base model's output before training, only the adapter learns."""

import torch

from vimo.models.adapters import ZeroConvDenoiser, trainable_parameter_count
from vimo.models.denoiser import Denoiser, DenoiserConfig

CFG = DenoiserConfig(width=32, layers=2, heads=2, ff=64, cond_layers=1, dropout=0.1, cond_dim=35)


def _inputs(seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(3, 40, 151, generator=g), torch.tensor([5, 500, 999]), torch.randn(3, 40, 35, generator=g)


def test_untrained_adapter_reproduces_the_base_exactly():
    torch.manual_seed(0)
    base = Denoiser(CFG).eval()
    adapter = ZeroConvDenoiser(base).eval()
    x, t, c = _inputs()
    with torch.no_grad():
        enc = base.encode_condition(c)
        assert torch.equal(adapter(x, t, enc), base(x, t, enc))
        null = adapter.null_condition(3, 40)
        assert torch.equal(adapter(x, t, null), base(x, t, null))


def test_training_moves_only_the_adapter_and_changes_the_output():
    torch.manual_seed(0)
    base = Denoiser(CFG)
    before = {k: v.clone() for k, v in base.state_dict().items()}
    adapter = ZeroConvDenoiser(base).train()
    assert not base.training  # the frozen base runs without dropout
    n_copy = sum(p.numel() for p in base.layers.parameters())
    assert trainable_parameter_count(adapter) == n_copy + 2 * (32 * 32 + 32)
    opt = torch.optim.AdamW([p for p in adapter.parameters() if p.requires_grad], lr=1e-2)
    x, t, c = _inputs()
    for _ in range(3):
        loss = (adapter(x, t, adapter.encode_condition(c)) - x).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    for k, v in base.state_dict().items():
        assert torch.equal(v, before[k]), k
    adapter.eval()
    with torch.no_grad():
        enc = base.encode_condition(c)
        assert (adapter(x, t, enc) - base(x, t, enc)).abs().max() > 1e-4


def test_frame_injection_starts_as_the_plain_model_and_the_lift_head_regresses_motion():
    from dataclasses import replace

    torch.manual_seed(0)
    plain = Denoiser(CFG).eval()
    rich = Denoiser(replace(CFG, frame_inject=True, lift_head=True)).eval()
    missing = rich.load_state_dict(plain.state_dict(), strict=False).missing_keys
    assert sorted(missing) == ["frame_inject.bias", "frame_inject.weight", "lift_head.bias", "lift_head.weight"]
    x, t, c = _inputs()
    with torch.no_grad():
        enc = rich.encode_condition(c)
        assert torch.equal(rich(x, t, enc), plain(x, t, enc))  # zero-initialised injection
        assert rich.lift(enc).shape == (3, 40, 151)
        rich.frame_inject.weight.fill_(0.01)
        assert not torch.equal(rich(x, t, enc), plain(x, t, enc))


def test_untrained_adapter_reproduces_a_base_with_frame_injection():
    from dataclasses import replace

    torch.manual_seed(0)
    base = Denoiser(replace(CFG, frame_inject=True, speed_head=True)).eval()
    torch.nn.init.normal_(base.frame_inject.weight, std=0.2)  # zero-initialised: make the path matter
    adapter = ZeroConvDenoiser(base).eval()
    x, t, c = _inputs()
    with torch.no_grad():
        enc = base.encode_condition(c)
        assert torch.equal(adapter(x, t, enc), base(x, t, enc))
