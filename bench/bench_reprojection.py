"""Reprojection guidance on validation windows: PA-MPJPE per camera regime, root-aligned MPJPE and jitter for
each guide setting, against no guidance measured in the same run (the sweep behind the shipped default,
weights/MODEL_CARD.md). Needs a window cache (`vimo data prepare`).

    .venv/bin/python bench/bench_reprojection.py --data data/cache --windows 16 \
        '{"strength": 0}' '{"strength": 50, "smooth": 2}' '{"strength": 100, "smooth": 2}'

Each argument is a JSON object of vimo.reprojection.ReprojectionConfig fields.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from vimo.data.dataset import WindowCache
from vimo.paths import VIMO_WEIGHTS
from vimo.pipeline import ViMo
from vimo.reprojection import ReprojectionConfig
from vimo.training.validation import denoiser_predictor, evaluate_predictor


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("configs", nargs="*", default=['{"strength": 0}', "{}"], help="ReprojectionConfig fields as JSON")
    ap.add_argument("--data", default="data/cache")
    ap.add_argument("--weights", default=str(VIMO_WEIGHTS))
    ap.add_argument("--split", default="val")
    ap.add_argument("--windows", type=int, default=16, help="per camera regime")
    ap.add_argument("--steps", type=int, default=50)
    args = ap.parse_args()
    vimo = ViMo.load(args.weights)
    cache = WindowCache.load(args.data)
    base = None
    for text in args.configs:
        cfg = ReprojectionConfig(**json.loads(text))
        predict = denoiser_predictor(vimo.model, vimo.normalizer, steps=args.steps, guidance=vimo.guidance,
                                     smooth=vimo.smooth, reprojection=cfg)  # fmt: skip
        t0 = time.perf_counter()
        scores = evaluate_predictor(predict, cache, split=args.split, per_regime=args.windows,
                                    norm_config=vimo.norm_config)  # fmt: skip
        pa = {r: s["pa_mpjpe_mm"] for r, s in scores.items()}
        mean = float(np.mean(list(pa.values())))
        base = mean if base is None else base
        cells = " ".join(f"{r} {v:.1f}" for r, v in pa.items())
        print(
            f"{text}: PA-MPJPE mean {mean:.1f} mm ({mean / base:.2f}x the first setting; {cells}), "
            f"root-aligned {np.mean([s['root_aligned_mpjpe_mm'] for s in scores.values()]):.1f} mm, "
            f"jitter {np.mean([s['jitter_m_s3'] for s in scores.values()]):.0f} m/s^3, "
            f"{time.perf_counter() - t0:.0f} s",
            flush=True,
        )


if __name__ == "__main__":
    main()
