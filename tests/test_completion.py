import numpy as np
import pytest
import torch

from vimo.apps.completion import blend_motions, complete, parse_ranges, smooth_joins
from vimo.data.camera_sim import Regime, SimConfig, simulate
from vimo.data.markers import motion_markers
from vimo.data.synthetic import random_motion, walking_motion
from vimo.errors import VimoError
from vimo.generation import GenerationConfig
from vimo.models.denoiser import CONFIGS, Denoiser
from vimo.pipeline import DEFAULT_WEIGHTS, ViMo
from vimo.representation import Normalizer, to_vector


@pytest.fixture(scope="module")
def tiny():
    torch.manual_seed(0)
    x = torch.from_numpy(np.concatenate([to_vector(random_motion(200, seed=s).with_contacts()) for s in range(3)]))
    return ViMo(Denoiser(CONFIGS["tiny"]).eval(), Normalizer.fit(x))


def test_parse_ranges():
    m = parse_ranges("0-1, f45-f60, 9-", 300)
    assert m[:30].all() and not m[30:45].any() and m[45:60].all() and m[270:].all() and not m[60:270].any()
    for bad in ("5", "2-1", "0-20", "x-3", ""):
        with pytest.raises(VimoError):
            parse_ranges(bad, 300)


@pytest.mark.parametrize("frames", [120, 330])
def test_kept_frames_come_back_exactly(tiny, frames):
    motion = walking_motion(frames)
    keep = np.zeros(frames, dtype=bool)
    keep[:40] = True
    keep[frames - 40 :] = True
    sim = simulate(motion_markers(motion), regime=Regime.STATIC, config=SimConfig(), rng=np.random.default_rng(0))
    for kp in (sim.to_keypoints(), None):
        result = complete(tiny, motion, keep, kp, GenerationConfig(steps=4))
        assert len(result.motion) == frames
        assert np.array_equal(result.motion.rotations[keep], motion.rotations[keep])
        assert np.array_equal(result.motion.root_position[keep], motion.root_position[keep])
        assert np.isfinite(result.motion.joints()).all()


def test_blend_keeps_both_ends(tiny):
    a, b = walking_motion(150), walking_motion(200, speed=0.8)
    result = blend_motions(tiny, a, b, at=3.0, gap=1.0, config=GenerationConfig(steps=4))
    cut = int(2.5 * 30)
    assert np.allclose(result.motion.joints()[:cut], a.joints()[:cut], atol=1e-5)
    assert (~result.kept).sum() == 30 and len(result.motion) == cut + 30 + (200 - cut - 30)


def test_smoothing_next_to_joins_removes_a_snap_and_leaves_the_rest_alone():
    t = 40
    x = torch.zeros(t, 151)
    x[:, 4:] = torch.linspace(0, 1, t)[:, None]  # a steady motion...
    x[21, 4:] += 0.2  # ...that snaps on the first generated frame after the join
    x[:, :4] = 1.0
    keep = np.zeros(t, dtype=bool)
    keep[:21] = True
    out = smooth_joins(x, keep, width=6, sigma=1.5)
    assert torch.equal(out[:21], x[:21])  # kept frames untouched
    assert torch.equal(out[28:], x[28:]) and torch.equal(out[:, :4], x[:, :4])  # far frames, contacts untouched
    acc = lambda v: float((v[2:, 4:] - 2 * v[1:-1, 4:] + v[:-2, 4:]).abs().max())  # noqa: E731
    assert acc(out) < 0.5 * acc(x)
    assert torch.equal(smooth_joins(x, np.ones(t, dtype=bool)), x)


@pytest.mark.skipif(not DEFAULT_WEIGHTS.with_suffix(".safetensors").exists(), reason="needs the shipped weights")
def test_joins_are_smooth_with_the_shipped_model():
    vimo = ViMo.load()
    motion = walking_motion(150)
    keep = np.zeros(150, dtype=bool)
    keep[:50] = True
    keep[100:] = True
    result = complete(vimo, motion, keep, None, GenerationConfig(steps=20))
    acc = np.linalg.norm(np.diff(result.motion.joints(), n=2, axis=0), axis=-1).mean(-1) * 900  # (T-2,)
    joins = np.r_[47:53, 97:103] - 1
    inside = np.setdiff1d(np.arange(len(acc)), joins)
    assert acc[joins].mean() <= 2.0 * acc[inside].mean() + 1.0, (acc[joins].mean(), acc[inside].mean())


def test_cli_complete_and_blend(tmp_path):
    from typer.testing import CliRunner

    from vimo.cli import app
    from vimo.io.smpl_npz import read_smpl_npz, write_smpl_npz

    torch.manual_seed(0)
    prefix = tmp_path / "w" / "tiny"
    ViMo(Denoiser(CONFIGS["tiny"]).eval(), Normalizer(torch.zeros(151), torch.ones(151))).save(prefix)
    a = walking_motion(90)
    write_smpl_npz(a, tmp_path / "a.npz")
    runner = CliRunner()
    res = runner.invoke(app, ["complete", "--motion", str(tmp_path / "a.npz"), "--keep", "0-1,2-3", "-o",
                              str(tmp_path / "o"), "--steps", "2", "--weights", str(prefix)])  # fmt: skip
    assert res.exit_code == 0, res.output
    out = read_smpl_npz(tmp_path / "o" / "motion.npz")
    assert len(out) == 90 and np.allclose(out.joints()[:30], a.joints()[:30], atol=1e-4)
    assert (tmp_path / "o" / "preview.mp4").exists()
    res = runner.invoke(app, ["complete", "--blend", str(tmp_path / "a.npz"), str(tmp_path / "a.npz"), "--at", "1.5",
                              "-o", str(tmp_path / "b"), "--steps", "2", "--weights", str(prefix)])  # fmt: skip
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["complete", "--motion", str(tmp_path / "a.npz"), "-o", str(tmp_path / "c")])
    assert res.exit_code == 2 and "--keep" in res.output
