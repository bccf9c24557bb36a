"""Music-to-dance training on a tiny cache with click-track loops: pairs, loss, validation, resume."""

import json
from dataclasses import replace

import numpy as np
import pytest
import torch

from vimo.errors import VimoError
from vimo.eval.metrics import jitter
from vimo.generation import GenerationConfig
from vimo.music.features import FEATURE_DIM, SR
from vimo.music.pairing import Loop
from vimo.training.dance import (
    DANCE_CONFIGS,
    MUSIC_NORM,
    DanceConfig,
    Pairs,
    accent_map,
    build_pairs,
    fit_dance,
    retime_pairs,
)


def _loops():
    y = np.zeros(SR * 2, np.float32)
    burst = np.exp(-np.arange(600) / 100).astype(np.float32) * np.random.default_rng(0).standard_normal(600)
    beats = (np.arange(4) * 0.5 * SR).astype(int)
    for b in beats:
        y[b : b + 600] += burst.astype(np.float32)
    return [Loop("clicks", y, beats)]


@pytest.fixture(scope="module")
def pairs_file(tiny_cache, tmp_path_factory):
    from vimo.data.dataset import WindowCache

    pairs = build_pairs(WindowCache.load(tiny_cache), _loops(), variants=2, categories=("",))
    path = tmp_path_factory.mktemp("pairs") / "pairs.safetensors"
    pairs.save(path)
    return path


def test_pairs_cover_train_and_val_windows_with_finite_features(pairs_file, tiny_cache):
    from vimo.data.dataset import WindowCache

    cache = WindowCache.load(tiny_cache)
    pairs = Pairs.load(pairs_file)
    assert len(pairs.rows) == cache.num_windows("train") + cache.num_windows("val")
    assert pairs.features.shape == (len(pairs.rows), 2, cache.window, FEATURE_DIM)
    assert torch.isfinite(pairs.features.float()).all() and (pairs.std > 0).all()
    assert int(pairs.is_val.sum()) == cache.num_windows("val")
    assert pairs.features[..., -1].sum() > 0


def test_accenting_slows_the_motion_at_each_beat_and_keeps_the_beats_frames():
    beats = np.array([10, 25, 40])
    t = accent_map(beats, 100, 50, depth=0.6, sigma=2.0)
    assert t.shape == (50,) and t[0] == 100 and t[-1] == pytest.approx(149)
    assert np.allclose(t[beats], 100 + beats)  # every beat plays its own captured frame
    rate = np.diff(t)
    assert (rate > 0).all()
    at_beat = rate[[9, 10, 24, 25, 39, 40]].mean()  # the steps either side of a beat
    between = rate[[16, 17, 31, 32]].mean()
    assert at_beat < 0.6 * between
    assert np.allclose(accent_map(np.array([], int), 7, 20), 7 + np.arange(20))
    assert np.allclose(accent_map(beats, 7, 50, depth=0.0), 7 + np.arange(50))


def test_accented_pairs_train_on_the_retimed_motion_and_round_trip(pairs_file, tiny_cache, tmp_path):
    from vimo.data.dataset import WindowCache

    cache = WindowCache.load(tiny_cache)
    pairs = Pairs.load(pairs_file)
    accented = retime_pairs(cache, pairs, depth=0.6, sigma=2.0)
    assert accented.times.shape == (len(pairs.rows), 2, cache.window)
    lengths = cache.sequence_lengths()[pairs.rows[:, 0]]
    assert (accented.times >= 0).all() and (accented.times <= (lengths - 1)[:, None, None]).all()
    idx = torch.arange(len(pairs.rows))
    assert torch.allclose(pairs.motion(cache, idx), cache.batch_rows(pairs.rows), atol=1e-6)
    has_beats = pairs.features[:, 0, :, -1].sum(1) > 0
    retimed = accented.motion(cache, idx)
    assert not torch.allclose(retimed[has_beats], cache.batch_rows(pairs.rows)[has_beats], atol=1e-3)
    accented.save(tmp_path / "accented.safetensors")
    again = Pairs.load(tmp_path / "accented.safetensors")
    assert torch.equal(again.times, accented.times)
    assert torch.allclose(again.motion(cache, idx, 1), accented.motion(cache, idx, 1))


