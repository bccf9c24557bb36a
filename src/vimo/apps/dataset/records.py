"""What a dataset remembers between runs: a record per clip (its key and every sample's scores) and the
video in progress that gathers them.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from vimo.apps.dataset.plan import DatasetConfig, Scores, judge
from vimo.apps.dataset.stages import ExtractedVideo

CLIP_RECORD = re.compile(r"f\d+\.json")  # state/<video>/<clip>.json


@dataclass(frozen=True)
class SampleRecord:
    index: int
    seed: int
    scores: Scores
    files: tuple[str, ...] = ()  # the kept sample's files (.npz, then .bvh); () when not kept


@dataclass(frozen=True)
class ClipRecord:
    """What ``state/<video>/<clip>.json`` holds: the clip's key and every generated sample's scores."""

    key: str
    clip: str
    start: int  # first frame (30 fps)
    frames: int
    coverage: float
    keypoints: str | None = None  # the clip's keypoints file, when a sample is kept
    samples: tuple[SampleRecord, ...] = ()

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, indent=1)

    @classmethod
    def from_json(cls, text: str) -> ClipRecord:
        doc = json.loads(text)
        samples = tuple(
            SampleRecord(int(s["index"]), int(s["seed"]), Scores(**s["scores"]), tuple(s["files"]))
            for s in doc["samples"]
        )
        return cls(str(doc["key"]), str(doc["clip"]), int(doc["start"]), int(doc["frames"]), float(doc["coverage"]),
                   doc["keypoints"], samples)  # fmt: skip

    def files(self) -> list[str]:
        return ([self.keypoints] if self.keypoints else []) + [f for s in self.samples for f in s.files]


def reconcile(record: ClipRecord, config: DatasetConfig) -> tuple[ClipRecord, list[int]]:
    """Bring a (valid) record in line with ``config`` without generating: drop samples past K, files of
    samples that are no longer kept, or a .bvh no longer wanted. Returns the record and the sample
    indices to generate (new, or kept but missing a file)."""
    if record.coverage < config.min_coverage:
        return replace(record, keypoints=None, samples=tuple(replace(s, files=()) for s in record.samples)), []
    samples, todo = [], []
    by_index = {s.index: s for s in record.samples}
    for k in range(config.samples):
        s = by_index.get(k)
        if s is None:
            todo.append(k)
        elif judge(s.scores, config) is not None:
            samples.append(replace(s, files=()))
        elif len(s.files) == 1 + config.bvh:
            samples.append(s)
        elif config.bvh is False and len(s.files) == 2:
            samples.append(replace(s, files=s.files[:1]))
        else:
            todo.append(k)
    keep_keypoints = any(s.files for s in samples) or bool(todo)
    return replace(record, samples=tuple(samples), keypoints=record.keypoints if keep_keypoints else None), todo


@dataclass
class VideoJob:
    """A video in progress: its id, cached extraction and clip records (driver side)."""

    source: Path
    sha256: str
    id: str
    extraction_key: str
    records: dict[str, ClipRecord]
    extracted: ExtractedVideo | None = None  # from the cache, or once stage 1 has run
    from_cache: bool = False
    clips_computed: int = 0
