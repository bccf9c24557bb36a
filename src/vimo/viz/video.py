"""Videos of motions: a motion filmed by cameras (``render_video``) and the ``vimo run`` preview
(``render_side_by_side``: input frames | the motion from a fixed camera | from a follow camera)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import cv2
import numpy as np

from vimo.motion import Motion
from vimo.video.writer import prefetched, write_video
from vimo.viz.cameras import CameraPath, HasCameras
from vimo.viz.mannequin import Figure, MannequinStyle
from vimo.viz.scene import SceneStyle, render_frames
from vimo.viz.text import put_text

KEPT_STYLE = MannequinStyle()  # blue shirt: frames copied from an input motion
GENERATED_STYLE = MannequinStyle(shirt=(230, 140, 40))  # orange shirt: generated frames


def render_video(
    motion: Motion | np.ndarray | Sequence[Motion | np.ndarray | Figure],
    cameras: HasCameras,
    path: str | os.PathLike,
    fps: float | None = None,
    *,
    scene: SceneStyle = SceneStyle(),
) -> Path:
    """Render ``motion`` (or several figures) under ``cameras`` to an .mp4/.gif; returns the path.

    fps: default the motion's (the first figure's, if a Motion), else 30.
    """
    if fps is None:
        first = motion if isinstance(motion, Motion) else None
        if first is None and isinstance(motion, Sequence) and motion and isinstance(motion[0], Motion):
            first = motion[0]
        fps = first.fps if first is not None else 30.0
    return write_video(render_frames(motion, cameras, scene=scene), path, fps)


def render_side_by_side(
    frames_left: Iterable[np.ndarray] | None,
    motion: Motion,
    path: str | os.PathLike,
    *,
    fps: float | None = None,
    panel_height: int = 360,
    scene: SceneStyle = SceneStyle(),
    method: str = "raster",
) -> Path:
    """A preview video: [input frames | the motion from a fixed camera | from a follow camera].

    frames_left: (H, W, 3) uint8 images (e.g. the source video) or None for no left panel; the
    video stops at the shorter of the two. Each panel is scaled to ``panel_height`` pixels.
    """
    figure = Figure.of(motion)
    joints = figure.joints  # (T, 24, 3) float64
    size = (panel_height, panel_height)
    fixed = render_frames(figure, CameraPath.overview(joints, image_size=size), scene=scene, method=method)
    follow = render_frames(figure, CameraPath.follow(joints, image_size=size, fps=motion.fps), scene=scene,
                           method=method)  # fmt: skip

    def frames() -> Iterator[np.ndarray]:
        lefts: Iterable[np.ndarray | None] = frames_left if frames_left is not None else iter(lambda: None, 0)
        if frames_left is not None:
            lefts = prefetched(lefts, depth=4)  # decoding the input overlaps with drawing the 3D panels
        for left, a, b in zip(lefts, prefetched(fixed, depth=4), follow):
            panels = []
            if left is not None:
                left = np.asarray(left)
                if left.shape[0] != panel_height:
                    width = int(round(left.shape[1] * panel_height / left.shape[0]))
                    left = cv2.resize(left, (width, panel_height), interpolation=cv2.INTER_AREA)
                panels += [left, _gap(panel_height)]
            put_text(a, "3D: fixed view")
            put_text(b, "3D: follow view")
            panels += [a, _gap(panel_height), b]
            yield np.concatenate(panels, axis=1)

    return write_video(frames(), path, motion.fps if fps is None else fps)


def _gap(height: int) -> np.ndarray:
    return np.full((height, 4, 3), 20, np.uint8)


def render_kept_and_generated(motion: Motion, kept: np.ndarray, path: str | os.PathLike, *, size: int = 360) -> Path:
    """A follow-camera video (``size`` x ``size`` pixels) of ``motion`` with its kept frames (``kept`` (T,) bool)
    in ``KEPT_STYLE`` and the others in ``GENERATED_STYLE``, each frame labelled."""
    joints = motion.joints().astype(np.float64)
    cams = CameraPath.follow(joints, image_size=(size, size), fps=motion.fps)
    figure = Figure.of(motion)
    scene = SceneStyle(floor_y=float(np.percentile(joints[:, :, 1].min(axis=1), 5)) - 0.05)
    edges = np.flatnonzero(np.diff(kept.astype(int))) + 1
    bounds = [0, *edges.tolist(), len(motion)]

    def frames() -> Iterator[np.ndarray]:
        for a, b in zip(bounds[:-1], bounds[1:]):
            is_kept = bool(kept[a])
            seg = Figure(figure.joints[a:b], figure.head_rotations[a:b], KEPT_STYLE if is_kept else GENERATED_STYLE)
            seg_cams = CameraPath(cams.R[a:b], cams.t[a:b], cams.focal[a:b], cams.principal[a:b], cams.image_size)
            for img in render_frames(seg, seg_cams, scene=scene):
                put_text(img, "kept" if is_kept else "generated")
                yield img

    return write_video(frames(), path, motion.fps)
