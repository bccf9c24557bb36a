"""One job, ``vimo run``: a video or a 2D keypoint file in, motion files, a preview and ``report.json`` out.

    run(source, out, config) -> RunReport

- A video: its performer's keypoints are extracted (:func:`vimo.video.extract.extract_keypoints`; the model
  loads meanwhile) and written as ``keypoints.json``; the preview (:func:`vimo.video_run.write_run_preview`)
  shows the input beside the result.
- A keypoint file (our JSON, AlphaPose, OpenPose, COCO, MMPose): read by
  :func:`vimo.io.keypoint_formats.read_keypoints`.

Both then generate (:func:`vimo.generation.generate_any`: the bundle's ``generate``), write the motions
(:func:`vimo.export.write_generated`) and ``report.json``: one layout for both (:class:`RunReport`; what only a
video has is null for keypoints), with the package version, the weights' name and SHA-256, and every file the
run wrote.

A run owns its output folder: the next run into the same folder removes what the previous one wrote there
(the ``files`` of its report.json) and does not write again, and never touches anything else
(:func:`vimo.export.remove_stale_outputs`).
"""

from __future__ import annotations

import json
import math
import shutil
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from vimo import __version__
from vimo.bundle import bundle_kind, load_generator
from vimo.errors import VimoError
from vimo.export import (
    DEFAULT_FORMATS,
    check_formats,
    check_writable_dir,
    previous_outputs,
    remove_stale_outputs,
    run_report,
    write_generated,
)
from vimo.generation import Generated, GenerationConfig, MotionGenerator, generate_any
from vimo.io.atomic import atomic_open
from vimo.io.hashing import file_sha256
from vimo.io.keypoint_formats import MIN_FRAMES, keypoint_warnings, read_keypoints
from vimo.keypoints import Keypoints2D
from vimo.memory import release_freed_memory
from vimo.options import BvhUnits, ModelKind, NpzLayout
from vimo.paths import BASELINE_WEIGHTS, VIMO_WEIGHTS
from vimo.video.decode import is_video, probe
from vimo.video.extract import Extraction, extract_keypoints
from vimo.video_run import PanelFrames, write_run_preview

Progress = Callable[[int, int], None]  # (done, total)

REPORT = "report.json"
KEYPOINTS = "keypoints.json"  # a video's extracted keypoints
PREVIEW = "preview.mp4"  # a video's preview
PREVIEW_FPS = 30.0


SHIPPED_WEIGHTS = {ModelKind.VIMO: VIMO_WEIGHTS, ModelKind.BASELINE: BASELINE_WEIGHTS}


@dataclass(frozen=True)
class VideoSpan:
    """Which part of a video, and whom in it (videos only)."""

    start: float | None = None  # seconds; None: the beginning
    end: float | None = None  # seconds; None: the end
    person: int | None = None  # track id to follow; None: the performer

    @property
    def given(self) -> bool:
        return any(v is not None for v in (self.start, self.end, self.person))


@dataclass(frozen=True)
class RunConfig:
    model: ModelKind = ModelKind.VIMO
    weights: Path | None = None  # bundle prefix (PREFIX.json + PREFIX.safetensors); None: the shipped one
    generation: GenerationConfig = field(default_factory=GenerationConfig)
    formats: tuple[str, ...] = DEFAULT_FORMATS  # of vimo.export.FORMATS
    npz: NpzLayout = NpzLayout.VIMO  # motion.npz's key layout
    bvh_units: BvhUnits = BvhUnits.M  # motion.bvh's length unit
    video: VideoSpan = field(default_factory=VideoSpan)
    preview: bool = True  # videos: write preview.mp4

    @property
    def bundle(self) -> Path:
        return Path(self.weights) if self.weights is not None else SHIPPED_WEIGHTS[ModelKind(self.model)]


@dataclass
class RunReport:
    """What ``report.json`` holds, the same keys for a video and a keypoint file."""

    input: str
    input_kind: str  # "video" or "keypoints"
    vimo_version: str
    model: str  # a ModelKind value
    weights: dict  # name (the bundle prefix's name), sha256 (of PREFIX.safetensors), run (training run) or None
    seed: int
    steps: int
    guidance: float | None  # the weight used (the bundle's default unless given)
    smooth: float | None  # temporal smoothing sigma used, frames
    reprojection: float | None  # reprojection-guidance strength used (vimo.reprojection; None: the model has none)
    trajectory: bool  # root path re-derived from the planted feet (vimo.trajectory)
    frames: int  # of the motion, at ``fps``
    fps: float
    best_sample: int
    samples: list[dict]  # per sample: index, fidelity_pck, reprojection_error_torso, frames_fitted, foot_skate_m_s
    video: dict | None  # width, height, fps (videos)
    start_s: float | None  # where the extraction started in the video (videos)
    person_track: int | None  # the track followed (videos)
    coverage: dict | None  # share of frames with a pose (videos; vimo.video.extract.Coverage)
    warnings: list[str]
    timings_s: dict[str, float]  # per stage: extract_s or load_s, generate_s, preview_s
    files: list[str]  # every file this run wrote, relative to the output folder (report.json last)

    def to_dict(self) -> dict:
        return asdict(self)


