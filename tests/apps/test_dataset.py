"""`vimo dataset build`: clips, seeds, manifest, resuming, idempotence, the Ray engine, `data prepare`.

Three short rendered walks (320x240; 2-3 s) and a broken file; 2 s clips, K = 2, a tiny untrained model,
2 DDIM steps and thresholds that keep everything (the model's scores are meaningless here).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from vimo.apps.dataset import (
    ClipRecord,
    ClipSpan,
    DatasetBuilder,
    DatasetConfig,
    Engine,
    LocalEngine,
    SampleRecord,
    Scores,
    build_dataset,
    find_videos,
    judge,
    plan_clips,
    read_manifest,
    reconcile,
    sample_seed,
)
from vimo.cli import app
from vimo.data.mocap import load_motion
from vimo.data.synthetic import walking_motion
from vimo.errors import VimoError
from vimo.keypoints import Keypoints2D
from vimo.viz.cameras import CameraPath
from vimo.viz.video import render_video

runner = CliRunner()
LOOSE = DatasetConfig(samples=2, clip_seconds=2.0, min_clip_seconds=0.5, steps=2, min_pck=0.0, max_foot_skate=1e9,
                      max_jitter=1e9, bvh=True)  # fmt: skip
CLI_FLAGS = ["--samples", "2", "--clip-seconds", "2", "--min-clip-seconds", "0.5", "--steps", "2", "--min-pck", "0",
             "--max-foot-skate", "1e9", "--max-jitter", "1e9", "--bvh"]  # fmt: skip
CLIPS = 5  # 75 frames: [0, 60) + [15, 75); 90: [0, 60) + [30, 90); 60: [0, 60)


@pytest.fixture(scope="module")
def videos(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("videos")
    for name, frames in (("a", 75), ("b", 90), ("c", 60)):
        cams = CameraPath.static((0.5, 1.2, 5.0), (0.0, 0.9, 0.6), frames=frames, image_size=(320, 240))
        render_video(walking_motion(frames, speed=1.0 + 0.1 * frames / 30), cams, folder / f"{name}.mp4", fps=30)
    (folder / "broken.mp4").write_bytes(b"not a video" * 50)
    return folder


@pytest.fixture(scope="module")
def built(videos, tiny_bundle, tmp_path_factory):
    """The reference dataset: the local engine, uninterrupted."""
    out = tmp_path_factory.mktemp("ds") / "local"
    report = build_dataset([videos], out, weights=tiny_bundle, config=LOOSE)
    return out, report


@pytest.fixture
def ray_local():
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def _files(root: Path) -> dict[str, int]:
    return {p.relative_to(root).as_posix(): p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()}


def _listed(root: Path) -> set[str]:
    return {rel for line in read_manifest(root) for rel in (line["motion"], line["bvh"], line["keypoints"]) if rel}


# -- pure pieces -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("frames", [60, 74, 75, 89, 90, 150, 151, 301])
def test_clips_have_one_length_and_cover_the_video(frames):
    clips = plan_clips(frames, DatasetConfig(clip_seconds=2.0, min_clip_seconds=0.5))
    assert all(c.frames == 60 and 0 <= c.start <= frames - 60 for c in clips)
    assert [c.start for c in clips] == sorted({c.start for c in clips})
    covered = np.zeros(frames, bool)
    for c in clips:
        covered[c.start : c.start + c.frames] = True
    uncovered = np.flatnonzero(~covered)
    assert len(uncovered) < 15 and (len(uncovered) == 0 or uncovered[0] == frames - len(uncovered))  # a short rest


def test_short_videos_make_one_short_clip_or_none():
    cfg = DatasetConfig(clip_seconds=5.0, min_clip_seconds=2.0)
    assert plan_clips(100, cfg) == [ClipSpan(0, 100)]
    assert plan_clips(59, cfg) == []
    overlapping = plan_clips(300, replace(cfg, overlap_seconds=1.0))
    assert [c.start for c in overlapping] == [0, 120]


def test_seeds_depend_on_video_clip_and_index_only():
    a = sample_seed("ab" * 32, 150, 0)
    assert a == sample_seed("ab" * 32, 150, 0) and 0 <= a < 2**63
    others = {sample_seed("ab" * 32, 150, 1), sample_seed("ab" * 32, 180, 0), sample_seed("cd" * 32, 150, 0),
              sample_seed("ab" * 32, 150, 0, base=1)}  # fmt: skip
    assert a not in others and len(others) == 4


def test_judge_names_the_first_failed_threshold():
    cfg = DatasetConfig(min_pck=0.5, max_foot_skate=0.2, max_jitter=100.0)
    assert judge(Scores(0.9, 0.1, 0.1, 50.0), cfg) is None
    assert judge(Scores(0.4, 0.1, 0.1, 50.0), cfg) == "fidelity"
    assert judge(Scores(None, None, 0.1, 50.0), cfg) == "fidelity"
    assert judge(Scores(0.9, 0.1, 0.3, 50.0), cfg) == "foot_skate"
    assert judge(Scores(0.9, 0.1, 0.1, 500.0), cfg) == "jitter"
    assert judge(Scores(0.9, 0.1, 0.1, None), cfg) == "invalid"


def test_reconcile_rejudges_stored_scores_and_asks_only_for_missing_samples():
    good, bad = Scores(0.9, 0.1, 0.1, 50.0), Scores(0.9, 0.1, 0.1, 5000.0)
    files = ("motions/v/f000000/sample_0.npz",)
    record = ClipRecord("key", "f000000", 0, 60, 1.0, "motions/v/f000000/keypoints.json",
                        (SampleRecord(0, 11, good, files), SampleRecord(1, 12, bad, ())))  # fmt: skip
    cfg = DatasetConfig(samples=2, max_jitter=100.0)
    assert reconcile(record, cfg) == (record, [])
    grown, todo = reconcile(record, replace(cfg, samples=4))
    assert todo == [2, 3] and grown.samples == record.samples
    loose, todo = reconcile(record, replace(cfg, max_jitter=1e4))
    assert todo == [1] and [s.index for s in loose.samples] == [0]  # kept now: generate it again (same seed)
    strict, todo = reconcile(record, replace(cfg, max_jitter=10.0))
    assert todo == [] and strict.files() == []  # nothing kept: no files, not even the keypoints
    _, todo = reconcile(record, replace(cfg, bvh=True))
    assert todo == [0]  # the kept sample lacks its .bvh: generate it again
    covered, todo = reconcile(replace(record, coverage=0.5), cfg)  # below min_coverage (0.7)
    assert todo == [] and covered.files() == []


def test_inputs_from_folders_and_lists(tmp_path):
    (tmp_path / "v" / "sub").mkdir(parents=True)
    for name in ("v/b.mp4", "v/sub/a.MOV", "v/notes.json", "c.webm"):
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "list.txt").write_text("# videos\nc.webm\n\nv/b.mp4\nmissing.mp4\n")
    (tmp_path / "list.csv").write_text("id,path\n1,c.webm\n2,v/sub/a.MOV\n")
    found = find_videos([tmp_path / "v", tmp_path / "list.txt", tmp_path / "list.csv"])
    rel = [p.relative_to(tmp_path).as_posix() for p in found]
    assert rel == ["v/b.mp4", "v/sub/a.MOV", "c.webm", "missing.mp4"]
    with pytest.raises(VimoError, match="no such file"):
        find_videos([tmp_path / "nope.mp4"])
    with pytest.raises(VimoError, match="not a video"):
        find_videos([tmp_path / "v" / "notes.json"])


# -- a built dataset -------------------------------------------------------------------------------------


def test_manifest_lists_existing_files_with_provenance(built, videos):
    out, report = built
    lines = read_manifest(out)
    assert len(lines) == CLIPS * 2 == report.summary.motions and report.summary.clips == CLIPS
    assert len({line["id"] for line in lines}) == len(lines)
    for line in lines:
        for rel in (line["motion"], line["bvh"], line["keypoints"]):
            assert not Path(rel).is_absolute() and ".." not in Path(rel).parts
            assert (out / rel).resolve().is_relative_to(out.resolve()) and (out / rel).is_file()
        motion = load_motion(out / line["motion"])  # what `vimo data prepare` reads
        assert motion.num_frames == line["clip"]["frames"] == 60 and motion.fps == 30.0
        assert Keypoints2D.from_json(out / line["keypoints"]).num_frames == 60
        assert line["seed"] == sample_seed(line["source"]["sha256"], line["clip"]["start_frame"], line["sample"])
        assert line["model"]["sha256"] and line["source"]["person_track"] is not None
        assert set(line["scores"]) == {"fidelity_pck", "reprojection_error", "foot_skate", "jitter"}
    starts = sorted((Path(x["source"]["path"]).name, x["clip"]["start_frame"]) for x in lines if x["sample"] == 0)
    assert starts == [("a.mp4", 0), ("a.mp4", 15), ("b.mp4", 0), ("b.mp4", 30), ("c.mp4", 0)]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["motions"] == len(lines) and summary["minutes"] == pytest.approx(len(lines) * 2 / 60, abs=1e-3)
    assert list(summary["failed"]) == [str(videos / "broken.mp4")] and summary["rejects"]["failed"] == 1
    assert (out / summary["contact_sheet"]["file"]).stat().st_size > 0
    assert _listed(out) == {p for p in _files(out) if p.startswith("motions/")}  # nothing unlisted


def test_rerun_is_a_noop(built, videos, tiny_bundle):
    out, _ = built
    before = _files(out)
    report = build_dataset([videos], out, weights=tiny_bundle, config=LOOSE)
    assert report.up_to_date and report.samples_generated == 0
    assert _files(out) == before  # not a byte written, not even the failed video retried


def test_changed_thresholds_and_k_rejudge_and_reuse_samples(built, videos, tiny_bundle, tmp_path):
    out = _copy(built[0], tmp_path / "ds")
    original = read_manifest(out)
    limit = float(np.median([line["scores"]["jitter"] for line in original]))
    stricter = replace(LOOSE, samples=3, max_jitter=limit)
    report = build_dataset([videos], out, weights=tiny_bundle, config=stricter)
    assert report.samples_generated == CLIPS  # only sample 2 of each clip is new
    lines = read_manifest(out)
    assert all(line["scores"]["jitter"] <= limit for line in lines)
    same = {x["id"]: x for x in original if x["scores"]["jitter"] <= limit}
    assert same and all(same[x["id"]] == x for x in lines if x["id"] in same)  # the same samples, not redrawn
    assert report.summary.rejects["jitter"] == CLIPS * 3 - len(lines)
    assert _listed(out) == {p for p in _files(out) if p.startswith("motions/")}  # rejected files removed
    back = build_dataset([videos], out, weights=tiny_bundle, config=LOOSE)  # regenerates the rejected ones
    assert read_manifest(out) == original and back.samples_generated == len(original) - len(same)


def test_force_recomputes_the_same_dataset(built, videos, tiny_bundle, tmp_path):
    out = _copy(built[0], tmp_path / "ds")
    report = build_dataset([videos], out, weights=tiny_bundle, config=LOOSE, force=True)
    assert report.clips_computed == CLIPS and report.seconds["extract"] > 0
    assert read_manifest(out) == read_manifest(built[0])


def test_records_pointing_outside_the_dataset_are_redone(built, videos, tiny_bundle, tmp_path):
    out = _copy(built[0], tmp_path / "ds")
    victim = tmp_path / "victim.npz"
    victim.write_bytes(b"keep me")
    record_path = sorted((out / "state").glob("*/f000000.json"))[0]
    record = json.loads(record_path.read_text())
    record["samples"][0]["files"] = ["../../victim.npz"]
    record_path.write_text(json.dumps(record))
    report = build_dataset([videos], out, weights=tiny_bundle, config=LOOSE)
    assert report.clips_computed == 1 and victim.read_bytes() == b"keep me"
    assert read_manifest(out) == read_manifest(built[0])


def test_a_sample_is_reproduced_by_vimo_run_with_its_seed(built, tiny_bundle, tmp_path):
    out, _ = built
    line = read_manifest(out)[-1]
    gen = line["generation"]
    res = runner.invoke(app, ["run", str(out / line["keypoints"]), "-o", str(tmp_path / "run"), "--seed",
                              str(line["seed"]), "--steps", str(gen["steps"]), "--guidance", str(gen["guidance"]),
                              "--weights", str(tiny_bundle), "--formats", "npz"])  # fmt: skip
    assert res.exit_code == 0, res.output
    a, b = np.load(tmp_path / "run" / "motion.npz"), np.load(out / line["motion"])
    assert all(np.array_equal(a[k], b[k]) for k in ("rotations", "root_pos", "contacts", "joints"))


def test_one_build_at_a_time(built, videos, tiny_bundle):
    from vimo.apps.dataset.builder import locked as _locked

    with _locked(built[0]), pytest.raises(VimoError, match="another"):
        build_dataset([videos], built[0], weights=tiny_bundle, config=LOOSE)


def test_prepare_accepts_the_dataset(built, tmp_path):
    out, _ = built
    res = runner.invoke(app, ["data", "prepare", str(out), "-o", str(tmp_path / "cache"), "--window", "60",
                              "--stride", "30", "--no-mirror", "--workers", "1"])  # fmt: skip
    assert res.exit_code == 0, res.output
    meta = json.loads((tmp_path / "cache" / "meta.json").read_text())
    assert meta["summary"]["files"] == len(read_manifest(out))  # the npz files only: no .bvh twins, no keypoints
    assert not meta["summary"]["failed"] and meta["summary"]["windows_by_split"]["train"] == len(read_manifest(out))


# -- engines and interruptions ---------------------------------------------------------------------------


def test_ray_engine_writes_the_same_dataset(built, videos, tiny_bundle, tmp_path, ray_local):
    out = tmp_path / "ray"
    report = build_dataset([videos], out, weights=tiny_bundle, config=LOOSE, engine="ray")
    assert ray_local.is_initialized()  # the engine used the running instance and left it to its owner
    assert report.clips_computed == CLIPS
    assert (out / "manifest.jsonl").read_text() == (built[0] / "manifest.jsonl").read_text()
    assert (out / "summary.json").read_text() == (built[0] / "summary.json").read_text()
    for line in read_manifest(out):
        a, b = np.load(out / line["motion"]), np.load(built[0] / line["motion"])
        assert all(np.array_equal(a[k], b[k]) for k in ("rotations", "root_pos", "contacts"))


@dataclass(frozen=True)
class ReversedEngine:
    """An ``Engine`` of its own: the local engine on the videos in reverse order."""

    weights: Path

    def run(self, builder: DatasetBuilder, videos: list[Path]) -> None:
        LocalEngine(self.weights).run(builder, videos[::-1])


def test_any_engine_runs_the_stages_and_writes_the_same_dataset(built, videos, tiny_bundle, tmp_path):
    out = tmp_path / "reversed"
    engine: Engine = ReversedEngine(tiny_bundle)
    report = build_dataset([videos], out, weights=tiny_bundle, config=LOOSE, engine=engine)
    assert report.clips_computed == CLIPS
    assert (out / "manifest.jsonl").read_text() == (built[0] / "manifest.jsonl").read_text()
    assert (out / "summary.json").read_text() == (built[0] / "summary.json").read_text()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
def test_killed_run_resumes_without_losses_or_duplicates(built, videos, tiny_bundle, tmp_path, sig):
    out = tmp_path / "ds"
    cmd = [sys.executable, "-c", "from vimo.cli import app; app()", "dataset", "build", str(videos), "-o", str(out),
           "--weights", str(tiny_bundle), *CLI_FLAGS]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not list(out.glob("motions/*/*/sample_*.npz")) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        proc.send_signal(sig)
        code = proc.wait(timeout=60)
    finally:
        proc.kill()
    assert code == (130 if sig == signal.SIGTERM else -sig), "the run finished before it could be killed"
    if (out / "manifest.jsonl").exists():  # what a killed run leaves is consistent
        assert all((out / rel).is_file() for rel in _listed(out))
    committed = {rel: (out / rel).stat().st_mtime_ns for record in out.glob("state/*/f*.json")
                 for sample in json.loads(record.read_text())["samples"] for rel in sample["files"]}  # fmt: skip
    res = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    assert (out / "manifest.jsonl").read_text() == (built[0] / "manifest.jsonl").read_text()
    assert _listed(out) == {p for p in _files(out) if p.startswith("motions/")}
    assert not [p for p in out.rglob("*") if ".tmp" in p.name]
    assert all((out / rel).stat().st_mtime_ns == t for rel, t in committed.items())  # finished clips not redone


def test_cli_rejects_ray_options_for_the_local_engine(videos, tmp_path):
    res = runner.invoke(app, ["dataset", "build", str(videos), "-o", str(tmp_path / "ds"), "--workers", "4"])
    assert res.exit_code == 2 and "--engine ray" in res.output
