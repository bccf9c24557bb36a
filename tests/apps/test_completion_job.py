"""vimo.apps.completion_job: `vimo complete` as one library job; its combinations are checked before any work."""

from pathlib import Path

import pytest

from vimo.apps.completion_job import CompletionJob, run_completion
from vimo.errors import VimoError


@pytest.mark.parametrize(
    "job, message",
    [
        (CompletionJob(), "either --motion"),
        (CompletionJob(motion=Path("m.npz")), "--keep"),
        (CompletionJob(blend=(Path("a.npz"), Path("b.npz"))), "--at"),
        (CompletionJob(motion=Path("m.npz"), keep="0-1", video=Path("v.mp4"), keypoints=Path("k.json")), "not both"),
        (CompletionJob(blend=(Path("a.npz"), Path("b.npz")), at=float("nan")), "--at nan"),
        (CompletionJob(motion=Path("m.npz"), keep="0-1", gap=0.0), "--gap"),
    ],
)
def test_bad_combinations_are_refused_before_reading_anything(tmp_path, job, message):
    with pytest.raises(VimoError, match=message):
        run_completion(job, tmp_path / "out")
    assert not (tmp_path / "out").exists()