BUNDLE_KINDS = {ModelKind.VIMO: "vimo", ModelKind.BASELINE: "lifter"}  # --model -> the bundle kind it loads


def check_run(source: Path, config: RunConfig) -> None:
    """Every option of ``config`` that can be checked before any work (one-line VimoError)."""
    model = ModelKind(config.model)
    if model is ModelKind.BASELINE and config.generation.samples != 1:
        raise VimoError("the baseline is deterministic: it gives one answer (--samples 1)")
    check_formats(config.formats, npz=NpzLayout(config.npz).value, bvh_units=BvhUnits(config.bvh_units).value)
    if config.video.given and not is_video(source):
        raise VimoError("--start/--end/--person apply to videos; for keypoints, trim the keypoint file instead")
    check_generation(config.generation)
    check_span(config.video.start, config.video.end)
    check_bundle(config.bundle)
    kind, wanted = bundle_kind(config.bundle), BUNDLE_KINDS[model]
    if kind != wanted:  # the report would name one model while the other ran
        other = next((m.value for m, k in BUNDLE_KINDS.items() if k == kind), None)
        hint = f"give --model {other}" if other else "give a keypoint-to-motion bundle"
        raise VimoError(f"--weights {config.bundle}: holds a {kind!r} model, not the {wanted!r} model of --model "
                        f"{model.value}; {hint}")  # fmt: skip


def check_generation(generation: GenerationConfig) -> None:
    """One-line VimoError naming the option for a guidance weight or smoothing that is not a finite number of
    the right sign (the counts and the seed are checked by the command line's ranges)."""
    if generation.guidance is not None and not math.isfinite(generation.guidance):
        raise VimoError(f"--guidance {generation.guidance}: expected a finite number")
    if generation.smooth is not None and not (math.isfinite(generation.smooth) and generation.smooth >= 0):
        raise VimoError(f"--smooth must be >= 0, got {generation.smooth:g} (a Gaussian sigma in frames; 0: off)")
    if generation.samples < 1 or generation.steps < 1:
        raise VimoError(f"--samples {generation.samples} / --steps {generation.steps}: expected at least 1")


def check_span(start: float | None, end: float | None) -> None:
    """One-line VimoError for a video span that is empty, reversed or before the video's start."""
    for name, t in (("--start", start), ("--end", end)):
        if t is not None and not (math.isfinite(t) and t >= 0):
            raise VimoError(f"{name} {t}: expected seconds >= 0")
    if start is not None and end is not None and end <= start:
        raise VimoError(f"--start {start:g} / --end {end:g}: the span is reversed or empty (end must be after start)")


def check_bundle(prefix: Path) -> None:
    """One-line VimoError when the model bundle ``prefix`` (PREFIX.json + PREFIX.safetensors) is not there."""
    if not Path(prefix).name:
        raise VimoError(f"--weights {str(prefix)!r}: not a bundle prefix (PREFIX.json + PREFIX.safetensors)")
    missing = [p for p in (prefix.with_suffix(".json"), prefix.with_suffix(".safetensors")) if not p.is_file()]
    if missing:
        raise VimoError(f"{missing[0]}: model weights not found (a bundle is PREFIX.json + PREFIX.safetensors)")


def run(
    source: str | Path,
    out: str | Path,
    config: RunConfig = RunConfig(),
    *,
    progress: Progress | None = None,
    generation_progress: Progress | None = None,
) -> RunReport:
    """Run the whole job on a video or a keypoint file into the folder ``out``; the report is also written to
    OUT/report.json. ``progress`` counts the video frames read, ``generation_progress`` the windows sampled."""
    source, out = Path(source), Path(out)
    check_run(source, config)
    video = is_video(source)
    keypoints = None
    if video:
        probe(source)  # a bad file fails here, before any output
    else:
        keypoints = read_keypoints(source)
    check_writable_dir(out)  # made by the first file written: a failure before leaves no folder
    made = out
    while not made.parent.exists():  # the topmost folder this run makes (None: out exists)
        made = made.parent
    made = None if out.exists() else made
    try:
        previous = previous_outputs(out, REPORT)
        weights = config.bundle
        if video:
            job = _from_video(source, out, weights, config, progress)
        else:
            job = _from_keypoints(keypoints, weights)
        t0 = time.perf_counter()
        generated = generate_any(job.model, job.keypoints, config.generation, generation_progress)
        release_freed_memory()
        job.timings["generate_s"] = time.perf_counter() - t0
        written = list(job.written)
        if job.extraction is not None and config.preview:
            t0 = time.perf_counter()
            best = generated.motions[generated.best]
            written.append(write_run_preview(job.extraction, best, out / PREVIEW, fps=PREVIEW_FPS, kept=job.kept))
            release_freed_memory()
            job.timings["preview_s"] = time.perf_counter() - t0
        written += write_generated(out, generated, formats=config.formats, npz=NpzLayout(config.npz).value,
                                   bvh_units=BvhUnits(config.bvh_units).value)  # fmt: skip
        report = _report(source, video, config, weights, job, generated, [*written, out / REPORT], out)
        commit_report(out, previous, report.to_dict())
    except BaseException:
        if made is not None:  # a job that fails, or is stopped, leaves no folder of its own behind
            shutil.rmtree(made, ignore_errors=True)
        raise
    return report


