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
    report = casual_report(ViMo.load(tiny_bundle), cache, CasualConfig(split="val", windows=2, steps=2),
                           baseline=lifter)  # fmt: skip
    methods = report["methods"]
    assert set(methods) == {"vimo", "baseline_motionbert", "mean_pose", "nearest_window_oracle"}
    for per_regime in methods.values():
        assert set(per_regime) == {r.value for r in Regime}
        for m in per_regime.values():
            assert np.isfinite(m["pa_mpjpe_mm"]) and m["pa_mpjpe_mm"] > 0 and m["n"] >= 1
    # references do not look at the 2D input: the same score under every camera; the models do
    assert len({m["pa_mpjpe_mm"] for m in methods["mean_pose"].values()}) == 1
    assert len({m["pa_mpjpe_mm"] for m in methods["baseline_motionbert"].values()}) > 1
    assert "| baseline_motionbert |" in markdown_table(report)
