"""Robustness curves: error vs camera yaw rate, cut frequency and occlusion, each factor swept alone.

Each sweep varies one factor of the casual-camera simulator (``vimo.data.camera_sim``) with the others
fixed and mild: the training cameras' framing and the training detector noise and confidences, but no
occlusion, limb-swap or missed-detection events unless swept, and no hand-held shake.

- ``yaw_rate``: the moving regime, its orbit turning the camera heading at a constant rate (the setting,
  deg/s). x: the measured mean |d heading / dt| of the simulated cameras.
- ``cuts``: the montage regime with a fixed shot length of 5 s / c for c cuts per 5 s (c = 0: one static
  shot, which is a montage without cuts). x: the measured cuts per 5 s.
- ``occlusion``: the static regime with occlusion events at the setting's rate (Hz). x: the measured
  fraction of (frame, keypoint) entries that the conditioning treats as missing (confidence below
  ``MISSING_CONF``), the detector's own low confidences included, so x > 0 without occlusion events.

Every method sees the same windows and the same simulated keypoints at each point (normalised with its own
``NormalizationConfig``) and samples with the same generator seeds. The points of one sweep also share the
simulator's seed, so they differ by the swept setting (and by the draws that it shifts), not by new luck.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch

from vimo.conditioning import NormalizationConfig, normalize_keypoints
from vimo.data.camera_sim import CASUAL_SIM_CONFIG, Regime, SimConfig, SimResult, simulate_clips
from vimo.data.dataset import WindowCache
from vimo.data.markers import window_markers
from vimo.io.atomic import atomic_open
from vimo.keypoints import CleaningConfig
from vimo.training.validation import Predictor, evaluation_indices, score_predictor
from vimo.viz.plots import Panel, Series, write_line_plots

FPS = 30.0  # frame rate of the cached windows
CUT_PERIOD_S = 5.0  # cut frequencies are counted per this many seconds
MISSING_CONF = CleaningConfig().min_conf  # keypoints below this confidence count as missing (0.3)

# The fixed, mild part of every sweep: training framing and detector noise, no events, no shake.
MILD_SIM_CONFIG = replace(
    CASUAL_SIM_CONFIG, occlusion_rate_hz=0.0, swap_rate_hz=0.0, missed_rate_hz=0.0, shake_amplitude_deg=(0.0, 0.0)
)


@dataclass(frozen=True)
class Factor:
    """One swept factor: its report key (also the PNG's name), words for plots and tables, and which measured
    statistic (a key of ``measure_clips``) is its x value."""

    key: str
    title: str
    x_label: str  # axis label of the measured x, with units
    setting_label: str  # what the setting is, with units
    measured: str
    x_scale: float = 1.0  # x is shown multiplied by this (fractions as %)


FACTORS: tuple[Factor, ...] = (
    Factor("yaw_rate", "Camera yaw rate (moving camera)", "mean |camera yaw rate| (deg/s)",
           "orbit yaw rate (deg/s)", "yaw_rate_deg_s"),
    Factor("cuts", "Shot cuts (montage)", f"cuts per {CUT_PERIOD_S:g} s", f"cuts per {CUT_PERIOD_S:g} s",
           "cuts_per_5s"),
    Factor("occlusion", "Occlusion (static camera)", f"keypoints hidden or with conf < {MISSING_CONF:g} (%)",
           "occlusion events per second (Hz)", "missing_fraction", 100.0),
)  # fmt: skip


@dataclass(frozen=True)
class SweepPoint:
    """One simulator setting of a sweep."""

    setting: float
    regime: Regime
    config: SimConfig


def sweep_points(
    factor: str,
    settings: Sequence[float],
    *,
    base: SimConfig = MILD_SIM_CONFIG,
) -> list[SweepPoint]:
    """The simulator settings of one sweep (``factor`` a ``Factor.key``), the other factors as in ``base``."""
    settings = [float(s) for s in settings]
    if not settings or min(settings) < 0 or not np.isfinite(settings).all():
        raise ValueError(f"{factor}: settings must be non-negative numbers, got {settings}")
    if factor == "yaw_rate":  # constant orbit rate: full speed, no wobble, no shake
        return [SweepPoint(s, Regime.MOVING, replace(base, max_yaw_rate_deg=s, orbit_speed=(1.0, 1.0),
                           orbit_drift=(1.0, 1.0), shake_amplitude_deg=(0.0, 0.0))) for s in settings]  # fmt: skip
    if factor == "cuts":
        return [SweepPoint(s, Regime.STATIC, base) if s == 0 else
                SweepPoint(s, Regime.MONTAGE, replace(base, cut_interval_s=(CUT_PERIOD_S / s,) * 2))
                for s in settings]  # fmt: skip
    if factor == "occlusion":
        return [SweepPoint(s, Regime.STATIC, replace(base, occlusion_rate_hz=s)) for s in settings]
    raise ValueError(f"unknown factor {factor!r}; expected one of {[f.key for f in FACTORS]}")


def measure_clips(clips: Sequence[SimResult]) -> dict[str, float]:
    """What the simulated cameras and detector actually did, over all clips:

    - ``yaw_rate_deg_s``: mean |rate of the optical axis' heading| (deg/s) within shots (cuts excluded);
    - ``cuts_per_5s``: cuts per 5 s of video;
    - ``missing_fraction``: share of (frame, keypoint) entries with confidence below ``MISSING_CONF``;
    - ``occluded_fraction``: share of (frame, keypoint) entries inside an occlusion event.
    """
    rates, cuts, seconds, missing, occluded = [], 0, 0.0, [], []
    for clip in clips:
        T = clip.keypoints.shape[0]
        forward = clip.R[:, 2, :]  # (T, 3) optical axis in world coordinates
        heading = np.arctan2(forward[:, 0], forward[:, 2])
        step = np.abs(np.angle(np.exp(1j * np.diff(heading))))  # (T - 1,) wrapped to [0, pi]
        within = np.ones(T - 1, bool)
        within[[f - 1 for f in clip.cut_frames]] = False
        rates.append(np.rad2deg(step[within]) * clip.fps)
        cuts += len(clip.cut_frames)
        seconds += T / clip.fps
        missing.append(clip.keypoints[..., 2] < MISSING_CONF)
        mask = np.zeros(clip.keypoints.shape[:2], bool)
        for event in clip.occlusions:
            mask[event.start : event.stop, list(event.joints)] = True
        occluded.append(mask)
    rate = np.concatenate(rates)
    return {
        "yaw_rate_deg_s": round(float(rate.mean()), 9) if rate.size else 0.0,  # no 1e-14 for a still camera
        "cuts_per_5s": CUT_PERIOD_S * cuts / seconds,
        "missing_fraction": float(np.concatenate(missing).mean()),
        "occluded_fraction": float(np.concatenate(occluded).mean()),
    }


@torch.no_grad()
def robustness_report(
    predictors: Mapping[str, tuple[Predictor, NormalizationConfig]],
    cache: WindowCache,
    *,
    split: str = "test",
    windows: int = 16,
    seed: int = 0,
    yaw_rates_deg: Sequence[float] = (0, 15, 30, 60, 90, 120),
    cuts_per_5s: Sequence[float] = (0, 1, 2, 3, 5),
    occlusion_rates_hz: Sequence[float] = (0, 0.5, 1, 2, 4),
    batch: int = 16,
) -> dict:
    """Accuracy of each method under each sweep point, as a JSON-ready dict::

        {"config": {...},
         "factors": {key: {"title", "x_label", "setting_label",
                           "points": [{"setting", "regime", "x", "measured": {...},
                                       "methods": {name: metrics}}]}}}

    ``predictors``: name -> (predictor, the normalisation its conditions need). Metrics per method and point
    are those of ``vimo.training.validation.score_predictor``: PA-MPJPE (mm) with its 95 % bootstrap interval,
    root-aligned MPJPE, MPJPE, foot skating, jitter and n. Deterministic given ``seed``.
    """
    if not predictors:
        raise ValueError("robustness_report: no predictors given")
    idx = evaluation_indices(cache, split, windows)
    x_metres = cache.batch(split, idx)  # (B, W, 151)
    markers = window_markers(x_metres)  # (B, W, 17, 3)
    settings = {"yaw_rate": yaw_rates_deg, "cuts": cuts_per_5s, "occlusion": occlusion_rates_hz}
    factors = {}
    for f_i, factor in enumerate(FACTORS):
        points = []
        for point in sweep_points(factor.key, settings[factor.key]):
            rng = np.random.default_rng([seed, f_i])  # the same simulator draws at every point of a sweep
            clips = simulate_clips(markers, regimes=[point.regime] * len(idx), config=point.config, rng=rng, fps=FPS)
            keypoints = torch.from_numpy(np.stack([c.keypoints for c in clips])).float()  # (B, W, 17, 3)
            measured = measure_clips(clips)
            methods = {}
            for name, (predict, norm_config) in predictors.items():
                _, methods[name] = score_predictor(
                    predict, normalize_keypoints(keypoints, norm_config), x_metres, batch=batch,
                    generator_seed=seed * 1000 + f_i * 100, ci_rng=np.random.default_rng([seed, f_i, 7]),
                )  # fmt: skip
            points.append({"setting": point.setting, "regime": point.regime.value, "x": measured[factor.measured],
                           "measured": measured, "methods": methods})  # fmt: skip
        factors[factor.key] = {"title": factor.title, "x_label": factor.x_label,
                               "setting_label": factor.setting_label, "points": points}  # fmt: skip
    config = {"split": split, "windows": len(idx), "window_frames": int(x_metres.shape[1]), "fps": FPS,
              "seed": seed, "missing_conf": MISSING_CONF, "methods": list(predictors)}  # fmt: skip
    return {"config": config, "factors": factors}


def plot_robustness(report: dict, out_dir: str | Path) -> list[Path]:
    """One PNG per factor in ``out_dir`` (``robustness_<factor>.png``): PA-MPJPE with its 95 % interval and
    root-aligned MPJPE against the measured x, one line per method. Written atomically; returns the paths."""
    out_dir = Path(out_dir)
    paths = []
    for factor in FACTORS:
        if factor.key not in report["factors"]:
            continue
        entry = report["factors"][factor.key]
        points = entry["points"]
        x = np.array([p["x"] for p in points]) * factor.x_scale
        pa, ra = [], []
        for name in report["config"]["methods"]:
            scores = [p["methods"][name] for p in points]
            pa.append(Series(name, x, np.array([s["pa_mpjpe_mm"] for s in scores]),
                             np.array([s["pa_mpjpe_ci95_mm"] for s in scores])))  # fmt: skip
            ra.append(Series(name, x, [s["root_aligned_mpjpe_mm"] for s in scores]))
        n = report["config"]["windows"]
        seconds = report["config"]["window_frames"] / report["config"]["fps"]
        panels = (Panel(entry["x_label"], "PA-MPJPE (mm), 95 % CI", tuple(pa), legend=True),
                  Panel(entry["x_label"], "root-aligned MPJPE (mm)", tuple(ra)))  # fmt: skip
        title = f"{entry['title']}: {n} {report['config']['split']} windows of {seconds:g} s"
        paths.append(write_line_plots(panels, out_dir / f"robustness_{factor.key}.png", title=title))
    return paths


def robustness_markdown(report: dict) -> str:
    """A table per factor: methods as rows, sweep points as columns (the setting, then the measured x);
    cells ``PA-MPJPE [95 % CI] / root-aligned MPJPE`` in mm."""
    sections = []
    for factor in FACTORS:
        if factor.key not in report["factors"]:
            continue
        entry = report["factors"][factor.key]
        points = entry["points"]
        head = [f"{p['setting']:g}" for p in points]
        lines = [
            f"**{entry['title']}**: PA-MPJPE [95 % CI] / root-aligned MPJPE (mm)",
            "",
            f"| {entry['setting_label']} | " + " | ".join(head) + " |",
            "|---" * (len(points) + 1) + "|",
            f"| measured: {entry['x_label']} | " + " | ".join(f"{p['x'] * factor.x_scale:.3g}" for p in points) + " |",
        ]
        for name in report["config"]["methods"]:
            cells = []
            for p in points:
                s = p["methods"][name]
                low, high = s["pa_mpjpe_ci95_mm"]
                cells.append(f"{s['pa_mpjpe_mm']:.1f} [{low:.1f}, {high:.1f}] / {s['root_aligned_mpjpe_mm']:.1f}")
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        sections.append("\n".join(lines))
    return "\n\n".join(sections) + "\n"


def write_robustness(report: dict, out_dir: str | Path) -> list[Path]:
    """``robustness.json``, ``robustness.md`` and the PNGs of ``plot_robustness`` in ``out_dir``, atomically."""
    out_dir = Path(out_dir)
    with atomic_open(out_dir / "robustness.json") as fh:
        json.dump(report, fh, indent=1)
    with atomic_open(out_dir / "robustness.md") as fh:
        fh.write(robustness_markdown(report))
    return [out_dir / "robustness.json", out_dir / "robustness.md", *plot_robustness(report, out_dir)]