def weights_identity(prefix: Path, info: dict) -> dict:
    """What a report says of the weights used: the bundle's name, the SHA-256 of PREFIX.safetensors and the
    training run it came from (None when the bundle does not say)."""
    return {"name": prefix.name, "sha256": file_sha256(prefix.with_suffix(".safetensors")), "run": info.get("run")}


def commit_report(out: Path, previous: list[str], report: dict) -> None:
    """End a job that owns ``out``: remove the files an earlier job wrote there (``previous``) that this one did not
    write again (``report["files"]``), then write OUT/report.json, the new list."""
    remove_stale_outputs(out, previous, keep=report["files"])
    with atomic_open(out / REPORT, "w") as fh:
        json.dump(report, fh, indent=1)


@dataclass
class _Job:
    """An input made ready for generation: keypoints, the loaded model, and what the input stage found."""

    keypoints: Keypoints2D
    model: MotionGenerator  # a ViMo or a Lifter bundle
    timings: dict[str, float]
    written: list[Path] = field(default_factory=list)
    facts: dict = field(default_factory=dict)  # RunReport fields only a video has
    extraction: Extraction | None = None  # videos
    kept: PanelFrames | None = None


def _from_video(video: Path, out: Path, weights: Path, config: RunConfig, progress: Progress | None) -> _Job:
    t0 = time.perf_counter()
    with ThreadPoolExecutor(1, thread_name_prefix="vimo-load") as pool:
        loading = pool.submit(load_generator, weights)  # while the video is read (extraction leaves a core idle)
        kept = PanelFrames() if config.preview else None
        span = config.video
        extraction = extract_keypoints(video, start=span.start, end=span.end, person=span.person, progress=progress,
                                       on_frame=kept)  # fmt: skip
        frames = extraction.keypoints.num_frames
        if frames < MIN_FRAMES:
            raise VimoError(f"{video}: {frames} frame(s) in the span read; a motion needs at least {MIN_FRAMES}")
        extraction.keypoints.to_json(out / KEYPOINTS)
        release_freed_memory()  # each stage's temporaries go back before the next stage (bounded peak)
        timings = {"extract_s": time.perf_counter() - t0}
        model = loading.result()
    info = extraction.video
    facts = {
        "video": {"width": info.width, "height": info.height, "fps": info.fps},
        "start_s": extraction.start_time,
        "person_track": extraction.person,
        "coverage": asdict(extraction.coverage),
        "warnings": list(extraction.warnings),
    }
    return _Job(extraction.keypoints, model, timings, [out / KEYPOINTS], facts, extraction, kept)


def _from_keypoints(keypoints: Keypoints2D, weights: Path) -> _Job:
    t0 = time.perf_counter()
    model = load_generator(weights)
    return _Job(
        keypoints, model, {"load_s": time.perf_counter() - t0}, facts={"warnings": keypoint_warnings(keypoints)}
    )


def _report(
    source: Path,
    video: bool,
    config: RunConfig,
    weights: Path,
    job: _Job,
    generated: Generated,
    written: list[Path],
    out: Path,
) -> RunReport:
    gen, model = config.generation, job.model
    scores = run_report(generated)
    facts = {"video": None, "start_s": None, "person_track": None, "coverage": None, "warnings": [], **job.facts}
    return RunReport(
        input=str(source),
        input_kind="video" if video else "keypoints",
        vimo_version=__version__,
        model=ModelKind(config.model).value,
        weights=weights_identity(weights, model.info),
        seed=gen.seed,
        steps=gen.steps,
        guidance=getattr(model, "guidance", None) if gen.guidance is None else gen.guidance,
        smooth=getattr(model, "smooth", None) if gen.smooth is None else gen.smooth,
        reprojection=_reprojection_strength(model, gen),
        trajectory=gen.trajectory,
        frames=scores["frames"],
        fps=scores["fps"],
        best_sample=scores["best_sample"],
        samples=scores["samples"],
        timings_s={k: round(v, 2) for k, v in job.timings.items()},
        files=[p.relative_to(out).as_posix() for p in written],
        **facts,
    )


def _reprojection_strength(model, gen) -> float | None:
    """The reprojection-guidance strength a run used: None for a model without it (the lifter)."""
    bundle = getattr(model, "reprojection", None)
    return None if bundle is None else gen.reprojection_config(bundle).strength
