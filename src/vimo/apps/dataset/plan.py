"""What to compute: the inputs, the clips of a video, the seeds of their samples, and which samples to keep.

Pure functions of the inputs and ``DatasetConfig`` (the rules are in the package docstring).
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from vimo.errors import VimoError
from vimo.generation import FPS
from vimo.keypoints import NUM_KEYPOINTS, Keypoints2D
from vimo.video.decode import VIDEO_SUFFIXES

EXTRACT_VERSION = "1"  # bump when the cached 2D extraction would change
GENERATE_VERSION = "1"  # bump when generated samples or their scores would change
LIST_SUFFIXES = (".txt", ".csv")
POSE_JOINTS = NUM_KEYPOINTS // 2 + 1  # joints a frame needs to count as covered (9 of 17)
REJECT_REASONS = ("low_coverage", "fidelity", "foot_skate", "jitter", "invalid", "failed")


@dataclass(frozen=True)
class DatasetConfig:
    samples: int = 5  # K motions generated per clip
    clip_seconds: float = 5.0  # clip length (the paper's 5 s)
    overlap_seconds: float = 0.0  # seconds shared by consecutive clips
    min_clip_seconds: float = 2.0  # shortest clip kept (a short video, or the rest after the last clip)
    min_coverage: float = 0.7  # skip clips where fewer frames than this have a pose (>= 9 of 17 joints)
    min_pck: float = 0.7  # keep a sample when its 2D fidelity (PCK, vimo.eval.fidelity) is at least this
    max_foot_skate: float = 0.3  # ... its feet slide at most this fast on contact frames (m/s)
    max_jitter: float = 1000.0  # ... and its jitter is at most this (m/s^3; mocap walking is ~50)
    steps: int = 50  # DDIM steps
    guidance: float | None = None  # None: the model's default
    foot_lock: bool = True  # pin feet on their predicted contact frames
    bvh: bool = False  # also write sample_<k>.bvh
    seed: int = 0  # mixed into every sample's seed: another value draws other samples

    def __post_init__(self) -> None:
        if self.samples < 1:
            raise VimoError(f"--samples must be at least 1, got {self.samples}")
        if not self.clip_seconds > 0 or not 0 <= self.overlap_seconds < self.clip_seconds:
            raise VimoError(f"need clip_seconds > 0 and 0 <= overlap_seconds < clip_seconds, got "
                            f"{self.clip_seconds:g} and {self.overlap_seconds:g}")  # fmt: skip
        if not 2 / FPS <= self.min_clip_seconds <= self.clip_seconds:
            raise VimoError(f"min_clip_seconds must be in [{2 / FPS:.3f}, clip_seconds={self.clip_seconds:g}], "
                            f"got {self.min_clip_seconds:g}")  # fmt: skip
        if self.steps < 1:
            raise VimoError(f"--steps must be at least 1, got {self.steps}")
        if not 0 <= self.min_coverage <= 1 or min(self.min_pck, self.max_foot_skate, self.max_jitter) < 0:
            raise VimoError("thresholds: need 0 <= min_coverage <= 1 and min_pck, max_foot_skate, max_jitter >= 0")


def find_videos(inputs: Sequence[str | os.PathLike]) -> list[Path]:
    """Videos from files, folders (searched recursively, sorted) and lists: ``.txt`` (one path a line,
    ``#`` comments) or ``.csv`` (a ``path``, ``video`` or ``file`` column, else the first column); list
    entries are relative to the list's folder. Order is kept, repeats dropped.

    A named input that does not exist or is neither a video nor a list raises ``VimoError``; missing
    entries inside a list are returned as they are (the build records them as failed).
    """
    found: list[Path] = []
    for item in map(Path, inputs):
        if item.is_dir():
            found += sorted(p for p in item.rglob("*") if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES)
        elif not item.exists():
            raise VimoError(f"{item}: no such file or directory")
        elif item.suffix.lower() in VIDEO_SUFFIXES:
            found.append(item)
        elif item.suffix.lower() in LIST_SUFFIXES:
            found += [Path(os.path.normpath(item.parent / entry)) for entry in _list_entries(item)]
        else:
            raise VimoError(f"{item}: not a video ({', '.join(VIDEO_SUFFIXES)}) or a list of videos (.txt, .csv)")
    return list(dict.fromkeys(found))


def _list_entries(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".txt":
        return [s for s in (line.strip() for line in text.splitlines()) if s and not s.startswith("#")]
    rows = [r for r in csv.reader(text.splitlines()) if r and any(c.strip() for c in r)]
    if not rows:
        return []
    header = [c.strip().lower() for c in rows[0]]
    column = next((header.index(n) for n in ("path", "video", "file") if n in header), None)
    if column is None:  # no header naming the column: the first column, every row
        return [r[0].strip() for r in rows]
    return [r[column].strip() for r in rows[1:] if len(r) > column and r[column].strip()]


@dataclass(frozen=True)
class ClipSpan:
    start: int  # first frame (30 fps, from the first extracted frame)
    frames: int

    @property
    def name(self) -> str:
        return f"f{self.start:06d}"


def plan_clips(num_frames: int, config: DatasetConfig = DatasetConfig()) -> list[ClipSpan]:
    """The clips of a video of ``num_frames`` frames at 30 fps (rules in the package docstring)."""
    length = round(config.clip_seconds * FPS)
    step = length - round(config.overlap_seconds * FPS)
    shortest = max(2, round(config.min_clip_seconds * FPS))
    if num_frames < length:
        return [ClipSpan(0, num_frames)] if num_frames >= shortest else []
    starts = list(range(0, num_frames - length + 1, step))
    if num_frames - (starts[-1] + length) >= shortest:
        starts.append(num_frames - length)
    return [ClipSpan(s, length) for s in starts]


def clip_coverage(keypoints: Keypoints2D) -> float:
    """Fraction of frames with a pose: at least 9 of the 17 joints with confidence > 0."""
    return float(((keypoints.confidence > 0).sum(-1) >= POSE_JOINTS).mean()) if keypoints.num_frames else 0.0


def sample_seed(content_sha256: str, start_frame: int, index: int, base: int = 0) -> int:
    """The seed of sample ``index`` of the clip starting at ``start_frame`` of a video (63 bits)."""
    digest = hashlib.sha256(f"{content_sha256}:{start_frame}:{index}:{base}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


@dataclass(frozen=True)
class Scores:
    """How good a generated motion is. None: could not be measured."""

    fidelity_pck: float | None  # fraction of confident 2D keypoints the motion reprojects onto (higher: better)
    reprojection_error: float | None  # mean 2D error of confident keypoints, torso lengths
    foot_skate: float | None  # m/s: feet sliding on contact frames (after foot locking)
    jitter: float | None  # m/s^3: mean third difference of joint positions


def judge(scores: Scores, config: DatasetConfig) -> str | None:
    """The reason to reject a sample (one of ``REJECT_REASONS``), or None to keep it."""
    if scores.jitter is None or scores.foot_skate is None:
        return "invalid"
    if config.min_pck > 0 and (scores.fidelity_pck is None or scores.fidelity_pck < config.min_pck):
        return "fidelity"
    if scores.foot_skate > config.max_foot_skate:
        return "foot_skate"
    if scores.jitter > config.max_jitter:
        return "jitter"
    return None


def digest(*parts: object) -> str:
    """A cache key: 16 hex digits of the SHA-256 of ``parts`` (JSON-serialisable)."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]
