"""What ``vimo run VIDEO`` adds to a keypoint run (:mod:`vimo.run`): the preview (input frames with the 2D
skeleton | the 3D result from a fixed camera | from a follow camera), drawn from the frames the pose pass
decoded when they fit in memory."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np

from vimo.motion import Motion
from vimo.video.audio import read_soundtrack, write_with_audio
from vimo.video.decode import VideoReader
from vimo.video.extract import Extraction
from vimo.viz.keypoints import draw_keypoints
from vimo.viz.video import render_side_by_side

PANEL_HEIGHT = 360  # preview panels (render_side_by_side's default)


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


def write_run_preview(
    extraction: Extraction, motion: Motion, path: Path, *, fps: float, kept: PanelFrames | None = None
) -> Path:
    """``preview.mp4`` of a video run: the input frames with the 2D skeleton | ``motion`` from a fixed camera | from
    a follow camera, with the video's soundtrack over the same span when it has one. ``kept``: the panel frames
    kept during extraction (else the video is decoded again)."""
    frames = _overlay_frames(extraction, kept=kept)
    soundtrack = read_soundtrack(extraction.video.path, start=extraction.start_time, seconds=len(motion) / motion.fps)
    write_with_audio(path, soundtrack, lambda silent: render_side_by_side(frames, motion, silent, fps=fps))
    return path
