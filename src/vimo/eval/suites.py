"""The benchmark suites as jobs: the models they compare, their predictors, :func:`evaluate_all` (every suite
into one folder, reusing the suites already written there, and the summary table, the paper's Table 1 on our
data) and :func:`stylization_report` (Table 2: style adapters vs fine-tuning).

Suites: ``casual`` (vimo.eval.casual), ``rendered`` and ``real`` (vimo.eval.videos), ``robustness``
(vimo.eval.robustness); the table: vimo.eval.table.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from vimo.apps.stylize import PAIRS, style_bundle
from vimo.dance import DanceModel
from vimo.data.dataset import WindowCache
from vimo.errors import VimoError
from vimo.eval.casual import CasualConfig, casual_report, write_report
from vimo.eval.robustness import robustness_report, write_robustness
from vimo.eval.stylization import StyleSet, evaluate_style
from vimo.eval.table import table1
from vimo.eval.videos import real_markdown, real_report, rendered_markdown, rendered_report
from vimo.io.atomic import atomic_open
from vimo.lifter import Lifter
from vimo.paths import BASELINE_WEIGHTS, VIMO_WEIGHTS
from vimo.pipeline import ViMo
from vimo.training.dance import Pairs, training_joints
from vimo.training.validation import denoiser_predictor

StageProgress = Callable[[str, int, int], None]  # (stage label, done, total)

SUITES = ("casual", "rendered", "real", "robustness")  # in the order evaluate_all runs them
SPLITS = ("test", "val")
REGIMES = 4  # camera regimes of the casual suite (vimo.data.camera_sim.Regime)
MAX_RENDERED_SECONDS = 5.0  # rendered clips: at most this long (and at most one cache window)


@dataclass
class EvalModels:
    """What the suites compare: a ViMo bundle and, when there is one, the baseline lifter."""

    vimo: ViMo
    baseline: Lifter | None = None


def load_eval_models(weights: Path | None = None, baseline: Path | None = None) -> EvalModels:
    """The ViMo bundle at ``weights`` (default: the shipped one) and the baseline lifter at ``baseline`` (default:
    the shipped one when present, else none)."""
    vimo = ViMo.load(weights or VIMO_WEIGHTS)
    lifter = None
    if baseline is not None or BASELINE_WEIGHTS.with_suffix(".json").exists():
        lifter = Lifter.load(baseline or BASELINE_WEIGHTS)
    return EvalModels(vimo, lifter)


def check_split(split: str) -> None:
    if split not in SPLITS:
        raise VimoError(f"unknown --split {split!r}; choose {' or '.join(SPLITS)}")


def predictors(models: EvalModels, *, steps: int, guidance: float | None = None) -> dict:
    """{method: (predict(cond, generator) -> motion vectors, its condition normalisation)} for the robustness
    sweeps: ViMo (guidance: the bundle's unless given) and the baseline when there is one."""
    vimo = models.vimo
    g = vimo.guidance if guidance is None else guidance
    predict = denoiser_predictor(vimo.model, vimo.normalizer, steps=steps, guidance=g, smooth=vimo.smooth)
    out = {"vimo": (predict, vimo.norm_config)}
    if models.baseline is not None:
        lifter = models.baseline
        out["baseline_motionbert"] = (lambda cond, _gen: lifter.predict(cond), lifter.norm_config)
    return out


def rendered_seconds(cache: WindowCache) -> float:
    return min(MAX_RENDERED_SECONDS, cache.window / 30)


def write_suite(out: Path, name: str, report: dict, markdown: str) -> list[Path]:
    """``out/NAME.json`` and ``out/NAME.md``, atomically."""
    out.mkdir(parents=True, exist_ok=True)
    with atomic_open(out / f"{name}.json") as fh:
        json.dump(report, fh, indent=1, allow_nan=False)
    with atomic_open(out / f"{name}.md") as fh:
        fh.write(markdown)
    return [out / f"{name}.json", out / f"{name}.md"]


@dataclass(frozen=True)
class AllConfig:
    split: str = "test"  # motions from this split (SPLITS)
    windows: int = 64  # casual: windows per camera regime
    best_of: int = 5  # casual: ViMo's best of K (oracle)
    rendered_windows: int = 4  # rendered: motions per regime
    robustness_windows: int = 16  # robustness: windows per sweep point
    steps: int = 50  # DDIM steps
    seed: int = 0


@dataclass
class AllReport:
    reports: dict[str, dict]  # suite -> its report (as in OUT/SUITE/SUITE.json)
    reused: dict[str, Path] = field(default_factory=dict)  # suites found already written, and where
    timings_s: dict[str, float] = field(default_factory=dict)  # suites run now, seconds
    table: str = ""  # the summary table (markdown), also in OUT/table.md


def evaluate_all(
    out: Path,
    cache: WindowCache,
    models: EvalModels,
    videos: Path,
    config: AllConfig = AllConfig(),
    *,
    progress: StageProgress | None = None,
) -> AllReport:
    """Every suite into OUT/SUITE/ (a suite whose SUITE.json is already there is read, not run again), then
    OUT/table.md and, for the suites run now, OUT/timings.json. ``videos``: the real clips (a folder)."""
    check_split(config.split)
    progress = progress or (lambda stage, done, total: None)
    vimo, lifter, c = models.vimo, models.baseline, config

    def casual() -> None:
        stage = f"casual: {c.windows} windows x {REGIMES} regimes, best of {c.best_of}"
        progress(stage, 0, 1)
        cfg = CasualConfig(split=c.split, windows=c.windows, steps=c.steps, seed=c.seed, best_of=c.best_of)
        write_report(casual_report(vimo, cache, cfg, baseline=lifter), out / "casual")
        progress(stage, 1, 1)

    def rendered() -> None:
        r = rendered_report(vimo, cache, baseline=lifter, windows_per_regime=c.rendered_windows, seed=c.seed,
                            split=c.split, seconds=rendered_seconds(cache), steps=c.steps,
                            work_dir=out / "rendered" / "work", progress=progress)  # fmt: skip
        write_suite(out / "rendered", "rendered", r, rendered_markdown(r))

    def real() -> None:
        r = real_report(vimo, videos, baseline=lifter, seed=c.seed, steps=c.steps, work_dir=out / "real" / "work",
                        progress=progress)  # fmt: skip
        write_suite(out / "real", "real", r, real_markdown(r))

    def robustness() -> None:
        stage = f"robustness: {c.robustness_windows} windows per point"
        progress(stage, 0, 1)
        r = robustness_report(predictors(models, steps=c.steps), cache, split=c.split, windows=c.robustness_windows,
                              seed=c.seed)  # fmt: skip
        write_robustness(r, out / "robustness")
        progress(stage, 1, 1)

    result = AllReport(reports={})
    for name, run_suite in zip(SUITES, (casual, rendered, real, robustness), strict=True):
        path = out / name / f"{name}.json"
        if path.exists():
            result.reused[name] = path
        else:
            t0 = time.perf_counter()
            run_suite()
            result.timings_s[name] = round(time.perf_counter() - t0, 1)
        result.reports[name] = json.loads(path.read_text())
    result.table = table1(result.reports)
    out.mkdir(parents=True, exist_ok=True)
    with atomic_open(out / "table.md") as fh:
        fh.write("# ViMo evaluation summary\n\n" + result.table + "\nSuites: casual/casual.md, rendered/rendered.md, "
                 "real/real.md, robustness/robustness.md (and PNG curves).\n")  # fmt: skip
    if result.timings_s:
        with atomic_open(out / "timings.json") as fh:
            json.dump(result.timings_s, fh, indent=1)
    return result


def load_style_sets(styles: dict[str, list[Path]]) -> list[StyleSet]:
    """{style name: style folders made by ``vimo stylize`` from the same videos, one per method} -> the sets the
    stylization table compares (each model named by its method; one-line VimoError for a folder that is not a
    style)."""
    sets = []
    for name, folders in styles.items():
        models: dict[str, Path] = {}
        for folder in folders:
            prefix = style_bundle(folder)
            method = json.loads(prefix.with_suffix(".json").read_text())["info"]["style"]["method"]
            models[method if method not in models else f"{method} ({folder.name})"] = prefix
        sets.append(StyleSet(name, folders[0] / PAIRS, models))
    return sets


def stylization_report(
    sets: list[StyleSet],
    base: Path,
    data: Path,
    *,
    pairs: Path | None = None,
    clips: int = 48,
    steps: int = 20,
    seed: int = 0,
    progress: StageProgress | None = None,
) -> dict:
    """{style: {model: metrics}} for the base dance bundle ``base`` and each set's models on that style's music;
    forgetting is measured against the base's training dances (``data``: the cache it was trained on; ``pairs``: its
    pairs file, default the one it trained on, as its bundle records)."""
    progress = progress or (lambda stage, done, total: None)
    model = DanceModel.load(base)
    if pairs is None:
        pairs = Path(model.info.get("train_config", {}).get("pairs", ""))
        if not pairs.is_file():
            raise VimoError(f"{base}: its training pairs ({pairs}) are not here; name them with --pairs")
    reference = training_joints(WindowCache.load(data), Pairs.load(pairs))
    report = {}
    for s in sets:
        stage = f"{s.name}: dancing {clips} clips x {len(s.models) + 1} models"
        progress(stage, 0, 1)
        report[s.name] = evaluate_style(s, model, reference, clips=clips, steps=steps, seed=seed)
        progress(stage, 1, 1)
    return report
