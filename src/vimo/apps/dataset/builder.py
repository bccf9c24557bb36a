"""The single writer of a dataset folder: an engine feeds it each video's stage results, it commits them.

Every file is written atomically; a clip's record is its commit point (see the package docstring).
"""

from __future__ import annotations

import fcntl
import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from vimo.apps.dataset.manifest import contact_sheet_picks, line_files, manifest_line
from vimo.apps.dataset.plan import (
    EXTRACT_VERSION,
    GENERATE_VERSION,
    REJECT_REASONS,
    ClipSpan,
    DatasetConfig,
    clip_coverage,
    digest,
    judge,
    plan_clips,
    sample_seed,
)
from vimo.apps.dataset.records import CLIP_RECORD, ClipRecord, SampleRecord, VideoJob, reconcile
from vimo.apps.dataset.stages import ClipJob, ClipResult, ExtractedVideo, GenerationSettings, ModelFiles
from vimo.errors import VimoError
from vimo.generation import FPS
from vimo.io.atomic import atomic_open, atomic_path
from vimo.io.dataset_manifest import MANIFEST
from vimo.io.hashing import file_sha256
from vimo.keypoints import Keypoints2D
from vimo.motion import Motion

log = logging.getLogger(__name__)

SCHEMA = "vimo-dataset/1"
SUMMARY = "summary.json"
CONTACT_SHEET = "contact_sheet.png"
CONTACT_SHEET_ROWS = 6  # clips the contact sheet shows
ProgressCallback = Callable[[int, int], None]


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
        key = digest("extract", EXTRACT_VERSION, sha, FPS)
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
        return digest("clip", GENERATE_VERSION, job.extraction_key, span.start, span.frames, self.model.sha256,
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
                if all(self._path(rel).is_file() for rel in line_files(doc)):
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

    def _contact_sheet(self, rows: int = CONTACT_SHEET_ROWS) -> dict | None:
        """Redraw the contact sheet when the motions it should show change: the best kept sample of up to
        ``rows`` clips spread over the manifest."""
        shown = contact_sheet_picks((self.root / MANIFEST).read_text(encoding="utf-8").splitlines(), rows)
        if not shown:
            (self.root / CONTACT_SHEET).unlink(missing_ok=True)
            return None
        old = (self._read_json(self.root / SUMMARY) or {}).get("contact_sheet") or {}
        if old.get("motions") != shown or not (self.root / CONTACT_SHEET).exists():
            from vimo.io.smpl_npz import read_smpl_npz
            from vimo.viz.contact_sheet import contact_sheet

            with atomic_path(self.root / CONTACT_SHEET) as tmp:
                contact_sheet([(title, read_smpl_npz(self._path(rel))) for rel, title in shown.items()], tmp)
        return {"file": CONTACT_SHEET, "motions": shown}


@contextmanager
def locked(root: Path) -> Iterator[None]:
    """Hold the dataset's lock (one build writes a dataset at a time); ``VimoError`` when another holds it."""
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise VimoError(f"{root}: another `vimo dataset build` is writing this dataset") from None
        yield
