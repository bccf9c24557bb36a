from __future__ import annotations

import warnings

import numpy as np
import pytest

from vimo.eval.distribution import (
    ConfidenceInterval,
    FIDResult,
    bootstrap_ci,
    diversity,
    fid,
    frechet_distance,
    zscore_with_reference,
)


def test_zscore_uses_reference_statistics() -> None:
    rng = np.random.default_rng(0)
    ref = rng.normal(loc=[1.0, -2.0, 5.0], scale=[0.5, 2.0, 3.0], size=(500, 3))
    z = zscore_with_reference(ref, ref)
    np.testing.assert_allclose(z.mean(0), 0.0, atol=1e-12)
    np.testing.assert_allclose(z.std(0), 1.0, atol=1e-9)
    x = ref[:10] * 2.0
    np.testing.assert_allclose(zscore_with_reference(x, ref), (x - ref.mean(0)) / ref.std(0), rtol=1e-9)
    # A constant reference dimension does not divide by zero.
    assert np.isfinite(zscore_with_reference(np.ones((2, 1)), np.ones((4, 1)))).all()
    with pytest.raises(ValueError, match="D="):
        zscore_with_reference(np.zeros((2, 3)), np.zeros((2, 4)))


def test_frechet_identical_sets_is_zero() -> None:
    x = np.random.default_rng(1).normal(size=(200, 8))
    assert frechet_distance(x, x) == pytest.approx(0.0, abs=1e-8)


def test_frechet_shift_by_d_gives_d2_times_dims() -> None:
    x = np.random.default_rng(2).normal(size=(300, 6))
    d = 0.7
    assert frechet_distance(x, x + d) == pytest.approx(d**2 * 6, rel=1e-7)


def test_frechet_is_symmetric_and_matches_gaussian_formula() -> None:
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(400, 4)), rng.normal(size=(300, 4)) * 2.0 + 1.0
    assert frechet_distance(x, y) == pytest.approx(frechet_distance(y, x), rel=1e-8)
    # 1D: (mu_x - mu_y)^2 + (s_x - s_y)^2 with sample standard deviations.
    a, b = rng.normal(size=(100, 1)), rng.normal(size=(80, 1)) * 3.0 - 2.0
    expected = (a.mean() - b.mean()) ** 2 + (a.std(ddof=1) - b.std(ddof=1)) ** 2
    assert frechet_distance(a, b) == pytest.approx(expected, rel=1e-8)


def test_frechet_singular_covariance_is_finite() -> None:
    rng = np.random.default_rng(4)
    x = np.concatenate([rng.normal(size=(20, 3)), np.zeros((20, 5))], axis=1)  # rank-deficient covariances
    y = np.concatenate([rng.normal(size=(20, 3)), np.zeros((20, 5))], axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the expected singular-matrix warning is silenced
        value = frechet_distance(x, y)
    assert np.isfinite(value) and value >= -1e-6


def test_fid_zscores_with_reference_and_reports_n() -> None:
    rng = np.random.default_rng(5)
    scale = np.array([1.0, 10.0, 100.0, 0.1])
    real = rng.normal(size=(200, 4)) * scale
    result = fid(real + 0.5 * real.std(0), real, real)  # a shift of 0.5 reference stds in each dim
    assert isinstance(result, FIDResult)
    assert result.value == pytest.approx(0.5**2 * 4, rel=1e-6)  # equal covariances: d^2 * D
    assert (result.n_generated, result.n_real) == (200, 200)
    assert fid(real, real).value == pytest.approx(0.0, abs=1e-8)  # reference defaults to the real set


def test_fid_warns_below_100_samples() -> None:
    rng = np.random.default_rng(6)
    with pytest.warns(UserWarning, match=">= 100"):
        result = fid(rng.normal(size=(50, 3)), rng.normal(size=(150, 3)))
    assert result.n_generated == 50
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fid(rng.normal(size=(100, 3)), rng.normal(size=(100, 3)))


def test_diversity_known_values() -> None:
    assert diversity(np.array([[0.0, 0.0], [3.0, 4.0]])) == pytest.approx(5.0)
    # Equilateral triangle of side 2: every pair at distance 2.
    tri = np.array([[0.0, 0.0], [2.0, 0.0], [1.0, np.sqrt(3.0)]])
    assert diversity(tri) == pytest.approx(2.0)
    # Identical points: 0. Order does not matter.
    assert diversity(np.ones((5, 3))) == pytest.approx(0.0, abs=1e-7)
    rng = np.random.default_rng(7)
    x = rng.normal(size=(30, 5))
    assert diversity(x) == pytest.approx(diversity(x[::-1]))
    brute = np.mean([np.linalg.norm(x[i] - x[j]) for i in range(30) for j in range(i + 1, 30)])
    assert diversity(x) == pytest.approx(brute, rel=1e-9)


def test_diversity_after_zscoring_with_reference() -> None:
    ref = np.array([[0.0, 0.0], [2.0, 20.0]])  # mean (1, 10), std (1, 10)
    points = np.array([[0.0, 0.0], [1.0, 10.0]])  # z-scored: (-1, -1), (0, 0)
    assert diversity(points, ref) == pytest.approx(np.sqrt(2.0), rel=1e-8)


def test_bootstrap_ci_brackets_the_mean_and_is_reproducible() -> None:
    data = np.random.default_rng(8).normal(loc=3.0, size=(200, 1))

    def mean(x: np.ndarray) -> float:
        return float(x.mean())

    ci = bootstrap_ci(mean, data, n=200, rng=np.random.default_rng(0))
    assert isinstance(ci, ConfidenceInterval)
    assert ci.low < ci.estimate < ci.high and ci.high - ci.low < 0.5
    assert ci.estimate == pytest.approx(data.mean())
    again = bootstrap_ci(mean, data, n=200, rng=np.random.default_rng(0))
    assert (again.low, again.high) == (ci.low, ci.high)


def test_bootstrap_ci_over_two_sets() -> None:
    rng = np.random.default_rng(9)
    gen, real = rng.normal(size=(120, 2)) + 1.0, rng.normal(size=(120, 2))
    ci = bootstrap_ci(lambda g, r: fid(g, r).value, (gen, real), n=30, rng=np.random.default_rng(1))
    assert ci.low <= ci.estimate <= ci.high + 1.0 and ci.low > 0.5
    with pytest.raises(ValueError, match="level"):
        bootstrap_ci(lambda x: 0.0, gen, rng=rng, level=1.5)
