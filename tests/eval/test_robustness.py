"""Robustness curves: each sweep really changes its factor, every method sees the same inputs, files are valid."""

import json

import numpy as np
import pytest
import torch
from matplotlib.image import imread

from vimo.conditioning import NormalizationConfig
from vimo.data.camera_sim import CASUAL_SIM_CONFIG, Regime, SimConfig
from vimo.data.dataset import WindowCache
from vimo.eval.robustness import FACTORS, robustness_markdown, robustness_report, sweep_points, write_robustness
from vimo.training.validation import evaluate_predictor, evaluation_indices

SPLIT, WINDOWS = "train", 12  # the tiny cache: 12 train windows of 30 frames
SWEEPS = dict(yaw_rates_deg=(0, 30, 90), cuts_per_5s=(0, 3, 10), occlusion_rates_hz=(0, 2, 8))


@pytest.fixture(scope="module")
def cache(tiny_cache) -> WindowCache:
    return WindowCache.load(tiny_cache)


@pytest.fixture(scope="module")
def truth(cache) -> torch.Tensor:
    return cache.batch(SPLIT, evaluation_indices(cache, SPLIT, WINDOWS))  # (B, W, 151), in the report's order


def _confidence(cond: torch.Tensor) -> torch.Tensor:
    """(B, W, 54) conditions -> (B, W, 17) the confidence channel of each keypoint."""
    return cond[..., : 17 * 3].unflatten(-1, (17, 3))[..., 2]


@pytest.fixture(scope="module")
def predictors(truth) -> dict:
    """- ``fixed``: one training window whatever the input (sees nothing: its error cannot depend on the camera);
    - ``oracle``: the truth, blended per frame towards another window by the share of keypoints the conditions
      mark missing (an error that grows with occlusion only if the sweep really hides keypoints)."""

    def fixed(cond: torch.Tensor, _gen: torch.Generator) -> torch.Tensor:
        return truth[:1].expand(len(cond), -1, -1)

    def oracle(cond: torch.Tensor, _gen: torch.Generator) -> torch.Tensor:
        assert len(cond) == len(truth)  # one chunk per point (batch >= windows): the truth in order
        missing = (_confidence(cond) == 0).float().mean(-1, keepdim=True)  # (B, W, 1)
        return truth + missing * (truth.roll(1, 0) - truth)

    return {"fixed": (fixed, NormalizationConfig()), "oracle": (oracle, NormalizationConfig())}


@pytest.fixture(scope="module")
def report(cache, predictors) -> dict:
    return robustness_report(predictors, cache, split=SPLIT, windows=WINDOWS, seed=0, **SWEEPS)


def test_report_structure_and_measured_x_follows_each_setting(report):
    assert report["config"]["windows"] == WINDOWS and report["config"]["methods"] == ["fixed", "oracle"]
    assert list(report["factors"]) == [f.key for f in FACTORS]
    for key, settings in zip(report["factors"], SWEEPS.values(), strict=True):
        points = report["factors"][key]["points"]
        assert [p["setting"] for p in points] == list(settings)
        xs = [p["x"] for p in points]
        assert all(a < b for a, b in zip(xs, xs[1:], strict=False)), (key, xs)
        for p in points:
            for m in p["methods"].values():
                low, high = m["pa_mpjpe_ci95_mm"]
                assert m["n"] == WINDOWS and low <= m["pa_mpjpe_mm"] <= high
                assert np.isfinite(m["root_aligned_mpjpe_mm"])
    yaw = report["factors"]["yaw_rate"]["points"]
    assert [p["x"] for p in yaw] == pytest.approx([0, 30, 90], abs=1e-6)  # the heading turns at the set rate
    assert {p["regime"] for p in yaw} == {"moving"}
    cuts = report["factors"]["cuts"]["points"]
    assert [p["regime"] for p in cuts] == ["static", "montage", "montage"] and cuts[0]["x"] == 0
    occlusion = report["factors"]["occlusion"]["points"]
    occluded = [p["measured"]["occluded_fraction"] for p in occlusion]
    assert occluded[0] == 0 and occluded[1] < occluded[2] and occlusion[-1]["x"] > occlusion[0]["x"] + 0.2
    # the other factors stay fixed: no cuts or occlusion events while the yaw rate is swept, and so on
    assert all(p["measured"]["cuts_per_5s"] == 0 and p["measured"]["occluded_fraction"] == 0 for p in yaw)
    assert all(p["measured"]["yaw_rate_deg_s"] == 0 for p in cuts + occlusion)


