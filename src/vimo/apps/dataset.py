"""Build a 3D motion dataset from videos (paper, application 1: "3D motion dataset construction").

Per video: content hash -> 2D keypoints of the performer (``vimo.video.extract``, cached per video) ->
clips of ``clip_seconds`` -> K motions per clip (``vimo.pipeline.generate``; the paper amplifies its
data 5-50x this way), each scored (2D fidelity, foot skating, jitter) and kept when it passes the
thresholds. ``build_dataset`` is the API behind ``vimo dataset build``; docs/dataset.md has the how-to.

Layout of ``DATASET`` (every path below is relative to it, and so are the paths in the files)::

    manifest.jsonl                      one line per kept motion (``manifest_line``), sorted
    summary.json                        clips, minutes, rejects by reason, failures, settings
    contact_sheet.png                   a few kept motions
    motions/<video>/<clip>/sample_<k>.npz   kept motion k ("vimo" SMPL npz; .bvh too with ``bvh``)
    motions/<video>/<clip>/keypoints.json   the clip's 2D keypoints (vimo-keypoints/1, 30 fps)
    state/<video>/keypoints.json, extraction.json   the cached 2D extraction of the whole video
    state/<video>/<clip>.json           the clip's record: key, coverage, every sample's seed and scores
    state/<video>/failed.json           an input error (not retried until the video or --force changes)

``<video>`` is the first 12 hex digits of the file's SHA-256 (renamed or moved videos are not redone);
``<clip>`` is ``f`` + the clip's first frame (30 fps, from the first extracted frame).

Clips: ``clip_seconds`` long, ``clip_seconds - overlap_seconds`` apart; when at least ``min_clip_seconds``
of video remain after the last one, one more clip ends at the video's end (all clips have the same
length); a video shorter than one clip but at least ``min_clip_seconds`` long is one shorter clip. A clip
is skipped when fewer than ``min_coverage`` of its frames have a pose (at least 9 of the 17 joints).

Seeds: sample k of the clip starting at frame s of a video with hash h is generated alone with seed
``sample_seed(h, s, k, seed)`` (deterministic, independent of K, of the engine and of the order of work).

Reliability:
- Every file is written atomically (temp file + rename). A clip's record is written after its files:
  it is the commit point. The manifest is rebuilt from the records (after each video) and lists only
  files that exist; files that no record references are deleted only after a manifest without them
  is in place.
- A killed run resumes: committed clips are kept, the rest is redone (same seeds: same results).
- Keys: the extraction cache is keyed on (content hash, stage version); a clip record on (extraction
  key, clip span, model hash, steps, guidance, foot lock, seed, stage version). Thresholds, K and
  ``bvh`` are not in the key: a record keeps every sample's scores, so changing them only re-judges,
  generates the missing samples (same seeds: the others do not change) or removes files.
- A failing video is recorded (summary.json) and the batch goes on. Input errors (``VimoError``: not a
  video, nobody in it) are remembered; other errors are retried by the next run.
- The same inputs, model and settings again: nothing is computed or written. ``force`` redoes all.
- The manifest lists the current inputs' clips only; files of videos no longer among the inputs stay
  (as a cache) until ``motions/<video>`` and ``state/<video>`` are deleted.
"""

from __future__ import annotations

import csv
import fcntl
import hashlib
import json
import logging
import math
import os
import re
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Literal

import numpy as np

from vimo.errors import VimoError
from vimo.eval.metrics import foot_skating, jitter
from vimo.io.atomic import atomic_open, atomic_path
from vimo.keypoints import NUM_KEYPOINTS, Keypoints2D
from vimo.motion import Motion
from vimo.pipeline import DEFAULT_WEIGHTS, FPS, GenerationConfig, ViMo, generate
from vimo.video_run import VIDEO_SUFFIXES

log = logging.getLogger(__name__)

