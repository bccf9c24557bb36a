"""vimo.run: one job for videos and keypoint files; the run owns its output folder (issue 18.2); report.json
records version, weights and files (issue 18.13); the command is a thin layer over the library (issue 21.2)."""

import hashlib
import json

import numpy as np
import pytest
from typer.testing import CliRunner

import vimo
from vimo.bundle import load_generator
from vimo.cli import app
from vimo.data.camera_sim import Regime, SimConfig, simulate
from vimo.data.markers import motion_markers
from vimo.data.synthetic import walking_motion
from vimo.export import remove_stale_outputs
from vimo.generation import GenerationConfig, generate_any
from vimo.io.keypoint_formats import read_keypoints
from vimo.options import ModelKind
from vimo.run import RunConfig, RunReport, run

runner = CliRunner()


@pytest.fixture(scope="module")
def keypoints_file(tmp_path_factory):
    sim = simulate(motion_markers(walking_motion(60)), regime=Regime.MOVING, config=SimConfig(),
                   rng=np.random.default_rng(0))  # fmt: skip
    path = tmp_path_factory.mktemp("kp") / "kp.json"
    sim.to_keypoints().to_json(path)
    return path


def _run_cli(source, out, bundle, *extra):
    res = runner.invoke(app, ["run", str(source), "-o", str(out), "--steps", "2", "--weights", str(bundle), *extra])
    assert res.exit_code == 0, res.output
    return json.loads((out / "report.json").read_text())


def _files(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_rerun_replaces_the_earlier_runs_files_and_nothing_else(tiny_bundle, keypoints_file, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    _run_cli(keypoints_file, out, tiny_bundle, "-k", "2", "--formats", "npz,bvh,glb")
    assert {"motion.bvh", "motion.glb", "sample_0/motion.npz", "sample_1/motion.glb"} <= set(_files(out))
    (out / "sample_1" / "mine.txt").write_text("also mine")  # a user's file inside a folder of ours
    report = _run_cli(keypoints_file, out, tiny_bundle, "-k", "1", "--formats", "npz")
    assert _files(out) == ["motion.npz", "notes.txt", "report.json", "sample_1/mine.txt"]
    assert not (out / "sample_0").exists()  # emptied, so removed
    assert report["files"] == ["motion.npz", "report.json"]


def test_a_report_naming_files_outside_the_folder_removes_nothing_there(tmp_path):
    out, victim = tmp_path / "out", tmp_path / "victim.txt"
    out.mkdir()
    victim.write_text("keep")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "motion.npz").write_text("keep")
    (out / "link").symlink_to(tmp_path / "elsewhere")
    previous = ["../victim.txt", str(victim), "link/motion.npz", "gone.bvh"]
    assert remove_stale_outputs(out, previous, keep=[]) == []
    assert victim.read_text() == "keep" and (tmp_path / "elsewhere" / "motion.npz").exists()


def test_report_records_version_weights_and_every_file_written(tiny_bundle, keypoints_file, tmp_path):
    out = tmp_path / "out"
    report = _run_cli(keypoints_file, out, tiny_bundle, "-k", "2", "--formats", "npz,bvh")
    assert report["vimo_version"] == vimo.__version__
    sha = hashlib.sha256(tiny_bundle.with_suffix(".safetensors").read_bytes()).hexdigest()
    assert report["weights"]["name"] == tiny_bundle.name and report["weights"]["sha256"] == sha
    assert sorted(report["files"]) == _files(out) and report["files"][-1] == "report.json"
    assert report["model"] == "vimo" and report["input_kind"] == "keypoints"


def test_the_command_gives_the_library_functions_motion(tiny_bundle, keypoints_file, tmp_path):
    """`vimo run KP` == run(KP) == generate_any on the same keypoints, within float32 storage noise."""
    _run_cli(keypoints_file, tmp_path / "cli", tiny_bundle, "--seed", "3", "-k", "2")
    config = RunConfig(weights=tiny_bundle, generation=GenerationConfig(samples=2, seed=3, steps=2))
    report = run(keypoints_file, tmp_path / "lib", config)
    assert isinstance(report, RunReport)
    direct = generate_any(load_generator(tiny_bundle), read_keypoints(keypoints_file), config.generation)
    expected = direct.motions[direct.best].joints()
    for folder in ("cli", "lib"):
        joints = np.load(tmp_path / folder / "motion.npz")["joints"]
        assert np.allclose(joints, expected, atol=1e-5), folder
    assert report.best_sample == direct.best


def test_bad_choices_are_refused_before_any_work(tiny_bundle, keypoints_file, tmp_path):
    res = runner.invoke(app, ["run", str(keypoints_file), "-o", str(tmp_path / "o"), "--model", "lifter"])
    assert res.exit_code == 2 and "--model" in res.output
    res = runner.invoke(app, ["run", str(keypoints_file), "-o", str(tmp_path / "o"), "--formats", "npz,fbx",
                              "--weights", str(tiny_bundle)])  # fmt: skip
    assert res.exit_code == 2 and "fbx" in res.output and not (tmp_path / "o").exists()
    with pytest.raises(vimo.errors.VimoError, match="deterministic"):
        run(keypoints_file, tmp_path / "o", RunConfig(model=ModelKind.BASELINE,
                                                      generation=GenerationConfig(samples=2)))  # fmt: skip
    assert not (tmp_path / "o").exists()