def test_dance_accent_command_writes_retimed_pairs(pairs_file, tiny_cache, tmp_path):
    from typer.testing import CliRunner

    from vimo.cli import app

    out = tmp_path / "accented.safetensors"
    result = CliRunner().invoke(app, ["dance", "accent", str(pairs_file), "-o", str(out), "--data", str(tiny_cache)])
    assert result.exit_code == 0, result.output
    assert "Beat Align" in result.output and Pairs.load(out).times is not None
    bad = CliRunner().invoke(app, ["dance", "accent", str(pairs_file), "-o", str(out), "--depth", "1.5",
                                   "--data", str(tiny_cache)])  # fmt: skip
    assert bad.exit_code != 0 and "--depth 1.5" in bad.output


def test_dance_training_lowers_the_loss_validates_and_resumes(pairs_file, tiny_cache, tmp_path):
    losses = []
    cfg = DanceConfig(model="tiny", pairs=str(pairs_file), batch_size=8, max_steps=60, val_every=60, val_windows=2,
                      val_steps=2, warmup_steps=5, log_every=10, bf16=False)  # fmt: skip
    fit_dance(cfg, tiny_cache, tmp_path / "run", on_step=lambda s, t: losses.append(t["total"]))
    assert np.mean(losses[-10:]) < 0.7 * np.mean(losses[:10])
    val = (tmp_path / "run" / "val.csv").read_text().splitlines()
    assert val[0].split(",") == ["step", "regime", "ba_own_music", "ba_shuffled_music", "ba_ground_truth", "n",
                                 "jitter_own_music", "jitter_ground_truth"]  # fmt: skip
    assert all(float(x) > 0 for x in val[1].split(",")[-2:])
    assert (tmp_path / "run" / MUSIC_NORM).exists()
    saved = json.loads((tmp_path / "run" / "config.json").read_text())
    assert saved["model"] == DANCE_CONFIGS["tiny"].to_dict()
    state = fit_dance(DanceConfig(max_steps=70), tiny_cache, tmp_path / "run", resume=True)
    assert state.step == 70


def test_exported_dance_generates_from_a_song_with_a_music_preview(pairs_file, tiny_cache, tmp_path, monkeypatch):
    import av
    import soundfile
    from typer.testing import CliRunner

    from vimo.cli import app
    from vimo.dance import DanceModel, Music
    from vimo.training.export import export_dance

    cfg = DanceConfig(model="tiny", pairs=str(pairs_file), batch_size=4, max_steps=3, val_every=0, bf16=False)
    fit_dance(cfg, tiny_cache, tmp_path / "run")
    dance = export_dance(tmp_path / "run", tmp_path / "dance")
    again = DanceModel.load(tmp_path / "dance")
    assert torch.equal(again.music_mean, dance.music_mean)
    assert again.model.cfg.cond_dim == FEATURE_DIM
    # the bundle's smoothing is applied to generated dances; 0 gives the sampler's raw output, which jitters more
    again.smooth = 2.0
    again.save(tmp_path / "smoothed")
    smoothed = DanceModel.load(tmp_path / "smoothed")
    assert smoothed.smooth == 2.0
    feats = np.random.default_rng(0).normal(size=(60, FEATURE_DIM)).astype(np.float32)
    cfg_gen = GenerationConfig(steps=2, seed=3, foot_lock=False)
    raw = smoothed.generate(Music(feats, 60), replace(cfg_gen, smooth=0.0)).motions[0]
    soft = smoothed.generate(Music(feats, 60), cfg_gen).motions[0]
    assert jitter(soft.joints()[None]) < 0.5 * jitter(raw.joints()[None])
    with pytest.raises(VimoError, match="--smooth"):
        smoothed.generate(Music(feats, 60), replace(cfg_gen, smooth=-1.0))
    # dances are finished as video motions are: grounded and foot-locked on their predicted contacts
    from vimo.data.synthetic import walking_motion
    from vimo.eval.metrics import foot_skating
    from vimo.representation import to_vector

    m = walking_motion(90)  # its stance foot slides 1-3 cm a frame; label stance (< 4 cm/frame) as contact
    step = np.linalg.norm(np.diff(m.joints()[:, [7, 8, 10, 11]], axis=0), axis=-1)
    m = replace(m, contacts=(np.concatenate([step, step[-1:]]) < 0.04).astype(np.float32))
    walk = torch.from_numpy(to_vector(m))[None]
    free, locked = smoothed.finish(walk, foot_lock=False)[0], smoothed.finish(walk)[0]
    assert foot_skating(locked.joints(), free.contacts) < 0.5 * foot_skating(free.joints(), free.contacts)
    assert abs(locked.joints()[..., 1].min()) < 0.05  # on the floor

    monkeypatch.setenv("HOME", str(tmp_path))  # the feature cache goes under ~/.cache
    song = tmp_path / "song.wav"
    soundfile.write(str(song), _loops()[0].audio, SR)
    result = CliRunner().invoke(app, ["dance", "generate", "--music", str(song), "--model", str(tmp_path / "dance"),
                                      "-o", str(tmp_path / "out"), "--steps", "2", "--seconds", "1.5",
                                      "--no-foot-lock"])  # fmt: skip
    assert result.exit_code == 0, result.output
    joints = np.load(tmp_path / "out" / "motion.npz")["joints"]
    assert joints.shape == (45, 24, 3) and np.isfinite(joints).all()
    with av.open(str(tmp_path / "out" / "preview.mp4")) as c:
        assert len(c.streams.video) == 1 and len(c.streams.audio) == 1
        assert sum(1 for _ in c.decode(video=0)) == 45
    # `vimo dance --music SONG -o OUT` is `generate` with its defaults (the shipped base model)
    result = CliRunner().invoke(app, ["dance", "--music", str(song), "-o", str(tmp_path / "short"), "--seconds", "1"])
    assert result.exit_code == 0, result.output
    assert np.load(tmp_path / "short" / "motion.npz")["joints"].shape == (30, 24, 3)
    half = CliRunner().invoke(app, ["dance", "--music", str(song)])
    assert half.exit_code == 2 and "-o OUTDIR" in half.output
    bad = CliRunner().invoke(app, ["dance", "generate", "--music", str(tmp_path / "none.ogg"), "--model",
                                   str(tmp_path / "dance"), "-o", str(tmp_path / "o2")])  # fmt: skip
    assert bad.exit_code != 0 and "none.ogg" in bad.output and "Traceback" not in bad.output


