"""Planning a build: inputs, clips, seeds, judging."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from vimo.apps.dataset import ClipSpan, DatasetConfig, Scores, find_videos, judge, plan_clips, sample_seed
from vimo.errors import VimoError


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
