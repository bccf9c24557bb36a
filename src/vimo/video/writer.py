"""Write RGB frames to an .mp4 (PyAV: H.264 if available, else MPEG-4 Part 2) or a .gif (Pillow).

Writes are atomic: the video goes to a temp file beside the target, which is then renamed over it,
so a crash never leaves a half-written file under the final name.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from fractions import Fraction
from pathlib import Path

import numpy as np

from vimo.io.atomic import atomic_path

SUFFIXES = (".mp4", ".gif")


def write_video(frames: Iterable[np.ndarray], path: str | os.PathLike, fps: float) -> Path:
    """Write frames (each (H, W, 3) uint8 RGB, all the same size) to ``path``; returns the path.

    The format follows the suffix: ``.mp4`` (yuv420p; odd sizes are padded by one pixel to even
    dimensions) or ``.gif`` (looping).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ValueError(f"write_video: unsupported suffix {path.suffix!r} in {path}; use one of {SUFFIXES}")
    if not fps > 0:
        raise ValueError(f"write_video: fps must be positive, got {fps}")
    with atomic_path(path) as tmp:
        checked = _checked(frames)
        if suffix == ".mp4":
            _write_mp4(prefetched(checked), tmp, fps)
        else:
            _write_gif(checked, tmp, fps)
    return path


def _checked(frames: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
    shape = None
    for k, frame in enumerate(frames):
        frame = np.asarray(frame)
        if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
            raise ValueError(f"write_video: frame {k} must be (H, W, 3) uint8, got {frame.shape} {frame.dtype}")
        if shape is None:
            shape = frame.shape
        elif frame.shape != shape:
            raise ValueError(f"write_video: frame {k} has shape {frame.shape}; frame 0 had {shape}")
        yield frame
    if shape is None:
        raise ValueError("write_video: no frames")


def prefetched(frames: Iterable[np.ndarray], depth: int = 8) -> Iterator[np.ndarray]:
    """Iterate ``frames`` produced by a worker thread up to ``depth`` ahead: drawing the next frames (OpenCV and
    NumPy release the GIL) overlaps with encoding this one. The producer's exceptions are re-raised here;
    stopping early stops the producer."""
    import queue
    import threading

    q: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def produce() -> None:
        try:
            for frame in frames:
                while not stop.is_set():
                    try:
                        q.put(frame, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put(done)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            q.put(exc)

    worker = threading.Thread(target=produce, daemon=True, name="vimo-frames")
    worker.start()
    try:
        while True:
            item = q.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join(timeout=5)


def _encoder() -> str:
    import av

    for name in ("libx264", "mpeg4"):
        try:
            av.codec.Codec(name, "w")
        except Exception:  # noqa: BLE001 - PyAV raises several types for a missing encoder
            continue
        return name
    raise RuntimeError("write_video: PyAV has neither libx264 nor mpeg4 encoders")


def _write_mp4(frames: Iterator[np.ndarray], path: Path, fps: float) -> None:
    import av

    codec = _encoder()
    with av.open(str(path), mode="w", format="mp4") as container:
        stream = None
        for frame in frames:
            h, w = frame.shape[:2]
            if h % 2 or w % 2:
                frame = np.pad(frame, ((0, h % 2), (0, w % 2), (0, 0)), mode="edge")
            if stream is None:
                stream = container.add_stream(codec, rate=Fraction(fps).limit_denominator(1001))
                stream.width, stream.height = frame.shape[1], frame.shape[0]
                stream.pix_fmt = "yuv420p"
                if codec == "mpeg4":
                    stream.bit_rate = 4_000_000
                else:  # previews: encoding speed matters more than size (superfast: 4.0 vs veryfast 6.7 ms
                    # per 1092x360 frame here, files twice as large, ~90 kB/s)
                    stream.options = {"preset": "superfast", "crf": "23"}
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        if stream is not None:
            for packet in stream.encode():
                container.mux(packet)


def _write_gif(frames: Iterator[np.ndarray], path: Path, fps: float) -> None:
    from PIL import Image

    images = [Image.fromarray(frame) for frame in frames]
    images[0].save(
        path,
        format="GIF",
        save_all=True,
        append_images=images[1:],
        duration=max(20, 10 * round(100.0 / fps)),  # GIF stores centiseconds; < 20 ms plays slowly
        loop=0,
    )
