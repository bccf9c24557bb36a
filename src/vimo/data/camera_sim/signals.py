"""Time signals the simulator draws and filters: smooth noise, saturation, causal lag, per-shot reductions."""

from __future__ import annotations

import numpy as np
from scipy.signal import lfilter


def _smooth_noise(
    rng: np.random.Generator, n: int, time_s: np.ndarray, freq_hz: tuple[float, float], components: int = 3
) -> np.ndarray:
    """(n, T) smooth random signals in [-1, 1] whose rate never exceeds 2 pi max(freq_hz) per second:
    a convex combination of sinusoids with random frequencies and phases."""
    freq = rng.uniform(*freq_hz, size=(n, components, 1))
    phase = rng.uniform(0.0, 2.0 * np.pi, size=(n, components, 1))
    weight = rng.uniform(0.1, 1.0, size=(n, components, 1))
    weight /= weight.sum(axis=1, keepdims=True)
    return (weight * np.sin(2.0 * np.pi * freq * time_s + phase)).sum(axis=1)


def _saturate(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Smoothly squash x into (lo, hi) (lo <= 0 <= hi) with slope 1 at 0: scaled tanh on each side."""
    pos = hi * np.tanh(x / hi) if hi > 0 else np.zeros_like(x)
    neg = -lo * np.tanh(x / -lo) if lo < 0 else np.zeros_like(x)
    return np.where(x >= 0, pos, neg)


def _ema(x: np.ndarray, lag_s: np.ndarray, fps: float) -> np.ndarray:
    """Causal exponential smoothing of x (n, T, D) along T with per-row time constants lag_s (n,),
    starting from the first frame."""
    alpha = 1.0 - np.exp(-1.0 / (np.maximum(lag_s, 1e-6) * fps))
    out = np.empty_like(x)
    for i, a in enumerate(alpha):  # one C-level filter call per sample (no loop over frames)
        out[i] = x[i, :1] + lfilter([a], [1.0, a - 1.0], x[i] - x[i, :1], axis=0)
    return out


def _shot_reduce(x: np.ndarray, starts: np.ndarray, op: np.ufunc, fill: float) -> np.ndarray:
    """Reduce (B, T, ...) values with ``op`` over each shot's frames -> (B, S, ...); unused shots ``fill``.

    Shots are contiguous runs of frames, so one ``op.reduceat`` over the flattened frames does it.
    """
    B, T = x.shape[:2]
    used = starts < T  # (B, S); shot 0 is always used
    offsets = (np.arange(B)[:, None] * T + starts)[used]  # increasing
    out = np.full((*starts.shape, *x.shape[2:]), fill, dtype=np.float64)
    out[used] = op.reduceat(x.reshape(B * T, *x.shape[2:]), offsets, axis=0)
    return out


def _frames(range_s: tuple[float, float], fps: float) -> tuple[int, int]:
    """A (lo, hi) range in seconds as whole frames inside it (at least 1)."""
    lo = max(1, int(np.ceil(range_s[0] * fps - 1e-9)))
    return lo, max(lo, int(np.floor(range_s[1] * fps + 1e-9)))
