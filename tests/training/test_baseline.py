import dataclasses

import numpy as np
import pytest
import torch

from vimo.data.camera_sim import CASUAL_SIM_CONFIG, Regime, simulate
from vimo.data.dataset import WindowCache
from vimo.data.markers import motion_markers
from vimo.data.synthetic import walking_motion
from vimo.errors import VimoError
from vimo.lifter import LiftConfig, Lifter, lift
from vimo.training.baseline import BaselineConfig, baseline_step, build_baseline, fit_baseline, random_padding
from vimo.training.export import export_baseline


def _cfg(**kw):
    base = BaselineConfig(model="tiny", batch_size=8, lr=3e-3, warmup_steps=1, val_every=0, log_every=1)
    return dataclasses.replace(base, **kw)


@pytest.fixture(scope="module")
def trained_run(tiny_cache, tmp_path_factory):
    """A short run (with validation), its per-step losses."""
    out = tmp_path_factory.mktemp("baseline") / "run"
    losses = []
    fit_baseline(_cfg(max_steps=60, val_every=30, val_windows=2), tiny_cache, out,
                 on_step=lambda s, l: losses.append(l))  # fmt: skip
    return out, losses


def test_loss_goes_down_on_a_tiny_set(tiny_cache):
    # Fresh cameras every step make the real task slow to learn; the same step repeated (same windows,
    # same cameras) shows that the loss, gradients and optimiser are wired up.
    cfg = _cfg(lr=1e-2)
    cache = WindowCache.load(tiny_cache)
    model, optimizer, _ = build_baseline(cfg)
    losses = [baseline_step(model, optimizer, cache, cfg, 0) for _ in range(40)]
    assert losses[-1]["simple"] < 0.7 * losses[0]["simple"]
    assert losses[-1]["fk"] < 0.5 * losses[0]["fk"]
    assert losses[0]["foot"] >= 0 and all(np.isfinite(l["total"]) for l in losses)


def test_a_run_writes_its_directory_and_validates(trained_run):
    run, losses = trained_run
    assert len(losses) == 60
    for name in ("config.json", "normalizer.safetensors", "checkpoint.safetensors", "log.csv", "val.csv"):
        assert (run / name).exists(), name
    val_rows = (run / "val.csv").read_text().splitlines()
    assert len(val_rows) == 1 + 2 * len(Regime)  # header + every regime at steps 30 and 60
    assert "pa_mpjpe_mm" in val_rows[0]
    assert all(float(v) > 0 for v in val_rows[1].split(",")[2:6])


def test_resume_is_exact(tiny_cache, tmp_path):
    from safetensors.torch import load_file

    # short_prob=0.5: padded windows are part of what must replay exactly.
    fit_baseline(_cfg(max_steps=6, short_prob=0.5), tiny_cache, tmp_path / "straight")
    fit_baseline(_cfg(max_steps=3, short_prob=0.5), tiny_cache, tmp_path / "split")
    fit_baseline(_cfg(max_steps=6, short_prob=0.5), tiny_cache, tmp_path / "split", resume=True)
    a = load_file(str(tmp_path / "straight" / "checkpoint.safetensors"))
    b = load_file(str(tmp_path / "split" / "checkpoint.safetensors"))
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k


def test_refuses_to_overwrite_a_run_without_resume(tiny_cache, tmp_path):
    fit_baseline(_cfg(max_steps=1), tiny_cache, tmp_path / "run")
    with pytest.raises(VimoError, match="--resume"):
        fit_baseline(_cfg(max_steps=1), tiny_cache, tmp_path / "run")


def test_random_padding_keeps_at_least_min_frames():
    pad = random_padding(200, 150, 0.5, 30, np.random.default_rng(0))
    lengths = (~pad).sum(1)
    assert (lengths >= 30).all() and (lengths <= 150).all()
    assert 60 < (lengths < 150).sum() < 140
    # Padding is a suffix.
    assert torch.equal(pad, torch.arange(150)[None] >= lengths[:, None])


def _keypoints(frames: int, seed: int = 0):
    sim = simulate(motion_markers(walking_motion(frames)), regime=Regime.MOVING, config=CASUAL_SIM_CONFIG,
                   rng=np.random.default_rng(seed))  # fmt: skip
    return sim.to_keypoints()


@pytest.fixture(scope="module")
def bundle(trained_run, tmp_path_factory):
    run, _ = trained_run
    prefix = tmp_path_factory.mktemp("weights") / "lifter-tiny"
    export_baseline(run, prefix)
    return prefix


