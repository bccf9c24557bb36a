from dataclasses import replace

import pytest
import torch

from vimo.models.denoiser import CONFIGS, Denoiser


def _model(**changes):
    torch.manual_seed(0)
    return Denoiser(replace(CONFIGS["tiny"], **changes)).eval()


@pytest.mark.parametrize("changes", [{}, {"cond_conv": 9, "frame_inject": True, "lift_head": True}])
def test_output_shape_and_padded_frames_are_ignored(changes):
    m = _model(**changes)
    if changes.get("frame_inject"):  # zero-initialised: give it weights so the path is exercised
        torch.nn.init.normal_(m.frame_inject.weight, std=0.1)
    x = torch.randn(2, 150, 151)
    cond = torch.randn(2, 150, 54)
    pad = torch.zeros(2, 150, dtype=torch.bool)
    pad[:, 100:] = True
    t = torch.tensor([10, 900])
    with torch.no_grad():
        a = m(x, t, m.encode_condition(cond, pad))
        x2, c2 = x.clone(), cond.clone()
        x2[:, 100:] = torch.randn(2, 50, 151) * 10
        c2[:, 100:] = torch.randn(2, 50, 54) * 10
        b = m(x2, t, m.encode_condition(c2, pad))
    assert a.shape == (2, 150, 151)
    assert torch.allclose(a[:, :100], b[:, :100], atol=1e-5)


def test_condition_and_null_condition_change_the_output():
    m = _model()
    # FiLM starts as identity; give it weights so the condition path matters.
    for p in m.parameters():
        torch.nn.init.normal_(p, std=0.1) if p.dim() > 1 else None
    x = torch.randn(1, 30, 151)
    t = torch.tensor([100])
    with torch.no_grad():
        c1 = m(x, t, m.encode_condition(torch.randn(1, 30, 54)))
        c2 = m(x, t, m.encode_condition(torch.randn(1, 30, 54)))
        n = m(x, t, m.null_condition(1, 30))
    assert not torch.allclose(c1, c2) and not torch.allclose(c1, n)


def test_batch_invariance():
    m = _model()
    x = torch.randn(3, 40, 151)
    cond = torch.randn(3, 40, 54)
    t = torch.tensor([1, 2, 3])
    with torch.no_grad():
        full = m(x, t, m.encode_condition(cond))
        one = m(x[1:2], t[1:2], m.encode_condition(cond[1:2]))
    assert torch.allclose(full[1:2], one, atol=1e-5)


@pytest.mark.parametrize("padded", [False, True])
def test_prepared_condition_gives_the_same_prediction(padded):
    """Sampling precomputes the cross-attention keys/values and the frame injection once per window."""
    m = _model(frame_inject=True, lift_head=True, cond_conv=9, heads=4)
    for p in m.parameters():  # FiLM and frame injection start at zero: exercise every path
        torch.nn.init.normal_(p, std=0.1) if p.dim() > 1 else None
    x, cond, t = torch.randn(3, 150, 151), torch.randn(3, 150, 54), torch.tensor([5, 500, 999])
    pad = None
    if padded:
        pad = torch.zeros(3, 150, dtype=torch.bool)
        pad[1, 40:] = True
    with torch.no_grad():
        enc = m.encode_condition(cond, pad)
        prepared = m.prepare(enc)
        assert prepared.memory is not None and len(prepared.memory) == len(m.layers)
        a, b = m(x, t, enc), m(x, t, prepared)
        both = prepared.cat(m.prepare(m.null_condition(3, 150, pad)))
        c = m(torch.cat([x, x]), torch.cat([t, t]), both)[:3]
    assert (a - b).abs().max() < 1e-5 * a.abs().max()
    assert torch.allclose(a, c, atol=1e-5 * float(a.abs().max()))
    m.train()  # training never uses the cache (no attention dropout there)
    torch.manual_seed(1)
    d = m(x, t, prepared)
    torch.manual_seed(1)
    e = m(x, t, enc)
    assert torch.equal(d, e)
