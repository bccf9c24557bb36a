"""Seams of long-input generation: joint acceleration at window joins vs inside windows (30 s input).

The input is a 30-second motion (a CMU test-split take when ../shared is present, else a generated
walk) filmed by the casual-camera simulator (moving camera). The shipped model generates it in
overlapping windows; we compare the mean joint acceleration (m/s^2) on frames within 3 frames of a
join (the cross-faded end of each overlap, where the new window takes over) with all other frames. Ratio <= 1
means no visible seams. The ground truth's own ratio on the same frames is printed as the reference.

    .venv/bin/python bench/bench_seams.py [--weights weights/vimo-small] [--seconds 30]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from vimo.data.camera_sim import CASUAL_SIM_CONFIG, Regime, simulate
from vimo.data.markers import motion_markers
from vimo.data.synthetic import walking_motion
from vimo.generation import GenerationConfig
from vimo.pipeline import DEFAULT_WEIGHTS, ViMo, generate
from vimo.stitching import window_starts

TEST_TAKE = Path(__file__).resolve().parents[2] / "shared/data/mocap/cmu/acrnn_dance/salsa/26.bvh.gz"


def accel(joints: np.ndarray) -> np.ndarray:
    """(T, 24, 3) -> (T,) mean joint acceleration magnitude (m/s^2), edges padded."""
    a = np.linalg.norm(np.diff(joints, n=2, axis=0), axis=-1).mean(-1) * 30.0**2
    return np.concatenate([[a[0]], a, [a[-1]]])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--weights", default=str(DEFAULT_WEIGHTS))
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    frames = int(args.seconds * 30)
    if TEST_TAKE.exists():
        from vimo.data.mocap import load_motion

        truth, source = load_motion(TEST_TAKE), str(TEST_TAKE.name)
        truth = truth[: min(frames, len(truth))]
    else:
        truth, source = walking_motion(frames), "generated walk"
    sim = simulate(motion_markers(truth), regime=Regime.MOVING, config=CASUAL_SIM_CONFIG,
                   rng=np.random.default_rng(args.seed))  # fmt: skip
    vimo = ViMo.load(args.weights)
    cfg = GenerationConfig(seed=args.seed)
    out = generate(vimo, sim.to_keypoints(), cfg).motions[0]
    starts = window_starts(len(truth), vimo.model.cfg.max_frames, cfg.overlap)
    joins = [prev + vimo.model.cfg.max_frames for prev in starts[:-1]]  # end of each overlap
    near = np.zeros(len(truth), dtype=bool)
    for j in joins:  # the cross-faded frames and 3 frames either side
        near[max(0, j - cfg.fade - 3) : j + 3] = True
    a_out, a_gt = accel(out.joints()), accel(truth.joints())
    print(f"input: {source}, {len(truth)} frames, {len(starts)} windows, joins at {joins}")
    print(f"generated: accel at joins {a_out[near].mean():.2f} m/s^2, inside {a_out[~near].mean():.2f} m/s^2, "
          f"ratio {a_out[near].mean() / a_out[~near].mean():.2f}")  # fmt: skip
    print(f"truth (reference): at joins {a_gt[near].mean():.2f}, inside {a_gt[~near].mean():.2f}, "
          f"ratio {a_gt[near].mean() / a_gt[~near].mean():.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
