"""The builder: the manifest, resuming, idempotence, re-judging, one writer at a time, `data prepare` on the result."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from tests.apps.dataset.common import CLIPS, LOOSE, copy, files, listed, runner

from vimo.apps.dataset import build_dataset, read_manifest, sample_seed
from vimo.cli import app
from vimo.data.mocap import load_motion
from vimo.errors import VimoError
from vimo.keypoints import Keypoints2D


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
    assert listed(out) == {p for p in files(out) if p.startswith("motions/")}  # nothing unlisted


def test_rerun_is_a_noop(built, videos, tiny_bundle):
    out, _ = built
    before = files(out)
    report = build_dataset([videos], out, weights=tiny_bundle, config=LOOSE)
    assert report.up_to_date and report.samples_generated == 0
    assert files(out) == before  # not a byte written, not even the failed video retried


def test_changed_thresholds_and_k_rejudge_and_reuse_samples(built, videos, tiny_bundle, tmp_path):
    out = copy(built[0], tmp_path / "ds")
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
    assert listed(out) == {p for p in files(out) if p.startswith("motions/")}  # rejected files removed
    back = build_dataset([videos], out, weights=tiny_bundle, config=LOOSE)  # regenerates the rejected ones
    assert read_manifest(out) == original and back.samples_generated == len(original) - len(same)


def test_force_recomputes_the_same_dataset(built, videos, tiny_bundle, tmp_path):
    out = copy(built[0], tmp_path / "ds")
    report = build_dataset([videos], out, weights=tiny_bundle, config=LOOSE, force=True)
    assert report.clips_computed == CLIPS and report.seconds["extract"] > 0
    assert read_manifest(out) == read_manifest(built[0])


def test_records_pointing_outside_the_dataset_are_redone(built, videos, tiny_bundle, tmp_path):
    out = copy(built[0], tmp_path / "ds")
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
