"""Soundtracks of previews: read a video's audio over a span, mux a waveform into a silent video (PyAV).

Waveforms are mono float32 (S,) at a sample rate given with them; the muxed track is AAC at
:data:`AAC_RATE` (the rate every AAC encoder takes).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from vimo.io.atomic import atomic_path, registered

AAC_RATE = 44100  # Hz; AAC's encoder does not take every rate (e.g. not 15360 Hz)
MUX_CHUNK_S = 0.1  # seconds of audio per frame handed to the encoder


def read_soundtrack(video: str | os.PathLike, *, start: float = 0.0, seconds: float | None = None,
                    sr: int = AAC_RATE) -> np.ndarray | None:  # fmt: skip
    """The first audio track of ``video`` from ``start`` for ``seconds`` (default: to its end), mono float32
    at ``sr``; None when the file has no audio track or none of it decodes (a preview is then silent)."""
    import av

    try:
        container = av.open(str(video))
    except (av.error.FFmpegError, OSError):
        return None
    chunks, first = [], None
    with container:
        if not container.streams.audio:
            return None
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="flt", layout="mono", rate=sr)
        try:
            for frame in container.decode(stream):
                if frame.time is not None and seconds is not None and frame.time > start + seconds:
                    break
                for out in resampler.resample(frame):
                    if first is None:
                        first = frame.time if frame.time is not None else 0.0
                    chunks.append(out.to_ndarray().reshape(-1))
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1))
        except (av.error.FFmpegError, ValueError):
            pass  # a damaged tail: keep what decoded
    if not chunks:
        return None
    y = np.concatenate(chunks).astype(np.float32)
    skip = max(0, int(round((start - (first or 0.0)) * sr)))  # the first decoded frame starts at ``first``
    y = y[skip:] if seconds is None else y[skip : skip + int(round(seconds * sr))]
    return y if len(y) else None


def mux_audio(video: Path, audio: np.ndarray, out: Path, sr: int = AAC_RATE) -> Path:
    """Copy ``video``'s frames into ``out`` with ``audio`` (mono float32 at ``sr``) as an AAC track."""
    import av

    with atomic_path(out) as tmp, av.open(str(video)) as src, av.open(str(tmp), "w", format="mp4") as dst:
        vin = src.streams.video[0]
        vout = dst.add_stream_from_template(vin)
        aout = dst.add_stream("aac", rate=AAC_RATE)
        aout.layout = "mono"
        resampler = av.AudioResampler(format="fltp", layout="mono", rate=AAC_RATE)
        for packet in src.demux(vin):
            if packet.dts is None:
                continue
            packet.stream = vout
            dst.mux(packet)
        step = max(1, int(sr * MUX_CHUNK_S))
        for i in range(0, len(audio), step):
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(audio[None, i : i + step], dtype=np.float32),
                                               format="flt", layout="mono")  # fmt: skip
            frame.sample_rate = sr
            for resampled in resampler.resample(frame):
                for p in aout.encode(resampled):
                    dst.mux(p)
        for resampled in resampler.resample(None):
            for p in aout.encode(resampled):
                dst.mux(p)
        for p in aout.encode():
            dst.mux(p)
    return out


def write_with_audio(path: Path, audio: np.ndarray | None, render: Callable[[Path], Path], *,
                     sr: int = AAC_RATE) -> Path:  # fmt: skip
    """``render(p)`` writes a silent video to ``p``; the result lands at ``path`` with ``audio`` (mono float32
    at ``sr``) muxed in, or silent when ``audio`` is None. The silent intermediate is a temp file beside
    ``path``, removed on every outcome (signals included)."""
    if audio is None:
        return render(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.silent.", suffix=path.suffix)
    os.close(fd)
    try:
        with registered(name):
            render(Path(name))
            return mux_audio(Path(name), audio, path, sr)
    finally:
        Path(name).unlink(missing_ok=True)
