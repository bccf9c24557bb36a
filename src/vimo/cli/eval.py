"""`vimo eval`: the benchmark suites."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import typer

from vimo.cli.root import (
    MAX_SEED,
    BaselineOpt,
    CacheOpt,
    GuidanceOpt,
    SplitOpt,
    StepsOpt,
    WeightsOpt,
    app,
    console,
    progress_bar,
    stage_progress,
    user_errors,
)
from vimo.errors import VimoError
from vimo.options import Split
from vimo.paths import DANCE_WEIGHTS, SHARED_VIDEOS

eval_app = typer.Typer(help="Benchmarks: accuracy under casual cameras.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")


@eval_app.command("casual")
@user_errors
def eval_casual(
    out: Annotated[Path, typer.Option("-o", "--out", help="Report directory (casual.json, casual.md).")],
    data: CacheOpt = Path("data/cache"),
    split: SplitOpt = Split.TEST,
    windows: Annotated[int, typer.Option(min=1, help="Windows per camera regime.")] = 64,
    steps: StepsOpt = 50,
    guidance: GuidanceOpt = None,
    weights: WeightsOpt = None,
    baseline: BaselineOpt = None,
    best_of: Annotated[int, typer.Option(min=1, help="Also report ViMo's best of K samples per window (oracle).")] = 5,
    seed: Annotated[int, typer.Option(min=0, max=MAX_SEED)] = 0,
    reprojection: Annotated[
        float | None, typer.Option(min=0.0, help="Reprojection-guidance strength (default: the model's; 0: off).")
    ] = None,
) -> None:
    """ViMo vs the baseline lifter, mean pose and nearest-training-window references under each simulated camera
    regime (the same windows and cameras for every method).

    Example: vimo eval casual --data data/cache -o reports/casual
    """
    from vimo.data.dataset import WindowCache
    from vimo.eval.casual import CasualConfig, casual_report, markdown_table, write_report
    from vimo.eval.suites import REGIMES, load_eval_models

    cache = WindowCache.load(data)
    models = load_eval_models(weights, baseline)
    with console.status(f"evaluating {windows} windows x {REGIMES} regimes..."):
        config = CasualConfig(split=split.value, windows=windows, steps=steps, guidance=guidance, seed=seed,
                              best_of=best_of, reprojection=reprojection)  # fmt: skip
        report = casual_report(models.vimo, cache, config, baseline=models.baseline)
    write_report(report, out)
    console.print("PA-MPJPE (mm), single sample\n" + markdown_table(report))
    console.print(f"wrote {out}/casual.json and {out}/casual.md")


@eval_app.command("robustness")
@user_errors
def eval_robustness(
    out: Annotated[Path, typer.Option("-o", "--out", help="Report directory (robustness.json/.md, PNG curves).")],
    data: CacheOpt = Path("data/cache"),
    split: SplitOpt = Split.TEST,
    windows: Annotated[int, typer.Option(min=1, help="Windows per sweep point.")] = 16,
    steps: StepsOpt = 50,
    guidance: GuidanceOpt = None,
    weights: WeightsOpt = None,
    baseline: BaselineOpt = None,
    seed: Annotated[int, typer.Option(min=0, max=MAX_SEED)] = 0,
) -> None:
    """Robustness curves: error vs camera yaw rate, cuts per 5 s and occluded keypoints, one factor at a time
    (same windows and simulated keypoints for every method), as PNG plots and a table.

    Example: vimo eval robustness --data data/cache -o reports/robustness
    """
    from vimo.data.dataset import WindowCache
    from vimo.eval.robustness import robustness_markdown, robustness_report, write_robustness
    from vimo.eval.suites import load_eval_models, predictors

    cache = WindowCache.load(data)
    models = load_eval_models(weights, baseline)
    with console.status(f"robustness sweeps, {windows} windows per point..."):
        report = robustness_report(predictors(models, steps=steps, guidance=guidance), cache,
                                   split=split.value, windows=windows, seed=seed)  # fmt: skip
    written = write_robustness(report, out)
    console.print(robustness_markdown(report))
    console.print("wrote " + ", ".join(str(p) for p in written))


@eval_app.command("rendered")
@user_errors
def eval_rendered(
    out: Annotated[Path, typer.Option("-o", "--out", help="Report directory (rendered.json, rendered.md).")],
    data: CacheOpt = Path("data/cache"),
    windows: Annotated[int, typer.Option(min=1, help="Test motions per camera regime.")] = 4,
    steps: StepsOpt = 50,
    weights: WeightsOpt = None,
    baseline: BaselineOpt = None,
    work: Annotated[
        Path | None, typer.Option(help="Keep rendered clips and extractions here (re-runs reuse them).")
    ] = None,
    seed: Annotated[int, typer.Option(min=0, max=MAX_SEED)] = 0,
) -> None:
    """Test motions rendered by the mannequin renderer under each camera regime, through the whole video path
    (MediaPipe in the loop): ViMo, the baseline and MediaPipe's own 3D (world landmarks) against the truth.

    Example: vimo eval rendered --data data/cache -o reports/rendered --work runs/rendered
    """
    from vimo.data.dataset import WindowCache
    from vimo.eval.suites import load_eval_models, rendered_seconds, write_suite
    from vimo.eval.videos import rendered_markdown, rendered_report

    cache = WindowCache.load(data)
    models = load_eval_models(weights, baseline)
    with progress_bar() as bar:
        report = rendered_report(models.vimo, cache, baseline=models.baseline, windows_per_regime=windows, seed=seed,
                                 steps=steps, seconds=rendered_seconds(cache), work_dir=work or out / "work",
                                 progress=stage_progress(bar))  # fmt: skip
    md = rendered_markdown(report)
    write_suite(out, "rendered", report, md)
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
    seed: Annotated[int, typer.Option(min=0, max=MAX_SEED)] = 0,
) -> None:
    """Real clips without 3D truth: 2D fidelity, jitter, foot skating and bone-length stability per method.

    Example: vimo eval real --videos ../shared/data/videos -o reports/real
    """
    from vimo.eval.suites import load_eval_models, write_suite
    from vimo.eval.videos import real_markdown, real_report

    if not videos.is_dir():
        raise VimoError(f"--videos {videos}: no such folder")
    models = load_eval_models(weights, baseline)
    with progress_bar() as bar:
        report = real_report(models.vimo, videos, baseline=models.baseline, seed=seed, steps=steps,
                             work_dir=work or out / "work", progress=stage_progress(bar))  # fmt: skip
    md = real_markdown(report)
    write_suite(out, "real", report, md)
    console.print(md)
    console.print(f"wrote {out}/real.json and {out}/real.md")


@eval_app.command("all")
@user_errors
def eval_all(
    out: Annotated[Path, typer.Option("-o", "--out", help="Report directory: table.md and one folder per suite.")],
    data: CacheOpt = Path("data/cache"),
    videos: Annotated[Path, typer.Option(help="Folder of real clips.")] = SHARED_VIDEOS,
    split: SplitOpt = Split.TEST,
    windows: Annotated[int, typer.Option(min=1, help="Casual suite: windows per camera regime.")] = 64,
    best_of: Annotated[int, typer.Option(min=1, help="Casual suite: ViMo's best of K (oracle).")] = 5,
    rendered_windows: Annotated[int, typer.Option(min=1, help="Rendered suite: motions per regime.")] = 4,
    robustness_windows: Annotated[int, typer.Option(min=1, help="Robustness curves: windows per point.")] = 16,
    steps: StepsOpt = 50,
    weights: WeightsOpt = None,
    baseline: BaselineOpt = None,
    seed: Annotated[int, typer.Option(min=0, max=MAX_SEED)] = 0,
) -> None:
    """Every suite (casual, rendered, real, robustness curves) and the summary table (the paper's Table 1 on our
    data) in OUT/table.md. Suites already written in OUT are reused (delete a folder to redo it).

    Example: vimo eval all --data data/cache -o reports/eval
    """
    from vimo.data.dataset import WindowCache
    from vimo.eval.casual import markdown_table as casual_markdown
    from vimo.eval.suites import AllConfig, evaluate_all, load_eval_models

    cache = WindowCache.load(data)
    models = load_eval_models(weights, baseline)
    config = AllConfig(split=split.value, windows=windows, best_of=best_of, rendered_windows=rendered_windows,
                       robustness_windows=robustness_windows, steps=steps, seed=seed)  # fmt: skip
    with progress_bar() as bar:
        result = evaluate_all(out, cache, models, videos, config, progress=stage_progress(bar))
    for name, path in result.reused.items():
        console.print(f"{name}: reusing {path}")
    for name, seconds in result.timings_s.items():
        console.print(f"{name}: {seconds} s")
    console.print(casual_markdown(result.reports["casual"]))
    console.print(result.table)
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
    clips: Annotated[int, typer.Option(min=1, help="Music clips per style.")] = 48,
    steps: StepsOpt = 20,
    seed: Annotated[int, typer.Option(min=0, max=MAX_SEED)] = 0,
) -> None:
    """Table 2: zero-conv adapters vs fine-tuning per style (BA, PFC, Div, FID vs style and vs base).

    Example: vimo eval stylization --style salsa=styles/salsa-zc,styles/salsa-ft -o reports/stylization
    """
    from vimo.eval.stylization import markdown, write
    from vimo.eval.suites import load_style_sets, stylization_report

    styles = {}
    for spec in style:
        name, sep, dirs = spec.partition("=")
        if not sep or not dirs:
            raise VimoError(f"--style {spec!r}: expected NAME=STYLE_DIR[,STYLE_DIR...]")
        styles[name] = [Path(d) for d in dirs.split(",")]
    sets = load_style_sets(styles)
    with progress_bar() as bar:
        report = stylization_report(sets, base, data, pairs=pairs, clips=clips, steps=steps,
                                    seed=seed, progress=stage_progress(bar))  # fmt: skip
    write(report, out)
    console.print(markdown(report))
    console.print(f"wrote {out}/stylization.json and {out}/stylization.md")


@eval_app.command("guidance")
@user_errors
def eval_guidance(
    data: CacheOpt = Path("data/cache"),
    weights: WeightsOpt = None,
    values: Annotated[str, typer.Option(help="Comma-separated guidance weights to try.")] = "1,1.5,2,3",
    windows: Annotated[int, typer.Option(min=1, help="Validation windows per camera regime.")] = 16,
) -> None:
    """Choose the classifier-free guidance weight on the validation split (lowest mean PA-MPJPE).

    Example: vimo eval guidance --data data/cache --values 1,2,3
    """
    from vimo.data.dataset import WindowCache
    from vimo.eval.casual import best_guidance, guidance_sweep
    from vimo.paths import VIMO_WEIGHTS
    from vimo.pipeline import ViMo

    try:
        ws = tuple(float(v) for v in values.split(","))
    except ValueError:
        raise VimoError(f"--values {values}: expected comma-separated numbers, e.g. 1,1.5,2") from None
    if not all(math.isfinite(w) for w in ws):
        raise VimoError(f"--values {values}: expected finite numbers")
    vimo = ViMo.load(weights or VIMO_WEIGHTS)
    with console.status("sampling validation windows..."):
        sweep = guidance_sweep(vimo, WindowCache.load(data), ws, windows=windows)
    for w, vals in sweep.items():
        console.print(f"w={w:g}: " + ", ".join(f"{k} {v:.1f}" for k, v in vals.items()))
    best = best_guidance(sweep)
    console.print(f"best guidance on validation: {best:g}")
