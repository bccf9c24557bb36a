"""Distribution metrics over feature sets: FID (Frechet distance) and diversity (SPEC section 4).

Feature sets are arrays (N, D): one row per motion clip (e.g. :func:`vimo.eval.features.kinetic_features`).
Both metrics first z-score every set with the *reference* set's per-dimension mean and std (population std,
plus 1e-10, as in Bailando's ``normalize``); the reference is all real motions (train + test).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.linalg

MIN_SAMPLES = 100  # below this FID is strongly biased; we warn (SPEC: report N, >= 100 samples)
STD_EPS = 1e-10


def _as_features(x: np.ndarray, name: str, min_rows: int = 1) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or len(x) < min_rows:
        raise ValueError(f"{name}: expected features (N>={min_rows}, D), got shape {x.shape}")
    return x


def zscore_with_reference(x: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """(x - mean(reference)) / (std(reference) + 1e-10), per dimension: x (N, D), reference (M, D) -> (N, D)."""
    x, reference = _as_features(x, "zscore x"), _as_features(reference, "zscore reference")
    if x.shape[1] != reference.shape[1]:
        raise ValueError(f"zscore: x has D={x.shape[1]}, reference has D={reference.shape[1]}; expected equal")
    return (x - reference.mean(0)) / (reference.std(0) + STD_EPS)


def frechet_distance(x: np.ndarray, y: np.ndarray, *, eps: float = 1e-6) -> float:
    """Frechet distance between Gaussians fitted to x (N, D) and y (M, D); N, M >= 2.

    ``|mu_x - mu_y|^2 + Tr(S_x + S_y - 2 sqrt(S_x S_y))`` with unbiased covariances (``np.cov``). When the
    matrix square root is not finite, ``eps * I`` is added to both covariances; the real part is used (scipy's
    singular-matrix warning is silenced, like the reference's ``sqrtm(..., disp=False)``).
    """
    x, y = _as_features(x, "frechet x", 2), _as_features(y, "frechet y", 2)
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"frechet_distance: x has D={x.shape[1]}, y has D={y.shape[1]}; expected equal")
    mu_x, mu_y = x.mean(0), y.mean(0)
    s_x, s_y = np.atleast_2d(np.cov(x, rowvar=False)), np.atleast_2d(np.cov(y, rowvar=False))
    with warnings.catch_warnings():  # singular products (N < D, constant dims) are expected; checked below
        warnings.simplefilter("ignore", scipy.linalg.LinAlgWarning)
        covmean = scipy.linalg.sqrtm(s_x @ s_y)
        if not np.isfinite(covmean).all():
            offset = eps * np.eye(len(s_x))
            covmean = scipy.linalg.sqrtm((s_x + offset) @ (s_y + offset))
    diff = mu_x - mu_y
    value = diff @ diff + np.trace(s_x) + np.trace(s_y) - 2.0 * np.trace(np.real(covmean))
    return float(value)


@dataclass(frozen=True)
class FIDResult:
    value: float  # Frechet distance between the z-scored sets (lower is better)
    n_generated: int
    n_real: int


def fid(generated: np.ndarray, real: np.ndarray, reference: np.ndarray | None = None) -> FIDResult:
    """FID_k / FID_m: z-score generated (N, D) and real (M, D) with ``reference`` (R, D) (default: ``real``),
    then :func:`frechet_distance`. Warns when N or M < 100."""
    generated, real = _as_features(generated, "fid generated", 2), _as_features(real, "fid real", 2)
    reference = real if reference is None else reference
    n_gen, n_real = len(generated), len(real)
    if min(n_gen, n_real) < MIN_SAMPLES:
        warnings.warn(
            f"fid: {n_gen} generated and {n_real} real samples; expected >= {MIN_SAMPLES} each "
            "(FID is biased for small sets, report N beside it)",
            stacklevel=2,
        )
    value = frechet_distance(zscore_with_reference(generated, reference), zscore_with_reference(real, reference))
    return FIDResult(value=value, n_generated=n_gen, n_real=n_real)


def diversity(features: np.ndarray, reference: np.ndarray | None = None) -> float:
    """Div_k / Div_m: mean Euclidean distance over all pairs of rows of features (N, D), N >= 2, after
    z-scoring with ``reference`` (R, D) when given (pass the same reference as for :func:`fid`)."""
    x = _as_features(features, "diversity", 2)
    if reference is not None:
        x = zscore_with_reference(x, reference)
    n = len(x)
    sq = (x**2).sum(1)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2.0 * x @ x.T, 0.0)  # (N, N)
    iu = np.triu_indices(n, k=1)
    return float(np.sqrt(d2[iu]).mean())


@dataclass(frozen=True)
class ConfidenceInterval:
    estimate: float  # the statistic on the full data
    low: float
    high: float
    level: float  # e.g. 0.95
    n_resamples: int


def bootstrap_ci(
    fn: Callable[..., float],
    data: np.ndarray | tuple[np.ndarray, ...],
    *,
    n: int = 200,
    rng: np.random.Generator,
    level: float = 0.95,
) -> ConfidenceInterval:
    """Percentile bootstrap interval of ``fn(data)``.

    ``data`` is an array whose rows are resampled with replacement, or a tuple of arrays each resampled
    independently and passed as ``fn(*arrays)`` (e.g. ``(generated, real)`` for FID).
    """
    if not 0.0 < level < 1.0:
        raise ValueError(f"bootstrap_ci: level must be in (0, 1), got {level}")
    if n < 1:
        raise ValueError(f"bootstrap_ci: n must be >= 1, got {n}")
    arrays = data if isinstance(data, tuple) else (data,)
    arrays = tuple(np.asarray(a) for a in arrays)
    estimate = float(fn(*arrays))
    stats = np.empty(n)
    for b in range(n):
        stats[b] = fn(*(a[rng.integers(0, len(a), len(a))] for a in arrays))
    alpha = (1.0 - level) / 2.0
    low, high = np.quantile(stats, [alpha, 1.0 - alpha])
    return ConfidenceInterval(estimate=estimate, low=float(low), high=float(high), level=level, n_resamples=n)
