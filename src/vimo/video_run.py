"""``vimo run VIDEO``: extraction + generation + outputs + preview, with timings per stage.

Writes into OUT: ``keypoints.json`` (the performer's cleaned 2D keypoints), the motion files of
:func:`vimo.export.write_generated`, ``preview.mp4`` (input frames with the 2D skeleton | the 3D result
from a fixed camera | from a follow camera) and ``report.json`` (frames, fps, coverage, fidelity,
timings per stage, warnings).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import numpy as np

from vimo.data.preview import draw_keypoints
from vimo.export import DEFAULT_FORMATS, ensure_writable_dir, run_report, write_generated
from vimo.pipeline import DEFAULT_WEIGHTS, GenerationConfig, generate_any, load_model
from vimo.render import render_side_by_side
from vimo.video.decode import VideoReader
from vimo.video.extract import Extraction, extract_keypoints

PANEL_HEIGHT = 360  # preview panels (render_side_by_side's default)
VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".webm", ".avi", ".mkv", ".mpg", ".mpeg", ".wmv", ".flv", ".3gp")


def is_video(path: Path) -> bool:
    return path.suffix.lower() in VIDEO_SUFFIXES


def _overlay_frames(extraction: Extraction, height: int = PANEL_HEIGHT):
    """The input frames at the preview's panel height (scaled while decoding), with the 2D skeleton."""
    kp = extraction.keypoints
    w, h = extraction.video.width, extraction.video.height
    max_side = max(16, int(np.ceil(height * max(w, h) / h)))
    reader = VideoReader(extraction.video.path, fps=kp.fps, start=extraction.start_time or None,
                         end=extraction.start_time + kp.num_frames / kp.fps, max_side=max_side)  # fmt: skip
    scale = reader.output_size()[0] / extraction.video.width
    for frame in reader:
        if frame.index >= kp.num_frames:
            break
        img = np.ascontiguousarray(frame.image)
        draw_keypoints(img, kp.data[frame.index], scale)
        yield img


def run_video(
    video: Path,
    out: Path,
    *,
    weights: Path = DEFAULT_WEIGHTS,
    generation: GenerationConfig = GenerationConfig(),
    start: float | None = None,
    end: float | None = None,
    person: int | None = None,
    formats: tuple[str, ...] = DEFAULT_FORMATS,
    preview: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> dict:
    """Run the whole job on a video; returns the report (also written to OUT/report.json)."""
    ensure_writable_dir(out)
    timings = {}
    t0 = time.perf_counter()
    extraction = extract_keypoints(video, start=start, end=end, person=person, progress=progress)
    extraction.keypoints.to_json(out / "keypoints.json")
    timings["extract_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    model = load_model(weights)
    generated = generate_any(model, extraction.keypoints, generation)
    timings["generate_s"] = time.perf_counter() - t0
    report = {
        "input": str(video),
        "video": {"width": extraction.video.width, "height": extraction.video.height, "fps": extraction.video.fps},
        "start_s": extraction.start_time,
        "person_track": extraction.person,
        "coverage": asdict(extraction.coverage),
        "warnings": list(extraction.warnings),
        "seed": generation.seed,
        "model": model.info.get("run", str(weights)),
        "guidance": getattr(model, "guidance", None) if generation.guidance is None else generation.guidance,
    }
    if preview:
        t0 = time.perf_counter()
        best = generated.motions[generated.best]
        render_side_by_side(_overlay_frames(extraction), best, out / "preview.mp4", fps=30.0)
        timings["preview_s"] = time.perf_counter() - t0
    report["timings_s"] = {k: round(v, 2) for k, v in timings.items()}
    write_generated(out, generated, formats=formats, report=report)
    return run_report(generated, report)