SCHEMA = "vimo-dataset/1"
EXTRACT_VERSION = "1"  # bump when the cached 2D extraction would change
GENERATE_VERSION = "1"  # bump when generated samples or their scores would change
MANIFEST = "manifest.jsonl"
SUMMARY = "summary.json"
CONTACT_SHEET = "contact_sheet.png"
LIST_SUFFIXES = (".txt", ".csv")
CLIP_RECORD = re.compile(r"f\d+\.json")  # state/<video>/<clip>.json
POSE_JOINTS = NUM_KEYPOINTS // 2 + 1  # joints a frame needs to count as covered (9 of 17)
REJECT_REASONS = ("low_coverage", "fidelity", "foot_skate", "jitter", "invalid", "failed")
Engine = Literal["local", "ray"]
ProgressCallback = Callable[[int, int], None]


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


@dataclass(frozen=True)
class RayConfig:
    """Where the Ray engine runs and how its two stages are placed (see docs/dataset.md)."""

    address: str | None = None  # a cluster ("auto", "ray://head:10001"); None: a local instance
    workers: int | None = None  # videos in flight at once (local instance: its CPUs); None: the cluster's CPUs
    extract_cpus: float = 1.0  # per 2D-extraction task
    generate_cpus: float = 1.0  # per generation task
    generate_gpus: float = 0.0  # per generation task (> 0: the model runs on the task's GPU)
    extract_resources: dict[str, float] = field(default_factory=dict)  # custom resources, e.g. {"video": 1}
    generate_resources: dict[str, float] = field(default_factory=dict)


# -- pure pieces: inputs, clips, seeds, scores ------------------------------------------------------------


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
    """The clips of a video of ``num_frames`` frames at 30 fps (rules in the module docstring)."""
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


