"""`vimo run VIDEO` end to end on a short rendered clip (tiny model), and bad video inputs."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from vimo.cli import app
from vimo.data.synthetic import walking_motion
from vimo.viz.cameras import CameraPath
from vimo.viz.video import render_video

runner = CliRunner()


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    motion = walking_motion(45)
    cams = CameraPath.static((0.5, 1.2, 5.0), (0.0, 0.9, 0.6), frames=45, image_size=(320, 240))
    path = tmp_path_factory.mktemp("v") / "walk.mp4"
    render_video(motion, cams, path, fps=30)
    return path


def test_run_video_writes_everything(tiny_bundle, clip, tmp_path):
    out = tmp_path / "out"
    res = runner.invoke(app, ["run", str(clip), "-o", str(out), "--steps", "2", "--weights", str(tiny_bundle)])
    assert res.exit_code == 0, res.output
    for name in ("keypoints.json", "motion.npz", "motion.bvh", "preview.mp4", "report.json"):
        assert (out / name).exists(), name
    report = json.loads((out / "report.json").read_text())
    assert report["frames"] == 45
    assert report["coverage"]["detected"] > 0.8
    assert {"extract_s", "generate_s", "preview_s"} <= set(report["timings_s"])
    joints = np.load(out / "motion.npz")["joints"]
    assert joints.shape == (45, 24, 3) and np.isfinite(joints).all()


@pytest.mark.parametrize("content", [b"", b"this is not a video at all" * 100])
def test_bad_video_is_one_line_and_writes_nothing(tiny_bundle, tmp_path, content):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(content)
    out = tmp_path / "out"
    res = runner.invoke(app, ["run", str(bad), "-o", str(out), "--weights", str(tiny_bundle)])
    assert res.exit_code == 2 and "bad.mp4" in res.output and "Traceback" not in res.output
    assert len(res.output.strip().splitlines()) == 1
    assert not any(p.is_file() for p in out.rglob("*")) if out.exists() else True


def test_keypoint_only_flags_rejected_for_keypoints(tiny_bundle, tmp_path):
    kp = tmp_path / "kp.json"
    kp.write_text("{}")
    res = runner.invoke(app, ["run", str(kp), "-o", str(tmp_path / "o"), "--person", "2"])
    assert res.exit_code == 2 and "videos" in res.output


def test_preview_panel_frames_kept_from_the_pose_pass_match_a_fresh_decode(clip):
    """The preview reuses the frames the pose pass decoded (no third decode) while they fit the budget, and
    decodes again past it; both give the same panels."""
    from vimo.video.extract import extract_keypoints
    from vimo.video_run import PanelFrames, _overlay_frames

    kept = PanelFrames(height=120)
    extraction = extract_keypoints(clip, on_frame=kept)
    reused = list(_overlay_frames(extraction, height=120, kept=kept))
    decoded = list(_overlay_frames(extraction, height=120))
    assert len(reused) == len(decoded) == 45
    assert reused[0].shape == decoded[0].shape == (120, 160, 3)
    diff = np.abs(np.stack(reused).astype(int) - np.stack(decoded).astype(int))
    assert diff.mean() < 3.0  # two resamplers, same pictures and skeletons

    small = PanelFrames(height=120, budget_mb=10 * 120 * 160 * 3 / 2**20)  # room for 10 frames
    extract_keypoints(clip, on_frame=small)
    assert small.take(45) is None  # let go past the budget
    assert len(list(_overlay_frames(extraction, height=120, kept=small))) == 45


def _frames(n, colour=(90, 120, 150)):
    img = np.zeros((240, 320, 3), np.uint8)
    img[:] = colour
    return [img.copy() for _ in range(n)]


@pytest.mark.parametrize("case", ["one_frame", "no_person", "truncated", "unwritable"])
def test_bad_video_inputs_give_one_line_exit_2_and_leave_nothing(tiny_bundle, clip, tmp_path, case):
    """Issue 4: each bad input is one line naming the problem, a non-zero exit, and no files left behind."""
    from vimo.video.writer import write_video

    out = tmp_path / "out"
    video, expect = tmp_path / f"{case}.mp4", f"{case}.mp4"
    if case == "one_frame":
        write_video(_frames(1), video, fps=30)
        expect = "single frame"
    elif case == "no_person":
        write_video(_frames(20), video, fps=30)
        expect = "no person detected"
    elif case == "truncated":
        data = clip.read_bytes()
        video.write_bytes(data[: len(data) // 3])  # the index (moov) is at the end: cut off
    else:
        video = clip
        (tmp_path / "blocker").write_text("x")
        out, expect = tmp_path / "blocker" / "sub", "not writable"
    res = runner.invoke(app, ["run", str(video), "-o", str(out), "--steps", "2", "--weights", str(tiny_bundle)])
    assert res.exit_code == 2, res.output
    errors = [line for line in res.output.splitlines() if not line.startswith("extracting 2D poses")]  # progress
    assert len(errors) == 1 and errors[0].startswith("error:") and expect in errors[0], res.output
    assert "Traceback" not in res.output
    if out.exists() and out.is_dir():
        assert not any(p.is_file() for p in out.rglob("*")), list(out.rglob("*"))


def test_video_and_keypoint_runs_write_one_report_layout(tiny_bundle, clip, tmp_path):
    """Issue 21.2: a video and its keypoint file give report.json files with the same keys and the same meaning
    of "model" (the kind; the training run is under "weights")."""
    from vimo.generation import GenerationConfig
    from vimo.run import RunConfig, run

    config = RunConfig(weights=tiny_bundle, generation=GenerationConfig(steps=2), preview=False)
    run(clip, tmp_path / "video", config)
    run(tmp_path / "video" / "keypoints.json", tmp_path / "kp", config)
    video, kp = (json.loads((tmp_path / d / "report.json").read_text()) for d in ("video", "kp"))
    assert set(video) == set(kp)
    assert video["model"] == kp["model"] == "vimo" and video["weights"] == kp["weights"]
    assert video["input_kind"] == "video" and kp["input_kind"] == "keypoints"
    assert video["files"] == ["keypoints.json", "motion.npz", "motion.bvh", "report.json"]
    assert kp["coverage"] is None and video["coverage"]["detected"] > 0.8
