"""World trajectory on cached test windows: WA-MPJPE100 / W-MPJPE100 (one 100-frame segment per 150-frame window)
and the distance travelled against the truth's, for the model's own root channels, a frozen root and the root
re-derived from the planted feet (vimo.trajectory), all on the same guided samples (feet locked afterwards, as
``vimo run`` does). Needs a window cache made with the current retargeting (`vimo data prepare`).

    .venv/bin/python bench/bench_trajectory.py --data data/cache --windows 32 [--reprojection 0]
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace

import numpy as np
import torch

from vimo.data.camera_sim import Regime
from vimo.data.dataset import WindowCache
from vimo.eval.metrics import world_errors
from vimo.paths import VIMO_WEIGHTS
from vimo.pipeline import ViMo
from vimo.postprocess import foot_lock
from vimo.representation import from_vector
from vimo.training.batches import simulate_condition
from vimo.training.validation import denoiser_predictor, evaluation_indices
from vimo.trajectory import travelled_distance, world_trajectory

MOVING_M = 1.0  # windows whose truth travels further than this count for the distance ratio


def frozen(motion):
    root = motion.root_position.copy()
    root[:, [0, 2]] = root[0, [0, 2]]
    return replace(motion, root_position=root)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="data/cache")
    ap.add_argument("--weights", default=str(VIMO_WEIGHTS))
    ap.add_argument("--split", default="test")
    ap.add_argument("--windows", type=int, default=32, help="per camera regime")
    ap.add_argument("--reprojection", type=float, default=None, help="guide strength (default: the model's)")
    args = ap.parse_args()
    vimo = ViMo.load(args.weights)
    cache = WindowCache.load(args.data)
    guide = vimo.reprojection if args.reprojection is None else replace(vimo.reprojection, strength=args.reprojection)
    predict = denoiser_predictor(vimo.model, vimo.normalizer, guidance=vimo.guidance, smooth=vimo.smooth,
                                 reprojection=guide)  # fmt: skip
    x = cache.batch(args.split, evaluation_indices(cache, args.split, args.windows))
    roots = {"model": lambda m: m, "frozen": frozen, "planted_feet": world_trajectory}
    for r_i, regime in enumerate(Regime):
        cond, _ = simulate_condition(
            x, [regime] * len(x), np.random.default_rng([0, r_i]), norm_config=vimo.norm_config
        )
        pred = predict(cond, torch.Generator().manual_seed(r_i))
        errors = {name: [] for name in roots}
        ratios = {name: [] for name in roots}
        for truth_x, pred_x in zip(x, pred):
            truth, sample = from_vector(truth_x), from_vector(pred_x).grounded()
            travel = travelled_distance(truth.root_position)
            for name, make_root in roots.items():
                motion = make_root(sample)
                errors[name].append(world_errors(foot_lock(motion).joints(), truth.joints()))
                if travel > MOVING_M:
                    ratios[name].append(travelled_distance(motion.root_position) / travel)
        row = {
            name: {
                "wa_mpjpe100_mm": round(1000 * float(np.mean([e["wa_mpjpe"] for e in errs])), 1),
                "w_mpjpe100_mm": round(1000 * float(np.mean([e["w_mpjpe"] for e in errs])), 1),
                "distance_ratio_median": round(float(np.median(ratios[name])), 2) if ratios[name] else None,
            }
            for name, errs in errors.items()
        }
        print(regime.value, f"({len(ratios['model'])} windows move > {MOVING_M} m)", json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
