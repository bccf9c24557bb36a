"""ViMo's 3D on real footage against a multi-view reference (issue 23, the four-view real clip): the Pose2Sim
clip in ../shared/data/videos/pose2sim, its four views triangulated (12 limb joints) as the reference, every single
view run through ViMo (the shipped bundle, default settings) and the shipped lifter, and scored by the mean
limb-direction error (degrees, 8 limb bones) against the clip's own constant mean pose (an oracle). See
:mod:`vimo.eval.fourview` for the protocol; both alignments are printed, Procrustes first (the headline).

    .venv/bin/python bench/bench_fourview.py [--seed 0] [--no-lifter]
"""

from __future__ import annotations

import argparse

from vimo.bundle import load_generator
from vimo.eval.fourview import (
    GOAL_DEGREES,
    LIFTER,
    POSE2SIM,
    POSE2SIM_CALIBRATION,
    POSE2SIM_VIEWS,
    VIMO,
    Alignment,
    fourview_report,
)
from vimo.generation import GenerationConfig
from vimo.paths import BASELINE_WEIGHTS, VIMO_WEIGHTS


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-lifter", action="store_true", help="skip the baseline lifter")
    args = ap.parse_args()
    if not (POSE2SIM / POSE2SIM_CALIBRATION).exists():
        print(f"skipped: no four-view clip at {POSE2SIM}")
        return
    models = {VIMO: load_generator(VIMO_WEIGHTS)}
    if not args.no_lifter:
        models[LIFTER] = load_generator(BASELINE_WEIGHTS)
    report = fourview_report([POSE2SIM / v for v in POSE2SIM_VIEWS], POSE2SIM / POSE2SIM_CALIBRATION,
                             models=models, config=GenerationConfig(seed=args.seed),
                             progress=lambda label: print(f"  {label}", flush=True))  # fmt: skip
    reprojection = report.reference.median_reprojection()
    print(f"\n{report.frames} frames at 30 fps; triangulation: median reprojection error {reprojection:.1f} px; "
          "mean limb-direction error (degrees, 8 limb bones)")  # fmt: skip
    for alignment in Alignment:
        print()
        print(report.table(alignment))
    met = sum(report.goal_met(v) for v in report.views)
    print(f"\ngoal (procrustes): ViMo <= {GOAL_DEGREES:g} degrees and below the constant mean pose in every view: "
          f"{met} of {len(report.views)} views ({report.seconds:.0f} s)")  # fmt: skip


if __name__ == "__main__":
    main()
