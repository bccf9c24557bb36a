"""The casual-camera benchmark: every method on the same windows, per regime, with the references."""

import numpy as np
import torch

from vimo.data.camera_sim import Regime
from vimo.data.dataset import WindowCache
from vimo.eval.casual import CasualConfig, casual_report, markdown_table
from vimo.lifter import Lifter
from vimo.models.motionbert import CONFIGS as LIFTER_CONFIGS
from vimo.models.motionbert import DSTformer
from vimo.pipeline import ViMo


def test_report_has_vimo_baseline_and_references_per_regime(tiny_cache, tiny_bundle):
    cache = WindowCache.load(tiny_cache)
    torch.manual_seed(0)
    lifter = Lifter(DSTformer(LIFTER_CONFIGS["tiny"]).eval(), cache.normalizer)
    report = casual_report(ViMo.load(tiny_bundle), cache, CasualConfig(split="val", windows=3, steps=2, best_of=3),
                           baseline=lifter)  # fmt: skip
    methods = report["methods"]
    assert set(methods) == {"vimo", "vimo_best_of_3", "baseline_motionbert", "mean_pose", "nearest_window_oracle"}
    for per_regime in methods.values():
        assert set(per_regime) == {r.value for r in Regime}
        for m in per_regime.values():
            assert np.isfinite(m["pa_mpjpe_mm"]) and m["pa_mpjpe_mm"] > 0 and m["n"] >= 1
    for name in ("vimo", "vimo_best_of_3", "baseline_motionbert"):
        for m in methods[name].values():
            low, high = m["pa_mpjpe_ci95_mm"]
            assert low <= m["pa_mpjpe_mm"] <= high
            assert all(np.isfinite(m[k]) for k in ("fid_k", "fid_m", "div_k", "div_m", "jitter_m_s3"))
    assert methods["vimo_best_of_3"]["static"]["pa_mpjpe_mm"] != methods["vimo"]["static"]["pa_mpjpe_mm"]
    # references do not look at the 2D input: the same score under every camera; the models do
    assert len({m["pa_mpjpe_mm"] for m in methods["mean_pose"].values()}) == 1
    assert len({m["pa_mpjpe_mm"] for m in methods["baseline_motionbert"].values()}) > 1
    assert "| baseline_motionbert |" in markdown_table(report)


def test_the_best_guidance_has_the_lowest_mean_error_not_the_lowest_worst():
    from vimo.eval.casual import best_guidance

    sweep = {1.0: {"mean": 50.0, "worst": 60.0}, 2.0: {"mean": 40.0, "worst": 90.0}, 3.0: {"mean": 45.0, "worst": 50.0}}
    assert best_guidance(sweep) == 2.0
