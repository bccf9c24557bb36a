"""Video decoding with PyAV: probe a file and stream its frames, resampled to a fixed frame rate.

- Streaming: frames are decoded and yielded one at a time (memory does not grow with the video).
- Frame rate: output frame k is at time ``t_k = t0 + k / fps`` (t0 = ``start``, else the first frame's
  time) and shows the latest source frame at or before ``t_k`` (a source frame up to a quarter of
  an output interval late still counts, so timestamp jitter does not duplicate or drop frames).
  This handles variable frame rate (phones) and any source rate. The output stops at the end of
  the last source frame (its timestamp plus its duration) or at ``end`` (exclusive).
- Times are seconds from the start of the video stream.
- Rotation: phone videos store their orientation as a display matrix (side data); it is applied,
  so frames come out upright and ``VideoInfo.width/height`` are the displayed size.
- ``max_side``: frames are downscaled (never upscaled) so their longer side is at most this.
- Damaged files: what can be decoded is yielded (``VideoReader.warnings`` says where decoding
  stopped); an error is raised only if nothing decodes.

Errors are ``InputFormatError`` (a ``VimoError``) naming the file: missing, empty (0 bytes), not a
video, no video stream, a single frame, unreadable; and ``VimoError`` for a bad time range.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vimo.errors import InputFormatError, VimoError

log = logging.getLogger(__name__)

MAX_DECODE_ERRORS = 25  # consecutive undecodable packets before giving up on the rest of the file
VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".webm", ".avi", ".mkv", ".mpg", ".mpeg", ".wmv", ".flv", ".3gp")


def is_video(path: Path) -> bool:
    """Whether ``path`` names a video file (by its suffix, case-insensitive; ``VIDEO_SUFFIXES``)."""
    return path.suffix.lower() in VIDEO_SUFFIXES


@dataclass(frozen=True)
class VideoInfo:
    """What ``probe`` finds out about a video without decoding all of it.

    width, height: the displayed frame size in pixels (after rotation, before any downscale).
    fps: the source's average frame rate; num_frames: the source's frame count (an estimate where
    the container does not store it); duration: seconds; rotation: degrees counter-clockwise
    applied to decoded frames for display (0, 90, 180 or 270).
    """

    path: Path
    width: int
    height: int
    fps: float
    num_frames: int
    duration: float
    rotation: int
    codec: str

    def frames_at(self, fps: float, start: float | None = None, end: float | None = None) -> int:
        """Estimated number of frames ``iter_frames`` yields at ``fps`` for this time range."""
        lo = 0.0 if start is None else max(0.0, start)
        hi = self.duration if end is None else min(end, self.duration)
        return max(0, int(math.ceil((hi - lo) * fps - 1e-6)))


@dataclass(frozen=True)
class Frame:
    """One output frame: index (0, 1, ... in output order), time (seconds from the video's start)
    and image (H, W, 3) uint8 RGB, upright."""

    index: int
    time: float
    image: np.ndarray


# -- rotation -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DisplayTransform:
    """How to show a decoded frame: rotate ``rotation`` degrees counter-clockwise, then mirror
    left-right if ``hflip``."""

    rotation: int = 0
    hflip: bool = False


def display_transform(matrix: bytes | Sequence[int]) -> DisplayTransform:
    """Read a display matrix (ISO/IEC 14496-12; 9 int32: 16.16 fixed point, the third column 2.30)
    as a rotation by a multiple of 90 degrees (counter-clockwise) and an optional mirror.

    The matrix maps source pixel (p, q) to ``(p * m[0] + q * m[3], p * m[1] + q * m[4])``; a pure
    counter-clockwise rotation by theta has ``m[0] = m[4] = cos(theta)``, ``m[3] = -m[1] = sin(theta)``.
    A negative determinant means a mirror image: writers (``av_display_matrix_flip``) mirror by
    negating the first column, so we negate it back and read the rotation from the rest.
    """
    if isinstance(matrix, (bytes, bytearray, memoryview)):
        values = np.frombuffer(bytes(matrix)[:36], dtype="<i4").astype(np.float64)
    else:
        values = np.asarray(matrix, dtype=np.float64)
    if values.shape != (9,):
        raise ValueError(f"display matrix must have 9 values, got {values.shape}")
    a, b, c, d = values[[0, 1, 3, 4]] / 65536.0
    hflip = a * d - b * c < 0
    if hflip:
        a, c = -a, -c
    theta = math.degrees(math.atan2(-b, a))
    return DisplayTransform(int(round(theta / 90.0)) % 4 * 90, bool(hflip))


def apply_display_transform(image: np.ndarray, transform: DisplayTransform) -> np.ndarray:
    """Rotate (H, W, ...) ``image`` counter-clockwise by ``transform.rotation``, then mirror if asked."""
    out = np.rot90(image, k=(transform.rotation // 90) % 4) if transform.rotation % 360 else image
    if transform.hflip:
        out = out[:, ::-1]
    return np.ascontiguousarray(out)


def _frame_transform(frame: object) -> DisplayTransform:
    for side in getattr(frame, "side_data", ()) or ():
        if "DISPLAYMATRIX" in str(getattr(side, "type", "")):
            try:
                return display_transform(bytes(side))
            except (ValueError, TypeError):
                break
    rotation = getattr(frame, "rotation", 0) or 0
    return DisplayTransform(int(round(rotation / 90.0)) % 4 * 90)


# -- opening ----------------------------------------------------------------------------------------


def _open(path: Path):  # noqa: ANN202 - returns an av container
    import av

    if not path.exists():
        raise InputFormatError(f"{path}: no such file")
    if path.is_dir():
        raise InputFormatError(f"{path}: is a directory; expected a video file")
    if path.stat().st_size == 0:
        raise InputFormatError(f"{path}: empty file (0 bytes); expected a video")
    try:
        container = av.open(str(path), mode="r")
    except av.error.FFmpegError as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise InputFormatError(
            f"{path}: cannot open as a video ({reason}); the file is not a video or is truncated/corrupt"
        ) from None
    except (OSError, ValueError) as exc:
        raise InputFormatError(f"{path}: cannot open as a video ({exc})") from None
    if not container.streams.video:
        kinds = sorted({s.type for s in container.streams}) or ["none"]
        container.close()
        raise InputFormatError(f"{path}: no video stream (streams found: {', '.join(kinds)})")
    return container


def _stream_origin(stream) -> float:  # noqa: ANN001
    if stream.start_time is not None and stream.time_base is not None:
        return float(stream.start_time * stream.time_base)
    return 0.0


def probe(path: str | os.PathLike) -> VideoInfo:
    """Describe a video: displayed size, frame rate, frame count and duration (estimates where the
    container lacks them), rotation. Decodes only the first frame.

    Raises ``InputFormatError`` naming the file if it is missing, empty, not a video, has no video
    stream or no frame can be decoded.
    """
    path = Path(path)
    container = _open(path)
    try:
        stream = container.streams.video[0]
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate
        fps = float(rate) if rate else 0.0
        duration = 0.0
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            duration = container.duration / 1_000_000.0  # AV_TIME_BASE
        frames = int(stream.frames or 0)
        if frames <= 0 and duration > 0 and fps > 0:
            frames = int(round(duration * fps))
        if duration <= 0 and frames > 0 and fps > 0:
            duration = frames / fps
        codec = stream.codec_context.name if stream.codec_context is not None else "unknown"
        first = next(iter(_decoded(container, stream, [], path)), None)
        if first is None:
            raise InputFormatError(f"{path}: no frame could be decoded (damaged or unsupported {codec} video)")
        transform = _frame_transform(first)
        w, h = first.width, first.height
        if transform.rotation in (90, 270):
            w, h = h, w
        if fps <= 0:
            fps = float(frames / duration) if frames and duration else 30.0
        return VideoInfo(path, int(w), int(h), fps, max(frames, 1), duration, transform.rotation, codec)
    finally:
        container.close()


def _decoded(container, stream, warnings: list[str], path: Path) -> Iterator:  # noqa: ANN001
    """Decoded av.VideoFrames of ``stream``, skipping undecodable packets and stopping (with a
    warning) where the file is damaged beyond that."""
    import av

    errors = 0
    packets = container.demux(stream)
    while True:
        try:
            packet = next(packets)
        except StopIteration:
            return
        except av.error.FFmpegError as exc:
            warnings.append(f"{path}: reading stopped early ({exc}); the file looks truncated or damaged")
            return
        try:
            frames = packet.decode()
        except av.error.FFmpegError as exc:
            errors += 1
            if errors >= MAX_DECODE_ERRORS:
                warnings.append(f"{path}: decoding stopped after {errors} damaged packets in a row ({exc})")
                return
            continue
        if frames:
            errors = 0
        yield from frames


# -- reading ------------------------------------------------------------------------------------------


class VideoReader:
    """Iterable of ``Frame``s of a video resampled to ``fps`` (see the module docstring).

    start, end: seconds from the video's start (``end`` exclusive); max_side: downscale frames so
    their longer side is at most this many pixels. ``info`` is the probe result; ``warnings``
    collects problems found while decoding (damaged data, early end). Each iteration decodes anew.
    """

    def __init__(
        self,
        path: str | os.PathLike,
        *,
        fps: float = 30.0,
        start: float | None = None,
        end: float | None = None,
        max_side: int | None = None,
    ) -> None:
        self.path = Path(path)
        if not (isinstance(fps, (int, float)) and math.isfinite(fps) and fps > 0):
            raise VimoError(f"{self.path}: fps must be a positive number, got {fps!r}")
        if start is not None and not (math.isfinite(start) and start >= 0):
            raise VimoError(f"{self.path}: start must be a time >= 0 s, got {start!r}")
        if end is not None and not (math.isfinite(end) and end > 0):
            raise VimoError(f"{self.path}: end must be a time > 0 s, got {end!r}")
        if start is not None and end is not None and start >= end:
            raise VimoError(f"{self.path}: start ({start:g} s) must be before end ({end:g} s)")
        if max_side is not None and max_side < 16:
            raise VimoError(f"{self.path}: max_side must be at least 16 pixels, got {max_side}")
        self.fps = float(fps)
        self.start, self.end, self.max_side = start, end, max_side
        self.info = probe(self.path)
        if start is not None and self.info.duration > 0 and start >= self.info.duration:
            raise VimoError(
                f"{self.path}: start ({start:g} s) is at or beyond the end of the video ({self.info.duration:.2f} s)"
            )
        self.warnings: list[str] = []

    def output_size(self) -> tuple[int, int]:
        """(width, height) of the yielded images."""
        w, h = self.info.width, self.info.height
        scale = 1.0 if self.max_side is None else min(1.0, self.max_side / max(w, h))
        return max(1, int(round(w * scale))), max(1, int(round(h * scale)))

    def estimated_frames(self) -> int:
        return self.info.frames_at(self.fps, self.start, self.end)

    def __iter__(self) -> Iterator[Frame]:
        container = _open(self.path)
        try:
            yield from self._frames(container)
        finally:
            container.close()

    def _frames(self, container) -> Iterator[Frame]:  # noqa: ANN001
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        tb = float(stream.time_base) if stream.time_base is not None else None
        origin = _stream_origin(stream)
        if self.start is not None and self.start > 0 and tb:
            try:
                container.seek(int((self.start + origin) / tb), stream=stream, backward=True, any_frame=False)
            except Exception as exc:  # noqa: BLE001 - PyAV raises several types; decoding from 0 still works
                log.debug("seek failed (%s); decoding from the start", exc)
                container.seek(0)
        step = 1.0 / self.fps
        tol = 0.25 * step  # a source frame this late still counts as "at or before" an output time
        nominal = 1.0 / self.info.fps if self.info.fps > 0 else step
        t0 = self.start
        k = 0
        prev = None  # (time, image) of the latest source frame at or before the next output time
        prev_time = -math.inf
        last_interval = nominal
        decoded = 0
        out_w, out_h = self.output_size()
        for frame in _decoded(container, stream, self.warnings, self.path):
            decoded += 1
            if frame.pts is not None and tb:
                s = float(frame.pts) * tb - origin
            elif math.isfinite(prev_time):
                s = prev_time + last_interval
            else:
                s = 0.0
            if s <= prev_time:  # out of order or duplicate timestamp: keep the frame we have
                continue
            if math.isfinite(prev_time):
                last_interval = s - prev_time
            if frame.duration and tb:
                last_interval = float(frame.duration) * tb
            prev_time = s
            if t0 is None:
                t0 = s
            while prev is not None and t0 + k * step + tol < s:
                t = t0 + k * step
                if self.end is not None and t >= self.end - 1e-9:
                    return
                yield Frame(k, t, prev[1])
                k += 1
            if self.end is not None and t0 + k * step >= self.end - 1e-9:
                return
            prev = (s, self._image(frame, out_w, out_h))
        if decoded == 1 and k == 0 and (self.start is None or self.start == 0):
            if self.info.num_frames > 1:
                raise InputFormatError(
                    f"{self.path}: only 1 frame could be decoded (the container reports ~{self.info.num_frames}); "
                    "the file looks truncated or damaged"
                )
            raise InputFormatError(f"{self.path}: the video has a single frame; expected a video of at least 2 frames")
        if prev is None:
            if decoded == 0 and self.start is None:
                raise InputFormatError(f"{self.path}: no frame could be decoded")
            raise VimoError(f"{self.path}: no frames in the requested range (the video is {self.info.duration:.2f} s)")
        stop = prev[0] + max(last_interval, 1e-6)  # the end of the last source frame
        if self.end is not None:
            stop = min(stop, self.end)
        if k == 0 and stop <= t0 + 1e-6:
            raise VimoError(f"{self.path}: no frames in the requested range (the video is {self.info.duration:.2f} s)")
        expected = self.info.duration if self.end is None else min(self.end, self.info.duration)
        if stop < expected - 3.0 * max(nominal, last_interval) and not self.warnings:
            self.warnings.append(
                f"{self.path}: decoding ended at {stop:.2f} s but the container reports {self.info.duration:.2f} s; "
                "the file looks truncated"
            )
        while t0 + k * step < stop - 1e-6:
            yield Frame(k, t0 + k * step, prev[1])
            k += 1

    def _image(self, frame, out_w: int, out_h: int) -> np.ndarray:  # noqa: ANN001
        transform = _frame_transform(frame)
        w, h = (out_h, out_w) if transform.rotation in (90, 270) else (out_w, out_h)
        if (w, h) != (frame.width, frame.height):
            frame = frame.reformat(width=w, height=h, format="rgb24", interpolation="AREA")
        image = frame.to_ndarray(format="rgb24")
        return apply_display_transform(image, transform)


def iter_frames(
    path: str | os.PathLike,
    *,
    fps: float = 30.0,
    start: float | None = None,
    end: float | None = None,
    max_side: int | None = None,
) -> Iterator[Frame]:
    """Frames of a video at ``fps`` (see ``VideoReader``); the file is checked before the first frame.

    Use ``VideoReader`` directly to read ``info`` and decoding ``warnings`` as well.
    """
    return iter(VideoReader(path, fps=fps, start=start, end=end, max_side=max_side))