def _finite(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def _digest(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# -- the two stages (run in this process, or as Ray tasks by vimo.apps.dataset_ray) ------------------------


@dataclass(frozen=True)
class ExtractedVideo:
    """Stage 1's result: the performer's keypoints (T, 17, 3) at 30 fps, frame 0 at ``start_time`` s."""

    keypoints: Keypoints2D
    start_time: float
    person: int | None  # the followed track (None: no track, full frames)
    warnings: tuple[str, ...]
    seconds: float = 0.0  # time spent


def extract_video(path: str | os.PathLike) -> ExtractedVideo:
    """Stage 1: 2D extraction (``vimo.video.extract.extract_keypoints`` at 30 fps)."""
    from vimo.video.extract import extract_keypoints

    t0 = time.perf_counter()
    ex = extract_keypoints(path, fps=FPS)
    return ExtractedVideo(ex.keypoints, ex.start_time, ex.person, ex.warnings, time.perf_counter() - t0)


@dataclass(frozen=True)
class ClipJob:
    """Stage 2's input for one clip: its keypoints (T, 17, 3) and the (index, seed) of the samples to make."""

    clip: str
    keypoints: Keypoints2D
    samples: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class GeneratedSample:
    index: int
    seed: int
    motion: Motion  # 30 fps, world frame, grounded
    scores: Scores


@dataclass(frozen=True)
class ClipResult:
    clip: str
    samples: tuple[GeneratedSample, ...]
    seconds: float


@dataclass(frozen=True)
class GenerationSettings:
    steps: int
    guidance: float  # resolved (the model's default when the config says None)
    foot_lock: bool


def generate_clips(vimo: ViMo, jobs: Sequence[ClipJob], settings: GenerationSettings) -> Iterator[ClipResult]:
    """Stage 2: each sample generated alone with its own seed, and scored; one result per clip."""
    for job in jobs:
        t0 = time.perf_counter()
        samples = []
        for index, seed in job.samples:
            config = GenerationConfig(samples=1, seed=seed, steps=settings.steps, guidance=settings.guidance,
                                      foot_lock=settings.foot_lock)  # fmt: skip
            gen = generate(vimo, job.keypoints, config)
            motion = gen.motions[0]
            joints = motion.joints()
            skate = gen.foot_skate[0][1] if gen.foot_skate else foot_skating(joints, motion.contacts)
            scores = Scores(_finite(gen.fidelity[0].pck), _finite(gen.fidelity[0].error), _finite(skate),
                            _finite(jitter(joints)))  # fmt: skip
            samples.append(GeneratedSample(index, seed, motion, scores))
        yield ClipResult(job.clip, tuple(samples), time.perf_counter() - t0)


# -- records ---------------------------------------------------------------------------------------------


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


# -- the builder: one writer of DATASET, fed by an engine -------------------------------------------------


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


@dataclass
class DatasetSummary:
    videos: int = 0  # among the inputs, with clips listed (failed videos excluded)
    clips: int = 0  # clips with at least one kept motion
    motions: int = 0  # kept motions (manifest lines)
    minutes: float = 0.0  # of kept motions
    clip_minutes: float = 0.0  # of source video in those clips
    rejects: dict[str, int] = field(default_factory=dict)  # by reason: clips (low_coverage), samples, videos
    failed: dict[str, str] = field(default_factory=dict)  # source -> reason
    duplicates: dict[str, str] = field(default_factory=dict)  # source -> the source with the same content


@dataclass
class BuildReport:
    dataset: Path
    summary: DatasetSummary
    videos_computed: int  # videos with any new work this run
    clips_computed: int  # clips generated this run (any sample)
    samples_generated: int
    seconds: dict[str, float]  # extract / generate (summed over tasks) and total (wall clock)

    @property
    def up_to_date(self) -> bool:
        return self.videos_computed == 0


@dataclass(frozen=True)
class ModelFiles:
    """A model bundle's bytes and identity (shipped to Ray workers instead of a path)."""

    name: str
    sha256: str
    config_json: bytes
    weights: bytes
    guidance: float

    @classmethod
    def read(cls, prefix: str | os.PathLike) -> ModelFiles:
        prefix = Path(prefix)
        cfg_path, w_path = prefix.with_suffix(".json"), prefix.with_suffix(".safetensors")
        if not cfg_path.exists() or not w_path.exists():
            raise VimoError(f"model weights not found: expected {cfg_path} and {w_path}")
        cfg, weights = cfg_path.read_bytes(), w_path.read_bytes()
        sha = hashlib.sha256(hashlib.sha256(cfg).digest() + hashlib.sha256(weights).digest()).hexdigest()
        return cls(prefix.name, sha[:16], cfg, weights, float(json.loads(cfg).get("guidance", 2.0)))


class DatasetBuilder:
    """The single writer of a dataset folder. An engine calls ``begin`` per video, runs stage 1 when
    ``job.extracted`` is None and hands the result to ``on_extracted``, runs stage 2 on the clip jobs
    that returns and hands each result to ``on_clip``, then calls ``finish`` (or ``fail``).

    ``progress(videos done, videos)`` is called after every clip and video; it may raise (e.g.
    KeyboardInterrupt) to stop the build between two commits.
    """

    def __init__(
        self,
        root: Path,
        model: ModelFiles,
        config: DatasetConfig,
        *,
        force: bool = False,
        videos: int = 0,
        progress: ProgressCallback | None = None,
    ) -> None:
        self.root, self.model, self.config, self.force = root, model, config, force
        self.videos, self.videos_done, self._progress = videos, 0, progress or (lambda done, total: None)
        self.settings = GenerationSettings(config.steps, model.guidance if config.guidance is None
                                           else float(config.guidance), config.foot_lock)  # fmt: skip
        self.seen: dict[str, Path] = {}  # video id -> the first input with its content (this run)
        self.done: dict[str, VideoJob] = {}  # video id -> finished or failed job (this run)
        self.failed: dict[str, str] = {}
        self.failed_ids: set[str] = set()
        self.duplicates: dict[str, str] = {}
        self.seconds = {"extract": 0.0, "generate": 0.0}
        self.samples_generated = 0
        self._lines = self._read_previous_manifest()  # video id -> its manifest lines

    # -- paths ----------------------------------------------------------------------------------------
    def _path(self, rel: str) -> Path:
        """``rel`` (posix, relative) under the dataset; refuses anything that would leave it."""
        p = Path(rel)
        if p.is_absolute() or ".." in p.parts or not rel:
            raise VimoError(f"{self.root}: refusing path {rel!r} (not inside the dataset)")
        return self.root / p

    def _state(self, video: str, name: str = "") -> Path:
        return self.root / "state" / video / name

    # -- per video ------------------------------------------------------------------------------------
    def begin(self, source: Path) -> VideoJob | None:
        """Hash the video and load what earlier runs left; None when there is nothing to do (the video
        failed for good before, repeats another input, or cannot be read: recorded)."""
        try:
            sha = file_sha256(source)
        except OSError as exc:
            self._record_failure(source, None, f"{source}: cannot read ({exc.strerror or exc})")
            return self._advance()
        vid = sha[:12]
        if vid in self.seen:
            self.duplicates[str(source)] = str(self.seen[vid])
            return self._advance()
        self.seen[vid] = source
        key = _digest("extract", EXTRACT_VERSION, sha, FPS)
        failed = self._read_json(self._state(vid, "failed.json"))
        if failed and failed.get("key") == key and not self.force:
            self._record_failure(source, vid, str(failed.get("reason")))
            return self._advance()
        job = VideoJob(source, sha, vid, key, {} if self.force else self._read_records(vid))
        meta = None if self.force else self._read_json(self._state(vid, "extraction.json"))
        if meta and meta.get("key") == key:
            try:
                kp = Keypoints2D.from_json(self._state(vid, "keypoints.json"))
                job.extracted = ExtractedVideo(kp, float(meta["start_time"]), meta["person"], tuple(meta["warnings"]))
                job.from_cache = True
            except (VimoError, KeyError, TypeError, ValueError):
                log.warning("%s: cached keypoints unreadable; extracting again", source)
        return job

    def on_extracted(self, job: VideoJob, extracted: ExtractedVideo) -> list[ClipJob]:
        """Cache stage 1's result, plan the clips, bring their records up to date; the clips to generate."""
        if not job.from_cache:
            self.seconds["extract"] += extracted.seconds
            extracted.keypoints.to_json(self._state(job.id, "keypoints.json"))
            meta = {"key": job.extraction_key, "source_sha256": job.sha256, "start_time": extracted.start_time,
                    "person": extracted.person, "warnings": list(extracted.warnings),
                    "frames": extracted.keypoints.num_frames}  # fmt: skip
            self._write_text(self._state(job.id, "extraction.json"), json.dumps(meta, indent=1))
            self._state(job.id, "failed.json").unlink(missing_ok=True)
        job.extracted = extracted
        spans = {s.name: s for s in plan_clips(extracted.keypoints.num_frames, self.config)}
        keys = {name: self._clip_key(job, span) for name, span in spans.items()}
        stale = [n for n, r in job.records.items() if keys.get(n) != r.key or not self._files_exist(r)]
        if stale or self.force:
            for name in stale:
                del job.records[name]
                self._state(job.id, name + ".json").unlink(missing_ok=True)
            self._publish(job)  # a manifest without the stale clips, before their files go
            self._collect_garbage(job)
        work = []
        for name, span in spans.items():
            kp = extracted.keypoints[span.start : span.start + span.frames]
            old = job.records.get(name) or ClipRecord(keys[name], name, span.start, span.frames, clip_coverage(kp))
            record, todo = reconcile(old, self.config)
            if record != old or name not in job.records:
                self._commit(job, record)
            if todo:
                seeds = tuple((k, sample_seed(job.sha256, span.start, k, self.config.seed)) for k in todo)
                work.append(ClipJob(name, kp, seeds))
        return work

    def on_clip(self, job: VideoJob, result: ClipResult) -> None:
        """Write a clip's new kept samples (and its keypoints), then its record (the commit)."""
        self.seconds["generate"] += result.seconds
        record = job.records[result.clip]
        folder = f"motions/{job.id}/{result.clip}"
        samples = {s.index: s for s in record.samples}
        for s in result.samples:
            files: tuple[str, ...] = ()
            if judge(s.scores, self.config) is None:
                files = self._write_sample(s.motion, f"{folder}/sample_{s.index}")
            samples[s.index] = SampleRecord(s.index, s.seed, s.scores, files)
        self.samples_generated += len(result.samples)
        record = replace(record, samples=tuple(samples[k] for k in sorted(samples)))
        if any(s.files for s in record.samples):
            if record.keypoints is None or not self._path(record.keypoints).exists():
                rel = f"{folder}/keypoints.json"
                assert job.extracted is not None
                job.extracted.keypoints[record.start : record.start + record.frames].to_json(self._path(rel))
                record = replace(record, keypoints=rel)
        else:
            record = replace(record, keypoints=None)
        self._commit(job, record)
        job.clips_computed += 1
        self._progress(self.videos_done, self.videos)

    def finish(self, job: VideoJob) -> None:
        self.done[job.id] = job
        self._publish(job)
        self._collect_garbage(job)
        self._advance()

    def fail(self, job: VideoJob, exc: BaseException) -> None:
        """Record why a video failed; input errors (VimoError) are remembered, others retried next run."""
        final = isinstance(exc, VimoError)
        reason = str(exc) if final else f"{type(exc).__name__}: {exc}"
        reason = reason.strip().splitlines()[0] if reason.strip() else type(exc).__name__
        if final and job.extracted is None:
            self._write_text(self._state(job.id, "failed.json"), json.dumps({"key": job.extraction_key,
                                                                             "reason": reason}))  # fmt: skip
        (log.info if final else log.warning)("%s failed: %s", job.source, reason, exc_info=not final)
        self._record_failure(job.source, job.id, reason)
        self.done[job.id] = job
        self._publish(job)
        self._collect_garbage(job)
        self._advance()

    def _advance(self) -> None:
        """One more video done (finished, failed or nothing to do)."""
        self.videos_done += 1
        self._progress(self.videos_done, self.videos)

    # -- writing --------------------------------------------------------------------------------------
    def _clip_key(self, job: VideoJob, span: ClipSpan) -> str:
        s = self.settings
        return _digest("clip", GENERATE_VERSION, job.extraction_key, span.start, span.frames, self.model.sha256,
                       s.steps, s.guidance, s.foot_lock, self.config.seed)  # fmt: skip

    def _write_sample(self, motion: Motion, stem: str) -> tuple[str, ...]:
        from vimo.io.bvh import write_bvh
        from vimo.io.smpl_npz import write_smpl_npz

        write_smpl_npz(motion, self._path(stem + ".npz"), convention="vimo")
        if not self.config.bvh:
            return (stem + ".npz",)
        write_bvh(motion, self._path(stem + ".bvh"))
        return (stem + ".npz", stem + ".bvh")

    def _commit(self, job: VideoJob, record: ClipRecord) -> None:
        self._write_text(self._state(job.id, record.clip + ".json"), record.to_json())
        job.records[record.clip] = record

    def _write_text(self, path: Path, text: str) -> bool:
        """Write ``text`` atomically unless the file already holds it; True when written."""
        try:
            if path.read_text(encoding="utf-8") == text:
                return False
        except (OSError, UnicodeDecodeError):
            pass
        with atomic_open(path, "w") as fh:
            fh.write(text)
        return True

    def _record_failure(self, source: Path, vid: str | None, reason: str) -> None:
        self.failed[str(source)] = reason
        if vid:
            self.failed_ids.add(vid)

    # -- reading --------------------------------------------------------------------------------------
    @staticmethod
    def _read_json(path: Path) -> dict | None:
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return doc if isinstance(doc, dict) else None

    def _read_records(self, vid: str) -> dict[str, ClipRecord]:
        records = {}
        folder = self._state(vid)
        for path in sorted(p for p in folder.iterdir() if CLIP_RECORD.fullmatch(p.name)) if folder.is_dir() else []:
            try:
                record = ClipRecord.from_json(path.read_text(encoding="utf-8"))
                for rel in record.files():
                    self._path(rel)  # inside the dataset, or the record is not ours
                if record.clip != path.stem:
                    raise ValueError("clip name differs from the file name")
            except (OSError, ValueError, KeyError, TypeError, VimoError) as exc:
                log.warning("%s: unreadable record (%s); the clip is redone", path, exc)
                path.unlink(missing_ok=True)
                continue
            records[record.clip] = record
        return records

    def _files_exist(self, record: ClipRecord) -> bool:
        return all(self._path(rel).is_file() for rel in record.files())

    def _read_previous_manifest(self) -> dict[str, list[str]]:
        """The last manifest's lines by video: listed until this run reaches the video."""
        previous: dict[str, list[str]] = {}
        path = self.root / MANIFEST
        for line in path.read_text(encoding="utf-8").splitlines() if path.exists() else []:
            try:
                doc = json.loads(line)
                if all(self._path(rel).is_file() for rel in _line_files(doc)):
                    previous.setdefault(str(doc["video"]), []).append(line)
            except (ValueError, KeyError, TypeError, VimoError):
                continue
        return previous

    # -- manifest, summary, garbage -------------------------------------------------------------------
    def manifest_lines(self, job: VideoJob) -> list[str]:
        """The manifest lines of a video's kept samples, in clip and sample order."""
        if job.extracted is None:  # failed before its keypoints were known: nothing to list
            return []
        return [
            json.dumps(manifest_line(job, job.extracted, r, s, self.model, self.settings), sort_keys=True)
            for name, r in sorted(job.records.items())
            for s in r.samples
            if s.files
        ]

    def _publish(self, job: VideoJob | None = None, *, final: bool = False) -> None:
        """Rewrite the manifest (only when it changes): this run's videos from their records, the others
        (until the run reaches them; dropped at the end) from the last manifest."""
        if job is not None:
            self._lines[job.id] = self.manifest_lines(job)
        ids = sorted(self.done) if final else sorted(set(self._lines) | set(self.done))
        lines = [line for vid in ids for line in self._lines.get(vid, [])]
        self._write_text(self.root / MANIFEST, "".join(line + "\n" for line in lines))

    def _collect_garbage(self, job: VideoJob) -> None:
        """Delete a video's files that no record references (and leftover temp files)."""
        keep = {self._path(rel).resolve() for r in job.records.values() for rel in r.files()}
        keep |= {self._state(job.id, r.clip + ".json").resolve() for r in job.records.values()}
        for folder, everything in ((self.root / "motions" / job.id, True), (self._state(job.id), False)):
            if not folder.is_dir():
                continue
            for p in sorted(folder.rglob("*"), reverse=True):
                if p.is_dir():
                    if not any(p.iterdir()):
                        p.rmdir()
                elif (
                    p.name.endswith(".tmp")
                    or p.name.startswith(".")
                    or (p.resolve() not in keep and (everything or CLIP_RECORD.fullmatch(p.name)))
                ):
                    p.unlink(missing_ok=True)
            if not any(folder.iterdir()):
                folder.rmdir()

    def summarize(self) -> DatasetSummary:
        summary = DatasetSummary(rejects=dict.fromkeys(REJECT_REASONS, 0))
        for vid, job in sorted(self.done.items()):
            if vid in self.failed_ids and not job.records:
                continue
            summary.videos += 1
            for r in job.records.values():
                if r.coverage < self.config.min_coverage:
                    summary.rejects["low_coverage"] += 1
                    continue
                kept = [s for s in r.samples if s.files]
                for s in r.samples:
                    reason = judge(s.scores, self.config)
                    if reason is not None:
                        summary.rejects[reason] += 1
                summary.motions += len(kept)
                summary.clips += bool(kept)
                summary.minutes += len(kept) * r.frames / FPS / 60.0
                summary.clip_minutes += bool(kept) * r.frames / FPS / 60.0
        summary.rejects["failed"] = len(self.failed)
        summary.failed = dict(sorted(self.failed.items()))
        summary.duplicates = dict(sorted(self.duplicates.items()))
        summary.minutes, summary.clip_minutes = round(summary.minutes, 4), round(summary.clip_minutes, 4)
        return summary

    def close(self) -> DatasetSummary:
        """The final manifest (this run's videos only), summary.json and the contact sheet."""
        self._publish(final=True)
        summary = self.summarize()
        sheet = self._contact_sheet()
        doc = {"schema": SCHEMA, **asdict(summary), "contact_sheet": sheet, "config": asdict(self.config),
               "model": {"name": self.model.name, "sha256": self.model.sha256}}  # fmt: skip
        self._write_text(self.root / SUMMARY, json.dumps(doc, indent=1, sort_keys=True))
        for p in self.root.glob(".*.tmp*"):  # temp files a killed run left at the top
            p.unlink(missing_ok=True)
        return summary

    def _contact_sheet(self, rows: int = 6) -> dict | None:
        """Redraw the contact sheet when the motions it should show change: the best kept sample of up to
        ``rows`` clips spread over the manifest."""
        best: dict[tuple[str, str], dict] = {}
        for line in (self.root / MANIFEST).read_text(encoding="utf-8").splitlines():
            doc = json.loads(line)
            k = (doc["video"], doc["clip"]["name"])
            if k not in best or (doc["scores"]["fidelity_pck"] or 0) > (best[k]["scores"]["fidelity_pck"] or 0):
                best[k] = doc
        if not best:
            (self.root / CONTACT_SHEET).unlink(missing_ok=True)
            return None
        clips = [best[k] for k in sorted(best)]
        picks = [
            clips[i] for i in sorted(set(np.linspace(0, len(clips) - 1, min(rows, len(clips))).round().astype(int)))
        ]
        shown = {d["motion"]: f"{Path(d['source']['path']).name} {d['clip']['start_s']:.1f}s #{d['sample']}"
                 for d in picks}  # fmt: skip
        old = (self._read_json(self.root / SUMMARY) or {}).get("contact_sheet") or {}
        if old.get("motions") != shown or not (self.root / CONTACT_SHEET).exists():
            from vimo.io.smpl_npz import read_smpl_npz
            from vimo.viz import contact_sheet

            with atomic_path(self.root / CONTACT_SHEET) as tmp:
                contact_sheet([(title, read_smpl_npz(self._path(rel))) for rel, title in shown.items()], tmp)
        return {"file": CONTACT_SHEET, "motions": shown}


def manifest_line(
    job: VideoJob,
    extracted: ExtractedVideo,
    record: ClipRecord,
    sample: SampleRecord,
    model: ModelFiles,
    settings: GenerationSettings,
) -> dict:
    """One kept motion with its provenance (the schema is in docs/dataset.md)."""
    start_s = extracted.start_time + record.start / FPS
    s = settings
    return {
        "id": f"{job.id}/{record.clip}/{sample.index}",
        "video": job.id,
        "motion": sample.files[0],
        "bvh": sample.files[1] if len(sample.files) > 1 else None,
        "keypoints": record.keypoints,
        "source": {"path": Path(job.source).as_posix(), "sha256": job.sha256, "person_track": extracted.person},
        "clip": {
            "name": record.clip,
            "start_frame": record.start,
            "frames": record.frames,
            "fps": FPS,
            "start_s": round(start_s, 4),
            "end_s": round(start_s + record.frames / FPS, 4),
            "coverage": round(record.coverage, 4),
        },
        "sample": sample.index,
        "seed": sample.seed,
        "model": {"name": model.name, "sha256": model.sha256},
        "generation": {"steps": s.steps, "guidance": s.guidance, "foot_lock": s.foot_lock, "version": GENERATE_VERSION},
        "scores": asdict(sample.scores),
    }


def _line_files(doc: dict) -> list[str]:
    return [doc[k] for k in ("motion", "bvh", "keypoints") if doc.get(k)]


# -- reading a dataset -----------------------------------------------------------------------------------


def read_manifest(dataset: str | os.PathLike) -> list[dict]:
    """The manifest's lines (one dict per kept motion)."""
    path = Path(dataset) / MANIFEST
    if not path.exists():
        raise VimoError(f"{dataset}: no {MANIFEST} (not a dataset made by `vimo dataset build`)")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def dataset_motion_files(folder: str | os.PathLike) -> list[Path] | None:
    """The motion files a dataset's manifest lists (``vimo data prepare`` reads these), or None when
    ``folder`` is not a dataset."""
    folder = Path(folder)
    if not (folder / MANIFEST).is_file():
        return None
    return [folder / doc["motion"] for doc in read_manifest(folder)]


# -- building --------------------------------------------------------------------------------------------


@contextmanager
def _locked(root: Path) -> Iterator[None]:
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise VimoError(f"{root}: another `vimo dataset build` is writing this dataset") from None
        yield


def build_dataset(
    inputs: Sequence[str | os.PathLike],
    out: str | os.PathLike,
    *,
    weights: str | os.PathLike = DEFAULT_WEIGHTS,
    config: DatasetConfig = DatasetConfig(),
    engine: Engine = "local",
    ray: RayConfig | None = None,
    force: bool = False,
    progress: ProgressCallback | None = None,
) -> BuildReport:
    """Build (or bring up to date) the dataset at ``out`` from ``inputs`` (see the module docstring).

    engine: "local" runs everything in this process, one video after the other; "ray" runs the same
    stages as Ray tasks (``vimo.apps.dataset_ray``; settings in ``ray``). progress(done, total): videos,
    called after every clip and video; it may raise (KeyboardInterrupt) to stop between two commits.
    """
    if engine not in ("local", "ray"):
        raise VimoError(f"unknown engine {engine!r}; choose local or ray")
    if engine == "local" and ray is not None and (ray.address or ray.workers):
        raise VimoError("--address and --workers are for --engine ray (a local Ray instance without --address)")
    videos = find_videos(inputs)
    if not videos:
        raise VimoError(f"no videos ({', '.join(VIDEO_SUFFIXES)}) in {', '.join(map(str, inputs))}")
    root = Path(out)
    if root.exists() and not root.is_dir():
        raise VimoError(f"{root}: exists and is not a folder")
    model = ModelFiles.read(weights)
    t0 = time.perf_counter()
    with _locked(root):
        builder = DatasetBuilder(root, model, config, force=force, videos=len(videos), progress=progress)
        if engine == "ray":
            from vimo.apps.dataset_ray import run_ray

            run_ray(builder, videos, model, ray or RayConfig())
        else:
            _run_local(builder, videos, weights)
        summary = builder.close()
    computed = [j for j in builder.done.values() if j.clips_computed or not j.from_cache]
    return BuildReport(root, summary, len(computed), sum(j.clips_computed for j in builder.done.values()),
                       builder.samples_generated,
                       {**{k: round(v, 2) for k, v in builder.seconds.items()},
                        "total": round(time.perf_counter() - t0, 2)})  # fmt: skip


def _run_local(builder: DatasetBuilder, videos: list[Path], weights: str | os.PathLike) -> None:
    vimo: ViMo | None = None
    for source in videos:
        job = builder.begin(source)
        if job is not None:
            try:
                work = builder.on_extracted(job, job.extracted or extract_video(source))
                if work and vimo is None:
                    vimo = ViMo.load(weights)
                for result in generate_clips(vimo, work, builder.settings) if work else ():
                    builder.on_clip(job, result)
            except Exception as exc:  # noqa: BLE001 - a failing video is recorded and never stops the batch
                builder.fail(job, exc)
            else:
                builder.finish(job)
