"""`vimo eval`: the benchmark suites."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vimo.cli.root import (
    BaselineOpt,
    CacheOpt,
    GuidanceOpt,
    SplitOpt,
    StepsOpt,
    WeightsOpt,
    app,
    console,
    progress_bar,
    user_errors,
)
from vimo.errors import VimoError
from vimo.paths import DANCE_WEIGHTS, SHARED_VIDEOS

eval_app = typer.Typer(help="Benchmarks: accuracy under casual cameras.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")


@eval_app.command("casual")
@user_errors
def eval_casual(
    out: Annotated[Path, typer.Option("-o", "--out", help="Report directory (casual.json, casual.md).")],
    data: CacheOpt = Path("data/cache"),
    split: SplitOpt = "test",
    windows: Annotated[int, typer.Option(help="Windows per camera regime.")] = 64,
    steps: StepsOpt = 50,
    guidance: GuidanceOpt = None,
    weights: WeightsOpt = None,
    baseline: BaselineOpt = None,
    best_of: Annotated[int, typer.Option(help="Also report ViMo's best of K samples per window (oracle).")] = 5,
    seed: Annotated[int, typer.Option()] = 0,
) -> None:
    """ViMo vs the baseline lifter, mean pose and nearest-training-window references under each simulated camera
    regime (the same windows and cameras for every method).

    Example: vimo eval casual --data data/cache -o reports/casual
    """
    from vimo.data.dataset import WindowCache
    from vimo.eval.casual import CasualConfig, casual_report, markdown_table, write_report

    _check_split(split)
    cache = WindowCache.load(data)
    vimo, lifter = _eval_models(weights, baseline)
    with console.status(f"evaluating {windows} windows x 4 regimes..."):
        config = CasualConfig(split=split, windows=windows, steps=steps, guidance=guidance, seed=seed,
                              best_of=best_of)  # fmt: skip
        report = casual_report(vimo, cache, config, baseline=lifter)
    write_report(report, out)
    console.print("PA-MPJPE (mm), single sample\n" + markdown_table(report))
    console.print(f"wrote {out}/casual.json and {out}/casual.md")


def _check_split(split: str) -> None:
    if split not in ("test", "val"):
        raise VimoError(f"unknown --split {split!r}; choose test or val")


def _eval_models(weights: Path | None, baseline: Path | None):
    """The ViMo bundle and the baseline lifter (the shipped one when present, else None) for the benchmarks."""
    from vimo.pipeline import BASELINE_WEIGHTS, DEFAULT_WEIGHTS, ViMo

    vimo = ViMo.load(weights or DEFAULT_WEIGHTS)
    lifter = None
    if baseline is not None or BASELINE_WEIGHTS.with_suffix(".json").exists():
        from vimo.lifter import Lifter

        lifter = Lifter.load(baseline or BASELINE_WEIGHTS)
    return vimo, lifter


def _predictors(vimo, lifter, *, steps: int, guidance: float | None) -> dict:
    from vimo.training.validation import denoiser_predictor

    g = vimo.guidance if guidance is None else guidance
    predict = denoiser_predictor(vimo.model, vimo.normalizer, steps=steps, guidance=g, smooth=vimo.smooth)
    out = {"vimo": (predict, vimo.norm_config)}
    if lifter is not None:
        out["baseline_motionbert"] = (lambda cond, _gen: lifter.predict(cond), lifter.norm_config)
    return out


@eval_app.command("robustness")
@user_errors
def eval_robustness(
    out: Annotated[Path, typer.Option("-o", "--out", help="Report directory (robustness.json/.md, PNG curves).")],
    data: CacheOpt = Path("data/cache"),
    split: SplitOpt = "test",
    windows: Annotated[int, typer.Option(help="Windows per sweep point.")] = 16,
    steps: StepsOpt = 50,
    guidance: GuidanceOpt = None,
    weights: WeightsOpt = None,
    baseline: BaselineOpt = None,
    seed: Annotated[int, typer.Option()] = 0,
) -> None:
    """Robustness curves: error vs camera yaw rate, cuts per 5 s and occluded keypoints, one factor at a time
    (same windows and simulated keypoints for every method), as PNG plots and a table.

    Example: vimo eval robustness --data data/cache -o reports/robustness
    """
    from vimo.data.dataset import WindowCache
    from vimo.eval.robustness import robustness_markdown, robustness_report, write_robustness

    _check_split(split)
    cache = WindowCache.load(data)
    vimo, lifter = _eval_models(weights, baseline)
    with console.status(f"robustness sweeps, {windows} windows per point..."):
        report = robustness_report(_predictors(vimo, lifter, steps=steps, guidance=guidance), cache,
                                   split=split, windows=windows, seed=seed)  # fmt: skip
    written = write_robustness(report, out)
    console.print(robustness_markdown(report))
    console.print("wrote " + ", ".join(str(p) for p in written))


class _StageBars:
    """A rich progress bar per stage label, for the ``progress(label, done, total)`` callbacks of the suites."""

    def __init__(self, bar) -> None:
        self.bar, self.tasks = bar, {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage not in self.tasks:
            self.tasks[stage] = self.bar.add_task(stage, total=total)
        self.bar.update(self.tasks[stage], completed=done, total=total)


def _write_suite(out: Path, name: str, report: dict, markdown: str) -> None:
    import json as _json

    from vimo.io.atomic import atomic_open

    out.mkdir(parents=True, exist_ok=True)
    with atomic_open(out / f"{name}.json") as fh:
        _json.dump(report, fh, indent=1, allow_nan=False)
    with atomic_open(out / f"{name}.md") as fh:
        fh.write(markdown)


@eval_app.command("rendered")
@user_errors
def eval_rendered(
    out: Annotated[Path, typer.Option("-o", "--out", help="Report directory (rendered.json, rendered.md).")],
    data: CacheOpt = Path("data/cache"),
    windows: Annotated[int, typer.Option(help="Test motions per camera regime.")] = 4,
    steps: StepsOpt = 50,
    weights: WeightsOpt = None,
    baseline: BaselineOpt = None,
    work: Annotated[
        Path | None, typer.Option(help="Keep rendered clips and extractions here (re-runs reuse them).")
    ] = None,
    seed: Annotated[int, typer.Option()] = 0,
) -> None:
    """Test motions rendered by the mannequin renderer under each camera regime, through the whole video path
    (MediaPipe in the loop): ViMo, the baseline and MediaPipe's own 3D (world landmarks) against the truth.

    Example: vimo eval rendered --data data/cache -o reports/rendered --work runs/rendered
    """
    from vimo.data.dataset import WindowCache
    from vimo.eval.videos import rendered_markdown, rendered_report

    cache = WindowCache.load(data)
    vimo, lifter = _eval_models(weights, baseline)
    with progress_bar() as bar:
        report = rendered_report(vimo, cache, baseline=lifter, windows_per_regime=windows, seed=seed, steps=steps,
                                 seconds=min(5.0, cache.window / 30),
                                 work_dir=work or out / "work", progress=_StageBars(bar))  # fmt: skip
    md = rendered_markdown(report)
    _write_suite(out, "rendered", report, md)
    console.print(md)
    console.print(f"wrote {out}/rendered.json and {out}/rendered.md")


@eval_app.command("real")
@user_errors
def eval_real(
    out: Annotated[Path, typer.Option("-o", "--out", help="Report directory (real.json, real.md).")],
    videos: Annotated[Path, typer.Option(help="Folder of real clips (searched recursively).")] = SHARED_VIDEOS,
    steps: StepsOpt = 50,
    weights: WeightsOpt = None,
    baseline: BaselineOpt = None,
    work: Annotated[Path | None, typer.Option(help="Keep extractions here (re-runs skip them).")] = None,
    seed: Annotated[int, typer.Option()] = 0,
) -> None:
    """Real clips without 3D truth: 2D fidelity, jitter, foot skating and bone-length stability per method.

    Example: vimo eval real --videos ../shared/data/videos -o reports/real
    """
    from vimo.eval.videos import real_markdown, real_report

    vimo, lifter = _eval_models(weights, baseline)
    with progress_bar() as bar:
        report = real_report(vimo, videos, baseline=lifter, seed=seed, steps=steps, work_dir=work or out / "work",
                             progress=_StageBars(bar))  # fmt: skip
    md = real_markdown(report)
    _write_suite(out, "real", report, md)
    console.print(md)
    console.print(f"wrote {out}/real.json and {out}/real.md")


@eval_app.command("all")
@user_errors
def eval_all(
    out: Annotated[Path, typer.Option("-o", "--out", help="Report directory: table.md and one folder per suite.")],
    data: CacheOpt = Path("data/cache"),
    videos: Annotated[Path, typer.Option(help="Folder of real clips.")] = SHARED_VIDEOS,
    split: Annotated[str, typer.Option(help="Motions from the test or val split.")] = "test",
    windows: Annotated[int, typer.Option(help="Casual suite: windows per camera regime.")] = 64,
    best_of: Annotated[int, typer.Option(help="Casual suite: ViMo's best of K (oracle).")] = 5,
    rendered_windows: Annotated[int, typer.Option(help="Rendered suite: motions per regime.")] = 4,
    robustness_windows: Annotated[int, typer.Option(help="Robustness curves: windows per point.")] = 16,
    steps: StepsOpt = 50,
    weights: WeightsOpt = None,
    baseline: BaselineOpt = None,
    seed: Annotated[int, typer.Option()] = 0,
) -> None:
    """Every suite (casual, rendered, real, robustness curves) and the summary table (the paper's Table 1 on our
    data) in OUT/table.md. Suites already written in OUT are reused (delete a folder to redo it).

    Example: vimo eval all --data data/cache -o reports/eval
    """
    import json as _json
    import time

    from vimo.data.dataset import WindowCache
    from vimo.eval.casual import CasualConfig, casual_report, write_report
    from vimo.eval.casual import markdown_table as casual_markdown
    from vimo.eval.robustness import robustness_report, write_robustness
    from vimo.eval.table import table1
    from vimo.eval.videos import real_markdown, real_report, rendered_markdown, rendered_report
    from vimo.io.atomic import atomic_open

    _check_split(split)
    cache = WindowCache.load(data)
    vimo, lifter = _eval_models(weights, baseline)
    reports, timings = {}, {}

    def suite(name: str, run) -> None:
        path = out / name / f"{name}.json"
        if path.exists():
            reports[name] = _json.loads(path.read_text())
            console.print(f"{name}: reusing {path}")
            return
        t0 = time.perf_counter()
        run()
        timings[name] = round(time.perf_counter() - t0, 1)
        reports[name] = _json.loads(path.read_text())
        console.print(f"{name}: {timings[name]} s")

    def casual() -> None:
        with console.status(f"casual: {windows} windows x 4 regimes, best of {best_of}..."):
            config = CasualConfig(split=split, windows=windows, steps=steps, seed=seed, best_of=best_of)
            write_report(casual_report(vimo, cache, config, baseline=lifter), out / "casual")

    def rendered() -> None:
        with progress_bar() as bar:
            r = rendered_report(vimo, cache, baseline=lifter, windows_per_regime=rendered_windows, seed=seed,
                                split=split, seconds=min(5.0, cache.window / 30),
                                steps=steps, work_dir=out / "rendered" / "work", progress=_StageBars(bar))  # fmt: skip
        _write_suite(out / "rendered", "rendered", r, rendered_markdown(r))

    def real() -> None:
        with progress_bar() as bar:
            r = real_report(vimo, videos, baseline=lifter, seed=seed, steps=steps, work_dir=out / "real" / "work",
                            progress=_StageBars(bar))  # fmt: skip
        _write_suite(out / "real", "real", r, real_markdown(r))

    def robustness() -> None:
        with console.status(f"robustness: {robustness_windows} windows per point..."):
            r = robustness_report(_predictors(vimo, lifter, steps=steps, guidance=None), cache,
                                  split=split, windows=robustness_windows, seed=seed)  # fmt: skip
        write_robustness(r, out / "robustness")

    for name, run in (("casual", casual), ("rendered", rendered), ("real", real), ("robustness", robustness)):
        suite(name, run)
    table = table1(reports)
    out.mkdir(parents=True, exist_ok=True)
    with atomic_open(out / "table.md") as fh:
        fh.write("# ViMo evaluation summary\n\n" + table + "\nSuites: casual/casual.md, rendered/rendered.md, "
                 "real/real.md, robustness/robustness.md (and PNG curves).\n")  # fmt: skip
    if timings:
        with atomic_open(out / "timings.json") as fh:
            _json.dump(timings, fh, indent=1)
    console.print(casual_markdown(reports["casual"]) if "casual" in reports else "")
    console.print(table)
    console.print(f"wrote {out}/table.md")


@eval_app.command("stylization")
@user_errors
def eval_stylization(
    style: Annotated[
        list[str],
        typer.Option(
            help="NAME=STYLE_DIR[,STYLE_DIR...]: style folders made by `vimo "
            "stylize` from the same videos (one per method); repeatable."
        ),
    ],
    out: Annotated[Path, typer.Option("-o", "--out", help="Report directory (stylization.json, .md).")],
    base: Annotated[Path, typer.Option(help="Music-to-dance base bundle.")] = DANCE_WEIGHTS,
    data: Annotated[Path, typer.Option(help="Cache the base was trained on (forgetting reference).")] = Path(
        "data/cache"
    ),
    pairs: Annotated[
        Path | None, typer.Option(help="The base's pairs file (its dance windows; default: the one it trained on).")
    ] = None,
    clips: Annotated[int, typer.Option(help="Music clips per style.")] = 48,
    steps: StepsOpt = 20,
    seed: Annotated[int, typer.Option()] = 0,
) -> None:
    """Table 2: zero-conv adapters vs fine-tuning per style (BA, PFC, Div, FID vs style and vs base).

    Example: vimo eval stylization --style salsa=styles/salsa-zc,styles/salsa-ft -o reports/stylization
    """
    import json as _json

    from vimo.apps.stylize import PAIRS, STYLE
    from vimo.dance import DanceModel
    from vimo.data.dataset import WindowCache
    from vimo.eval.stylization import StyleSet, evaluate_style, markdown, write
    from vimo.training.dance import Pairs, training_joints

    sets = []
    for spec in style:
        name, sep, dirs = spec.partition("=")
        if not sep or not dirs:
            raise VimoError(f"--style {spec!r}: expected NAME=STYLE_DIR[,STYLE_DIR...]")
        models = {}
        folders = [Path(d) for d in dirs.split(",")]
        for d in folders:
            if not (d / f"{STYLE}.json").exists():
                raise VimoError(f"{d}: not a style folder (no {STYLE}.json); make one with `vimo stylize`")
            method = _json.loads((d / f"{STYLE}.json").read_text())["info"]["style"]["method"]
            models[method if method not in models else f"{method} ({d.name})"] = d / STYLE
        sets.append(StyleSet(name, folders[0] / PAIRS, models))
    model = DanceModel.load(base)
    if pairs is None:
        pairs = Path(model.info.get("train_config", {}).get("pairs", ""))
        if not pairs.is_file():
            raise VimoError(f"{base}: its training pairs ({pairs}) are not here; name them with --pairs")
    cache, base_pairs = WindowCache.load(data), Pairs.load(pairs)
    reference = training_joints(cache, base_pairs)
    report = {}
    for s in sets:
        with console.status(f"{s.name}: dancing {clips} clips x {len(s.models) + 1} models..."):
            report[s.name] = evaluate_style(s, model, reference, clips=clips, steps=steps, seed=seed)
    write(report, out)
    console.print(markdown(report))
    console.print(f"wrote {out}/stylization.json and {out}/stylization.md")


@eval_app.command("guidance")
@user_errors
def eval_guidance(
    data: CacheOpt = Path("data/cache"),
    weights: WeightsOpt = None,
    values: Annotated[str, typer.Option(help="Comma-separated guidance weights to try.")] = "1,1.5,2,3",
    windows: Annotated[int, typer.Option(help="Validation windows per camera regime.")] = 16,
) -> None:
    """Choose the classifier-free guidance weight on the validation split (lowest mean PA-MPJPE).

    Example: vimo eval guidance --data data/cache --values 1,2,3
    """
    from vimo.data.dataset import WindowCache
    from vimo.eval.casual import guidance_sweep
    from vimo.pipeline import DEFAULT_WEIGHTS, ViMo

    ws = tuple(float(v) for v in values.split(","))
    vimo = ViMo.load(weights or DEFAULT_WEIGHTS)
    with console.status("sampling validation windows..."):
        sweep = guidance_sweep(vimo, WindowCache.load(data), ws, windows=windows)
    for w, vals in sweep.items():
        console.print(f"w={w:g}: " + ", ".join(f"{k} {v:.1f}" for k, v in vals.items()))
    best = min(sweep, key=lambda w: sweep[w]["mean"])
    console.print(f"best guidance on validation: {best:g}")
