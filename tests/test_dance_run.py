"""vimo.dance_run: `vimo dance` as one library job that owns its output folder like `vimo run` (issue 18.2/18.13)."""

import hashlib
import json

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

import vimo
from vimo.cli import app
from vimo.dance import DanceModel
from vimo.dance_run import DanceRunConfig, dance_to_music
from vimo.errors import VimoError
from vimo.generation import GenerationConfig
from vimo.models.denoiser import Denoiser
from vimo.music.features import FEATURE_DIM, SR
from vimo.representation import DIM, Normalizer
from vimo.training.dance import DANCE_CONFIGS

SONG_SECONDS = 2.0
CLICKS_PER_SECOND = 2


@pytest.fixture(scope="module")
def dance_bundle(tmp_path_factory):
    """An untrained tiny dance bundle (identity normalisers): exercises the plumbing, not the model."""
    torch.manual_seed(0)
    prefix = tmp_path_factory.mktemp("w") / "dance"
    DanceModel(Denoiser(DANCE_CONFIGS["tiny"]).eval(), Normalizer(torch.zeros(DIM), torch.ones(DIM)),
               torch.zeros(FEATURE_DIM), torch.ones(FEATURE_DIM)).save(prefix)  # fmt: skip
    return prefix


@pytest.fixture
def song(tmp_path, monkeypatch):
    import soundfile

    monkeypatch.setenv("HOME", str(tmp_path))  # the music feature cache goes under ~/.cache
    t = np.arange(int(SONG_SECONDS * SR)) / SR
    clicks = (np.sin(2 * np.pi * 880 * t) * (np.mod(t * CLICKS_PER_SECOND, 1.0) < 0.05)).astype(np.float32)
    path = tmp_path / "song.wav"
    soundfile.write(str(path), clicks, SR)
    return path


def _dance(song, out, bundle, *extra):
    res = CliRunner().invoke(app, ["dance", "generate", "--music", str(song), "-o", str(out), "--model", str(bundle),
                                   "--steps", "2", "--no-preview", *extra])  # fmt: skip
    assert res.exit_code == 0, res.output
    return json.loads((out / "report.json").read_text())


def _files(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_a_dance_folder_is_owned_like_a_run_folder(dance_bundle, song, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    first = _dance(song, out, dance_bundle, "--samples", "2", "--formats", "npz,bvh")
    assert first["files"] == ["motion.npz", "motion.bvh", "sample_1/motion.npz", "sample_1/motion.bvh", "report.json"]
    report = _dance(song, out, dance_bundle, "--formats", "npz")
    assert _files(out) == ["motion.npz", "notes.txt", "report.json"]
    assert report["vimo_version"] == vimo.__version__ and report["samples"] == 1
    sha = hashlib.sha256(dance_bundle.with_suffix(".safetensors").read_bytes()).hexdigest()
    assert report["weights"] == {"name": dance_bundle.name, "sha256": sha, "run": None}
    assert abs(report["frames"] - SONG_SECONDS * 30) <= 1 and report["guidance"] == 2.0  # the whole song


def test_the_command_gives_the_library_functions_dances(dance_bundle, song, tmp_path):
    _dance(song, tmp_path / "cli", dance_bundle, "--seed", "4", "--seconds", "1")
    config = DanceRunConfig(
        model=dance_bundle, seconds=1.0, preview=False, generation=GenerationConfig(seed=4, steps=2)
    )
    report = dance_to_music(song, tmp_path / "lib", config)
    assert report.frames == 30
    cli, lib = (np.load(tmp_path / d / "motion.npz")["joints"] for d in ("cli", "lib"))
    assert np.array_equal(cli, lib)


def test_bad_options_are_refused_before_any_work(dance_bundle, song, tmp_path):
    with pytest.raises(VimoError, match="not a style folder"):
        dance_to_music(song, tmp_path / "o", DanceRunConfig(style=tmp_path))
    with pytest.raises(VimoError, match="--seconds"):
        dance_to_music(song, tmp_path / "o", DanceRunConfig(model=dance_bundle, seconds=-1.0))
    assert not (tmp_path / "o").exists()
