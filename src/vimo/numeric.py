"""Numbers for JSON reports: NaN and infinity become None (JSON has no such values)."""

from __future__ import annotations

import math


def finite_or_none(x: float | None, *, digits: int | None = None) -> float | None:
    """``x`` as a float (rounded to ``digits`` decimals when given), or None when it is None, NaN or infinite."""
    if x is None or not math.isfinite(x):
        return None
    return float(x) if digits is None else round(float(x), digits)
