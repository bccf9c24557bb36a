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

Modules, bottom to top: ``plan`` (inputs, clips, seeds, judging), ``stages`` (extraction, generation),
``records`` (what a clip remembers), ``manifest`` (the published lines), ``builder`` (the one writer),
``engines`` (``local``, ``ray``: who runs the stages), ``build`` (``build_dataset``).
"""

from vimo.apps.dataset.build import BuildReport, EngineName, build_dataset
from vimo.apps.dataset.builder import CONTACT_SHEET, SCHEMA, SUMMARY, DatasetBuilder, DatasetSummary
from vimo.apps.dataset.engines import Engine
from vimo.apps.dataset.engines.local import LocalEngine
from vimo.apps.dataset.engines.ray import RayConfig, RayEngine
from vimo.apps.dataset.manifest import MANIFEST, dataset_motion_files, manifest_line, read_manifest
from vimo.apps.dataset.plan import (
    REJECT_REASONS,
    ClipSpan,
    DatasetConfig,
    Scores,
    clip_coverage,
    find_videos,
    judge,
    plan_clips,
    sample_seed,
)
from vimo.apps.dataset.records import ClipRecord, SampleRecord, VideoJob, reconcile
from vimo.apps.dataset.stages import (
    ClipJob,
    ClipResult,
    ExtractedVideo,
    GeneratedSample,
    GenerationSettings,
    ModelFiles,
    extract_video,
    generate_clips,
)

__all__ = [
    "CONTACT_SHEET",
    "MANIFEST",
    "REJECT_REASONS",
    "SCHEMA",
    "SUMMARY",
    "BuildReport",
    "ClipJob",
    "ClipRecord",
    "ClipResult",
    "ClipSpan",
    "DatasetBuilder",
    "DatasetConfig",
    "DatasetSummary",
    "Engine",
    "EngineName",
    "ExtractedVideo",
    "GeneratedSample",
    "GenerationSettings",
    "LocalEngine",
    "ModelFiles",
    "RayConfig",
    "RayEngine",
    "SampleRecord",
    "Scores",
    "VideoJob",
    "build_dataset",
    "clip_coverage",
    "dataset_motion_files",
    "extract_video",
    "find_videos",
    "generate_clips",
    "judge",
    "manifest_line",
    "plan_clips",
    "read_manifest",
    "reconcile",
    "sample_seed",
]
