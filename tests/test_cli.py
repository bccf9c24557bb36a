import json

import numpy as np
import pytest
from typer.testing import CliRunner

from vimo.cli import app
from vimo.data.camera_sim import Regime, SimConfig, simulate
from vimo.data.markers import motion_markers
from vimo.data.synthetic import walking_motion
from vimo.keypoints import COCO17_NAMES
from vimo.models.denoiser import CONFIGS
from vimo.pipeline import ViMo

runner = CliRunner()


@pytest.fixture(scope="module")
def keypoints_file(tmp_path_factory):
    sim = simulate(motion_markers(walking_motion(200)), regime=Regime.MOVING, config=SimConfig(),
                   rng=np.random.default_rng(0))  # fmt: skip
    path = tmp_path_factory.mktemp("kp") / "kp.json"
    sim.to_keypoints().to_json(path)
    return path


def _leaf_commands():
    import typer.main

    root = typer.main.get_command(app)
    for name, cmd in root.commands.items():
        subs = getattr(cmd, "commands", None)
        if subs:
            yield from ([name, sub] for sub in subs)
        else:
            yield [name]


def test_help_lists_every_command_with_an_example():
    res = runner.invoke(app, ["--help"])
    assert res.exit_code == 0
    leaves = list(_leaf_commands())
    assert ["run"] in leaves and ["data", "prepare"] in leaves and len(leaves) >= 8
    for path in leaves:
        assert path[0] in res.output
        out = runner.invoke(app, [*path, "--help"]).output
        assert "Example" in out, path


def test_run_writes_motion_files_samples_and_report(tiny_bundle, keypoints_file, tmp_path):
    out = tmp_path / "out"
    res = runner.invoke(app, ["run", str(keypoints_file), "-o", str(out), "--samples", "2", "--steps", "3",
                              "--weights", str(tiny_bundle), "--formats", "npz,bvh,glb"])  # fmt: skip
    assert res.exit_code == 0, res.output
    data = np.load(out / "motion.npz")
    assert data["joints"].shape == (200, 24, 3) and data["joints"].dtype == np.float32
    assert data["rotations"].shape == (200, 24, 3, 3)
    assert data["root_pos"].shape == (200, 3) and data["contacts"].shape == (200, 4)
    assert float(data["fps"]) == 30.0
    assert (out / "motion.bvh").exists() and (out / "motion.glb").exists()
    for k in (0, 1):
        assert (out / f"sample_{k}" / "motion.npz").exists()
    report = json.loads((out / "report.json").read_text())
    assert report["best_sample"] in (0, 1) and len(report["samples"]) == 2
    skate = report["samples"][0]["foot_skate_m_s"]
    assert skate["after_lock"] <= skate["before_lock"] + 1e-6
    best = np.load(out / f"sample_{report['best_sample']}" / "motion.npz")
    assert np.array_equal(best["joints"], data["joints"])
    assert report["smooth"] == 1.0  # the bundle's default (none stored in the tiny bundle)


def test_run_smooths_in_time_by_default_and_smooth_0_gives_the_raw_samples(tiny_bundle, keypoints_file, tmp_path):
    from vimo.eval.metrics import jitter

    joints = {}
    for sigma in ("0", "2"):
        res = runner.invoke(app, ["run", str(keypoints_file), "-o", str(tmp_path / sigma), "--steps", "3",
                                  "--weights", str(tiny_bundle), "--no-foot-lock", "--smooth", sigma])  # fmt: skip
        assert res.exit_code == 0, res.output
        joints[sigma] = np.load(tmp_path / sigma / "motion.npz")["joints"]
    assert jitter(joints["2"][None]) < 0.5 * jitter(joints["0"][None])
    res = runner.invoke(app, ["run", str(keypoints_file), "-o", str(tmp_path / "bad"), "--steps", "3",
                              "--weights", str(tiny_bundle), "--smooth", "-1"])  # fmt: skip
    assert res.exit_code == 2 and "--smooth must be >= 0" in res.output and "Traceback" not in res.output


@pytest.mark.parametrize(
    "content, needle",
    [
        ("{not json", "kp.json"),
        (
            json.dumps(
                {
                    "format": "vimo-keypoints/1",
                    "fps": 30,
                    "image_size": [640, 480],
                    "joint_names": list(COCO17_NAMES),
                    "frames": [[[1, 2, 1]] * 16],
                }
            ),
            "16",
        ),  # fmt: skip
    ],
)
def test_run_rejects_malformed_keypoints_with_one_line(tiny_bundle, tmp_path, content, needle):
    bad = tmp_path / "kp.json"
    bad.write_text(content)
    res = runner.invoke(app, ["run", str(bad), "-o", str(tmp_path / "o"), "--weights", str(tiny_bundle)])
    assert res.exit_code == 2
    assert needle in res.output and "Traceback" not in res.output
    assert len(res.output.strip().splitlines()) == 1
    assert not (tmp_path / "o" / "motion.npz").exists()


def test_run_rejects_unwritable_output(tiny_bundle, keypoints_file, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    res = runner.invoke(app, ["run", str(keypoints_file), "-o", str(blocker / "sub"), "--weights", str(tiny_bundle)])
    assert res.exit_code == 2 and "not writable" in res.output


def test_export_bundle_round_trip(tmp_path):
    import dataclasses

    from vimo.data.prepare import PrepareConfig, write_cache
    from vimo.data.synthetic import random_motion
    from vimo.representation import to_vector
    from vimo.training.trainer import TrainConfig, fit

    v = to_vector(random_motion(40).with_contacts())
    write_cache(tmp_path / "c", [{"split": "train", "frames": 40}], [v], config=PrepareConfig(window=30, stride=10))
    cfg = dataclasses.replace(TrainConfig(model="tiny", batch_size=2, val_every=0, bf16=False), max_steps=2)
    fit(cfg, tmp_path / "c", tmp_path / "run")
    res = runner.invoke(app, ["export", str(tmp_path / "run"), "-o", str(tmp_path / "w" / "m")])
    assert res.exit_code == 0, res.output
    loaded = ViMo.load(tmp_path / "w" / "m")
    assert loaded.info["step"] == 2 and loaded.model.cfg.width == CONFIGS["tiny"].width


def test_generation_reports_progress_per_window(tiny_bundle, keypoints_file):
    from vimo.generation import GenerationConfig
    from vimo.keypoints import Keypoints2D
    from vimo.pipeline import ViMo, generate
    from vimo.stitching import window_starts

    vimo = ViMo.load(tiny_bundle)
    kp = Keypoints2D.from_json(keypoints_file)
    calls = []
    config = GenerationConfig(steps=2)
    generate(vimo, kp, config, progress=lambda done, total: calls.append((done, total)))
    n = len(window_starts(kp.num_frames, vimo.model.cfg.max_frames, config.overlap))
    assert n > 1 and calls == [(i + 1, n) for i in range(n)]
