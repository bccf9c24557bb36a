"""What the command line prints (issue 18, points 5 and 7): user strings as they are (never as Rich markup),
warnings on the console and not only in report.json, click's own errors as one line."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from vimo.cli import app
from vimo.keypoints import Keypoints2D

runner = CliRunner()


def _keypoints(path, *, scale=1.0, seen_frames=None):
    rng = np.random.default_rng(1)
    data = rng.uniform(100, 300, (40, 17, 3)).astype(np.float32)
    data[..., :2] *= scale
    data[..., 2] = 0.9
    if seen_frames is not None:
        data[seen_frames:, :, 2] = 0.0
    Keypoints2D(data, 30.0, (640, 480)).to_json(path)
    return path


@pytest.mark.parametrize("name", ["[/x] kp.json", "[red]kp.json", "[bold]"])
def test_paths_with_brackets_print_as_they_are(tiny_bundle, tmp_path, name):
    src = _keypoints(tmp_path / name)
    out = tmp_path / f"out {name.replace('.json', '')} [/x]"
    res = runner.invoke(app, ["run", str(src), "-o", str(out), "--steps", "2", "--weights", str(tiny_bundle),
                              "--formats", "npz"])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert str(out) in res.stderr.replace("\n", "")  # the folder, literally
    assert json.loads((out / "report.json").read_text())["input"] == str(src)
    # an error naming it keeps every bracket, and a message's own brackets too
    bad = tmp_path / f"{name}.broken.json"
    bad.write_text('{"format": "vimo-keypoints/1", "fps": 30, "image_size": [9, 9], "joint_names": []}')
    res = runner.invoke(app, ["run", str(bad), "-o", str(tmp_path / "o2")])
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert str(bad) in res.stderr and "missing field(s) frames" in res.stderr


def test_a_message_keeps_its_bracketed_text(tmp_path):
    kp = _keypoints(tmp_path / "kp.json")
    doc = json.loads(kp.read_text())
    doc["frames"][3][5] = [1, 2]
    kp.write_text(json.dumps(doc))
    res = runner.invoke(app, ["run", str(kp), "-o", str(tmp_path / "out")])
    assert res.exit_code == 2
    assert "expected [x, y, conf] numbers, got [1, 2]" in res.stderr


def test_warnings_are_printed_on_the_console_too(tiny_bundle, tmp_path):
    src = _keypoints(tmp_path / "far.json", scale=1e10, seen_frames=10)
    res = runner.invoke(app, ["run", str(src), "-o", str(tmp_path / "out"), "--steps", "2", "--weights",
                              str(tiny_bundle), "--formats", "npz"])  # fmt: skip
    assert res.exit_code == 0, res.output
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert len(report["warnings"]) == 2
    for warning in report["warnings"]:
        assert f"warning: {warning}" in res.stderr.replace("\n", "")
    assert "far outside the 640x480 image" in report["warnings"][0]
    assert "a pose is seen on 25% of the 40 frames" in report["warnings"][1]


def test_click_errors_are_one_line_naming_the_option(tmp_path):
    for args, option in ((["run", "x.json", "-o", "o", "--steps", "zero"], "--steps"),
                         (["run", "x.json", "-o", "o", "--seed", str(2**70)], "--seed"),
                         (["dance", "generate", "--music", "x.ogg", "-o", "o", "--samples", "0"], "--samples"),
                         (["run", "x.json", "--no-such-option"], "--no-such-option")):  # fmt: skip
        res = runner.invoke(app, args)
        lines = res.stderr.strip().splitlines()
        assert res.exit_code == 2 and len(lines) == 1 and option in lines[0], res.stderr
        assert lines[0].startswith("error: ")


def test_progress_and_stage_labels_print_as_they_are():
    from vimo.cli.root import progress_bar, status_stages, task_progress

    with status_stages() as stage:
        stage("[/x] reading [red]clip.mp4")
    with progress_bar() as bar:
        task_progress(bar, "dancing [/x] song.ogg (windows)")(1, 2)
