"""Engines: the Ray engine and an Engine of one's own write the same dataset as the local engine."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tests.apps.dataset.common import CLIPS, LOOSE

from vimo.apps.dataset import DatasetBuilder, Engine, LocalEngine, build_dataset, read_manifest


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