def test_export_load_round_trip(bundle):
    lifter = Lifter.load(bundle)
    assert not lifter.model.training
    assert lifter.info["step"] == 60
    again = bundle.with_name("again")
    lifter.save(again)
    a, b = Lifter.load(again), lifter
    for (k, v), (k2, v2) in zip(a.model.state_dict().items(), b.model.state_dict().items()):
        assert k == k2 and torch.equal(v, v2)
    assert torch.equal(a.normalizer.mean, b.normalizer.mean)


@pytest.mark.parametrize("frames", [40, 150, 331])
def test_lift_any_length(bundle, frames):
    lifter = Lifter.load(bundle)
    motion = lift(lifter, _keypoints(frames))
    assert motion.num_frames == frames and motion.fps == 30.0
    assert np.isfinite(motion.rotations).all() and np.isfinite(motion.root_position).all()
    # The first window is placed in its canonical frame: pelvis at x = z = 0 on frame 0.
    assert np.allclose(motion.root_position[0, [0, 2]], 0.0, atol=1e-5)


def test_lift_is_deterministic_and_resamples(bundle):
    from dataclasses import replace

    lifter = Lifter.load(bundle)
    kp = _keypoints(200)
    a, b = lift(lifter, kp), lift(lifter, kp, LiftConfig(batch=1))
    assert np.allclose(a.rotations, b.rotations, atol=1e-5)
    slow = replace(kp, data=kp.data[::2], fps=15.0)
    assert lift(lifter, slow).num_frames == pytest.approx(200, abs=2)


def test_bundles_refuse_the_other_loader(bundle):
    from vimo.pipeline import ViMo

    with pytest.raises(VimoError, match="Lifter.load"):
        ViMo.load(bundle)


def test_export_refuses_a_diffusion_run(tiny_cache, tmp_path):
    from vimo.training.trainer import TrainConfig, fit

    fit(TrainConfig(model="tiny", batch_size=2, max_steps=1, val_every=0, bf16=False), tiny_cache, tmp_path / "run")
    with pytest.raises(VimoError, match="right kind of run"):
        export_baseline(tmp_path / "run", tmp_path / "x")


def test_vimo_run_model_baseline_writes_the_same_outputs(bundle, tmp_path):
    import json

    from typer.testing import CliRunner

    from vimo.cli import app

    kp_path = tmp_path / "kp.json"
    _keypoints(90).to_json(kp_path)
    runner = CliRunner()
    result = runner.invoke(app, ["run", str(kp_path), "-o", str(tmp_path / "out"), "--model", "baseline",
                                 "--weights", str(bundle)])  # fmt: skip
    assert result.exit_code == 0, result.output
    data = np.load(tmp_path / "out" / "motion.npz")
    assert data["joints"].shape == (90, 24, 3) and np.isfinite(data["joints"]).all()
    assert (tmp_path / "out" / "motion.bvh").exists()
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["model"] == "baseline" and len(report["samples"]) == 1
    # deterministic: the same answer again
    again = runner.invoke(app, ["run", str(kp_path), "-o", str(tmp_path / "out2"), "--model", "baseline",
                                "--weights", str(bundle), "--seed", "7"])  # fmt: skip
    assert again.exit_code == 0
    assert np.allclose(np.load(tmp_path / "out2" / "motion.npz")["joints"], data["joints"], atol=1e-5)
    bad = runner.invoke(app, ["run", str(kp_path), "-o", str(tmp_path / "o3"), "--model", "baseline", "--weights",
                              str(bundle), "--samples", "3"])  # fmt: skip
    assert bad.exit_code != 0 and "deterministic" in bad.output


def test_export_raw_weights_differ_from_ema_and_bad_choice_is_refused(trained_run, tmp_path):
    run, _ = trained_run
    ema, raw = export_baseline(run, tmp_path / "ema"), export_baseline(run, tmp_path / "raw", weights="raw")
    assert ema.info["weights"] == "ema" and raw.info["weights"] == "raw"
    a, b = ema.model.state_dict(), raw.model.state_dict()
    assert any(not torch.equal(a[k], b[k]) for k in a)  # 60 steps, EMA over the last 30: not the same weights
    with pytest.raises(VimoError, match="ema or raw"):
        export_baseline(run, tmp_path / "x", weights="best")
