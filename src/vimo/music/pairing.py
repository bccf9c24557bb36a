"""Honest music-dance pairs from motion alone: soundtracks whose beats follow a motion's kinematic beats.

There is no permissively licensed paired music + dance data. For each dance window we build a soundtrack from
CC0 percussion loops (../shared/data/music/sonic_pi_cc0): the loop is cut at its own beats into beat-to-beat
chunks, and chunk i is time-stretched (resampled) to span the motion's i-th beat interval, so every musical
beat lands on a motion beat (speed minimum, :func:`vimo.eval.beats.motion_beats`). The model then has to
*learn* that motion beats go with musical beats; nothing in the model or the sampler knows about beats.

The beat grid is steady (the tempo and phase that best fit the motion's beats, :func:`beat_grid`), snapped to
the motion's beats where they are near, as music that a dancer hits some of the beats of.

What a model sees of a soundtrack's beats is what librosa's beat tracker finds in it (the features' beat
channel), and on a stretched loop that is often a subdivision or a shifted pulse. :func:`matched_soundtracks`
therefore analyses each soundtrack with a few seconds of the same pulse around the window (as a window of a
song is analysed inside the song), makes several candidates and keeps those whose *detected* beats land on
the motion's beats (music-to-motion Beat Align of the ground truth). On 60 CMU dance windows, keeping the
best 3 of 6 candidates raises the ground truth's Beat Align for its own soundtrack from 0.27 to 0.34 while a
shuffled soundtrack stays at 0.19 (session 6 measurement; MODEL_CARD.md, "Dance base model").
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vimo.eval.beats import beat_align_score, motion_beats
from vimo.music.features import FEATURE_SLICES, HOP, SR, load_audio, music_features

AUDIO_SUFFIXES = (".flac", ".wav", ".ogg", ".mp3")


@dataclass(frozen=True)
class Loop:
    """A percussion loop at :data:`SR` and its beat positions (sample indices, increasing, >= 2)."""

    name: str
    audio: np.ndarray
    beats: np.ndarray

    @property
    def chunks(self) -> list[np.ndarray]:
        """Beat-to-beat pieces of the loop, cyclically (the last beat to the loop end + start to the first)."""
        b = self.beats
        pieces = [self.audio[b[i] : b[i + 1]] for i in range(len(b) - 1)]
        wrap = np.concatenate([self.audio[b[-1] :], self.audio[: b[0]]])
        if len(wrap) > HOP:
            pieces.append(wrap)
        return [p for p in pieces if len(p) > HOP // 2]


def load_loops(folder: str | Path) -> list[Loop]:
    """Every audio file in ``folder`` with at least two detected beats, sorted by name."""
    import librosa

    loops = []
    for path in sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in AUDIO_SUFFIXES):
        y = load_audio(path)
        _, beats = librosa.beat.beat_track(y=y, sr=SR, hop_length=HOP, units="samples")
        beats = np.unique(np.asarray(beats, dtype=np.int64))
        if len(beats) < 2:
            onsets = librosa.onset.onset_detect(y=y, sr=SR, hop_length=HOP, units="samples")
            beats = np.unique(np.asarray(onsets, dtype=np.int64))
        if len(beats) >= 2:
            loops.append(Loop(path.stem, y, beats))
    return loops


def beat_grid(joints: np.ndarray, fps: float = 30.0, *, min_period: float = 0.35, max_period: float = 1.0,
              snap: int = 2) -> np.ndarray:  # fmt: skip
    """Beat frames for a soundtrack that a dancer could have moved to: a regular grid whose period and phase
    best fit the motion's kinematic beats (speed minima, Bailando variant), each grid beat then snapped to a
    motion beat within ``snap`` frames. Dancers hit a subset of a steady pulse, so the grid is scored both
    ways (motion beats near the grid and grid beats near motion beats). Covers frame 0 to ``len(joints)``
    (the first and last grid beats may lie outside). Without motion beats: a 0.5 s grid."""
    frames = len(joints)
    beats = motion_beats(joints, fps, variant="bailando").astype(np.float64)
    period, phase = 0.5 * fps, 0.0
    if len(beats) >= 2:
        best = -1.0
        for p in np.arange(min_period * fps, max_period * fps + 1e-9, 0.5):
            for ph in np.arange(0.0, p, 0.5):
                grid = np.arange(ph, frames, p)
                d_motion = np.abs(beats[:, None] - grid[None]).min(1)
                d_grid = np.abs(grid[:, None] - beats[None]).min(1)
                score = np.exp(-(d_motion**2) / 8).mean() + np.exp(-(d_grid**2) / 8).mean()
                if score > best:
                    best, period, phase = score, p, ph
    grid = np.arange(phase - period, frames + period, period)
    if len(beats):
        nearest = beats[np.abs(grid[:, None] - beats[None]).argmin(1)]
        grid = np.where(np.abs(nearest - grid) <= snap, nearest, grid)
    return np.unique(np.round(grid).astype(np.int64))


def stretch(chunk: np.ndarray, length: int) -> np.ndarray:
    """Resample ``chunk`` to ``length`` samples (linear interpolation; pitch moves with tempo, as on a turntable)."""
    if length <= 0:
        return np.zeros(0, np.float32)
    src = np.linspace(0.0, len(chunk) - 1, length)
    return np.interp(src, np.arange(len(chunk)), chunk).astype(np.float32)


def beat_matched_track(grid: np.ndarray, frames: int, loops: list[Loop], rng: np.random.Generator,
                       *, layers: int = 2, fps: float = 30.0) -> np.ndarray:  # fmt: skip
    """A waveform at :data:`SR` covering ``frames`` motion frames whose loop beats fall on the ``grid`` frames
    (beat frame indices including the two ends, from :func:`beat_grid`). ``layers`` loops (chosen at random,
    random gains and starting chunks) are mixed; interval i of every layer is a stretched beat chunk."""
    if frames < 1 or len(grid) < 2 or grid[0] > 0 or grid[-1] < frames:
        raise ValueError(f"beat_matched_track: need >= 1 frame and a grid covering it, got {frames}, {grid}")
    samples_per_frame = SR / fps
    bounds = np.round(np.asarray(grid, dtype=np.float64) * samples_per_frame).astype(np.int64)
    total = int(round(frames * samples_per_frame))
    mix = np.zeros(total, np.float32)
    chosen = rng.choice(len(loops), size=min(layers, len(loops)), replace=False)
    for rank, li in enumerate(chosen):
        chunks = loops[li].chunks
        start = int(rng.integers(len(chunks)))
        gain = 1.0 if rank == 0 else float(rng.uniform(0.2, 0.6))
        layer = np.zeros(total, np.float32)
        for i, (a, b) in enumerate(zip(bounds[:-1], bounds[1:])):
            piece = stretch(chunks[(start + i) % len(chunks)], int(b - a))
            lo, hi = max(a, 0), min(b, total)
            if hi > lo:
                layer[lo:hi] = piece[lo - a : hi - a]
        peak = np.abs(layer).max()
        mix += gain * layer / (peak if peak > 0 else 1.0)
    peak = np.abs(mix).max()
    return (0.9 * mix / peak if peak > 0 else mix).astype(np.float32)


def extend_grid(grid: np.ndarray, frames: int, pad: int) -> np.ndarray:
    """``grid`` continued at its median period to cover frames ``-pad`` .. ``frames + pad``."""
    grid = np.asarray(grid, dtype=np.float64)
    period = float(np.median(np.diff(grid))) if len(grid) >= 2 else 15.0
    before = grid[0] - period * np.arange(1, int(np.ceil((grid[0] + pad) / period)) + 1)
    after = grid[-1] + period * np.arange(1, int(np.ceil((frames + pad - grid[-1]) / period)) + 1)
    return np.unique(np.round(np.concatenate([before, grid, after])).astype(np.int64))


def soundtrack_features(grid: np.ndarray, frames: int, loops: list[Loop], rng: np.random.Generator,
                        *, pad: int = 60, fps: float = 30.0) -> np.ndarray:  # fmt: skip
    """Music features (frames, 35) of a beat-matched soundtrack (:func:`beat_matched_track`) for frames
    0 .. ``frames``, analysed with ``pad`` frames of the same pulse on either side."""
    wave = beat_matched_track(extend_grid(grid, frames, pad) + pad, frames + 2 * pad, loops, rng, fps=fps)
    feats = music_features(wave)[pad : pad + frames]
    if len(feats) < frames:  # the centred analysis can end a frame early
        feats = np.concatenate([feats, np.repeat(feats[-1:], frames - len(feats), 0)])
    return feats


def matched_soundtracks(joints: np.ndarray, loops: list[Loop], rng: np.random.Generator, *, keep: int = 3,
                        candidates: int = 6, pad: int = 60, min_period: float = 0.4,
                        max_period: float = 0.7) -> list[tuple[np.ndarray, float]]:  # fmt: skip
    """The ``keep`` best of ``candidates`` soundtracks for a motion (joints (T, J, 3), 30 fps), best first, as
    (features (T, 35), fit): fit is the music-to-motion Beat Align Score of the motion's beats against the beats
    detected in the soundtrack. The grid's period is kept near librosa's tempo prior (0.4-0.7 s), which the
    tracker recovers best."""
    frames = len(joints)
    grid = beat_grid(joints, min_period=min_period, max_period=max_period)
    beats = motion_beats(joints, variant="bailando")
    scored = []
    for _ in range(max(candidates, keep)):
        feats = soundtrack_features(grid, frames, loops, rng, pad=pad)
        music = np.flatnonzero(feats[:, FEATURE_SLICES["beats"]].reshape(-1) > 0.5)
        scored.append((feats, beat_align_score(beats, music, direction="music_to_motion")))
    scored.sort(key=lambda s: -s[1])
    return scored[:keep]
