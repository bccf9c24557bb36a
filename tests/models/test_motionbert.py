import pytest
import torch

from vimo.models.motionbert import CONFIGS, DSTformer, StreamFusion


def _model():
    torch.manual_seed(0)
    return DSTformer(CONFIGS["tiny"]).eval()


def test_output_shape():
    m = _model()
    with torch.no_grad():
        assert m(torch.randn(2, 150, 54)).shape == (2, 150, 151)
        assert m(torch.randn(1, 7, 54)).shape == (1, 7, 151)


def test_rejects_bad_shapes():
    m = _model()
    with pytest.raises(ValueError, match="54 features"):
        m(torch.randn(1, 10, 51))
    with pytest.raises(ValueError, match="max_frames=150"):
        m(torch.randn(1, 151, 54))


def test_padded_frames_do_not_affect_real_frames():
    m = _model()
    cond = torch.randn(2, 150, 54)
    pad = torch.zeros(2, 150, dtype=torch.bool)
    pad[0, 100:] = True
    pad[1, 37:] = True
    other = cond.clone()
    other[pad] = torch.randn(int(pad.sum()), 54) * 10
    with torch.no_grad():
        a, b = m(cond, pad), m(other, pad)
        # The real frames alone, without padding, give the same result too.
        alone = m(cond[1:2, :37])
    assert torch.allclose(a[~pad], b[~pad], atol=1e-5)
    assert not torch.allclose(a[pad], b[pad], atol=1e-3)  # the padded frames did change
    assert torch.allclose(a[1:2, :37], alone, atol=1e-5)


def test_frames_interact_without_padding():
    m = _model()
    cond = torch.randn(1, 40, 54)
    other = cond.clone()
    other[:, 30:] += 1.0
    with torch.no_grad():
        assert not torch.allclose(m(cond)[:, :30], m(other)[:, :30], atol=1e-5)


def test_batch_invariance():
    m = _model()
    cond = torch.randn(3, 40, 54)
    pad = torch.zeros(3, 40, dtype=torch.bool)
    pad[1, 25:] = True
    with torch.no_grad():
        full = m(cond, pad)
        one = m(cond[1:2], pad[1:2])
    assert torch.allclose(full[1:2], one, atol=1e-5)


def test_stream_fusion_weights_are_a_softmax_that_depends_on_the_input():
    torch.manual_seed(0)
    fusion = StreamFusion(8)
    a, b = torch.randn(5, 8), torch.randn(5, 8)
    fused, w = fusion(a, b)
    assert torch.allclose(w, torch.full_like(w, 0.5))  # starts as the plain average
    torch.nn.init.normal_(fusion.gate.weight)
    fused, w = fusion(a, b)
    assert w.shape == (5, 2) and (w > 0).all()
    assert torch.allclose(w.sum(-1), torch.ones(5))
    assert w[:, 0].std() > 1e-3  # different tokens, different weights
    assert torch.allclose(fused, w[:, :1] * a + w[:, 1:] * b)


def test_fusion_weights_inside_the_model_change_with_the_condition():
    m = _model()
    for block in m.blocks:
        torch.nn.init.normal_(block.fusion.gate.weight)
    seen = []
    handle = m.blocks[0].fusion.register_forward_hook(lambda _mod, _inp, out: seen.append(out[1]))
    with torch.no_grad():
        m(torch.randn(1, 20, 54))
        m(torch.randn(1, 20, 54))
    handle.remove()
    w1, w2 = seen
    assert w1.shape == (1, 20, 17, 2)
    assert torch.allclose(w1.sum(-1), torch.ones(1, 20, 17))
    assert not torch.allclose(w1, w2)


def test_motion_channels_reach_every_frame_token():
    m = _model()
    cond = torch.randn(1, 20, 54)
    other = cond.clone()
    other[:, 5, 51:] += 1.0  # only frame 5's global-motion channels
    with torch.no_grad():
        a, b = m(cond), m(other)
    assert not torch.allclose(a[:, 5], b[:, 5])


def test_configs_build():
    for name in ("small", "base"):
        m = DSTformer(CONFIGS[name])
        assert sum(p.numel() for p in m.parameters()) > 1e5, name
