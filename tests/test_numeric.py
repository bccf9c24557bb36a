"""finite_or_none: the one NaN/inf -> None conversion for JSON reports."""

import math

import numpy as np
import pytest

from vimo.numeric import finite_or_none


@pytest.mark.parametrize("bad", [None, math.nan, math.inf, -math.inf, np.float32("nan"), np.float64("inf")])
def test_missing_and_non_finite_values_become_none(bad):
    assert finite_or_none(bad) is None and finite_or_none(bad, digits=4) is None


def test_finite_values_become_plain_floats_rounded_on_request():
    value = finite_or_none(np.float32(0.123456789))
    assert type(value) is float and value == pytest.approx(0.123456789)
    assert finite_or_none(np.float64(0.123456789), digits=4) == 0.1235
    assert finite_or_none(3) == 3.0 and type(finite_or_none(3)) is float
