"""Clip records: re-judging stored scores without generating."""

from __future__ import annotations

from dataclasses import replace

from vimo.apps.dataset import ClipRecord, DatasetConfig, SampleRecord, Scores, reconcile


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
