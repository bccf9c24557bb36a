"""Every command on a corpus of generated bad inputs (issue 18): each case must exit non-zero with one line on
stderr that names the file or option, print no traceback, and leave nothing in its folder that was not there
before. The inputs are tiny and every case fails before a model is loaded, or loads the tiny test bundle."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from vimo.cli import app
from vimo.data.synthetic import walking_motion
from vimo.io.bvh import write_bvh
from vimo.keypoints import Keypoints2D

runner = CliRunner()


def _keypoints(
    path: Path, *, fps: float = 30.0, conf: float = 0.9, scale: float = 1.0, nan: bool = False, frames: int = 40
) -> None:
    rng = np.random.default_rng(0)
    data = rng.uniform(100, 300, (40, 17, 3)).astype(np.float32)
    data[..., 2] = conf
    Keypoints2D(data, 30.0, (640, 480)).to_json(path)
    doc = json.loads(path.read_text())
    doc["fps"] = fps
    doc["frames"] = [[[x * scale, y * scale, c] for x, y, c in frame] for frame in doc["frames"][:frames]]
    if nan:
        doc["frames"][5][3][0] = float("nan")
    path.write_text(json.dumps(doc))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, tiny_bundle) -> Path:
    """The bad inputs (and a few good ones to pair with bad options), in one folder that no case writes to."""
    c = tmp_path_factory.mktemp("corpus")
    for name in ("empty.json", "empty.mp4", "empty.bvh", "empty.npz", "empty.wav"):
        (c / name).write_bytes(b"")
    (c / "text.mp4").write_text("this is not a video at all\n" * 50)
    (c / "text.npz").write_text("hello, I am text\n")
    (c / "text.wav").write_text("not audio either\n" * 20)
    (c / "[red]clip.json").write_text("not json [x, y, conf]")
    (c / "[-x] clip.mp4").write_text("nope")
    (c / "nested.json").write_text("[" * 100_000 + "]" * 100_000)
    (c / "notes.txt").write_text("a plain text file")
    _keypoints(c / "kp.json")
    _keypoints(c / "nan.json", nan=True)
    _keypoints(c / "zeroconf.json", conf=0.0)
    _keypoints(c / "fast.json", fps=1e9)
    _keypoints(c / "huge.json", scale=1e300)  # beyond float32
    _keypoints(c / "one.json", frames=1)
    _keypoints(c / "none.json", frames=0)
    write_bvh(walking_motion(64), c / "short.bvh")
    write_bvh(walking_motion(200), c / "walk.bvh")
    text = (c / "walk.bvh").read_text()
    (c / "zero.bvh").write_text(text.partition("MOTION")[0] + "MOTION\nFrames: 0\nFrame Time: 0.0333333\n")
    (c / "truncated.bvh").write_text(text[: len(text) // 2])
    (c / "badfiles").mkdir()
    (c / "badfiles" / "a.bvh").write_text("HIERARCHY\nROOT hip\n{\n")
    (c / "badfiles" / "b.npz").write_text("text")
    (c / "style").mkdir()  # a folder that is not a style
    (c / "text-bundle.json").write_text('{"kind": "vimo"}')  # bundles: weights that are text,
    (c / "text-bundle.safetensors").write_text("not tensors")
    (c / "deep-bundle.json").write_text("[" * 100_000 + "]" * 100_000)  # a config nested too deeply,
    (c / "deep-bundle.safetensors").write_bytes(tiny_bundle.with_suffix(".safetensors").read_bytes())
    (c / "shapeless.json").write_text('{"kind": "vimo"}')  # a config without the model's shape
    (c / "shapeless.safetensors").write_bytes(tiny_bundle.with_suffix(".safetensors").read_bytes())
    os.mkfifo(c / "pipe.json")  # read forever if it were read like a file
    os.mkfifo(c / "pipe.bvh")
    return c


@dataclass(frozen=True)
class Case:
    id: str
    args: tuple[str, ...]  # {c}: the corpus, {w}: the case's own folder, {bundle}: the tiny test bundle
    names: str  # what the one line must name (the file or the option)
    setup: tuple[str, ...] = field(default=())  # files made in {w} before the run ("dir/" for a folder)


RUN = ("run",)
CASES = [
    # vimo run: bad inputs
    Case("run-empty-json", (*RUN, "{c}/empty.json", "-o", "{w}/out"), "empty.json"),
    Case("run-nested-json", (*RUN, "{c}/nested.json", "-o", "{w}/out"), "nested.json"),
    Case("run-nan-keypoints", (*RUN, "{c}/nan.json", "-o", "{w}/out"), "nan.json"),
    Case("run-zero-confidence", (*RUN, "{c}/zeroconf.json", "-o", "{w}/out"), "zeroconf.json"),
    Case("run-fps-1e9", (*RUN, "{c}/fast.json", "-o", "{w}/out"), "fast.json: fps 1e+09"),
    Case("run-huge-coordinates", (*RUN, "{c}/huge.json", "-o", "{w}/out"), "huge.json"),
    Case("run-one-frame", (*RUN, "{c}/one.json", "-o", "{w}/out", "--weights", "{bundle}"), "one.json"),
    Case("run-no-frames", (*RUN, "{c}/none.json", "-o", "{w}/out", "--weights", "{bundle}"), "none.json"),
    Case(
        "run-out-under-a-file",
        (*RUN, "{c}/kp.json", "-o", "{w}/taken/sub", "--weights", "{bundle}"),
        "taken",
        ("taken",),
    ),  # fmt: skip
    Case("run-weights-empty", (*RUN, "{c}/kp.json", "-o", "{w}/out", "--weights", ""), "weights"),
    Case("run-pipe", (*RUN, "{c}/pipe.json", "-o", "{w}/out"), "pipe.json: not a regular file"),
    Case("run-folder-as-keypoints", (*RUN, "{c}/style", "-o", "{w}/out"), "style"),
    Case(
        "run-weights-text",
        (*RUN, "{c}/kp.json", "-o", "{w}/out", "--weights", "{c}/text-bundle"),
        "text-bundle.safetensors",
    ),  # fmt: skip
    Case(
        "run-weights-deep", (*RUN, "{c}/kp.json", "-o", "{w}/out", "--weights", "{c}/deep-bundle"), "deep-bundle.json"
    ),  # fmt: skip
    Case(
        "run-weights-shapeless", (*RUN, "{c}/kp.json", "-o", "{w}/out", "--weights", "{c}/shapeless"), "shapeless.json"
    ),  # fmt: skip
    Case(
        "complete-weights-shapeless",
        ("complete", "--motion", "{c}/walk.bvh", "--keep", "0-1", "-o", "{w}/out", "--weights", "{c}/shapeless"),
        "shapeless.json",
    ),  # fmt: skip
    Case(
        "run-weights-other-kind",
        (*RUN, "{c}/kp.json", "-o", "{w}/out", "--model", "baseline", "--weights", "{bundle}"),
        "--model baseline",
    ),  # fmt: skip
    Case("run-markup-name", (*RUN, "{c}/[red]clip.json", "-o", "{w}/out"), "[red]clip.json"),
    Case("run-text-video", (*RUN, "{c}/text.mp4", "-o", "{w}/out"), "text.mp4"),
    Case("run-empty-video", (*RUN, "{c}/empty.mp4", "-o", "{w}/out"), "empty.mp4"),
    Case("run-dash-name", (*RUN, "{c}/[-x] clip.mp4", "-o", "{w}/out"), "[-x] clip.mp4"),
    Case("run-missing", (*RUN, "{c}/nope.json", "-o", "{w}/out"), "nope.json"),
    Case("run-wrong-suffix", (*RUN, "{c}/notes.txt", "-o", "{w}/out"), "notes.txt"),
    Case("run-out-is-file", (*RUN, "{c}/kp.json", "-o", "{w}/taken", "--weights", "{bundle}"), "taken", ("taken",)),
    # vimo run: bad options, found before any work
    Case("run-seed-2**70", (*RUN, "{c}/kp.json", "-o", "{w}/out", "--seed", str(2**70)), "--seed"),
    Case("run-seed-negative", (*RUN, "{c}/kp.json", "-o", "{w}/out", "--seed", "-1"), "--seed"),
    Case("run-steps-0", (*RUN, "{c}/kp.json", "-o", "{w}/out", "--steps", "0"), "--steps"),
    Case("run-samples-0", (*RUN, "{c}/kp.json", "-o", "{w}/out", "-k", "0"), "--samples"),
    Case("run-formats-fbx", (*RUN, "{c}/kp.json", "-o", "{w}/out", "--formats", "npz,fbx"), "--formats"),
    Case("run-formats-empty", (*RUN, "{c}/kp.json", "-o", "{w}/out", "--formats", ","), "--formats"),
    Case("run-npz-layout", (*RUN, "{c}/kp.json", "-o", "{w}/out", "--npz", "smplx"), "--npz"),
    Case("run-bvh-units", (*RUN, "{c}/kp.json", "-o", "{w}/out", "--bvh-units", "ft"), "--bvh-units"),
    Case("run-guidance-nan", (*RUN, "{c}/kp.json", "-o", "{w}/out", "--guidance", "nan"), "--guidance"),
    Case("run-smooth-negative", (*RUN, "{c}/kp.json", "-o", "{w}/out", "--smooth", "-2"), "--smooth"),
    Case("run-model", (*RUN, "{c}/kp.json", "-o", "{w}/out", "--model", "gpt"), "--model"),
    Case("run-weights-missing", (*RUN, "{c}/kp.json", "-o", "{w}/out", "--weights", "{w}/none"), "none"),
    Case("run-start-after-end", (*RUN, "{c}/text.mp4", "-o", "{w}/out", "--start", "5", "--end", "1"), "--start"),
    Case("run-unknown-option", (*RUN, "{c}/kp.json", "-o", "{w}/out", "--colour", "red"), "--colour"),
    # vimo extract
    Case("extract-text-video", ("extract", "{c}/text.mp4", "-o", "{w}/kp.json"), "text.mp4"),
    Case(
        "extract-preview-suffix",
        ("extract", "{c}/text.mp4", "-o", "{w}/kp.json", "--preview", "{w}/x.xyz"),
        "--preview",
    ),  # fmt: skip
    Case("extract-negative-start", ("extract", "{c}/text.mp4", "-o", "{w}/kp.json", "--start", "-3"), "--start"),
    # vimo data prepare / preview-camera
    Case("prepare-short-bvh", ("data", "prepare", "{c}/short.bvh", "-o", "{w}/cache"), "short.bvh"),
    Case("prepare-zero-frames", ("data", "prepare", "{c}/zero.bvh", "-o", "{w}/cache"), "zero.bvh"),
    Case("prepare-truncated", ("data", "prepare", "{c}/truncated.bvh", "-o", "{w}/cache"), "truncated.bvh"),
    Case("prepare-only-bad-files", ("data", "prepare", "{c}/badfiles", "-o", "{w}/cache"), "badfiles"),
    Case("prepare-text-npz", ("data", "prepare", "{c}/text.npz", "-o", "{w}/cache"), "text.npz"),
    Case(
        "prepare-out-is-file", ("data", "prepare", "{c}/walk.bvh", "-o", "{w}/notes.txt"), "notes.txt", ("notes.txt",)
    ),  # fmt: skip
    Case(
        "prepare-out-is-foreign",
        ("data", "prepare", "{c}/walk.bvh", "-o", "{w}/mine"),
        "mine",
        ("mine/", "mine/thesis.tex"),
    ),  # fmt: skip
    Case(
        "prepare-out-under-a-file",
        ("data", "prepare", "{c}/walk.bvh", "-o", "{w}/notes.txt/cache"),
        "notes.txt",
        ("notes.txt",),
    ),  # fmt: skip
    Case("prepare-window-0", ("data", "prepare", "{c}/walk.bvh", "-o", "{w}/cache", "--window", "0"), "--window"),
    Case("preview-camera-empty", ("data", "preview-camera", "{c}/empty.bvh", "-o", "{w}/cam.mp4"), "empty.bvh"),
    Case("preview-camera-pipe", ("data", "preview-camera", "{c}/pipe.bvh", "-o", "{w}/cam.mp4"), "pipe.bvh"),
    Case(
        "complete-pipe",
        ("complete", "--motion", "{c}/pipe.bvh", "--keep", "0-1", "-o", "{w}/out", "--weights", "{bundle}"),
        "pipe.bvh",
    ),  # fmt: skip
    Case(
        "preview-camera-regime",
        ("data", "preview-camera", "{c}/walk.bvh", "-o", "{w}/cam.mp4", "--regime", "shaky"),
        "--regime",
    ),  # fmt: skip
    Case("preview-camera-suffix", ("data", "preview-camera", "{c}/walk.bvh", "-o", "{w}/cam.xyz"), "cam.xyz"),
    Case(
        "preview-camera-seconds",
        ("data", "preview-camera", "{c}/walk.bvh", "-o", "{w}/c.mp4", "--seconds", "0"),
        "--seconds",
    ),  # fmt: skip
    # vimo complete
    Case(
        "complete-keep-reversed",
        ("complete", "--motion", "{c}/walk.bvh", "--keep", "3-1", "-o", "{w}/out", "--weights", "{bundle}"),
        "reversed",
    ),  # fmt: skip
    Case(
        "complete-keep-garbage",
        ("complete", "--motion", "{c}/walk.bvh", "--keep", "a-b", "-o", "{w}/out", "--weights", "{bundle}"),
        "--keep",
    ),  # fmt: skip
    Case(
        "complete-text-npz",
        ("complete", "--motion", "{c}/text.npz", "--keep", "0-1", "-o", "{w}/out", "--weights", "{bundle}"),
        "text.npz",
    ),  # fmt: skip
    Case(
        "complete-bad-keypoints",
        (
            "complete",
            "--motion",
            "{c}/walk.bvh",
            "--keep",
            "0-1",
            "--keypoints",
            "{c}/nested.json",
            "-o",
            "{w}/out",
            "--weights",
            "{bundle}",
        ),
        "nested.json",
    ),  # fmt: skip
    Case(
        "complete-at-nan",
        (
            "complete",
            "--blend",
            "{c}/walk.bvh",
            "{c}/walk.bvh",
            "--at",
            "nan",
            "-o",
            "{w}/out",
            "--weights",
            "{bundle}",
        ),
        "--at",
    ),  # fmt: skip
    Case(
        "complete-at-outside",
        ("complete", "--blend", "{c}/walk.bvh", "{c}/walk.bvh", "--at", "60", "-o", "{w}/out", "--weights", "{bundle}"),
        "--at",
    ),  # fmt: skip
    Case(
        "complete-gap-0",
        (
            "complete",
            "--blend",
            "{c}/walk.bvh",
            "{c}/walk.bvh",
            "--at",
            "2",
            "--gap",
            "0",
            "-o",
            "{w}/out",
            "--weights",
            "{bundle}",
        ),
        "--gap",
    ),  # fmt: skip
    Case("complete-no-mode", ("complete", "-o", "{w}/out"), "--motion"),
    # vimo dance
    Case(
        "dance-generate-samples-0",
        ("dance", "generate", "--music", "{c}/text.wav", "-o", "{w}/out", "--samples", "0"),
        "--samples",
    ),  # fmt: skip
    Case("dance-generate-text-music", ("dance", "generate", "--music", "{c}/text.wav", "-o", "{w}/out"), "text.wav"),
    Case(
        "dance-generate-empty-music", ("dance", "generate", "--music", "{c}/empty.wav", "-o", "{w}/out"), "empty.wav"
    ),  # fmt: skip
    Case(
        "dance-generate-silent-video", ("dance", "generate", "--music", "{c}/text.mp4", "-o", "{w}/out"), "text.mp4"
    ),  # fmt: skip
    Case(
        "dance-generate-formats",
        ("dance", "generate", "--music", "{c}/text.wav", "-o", "{w}/out", "--formats", "fbx"),
        "--formats",
    ),  # fmt: skip
    Case(
        "dance-generate-seconds",
        ("dance", "generate", "--music", "{c}/text.wav", "-o", "{w}/out", "--seconds", "-1"),
        "--seconds",
    ),  # fmt: skip
    Case(
        "dance-generate-style",
        ("dance", "generate", "--music", "{c}/text.wav", "-o", "{w}/out", "--style", "{c}/style"),
        "style",
    ),  # fmt: skip
    Case("dance-shortcut-missing", ("dance", "--music", "{c}/nope.ogg", "-o", "{w}/out"), "nope.ogg"),
    Case("dance-pairs-missing", ("dance", "pairs", "{w}/nocache", "-o", "{w}/p.safetensors"), "nocache"),
    Case(
        "dance-accent-missing",
        ("dance", "accent", "{w}/nopairs.safetensors", "-o", "{w}/p.safetensors"),
        "nopairs.safetensors",
    ),  # fmt: skip
    Case("dance-export-missing", ("dance", "export", "{w}/norun", "-o", "{w}/d"), "norun"),
    Case(
        "dance-train-config",
        ("dance", "train", "--data", "{w}/nocache", "--out", "{w}/run", "--config", "huge"),
        "--config",
    ),  # fmt: skip
    # vimo stylize
    Case("stylize-text-video", ("stylize", "--videos", "{c}/text.mp4", "-o", "{w}/style"), "text.mp4"),
    Case("stylize-no-videos", ("stylize", "-o", "{w}/style"), "videos"),
    Case(
        "stylize-method", ("stylize", "--videos", "{c}/text.mp4", "-o", "{w}/style", "--method", "magic"), "--method"
    ),  # fmt: skip
    Case(
        "stylize-samples-0", ("stylize", "--videos", "{c}/text.mp4", "-o", "{w}/style", "--samples", "0"), "--samples"
    ),  # fmt: skip
    # vimo dataset build
    Case(
        "dataset-all-failed", ("dataset", "build", "{c}/text.mp4", "-o", "{w}/ds", "--weights", "{bundle}"), "text.mp4"
    ),  # fmt: skip
    Case(
        "dataset-no-videos", ("dataset", "build", "{c}/badfiles", "-o", "{w}/ds", "--weights", "{bundle}"), "badfiles"
    ),  # fmt: skip
    Case("dataset-engine", ("dataset", "build", "{c}/text.mp4", "-o", "{w}/ds", "--engine", "spark"), "--engine"),
    # training, export, evaluation
    Case("train-no-cache", ("train", "--data", "{w}/nocache", "--out", "{w}/run"), "nocache"),
    Case("train-config", ("train", "--data", "{w}/nocache", "--out", "{w}/run", "--config", "huge"), "--config"),
    Case(
        "train-batch-0", ("train", "--data", "{w}/nocache", "--out", "{w}/run", "--batch-size", "0"), "--batch-size"
    ),  # fmt: skip
    Case("baseline-train-no-cache", ("baseline", "train", "--data", "{w}/nocache", "--out", "{w}/run"), "nocache"),
    Case("baseline-export-missing", ("baseline", "export", "{w}/norun", "-o", "{w}/b"), "norun"),
    Case("export-missing", ("export", "{w}/norun", "-o", "{w}/v"), "norun"),
    Case("eval-casual-no-cache", ("eval", "casual", "--data", "{w}/nocache", "-o", "{w}/rep"), "nocache"),
    Case(
        "eval-casual-split", ("eval", "casual", "--data", "{w}/nocache", "-o", "{w}/rep", "--split", "train"), "--split"
    ),  # fmt: skip
    Case("eval-guidance-values", ("eval", "guidance", "--data", "{w}/nocache", "--values", "1,x"), "--values"),
    Case("eval-stylization-spec", ("eval", "stylization", "--style", "nameonly", "-o", "{w}/rep"), "--style"),
    Case(
        "eval-real-no-folder",
        ("eval", "real", "--videos", "{w}/novideos", "-o", "{w}/rep", "--weights", "{bundle}"),
        "novideos",
    ),  # fmt: skip
    Case("demo-seed", ("demo", "-o", "{w}/demo", "--seed", str(2**70)), "--seed"),
]


def _listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_a_bad_input_is_one_line_naming_it_and_leaves_nothing(case, corpus, tiny_bundle, tmp_path):
    work = tmp_path / "w"
    work.mkdir()
    for name in case.setup:
        if name.endswith("/"):
            (work / name).mkdir()
        else:
            (work / name).write_text("the user's own file")
    before = _listing(work)
    corpus_before = _listing(corpus)
    args = [a.format(c=corpus, w=work, bundle=tiny_bundle) for a in case.args]
    res = runner.invoke(app, args)
    assert res.exit_code not in (0, None), f"exit 0:\n{res.output}"
    assert res.exception is None or isinstance(res.exception, SystemExit), f"exception {res.exception!r}"
    assert "Traceback" not in res.output
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got:\n{res.stderr}"
    assert case.names in lines[0], f"{case.names!r} not named in: {lines[0]}"
    assert lines[0].startswith("error: ")
    assert _listing(work) == before, "left behind in the output folder"
    assert _listing(corpus) == corpus_before


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    """One second of a rendered walk (30 frames, 160x120), too short for a dataset clip."""
    from vimo.viz.cameras import CameraPath
    from vimo.viz.video import render_video

    path = tmp_path_factory.mktemp("clip") / "walk.mp4"
    cams = CameraPath.static((0.5, 1.2, 5.0), (0.0, 0.9, 0.6), frames=30, image_size=(160, 120))
    render_video(walking_motion(30), cams, path, fps=30)
    return path


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (("run", "{clip}", "-o", "{w}/a/b/out", "--end", "0.01"), "1 frame(s) in the span read"),
        (("run", "{clip}", "-o", "{w}/out", "--person", "7"), "person=7 is not a track id"),
        (("extract", "{clip}", "-o", "{w}/kp.json", "--person", "7"), "person=7 is not a track id"),
    ],
    ids=["run-span-of-one-frame", "run-no-such-person", "extract-no-such-person"],
)
def test_a_video_that_fails_after_extraction_leaves_one_line_and_nothing(clip, tiny_bundle, tmp_path, args, names):
    work = tmp_path / "w"
    work.mkdir()
    res = runner.invoke(app, [a.format(clip=clip, w=work) for a in args] + ["--weights", str(tiny_bundle)] * (
        args[0] == "run"))  # fmt: skip
    assert res.exit_code == 2 and "Traceback" not in res.output
    bars = ("extracting 2D poses", "generating 3D motion")  # the bars of the work done before the failure
    lines = [ln for ln in res.stderr.splitlines() if ln.strip() and not ln.startswith(bars)]
    assert len(lines) == 1 and names in lines[0], res.stderr
    assert list(work.iterdir()) == []


def test_a_dataset_of_nothing_is_a_failed_build(clip, tiny_bundle, tmp_path):
    res = runner.invoke(app, ["dataset", "build", str(clip), "-o", str(tmp_path / "ds"), "--weights", str(tiny_bundle),
                              "--steps", "1", "-k", "1"])  # fmt: skip
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert res.stderr.strip().splitlines()[-1].startswith("error: ")
    assert "no motion came of 1 usable video(s)" in res.stderr.replace("\n", " ")
