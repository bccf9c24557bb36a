"""The person tracks of a video drawn on its frames: a box, id and score per track (the chosen one thicker),
as a video or as the one frame showing the most tracks."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path

import cv2
import numpy as np

from vimo.errors import VimoError
from vimo.io.atomic import atomic_open
from vimo.video.tracking import Track
from vimo.video.writer import write_video

_PALETTE = ((255, 80, 80), (80, 200, 255), (255, 200, 40), (120, 230, 120), (220, 120, 255), (255, 140, 200))


def draw_tracks(image: np.ndarray, tracks: Sequence[Track], frame: int, *, chosen: int | None = None) -> np.ndarray:
    """A copy of ``image`` with the boxes of the tracks present at ``frame`` and their ids and scores."""
    out = image.copy()
    scale = max(out.shape[:2]) / 640.0
    for t in tracks:
        if not t.first <= frame <= t.last:
            continue
        x0, y0, x1, y1 = (int(round(v)) for v in t.boxes_at(np.array([frame]))[0])
        colour = _PALETTE[t.id % len(_PALETTE)]
        box_thick = max(1, int(round((3 if t.id == chosen else 1.5) * scale)))
        cv2.rectangle(out, (x0, y0), (x1, y1), colour, box_thick, cv2.LINE_AA)
        label = f"#{t.id}" + (f" {t.score.total:.2f}" if t.score else "") + (" (chosen)" if t.id == chosen else "")
        org = (max(x0, 2), max(y0 - 6, int(16 * scale)))
        text_thick = max(1, int(round(1.2 * scale)))
        cv2.putText(out, label, org, cv2.FONT_HERSHEY_SIMPLEX, 0.55 * scale, (0, 0, 0), text_thick + 2, cv2.LINE_AA)
        cv2.putText(out, label, org, cv2.FONT_HERSHEY_SIMPLEX, 0.55 * scale, colour, text_thick, cv2.LINE_AA)
    return out


def write_tracks_preview(
    frames: Iterator[np.ndarray] | Sequence[np.ndarray],
    tracks: Sequence[Track],
    path: str | os.PathLike,
    *,
    chosen: int | None = None,
    fps: float = 30.0,
    scale: float = 1.0,
) -> Path:
    """Label the tracks on the video's frames (the frames the tracks were computed on, in order;
    track boxes are multiplied by ``scale`` to fit them). ``.mp4``/``.gif``: the whole video;
    ``.png``/``.jpg``: the one frame showing the most tracks (the earliest of those)."""
    path = Path(path)
    scaled = [
        Track(t.id, t.frames, t.boxes * scale, t.scores, t.score) for t in tracks
    ] if scale != 1.0 else list(tracks)  # fmt: skip
    if path.suffix.lower() in (".png", ".jpg", ".jpeg"):
        counts = np.zeros(max((t.last + 1 for t in tracks), default=1), np.int64)
        for t in tracks:
            counts[t.first : t.last + 1] += 1
        best = int(np.argmax(counts))
        for k, image in enumerate(frames):
            if k == best:
                ok, data = cv2.imencode(path.suffix.lower(), cv2.cvtColor(draw_tracks(image, scaled, k, chosen=chosen),
                                                                         cv2.COLOR_RGB2BGR))  # fmt: skip
                if not ok:
                    raise VimoError(f"{path}: could not encode the preview image")
                with atomic_open(path, "wb") as fh:
                    fh.write(data.tobytes())
                return path
        raise VimoError(f"{path}: the video has fewer frames ({best}) than the tracks")
    return write_video((draw_tracks(im, scaled, k, chosen=chosen) for k, im in enumerate(frames)), path, fps)
