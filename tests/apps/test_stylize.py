"""`vimo stylize`: motions from videos, music from their audio (or soundtracks for silent ones), adaptation.

Two short rendered walks (one with a click track muxed in, one silent), a tiny untrained ViMo bundle for
the motions, a tiny dance base trained for a few steps, and click-track loops for the silent video.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile
import torch
from safetensors.torch import load_file
from typer.testing import CliRunner

from vimo.apps.dataset import DatasetConfig, read_manifest
from vimo.apps.stylize import PAIRS, STYLE, StylePairs, StylizeConfig, stylize
from vimo.cli import app
from vimo.dance import DanceModel, mux_audio
from vimo.data.synthetic import walking_motion
from vimo.errors import VimoError
from vimo.models.adapters import ZeroConvDenoiser
from vimo.music.features import SR
from vimo.training.dance import DanceConfig, build_pairs, fit_dance
from vimo.training.export import export_dance
from vimo.viz.cameras import CameraPath
from vimo.viz.video import render_video

LOOSE = DatasetConfig(samples=1, clip_seconds=2.5, min_clip_seconds=2.0, steps=2, min_pck=0.0, max_foot_skate=1e9,
                      max_jitter=1e9)  # fmt: skip


def _clicks(seconds: float, period: float = 0.5) -> np.ndarray:
    y = np.zeros(int(SR * seconds), np.float32)
    burst = np.exp(-np.arange(600) / 100).astype(np.float32) * np.random.default_rng(0).standard_normal(600)
    for b in (np.arange(0, seconds, period) * SR).astype(int):
        seg = y[b : b + 600]
        seg += burst[: len(seg)].astype(np.float32)
    return y


@pytest.fixture(scope="module")
def setup(tiny_cache, tmp_path_factory):
    from vimo.data.dataset import WindowCache
    from vimo.music.pairing import load_loops

    root = tmp_path_factory.mktemp("style")
    loops = root / "loops"
    loops.mkdir()
    soundfile.write(str(loops / "clicks.wav"), _clicks(4.0), SR)
    pairs = build_pairs(WindowCache.load(tiny_cache), load_loops(loops), variants=1, categories=("",))
    pairs.save(root / "pairs.safetensors")
    cfg = DanceConfig(model="tiny", pairs=str(root / "pairs.safetensors"), batch_size=4, max_steps=3, val_every=0,
                      bf16=False)  # fmt: skip
    fit_dance(cfg, tiny_cache, root / "run")
    export_dance(root / "run", root / "base")
    videos = root / "videos"
    videos.mkdir()
    for name, frames in (("loud", 75), ("silent", 70)):
        cams = CameraPath.static((0.5, 1.2, 5.0), (0.0, 0.9, 0.6), frames=frames, image_size=(320, 240))
        render_video(walking_motion(frames), cams, root / f"{name}_raw.mp4", fps=30)
    mux_audio(root / "loud_raw.mp4", _clicks(2.5), videos / "loud.mp4")
    (root / "silent_raw.mp4").rename(videos / "silent.mp4")
    return root, videos, loops


def _stylize(setup, tiny_bundle, out, method, steps=12):
    root, videos, loops = setup
    config = StylizeConfig(method=method, steps=steps, batch_size=4, soundtracks=2, bf16=False)
    return stylize([videos / "loud.mp4", videos / "silent.mp4"], out, base=root / "base", weights=tiny_bundle,
                   loops=loops, config=config, dataset=LOOSE)  # fmt: skip


@pytest.fixture(scope="module")
def styles(setup, tiny_bundle, tmp_path_factory):
    root = tmp_path_factory.mktemp("styles")
    zc = _stylize(setup, tiny_bundle, root / "zc", "zeroconv")
    ft = _stylize(setup, tiny_bundle, root / "ft", "finetune", steps=6)
    return zc, ft


def test_zeroconv_style_pairs_audio_and_soundtracks_and_keeps_the_base(setup, styles):
    root, _, _ = setup
    report = styles[0]
    out = report.out
    assert report.motions == 2  # one 2.5 s clip per video, one sample each
    pairs = StylePairs.load(out / PAIRS)
    # the loud video: its own audio (1 track) x (motion, mirror); the silent one: 2 soundtracks x 2
    ids = {Path(d["source"]["path"]).stem: d["video"] for d in read_manifest(out / "dataset")}
    loud = [s for s in pairs.sources if s.startswith(ids["loud"])]
    silent = [s for s in pairs.sources if s.startswith(ids["silent"])]
    assert len(loud) == 2 and len(silent) == 4 and all("#track" in s for s in silent)
    assert torch.isfinite(pairs.features).all() and pairs.features[..., -1].sum() > 0  # beats were found
    style = DanceModel.load(out / STYLE)
    assert isinstance(style.model, ZeroConvDenoiser)
    assert style.info["style"]["method"] == "zeroconv"
    # the frozen base inside the style is the base bundle, bit for bit; the adapter's zero layers moved
    base = load_file(str(root / "base.safetensors"))
    saved = load_file(str(out / f"{STYLE}.safetensors"))
    for k, v in base.items():
        if k.startswith("model."):
            assert torch.equal(saved["model.base." + k[6:]], v), k
    assert any(saved[k].abs().sum() > 0 for k in saved if k.startswith("model.zero."))
    rows = (out / "training.csv").read_text().splitlines()
    assert len(rows) == 13 and rows[0].startswith("step,")


def test_finetune_moves_the_base_and_the_style_dances_through_the_cli(setup, styles, tmp_path):
    root, _, loops = setup
    style = DanceModel.load(styles[1].out / STYLE)
    assert not isinstance(style.model, ZeroConvDenoiser)
    base = DanceModel.load(root / "base")
    moved = [not torch.equal(a, b) for a, b in zip(style.model.state_dict().values(), base.model.state_dict().values())]
    assert any(moved)
    result = CliRunner().invoke(app, ["dance", "generate", "--music", str(loops / "clicks.wav"), "--style",
                                      str(styles[1].out), "-o", str(tmp_path / "out"), "--steps", "2",
                                      "--seconds", "1", "--no-preview"])  # fmt: skip
    assert result.exit_code == 0, result.output
    joints = np.load(tmp_path / "out" / "motion.npz")["joints"]
    assert joints.shape == (30, 24, 3) and np.isfinite(joints).all()
    bad = CliRunner().invoke(app, ["dance", "generate", "--music", str(loops / "clicks.wav"), "--style",
                                   str(tmp_path), "-o", str(tmp_path / "o2")])  # fmt: skip
    assert bad.exit_code != 0 and "not a style folder" in bad.output


def test_eval_stylization_writes_table_2(setup, styles, tiny_cache, tmp_path):
    root, _, _ = setup
    zc, ft = styles
    # no --pairs: the base's own training pairs (recorded in its bundle)
    result = CliRunner().invoke(app, ["eval", "stylization", "--style", f"walk={zc.out},{ft.out}", "--base",
                                      str(root / "base"), "--data", str(tiny_cache), "--clips", "4", "--steps", "2",
                                      "-o", str(tmp_path / "rep")])  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "rep" / "stylization.json").read_text())["walk"]
    assert set(report) == {"reference (style motions)", "base", "zeroconv", "finetune"}
    for name in ("base", "zeroconv", "finetune"):
        assert all(np.isfinite(v).all() for v in report[name].values()), report[name]
        low, high = report[name]["ba_gain_ci95"]
        assert low <= report[name]["ba_gain"] <= high
        assert report[name]["ba_gain"] == pytest.approx(report[name]["ba"] - report[name]["ba_shuffled"])
        assert report[name]["n"] == 4
    table = (tmp_path / "rep" / "stylization.md").read_text()
    assert "| walk | zeroconv |" in table and "| walk | finetune |" in table
    bad = CliRunner().invoke(app, ["eval", "stylization", "--style", "nodirs", "-o", str(tmp_path / "r2")])
    assert bad.exit_code != 0 and "NAME=STYLE_DIR" in bad.output


def test_unknown_method_is_a_clear_error():
    with pytest.raises(VimoError, match="unknown --method"):
        StylizeConfig(method="magic")


def test_the_shuffled_music_control_never_pairs_a_clip_with_its_own_music():
    from vimo.eval.stylization import other_music

    # two clips of one video, 2 samples each, each with its mirror (same music) and 2 tracks
    sources = [f"v/c{c}/{k}{m}#track{t}" for c in (0, 1) for k in (0, 1) for t in (0, 1) for m in ("", "#mirror")]
    order = other_music(sources)
    clip = lambda s: s.split("#")[0].rsplit("/", 1)[0]  # noqa: E731
    assert all(clip(sources[j]) != clip(sources[i]) for i, j in enumerate(order))
    # one clip only (a single short video): another motion's music, never a row's own (or its mirror's)
    single = [s for s in sources if s.startswith("v/c0/")]
    order = other_music(single)
    assert all(single[j].split("#")[0] != single[i].split("#")[0] for i, j in enumerate(order))


def test_stylize_command_takes_the_videos_after_one_videos_flag(setup, tmp_path):
    from vimo.apps.stylize import DEFAULT_LOOPS

    if not DEFAULT_LOOPS.is_dir():
        pytest.skip(f"needs ../shared (the CC0 loops in {DEFAULT_LOOPS})")
    root, videos, _ = setup
    out = tmp_path / "style"
    # the form, `--videos V1 V2`, with the shipped keypoint model building the motions
    result = CliRunner().invoke(app, ["stylize", "--videos", str(videos / "loud.mp4"), str(videos / "silent.mp4"),
                                      "-o", str(out), "--base", str(root / "base"), "--steps", "2", "--samples", "1",
                                      "--min-pck", "0"])  # fmt: skip
    assert result.exit_code == 0, result.output
    info = json.loads((out / "style.json").read_text())["info"]["style"]
    assert len(info["videos"]) == 2 and info["method"] == "zeroconv"
    none = CliRunner().invoke(app, ["stylize", "-o", str(tmp_path / "none")])
    assert none.exit_code == 2 and "no videos" in none.output
