"""Output conventions of `vimo run` (issue 18, points 10, 11, 12, 14, 15): BVH in metres (cm on request), the
npz layout on request, the input's soundtrack in the preview, the CMU credit line, shipped files found
wherever the user stands."""

import re
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from vimo.cli import app
from vimo.data.camera_sim import Regime, SimConfig, simulate
from vimo.data.markers import motion_markers
from vimo.data.synthetic import walking_motion
from vimo.io.bvh import read_bvh
from vimo.io.smpl_npz import read_smpl_npz

runner = CliRunner()
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def keypoints_file(tmp_path_factory):
    sim = simulate(motion_markers(walking_motion(60)), regime=Regime.STATIC, config=SimConfig(),
                   rng=np.random.default_rng(0))  # fmt: skip
    path = tmp_path_factory.mktemp("kp") / "kp.json"
    sim.to_keypoints().to_json(path)
    return path


def _run(keypoints_file, tiny_bundle, out, *extra):
    res = runner.invoke(app, ["run", str(keypoints_file), "-o", str(out), "--steps", "2",
                              "--weights", str(tiny_bundle), *extra])  # fmt: skip
    assert res.exit_code == 0, res.output
    return res


def _leg_length(path: Path) -> float:
    """Pelvis-to-ankle rest length of a written BVH, in its own units."""
    bvh = read_bvh(path)
    rest = bvh.rest_positions()
    return float(np.linalg.norm(rest[bvh.names.index("left_ankle")] - rest[bvh.names.index("pelvis")]))


def test_bvh_is_in_metres_by_default_and_centimetres_on_request(keypoints_file, tiny_bundle, tmp_path):
    _run(keypoints_file, tiny_bundle, tmp_path / "m")
    assert 0.7 < _leg_length(tmp_path / "m" / "motion.bvh") < 1.1  # a person's leg, in metres
    _run(keypoints_file, tiny_bundle, tmp_path / "cm", "--bvh-units", "cm")
    assert 70 < _leg_length(tmp_path / "cm" / "motion.bvh") < 110


@pytest.mark.parametrize(
    ("layout", "keys"),
    [
        (
            "vimo",
            {"joints", "rotations", "root_pos", "contacts", "fps", "poses", "trans", "betas", "gender", "joint_names"},
        ),
        ("amass", {"poses", "trans", "mocap_framerate", "betas", "gender"}),
        ("aist", {"smpl_poses", "smpl_trans", "smpl_scaling"}),
    ],
)
def test_npz_layout_is_chosen_with_npz(keypoints_file, tiny_bundle, tmp_path, layout, keys):
    _run(keypoints_file, tiny_bundle, tmp_path / layout, "--npz", layout, "--formats", "npz")
    path = tmp_path / layout / "motion.npz"
    assert set(np.load(path).files) == keys
    vimo = read_smpl_npz(tmp_path / layout / "motion.npz")
    assert vimo.fps == (60.0 if layout == "aist" else 30.0)
    if layout == "amass":  # Z up: the pelvis height is trans' third coordinate
        trans = np.load(path)["trans"]
        assert np.abs(trans[:, 2]).mean() > np.abs(trans[:, 1]).mean()


def test_readme_documents_the_layouts_and_units():
    readme = (REPO / "README.md").read_text()
    for text in ("--npz amass", "--npz aist", "--npz vimo", "--bvh-units cm", "mocap_framerate", "**metres**"):
        assert text in readme, text


CMU_CREDIT = (
    "The data used in this project was obtained from mocap.cs.cmu.edu. The database was created with funding "
    "from NSF EIA-0196217."
)


def test_readme_gives_the_cmu_credit_line_exactly():
    readme = (REPO / "README.md").read_text()
    assert CMU_CREDIT in readme.splitlines()
    assert "mocap.cmu.edu" not in readme
    shared = REPO.parent / "shared" / "data" / "mocap" / "README.md"
    if shared.exists():  # the line the licence asks for, as the data's README gives it
        asked = re.search(r'"(The data used in this project.*?)"', shared.read_text(), re.S)
        assert asked and " ".join(asked.group(1).split()) == CMU_CREDIT


def test_the_shipped_baseline_is_found_from_any_folder(keypoints_file, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = runner.invoke(app, ["run", str(keypoints_file), "-o", "out", "--model", "baseline", "--formats", "npz"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "out" / "motion.npz").exists()


def test_every_shipped_default_is_absolute_and_present():
    import typer.main

    from vimo import paths

    for prefix in (paths.VIMO_WEIGHTS, paths.BASELINE_WEIGHTS, paths.DANCE_WEIGHTS):
        assert prefix.is_absolute() and prefix.with_suffix(".json").exists(), prefix
    root = typer.main.get_command(app)
    defaults = []
    for cmd in [root, *root.commands.values()]:
        for sub in [cmd, *getattr(cmd, "commands", {}).values()]:
            defaults += [p.default for p in sub.params if isinstance(p.default, (str, Path))]
    relative = [d for d in defaults if re.match(r"^(\.\./shared|weights/)", str(d))]
    assert not relative, relative


def _tone_clip(path: Path, seconds_silent: float) -> None:
    """A rendered walk with a soundtrack: silence for ``seconds_silent`` s, then a loud 440 Hz tone."""
    from vimo.video.audio import AAC_RATE, mux_audio
    from vimo.viz.cameras import CameraPath
    from vimo.viz.video import render_video

    motion = walking_motion(60)
    cams = CameraPath.static((0.5, 1.2, 5.0), (0.0, 0.9, 0.6), frames=60, image_size=(160, 120))
    silent = render_video(motion, cams, path.with_name("silent.mp4"), fps=30)
    t = np.arange(int(2.0 * AAC_RATE)) / AAC_RATE
    audio = (0.5 * np.sin(2 * np.pi * 440 * t) * (t >= seconds_silent)).astype(np.float32)
    mux_audio(silent, audio, path)


def test_the_preview_carries_the_inputs_soundtrack_over_the_same_span(tiny_bundle, tmp_path):
    from vimo.video.audio import read_soundtrack

    clip = tmp_path / "dance.mp4"
    _tone_clip(clip, seconds_silent=1.0)
    out = tmp_path / "out"
    res = runner.invoke(app, ["run", str(clip), "-o", str(out), "--steps", "2", "--weights", str(tiny_bundle),
                              "--start", "1.0", "--formats", "npz"])  # fmt: skip
    assert res.exit_code == 0, res.output
    track = read_soundtrack(out / "preview.mp4")
    assert track is not None, "the preview has no audio track"
    assert 0.8 < len(track) / 44100 < 1.2  # the second of the clip that was run
    assert np.sqrt(np.mean(track[2000:20000] ** 2)) > 0.2  # the tone (from 1 s in the input) starts at once
    # a video without a soundtrack gives a silent preview
    silent = tmp_path / "silent.mp4"
    res = runner.invoke(app, ["run", str(silent), "-o", str(tmp_path / "out2"), "--steps", "2",
                              "--weights", str(tiny_bundle), "--formats", "npz"])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert read_soundtrack(tmp_path / "out2" / "preview.mp4") is None