def test_errors_follow_the_inputs_not_the_luck_of_the_draw(report):
    # the same windows everywhere: a method that ignores its input scores the same at every point
    fixed = {p["methods"]["fixed"]["pa_mpjpe_mm"] for f in report["factors"].values() for p in f["points"]}
    assert len(fixed) == 1
    # an error driven by the hidden keypoints grows with the occlusion rate (the sweep reaches the predictors)
    oracle = [p["methods"]["oracle"]["pa_mpjpe_mm"] for p in report["factors"]["occlusion"]["points"]]
    assert oracle[0] < oracle[1] < oracle[2] and oracle[2] > 2 * oracle[0]


def test_every_method_sees_the_same_conditions_and_the_sweep_changes_them(cache, truth):
    seen: dict[str, list[torch.Tensor]] = {"a": [], "b": []}

    def recorder(name):
        def predict(cond: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
            seen[name].append(cond.clone())
            return truth.roll(1, 0) + 0.01 * torch.rand(1, generator=gen)  # valid motions, seeded noise

        return predict

    kw = dict(split=SPLIT, windows=WINDOWS, yaw_rates_deg=(0, 60), cuts_per_5s=(0, 5), occlusion_rates_hz=(0, 4))
    first = robustness_report({n: (recorder(n), NormalizationConfig()) for n in seen}, cache, **kw)
    assert len(seen["a"]) == len(seen["b"]) == 6  # one chunk per point
    for a, b in zip(seen["a"], seen["b"], strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    for i in range(0, 6, 2):  # the two points of each sweep give different inputs
        assert not torch.equal(seen["a"][i], seen["a"][i + 1])
    again = robustness_report({n: (recorder(n), NormalizationConfig()) for n in seen}, cache, **kw)
    assert again == first  # deterministic given the seed
    for a, b in zip(seen["a"][:6], seen["a"][6:], strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_sweep_points_validate_their_settings():
    assert [p.regime for p in sweep_points("cuts", (0, 2))] == [Regime.STATIC, Regime.MONTAGE]
    assert sweep_points("cuts", (2,))[0].config.cut_interval_s == (2.5, 2.5)
    with pytest.raises(ValueError, match="non-negative"):
        sweep_points("occlusion", (-1,))
    with pytest.raises(ValueError, match="unknown factor"):
        sweep_points("zoom", (1,))


def test_written_files_are_valid(report, tmp_path):
    paths = write_robustness(report, tmp_path / "out")
    pngs = [p for p in paths if p.suffix == ".png"]
    assert [p.name for p in pngs] == [f"robustness_{f.key}.png" for f in FACTORS]
    for png in pngs:
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        image = imread(png)
        assert image.ndim == 3 and image.shape[0] > 100 and image.shape[1] > 100 and image.std() > 0
    assert not list((tmp_path / "out").glob(".*"))  # no temp files left behind
    md = robustness_markdown(report)
    assert md.count("| fixed |") == md.count("| oracle |") == len(FACTORS)
    assert "| cuts per 5 s | 0 | 3 | 10 |" in md


def test_evaluate_predictor_takes_a_simulator_config(cache, truth):
    conf_means = []

    def predict(cond: torch.Tensor, _gen: torch.Generator) -> torch.Tensor:
        conf_means.append(float(_confidence(cond).mean()))
        return truth[: len(cond)]

    kw = dict(split=SPLIT, per_regime=4, regimes=(Regime.STATIC,))
    default = evaluate_predictor(predict, cache, **kw)
    assert evaluate_predictor(predict, cache, sim_config=CASUAL_SIM_CONFIG, **kw) == default
    evaluate_predictor(predict, cache, sim_config=SimConfig.noiseless(), **kw)
    assert conf_means[0] == conf_means[1] < conf_means[2] == 1.0  # noiseless: every keypoint seen, confidence 1


def test_cli_writes_curves_and_table(tiny_cache, tiny_bundle, tmp_path):
    from typer.testing import CliRunner

    from vimo.cli import app

    out = tmp_path / "rob"
    res = CliRunner().invoke(app, ["eval", "robustness", "--data", str(tiny_cache), "--split", "val", "-o", str(out),
                                   "--windows", "2", "--steps", "2", "--weights", str(tiny_bundle)])  # fmt: skip
    assert res.exit_code == 0, res.output
    for name in ("robustness.json", "robustness.md", "robustness_yaw_rate.png", "robustness_cuts.png",
                 "robustness_occlusion.png"):  # fmt: skip
        assert (out / name).stat().st_size > 0, name
    report = json.loads((out / "robustness.json").read_text())
    assert "vimo" in report["factors"]["yaw_rate"]["points"][0]["methods"]
    bad = CliRunner().invoke(app, ["eval", "robustness", "--data", str(tiny_cache), "--split", "nope", "-o", str(out)])
    assert bad.exit_code == 2 and "--split" in bad.output