def test_a_dance_run_can_start_from_an_exported_dance_model(pairs_file, tiny_cache, tmp_path):
    from safetensors.torch import load_file

    from vimo.training.export import export_dance

    cfg = DanceConfig(model="tiny", pairs=str(pairs_file), batch_size=4, max_steps=3, val_every=0, bf16=False)
    fit_dance(cfg, tiny_cache, tmp_path / "run")
    export_dance(tmp_path / "run", tmp_path / "dance")
    fit_dance(replace(cfg, max_steps=0), tiny_cache, tmp_path / "again", init=tmp_path / "dance")
    shipped = load_file(str(tmp_path / "dance.safetensors"))
    started = load_file(str(tmp_path / "again" / "checkpoint.safetensors"))
    names = [k for k in shipped if k.startswith("model.")]
    assert names and all(torch.equal(shipped[k], started[k]) for k in names if k in started)
    assert sum(k in started for k in names) == len(names)
    assert json.loads((tmp_path / "again" / "config.json").read_text())["init"]["steps"] == 3


def test_a_dance_run_can_start_its_decoder_from_a_keypoint_model(pairs_file, tiny_cache, tiny_bundle, tmp_path):
    from safetensors.torch import load_file

    from vimo.errors import VimoError
    from vimo.models.denoiser import Denoiser, DenoiserConfig
    from vimo.pipeline import ViMo
    from vimo.representation import Normalizer
    from vimo.training.dance import MOTION_PRIOR_MODULES

    cfg = DanceConfig(model="tiny", pairs=str(pairs_file), batch_size=4, max_steps=0, val_every=0, bf16=False,
                      motion_prior=str(tiny_bundle))  # fmt: skip
    fit_dance(cfg, tiny_cache, tmp_path / "run")
    prior = {k[6:]: v for k, v in load_file(str(tiny_bundle.with_suffix(".safetensors"))).items()}
    started = {k[6:]: v for k, v in load_file(str(tmp_path / "run" / "checkpoint.safetensors")).items()
               if k.startswith("model.")}  # fmt: skip
    motion = [k for k in started if k.split(".")[0] in MOTION_PRIOR_MODULES]
    assert "layers.0.self_attn.in_proj_weight" in motion and "motion_out.weight" in motion
    assert all(torch.equal(started[k], prior[k]) for k in motion)
    # the music side is the dance model's own (the keypoint model's condition input has another width)
    assert started["cond_in.0.weight"].shape[1] == FEATURE_DIM != prior["cond_in.0.weight"].shape[1]
    # a keypoint model of another width does not fit
    wide = tmp_path / "wide"
    ViMo(Denoiser(DenoiserConfig(width=48, layers=1, heads=2, ff=64, cond_layers=1)), Normalizer(
        torch.zeros(151), torch.ones(151))).save(wide)  # fmt: skip
    with pytest.raises(VimoError, match="does not fit"):
        fit_dance(replace(cfg, motion_prior=str(wide)), tiny_cache, tmp_path / "run2")
