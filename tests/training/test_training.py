import dataclasses

import numpy as np
import pytest
import torch

from vimo.training.trainer import TrainConfig, fit


def _cfg(**kw):
    base = TrainConfig(model="tiny", batch_size=8, lr=2e-3, warmup_steps=1, val_every=0, bf16=False, log_every=1)
    return dataclasses.replace(base, **kw)


def test_loss_goes_down_on_a_tiny_set(tiny_cache, tmp_path):
    losses = []
    fit(_cfg(max_steps=120), tiny_cache, tmp_path / "run", on_step=lambda s, l: losses.append(l["simple"]))
    # Diffusion losses are noisy (random t per step): compare 20-step averages.
    assert np.mean(losses[-20:]) < 0.8 * np.mean(losses[:20])


def test_time_warp_trains_on_windows_replayed_at_other_speeds(tiny_cache, tmp_path, monkeypatch):
    from vimo.data.dataset import WindowCache

    rates = []
    real = WindowCache.batch_rows_at_rates
    monkeypatch.setattr(WindowCache, "batch_rows_at_rates", lambda self, r, q: rates.append(q) or real(self, r, q))
    losses = []
    fit(_cfg(max_steps=40, time_warp=0.25), tiny_cache, tmp_path / "run", on_step=lambda s, l: losses.append(l))
    assert len(rates) == 40 and all(np.isfinite(l["total"]) for l in losses)
    q = torch.cat(rates)
    assert q.min() >= 0.8 - 1e-9 and q.max() <= 1.25 + 1e-9 and q.min() < 0.9 and q.max() > 1.1
    assert np.mean([l["simple"] for l in losses[-10:]]) < np.mean([l["simple"] for l in losses[:10]])


def test_resume_is_exact(tiny_cache, tmp_path):
    from safetensors.torch import load_file

    fit(_cfg(max_steps=6), tiny_cache, tmp_path / "straight")
    fit(_cfg(max_steps=3), tiny_cache, tmp_path / "split")
    fit(_cfg(max_steps=6), tiny_cache, tmp_path / "split", resume=True)
    steps = [int(line.split(",")[0]) for line in (tmp_path / "split" / "log.csv").read_text().splitlines()[1:]]
    assert steps == sorted(set(steps))  # no step logged twice across the resume
    a = load_file(str(tmp_path / "straight" / "checkpoint.safetensors"))
    b = load_file(str(tmp_path / "split" / "checkpoint.safetensors"))
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k


def test_refuses_to_overwrite_a_run_without_resume(tiny_cache, tmp_path):
    from vimo.errors import VimoError

    fit(_cfg(max_steps=1), tiny_cache, tmp_path / "run")
    with pytest.raises(VimoError, match="--resume"):
        fit(_cfg(max_steps=1), tiny_cache, tmp_path / "run")


def test_init_from_a_bundle_continues_training_and_the_record(tiny_cache, tmp_path):
    from vimo.pipeline import ViMo
    from vimo.training.export import export_run

    fit(_cfg(max_steps=4), tiny_cache, tmp_path / "first")
    first = export_run(tmp_path / "first", tmp_path / "w" / "b")
    state = fit(_cfg(max_steps=3), tiny_cache, tmp_path / "second", init=tmp_path / "w" / "b")
    assert state.step == 3
    second = export_run(tmp_path / "second", tmp_path / "w" / "c")
    assert second.info["total_steps"] == 7 and second.info["init"]["steps"] == 4
    # Weights moved on from the bundle's.
    a = first.model.state_dict()
    b = ViMo.load(tmp_path / "w" / "c").model.state_dict()
    assert any(not torch.equal(a[k], b[k]) for k in a)


@pytest.mark.parametrize("command", ["train", "dance"])
def test_sigterm_checkpoints_and_exits_cleanly(command, tiny_cache, tmp_path):
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "run"
    code = "from vimo.cli import app; app()"
    if command == "train":
        args = ["train", "--config", "tiny", "--no-bf16"]
    else:  # the music-to-dance trainer stops the same way
        from vimo.data.dataset import WindowCache
        from vimo.music.features import SR
        from vimo.music.pairing import Loop
        from vimo.training.dance import build_pairs

        clicks = np.zeros(SR * 2, np.float32)
        for b in (np.arange(4) * 0.5 * SR).astype(int):
            clicks[b : b + 300] = 1.0
        pairs = tmp_path / "pairs.safetensors"
        loops = [Loop("clicks", clicks, (np.arange(4) * 0.5 * SR).astype(int))]
        build_pairs(WindowCache.load(tiny_cache), loops, variants=1, categories=("",)).save(pairs)
        args = ["dance", "train", "--config", "tiny", "--pairs", str(pairs)]
    proc = subprocess.Popen([sys.executable, "-c", code, *args, "--data", str(tiny_cache), "--out", str(out),
                             "--batch-size", "4", "--val-every", "0", "--threads", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip
    deadline = time.time() + 60
    while not (out / "config.json").exists() and time.time() < deadline:
        time.sleep(0.2)
    time.sleep(1.0)
    proc.send_signal(signal.SIGTERM)
    output = proc.communicate(timeout=60)[0].decode()
    assert proc.returncode == 130, output
    assert (out / "checkpoint.safetensors").exists() and "stopped" in output


def test_a_run_without_a_learning_rate_gets_its_optimisers_default():
    import pytest

    from vimo.errors import VimoError
    from vimo.options import Optimizer
    from vimo.training.trainer import TrainConfig, default_lr

    assert default_lr("adamw") == TrainConfig().lr == 1e-3 and default_lr("adan") == 4e-4
    assert all(default_lr(o.value) > 0 for o in Optimizer)  # every optimiser the command line offers has one
    with pytest.raises(VimoError, match="sgd"):
        default_lr("sgd")
