"""Time `vimo data prepare` on the full CMU data in ../shared against the 15-minute budget.

Builds into a temporary directory (so an existing cache is not reused) and prints the wall time,
files, minutes of motion and windows, and the ratio to the 900 s budget. Skips without ../shared.

    .venv/bin/python bench/bench_prepare.py [--workers 2]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from vimo.data.prepare import prepare

MOCAP = Path(__file__).resolve().parents[2] / "shared" / "data" / "mocap"
BUDGET_S = 15 * 60


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    if not MOCAP.exists():
        print(f"skipped: {MOCAP} not present")
        return
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        summary = prepare([MOCAP], Path(tmp) / "cache", workers=args.workers)
        elapsed = time.perf_counter() - t0
    minutes = sum(summary.minutes_by_split.values())
    print(f"{summary.files} files, {minutes:.0f} min of motion, windows {summary.windows_by_split}")
    print(f"prepare: {elapsed:.0f} s; ratio to the {BUDGET_S} s budget: {elapsed / BUDGET_S:.2f}")


if __name__ == "__main__":
    main()
