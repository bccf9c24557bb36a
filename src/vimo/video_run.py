"""``vimo run VIDEO``: extraction + generation + outputs + preview, with timings per stage.

Writes into OUT: ``keypoints.json`` (the performer's cleaned 2D keypoints), the motion files of
:func:`vimo.export.write_generated`, ``preview.mp4`` (input frames with the 2D skeleton | the 3D result
from a fixed camera | from a follow camera) and ``report.json`` (frames, fps, coverage, fidelity,
timings per stage, warnings).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path

import cv2
import numpy as np

from vimo.data.preview import draw_keypoints
from vimo.export import DEFAULT_FORMATS, ensure_writable_dir, run_report, write_generated
from vimo.memory import release_freed_memory
from vimo.pipeline import DEFAULT_WEIGHTS, GenerationConfig, generate_any, load_model
from vimo.render import render_side_by_side
from vimo.video.decode import VideoReader
from vimo.video.extract import Extraction, extract_keypoints

PANEL_HEIGHT = 360  # preview panels (render_side_by_side's default)
VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".webm", ".avi", ".mkv", ".mpg", ".mpeg", ".wmv", ".flv", ".3gp")


def is_video(path: Path) -> bool:
    return path.suffix.lower() in VIDEO_SUFFIXES


class PanelFrames:
    """The input frames at the preview's panel height, kept while the pose pass decodes them (``on_frame`` of
    :func:`extract_keypoints`), so the preview need not decode the video a third time. Frames are scaled on a
    worker thread (the pose pass leaves a core idle). Keeps at most ``budget_mb``; past that it lets go of
    everything and the preview decodes again (memory stays bounded for long videos)."""

    def __init__(self, height: int = PANEL_HEIGHT, budget_mb: float = 256.0) -> None:
        self.height, self.budget = height, int(budget_mb * 2**20)
        self.size = (0, 0)  # panel (width, height), from the first frame
        self.scale = 1.0  # panel pixels per video pixel
        self._pending: list[Future] | None = []
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="vimo-panel")

    def __call__(self, index: int, image: np.ndarray, scale: float) -> None:
        if self._pending is None:
            return
        if not self._pending:
            h, w = image.shape[:2]
            self.size = (max(2, int(round(w * self.height / h))), self.height)
            self.scale = scale * self.size[0] / w
        if index != len(self._pending) or (index + 1) * self.size[0] * self.size[1] * 3 > self.budget:
            self._pending = None  # out of budget (or a skipped frame): the preview decodes instead
            self._pool.shutdown(wait=False, cancel_futures=True)
            return
        self._pending.append(self._pool.submit(cv2.resize, image, self.size, interpolation=cv2.INTER_AREA))

    def take(self, count: int) -> Iterator[np.ndarray] | None:
        """The first ``count`` frames, each handed out once (and then forgotten), or None if not all are kept."""
        pending, self._pending = self._pending, None
        self._pool.shutdown(wait=False)
        if pending is None or len(pending) < count:
            return None
        return _drain(pending[:count])


def _drain(futures: list[Future]) -> Iterator[np.ndarray]:
    for k in range(len(futures)):
        frame, futures[k] = futures[k].result(), None  # freed once handed out
        yield frame


def _overlay_frames(extraction: Extraction, height: int = PANEL_HEIGHT, kept: PanelFrames | None = None):
    """The input frames at the preview's panel height, with the 2D skeleton: from ``kept`` when it holds them
    all, else decoded again (scaled while decoding)."""
    kp = extraction.keypoints
    frames = None if kept is None else kept.take(kp.num_frames)
    if frames is not None:
        for k, img in enumerate(frames):
            draw_keypoints(img, kp.data[k], kept.scale)
            yield img
        return
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
    generation_progress: Callable[[int, int], None] | None = None,
) -> dict:
    """Run the whole job on a video; returns the report (also written to OUT/report.json). ``progress``
    counts the frames read, ``generation_progress`` the windows sampled."""
    ensure_writable_dir(out)
    timings = {}
    t0 = time.perf_counter()
    with ThreadPoolExecutor(1, thread_name_prefix="vimo-load") as pool:
        loading = pool.submit(load_model, weights)  # while the video is read (extraction leaves a core idle)
        kept = PanelFrames() if preview else None
        extraction = extract_keypoints(video, start=start, end=end, person=person, progress=progress, on_frame=kept)
        extraction.keypoints.to_json(out / "keypoints.json")
        release_freed_memory()  # each stage's temporaries go back before the next stage (bounded peak)
        timings["extract_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        model = loading.result()
    generated = generate_any(model, extraction.keypoints, generation, generation_progress)
    release_freed_memory()
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
        render_side_by_side(_overlay_frames(extraction, kept=kept), best, out / "preview.mp4", fps=30.0)
        release_freed_memory()
        timings["preview_s"] = time.perf_counter() - t0
    report["timings_s"] = {k: round(v, 2) for k, v in timings.items()}
    write_generated(out, generated, formats=formats, report=report)
    return run_report(generated, report)
