"""`vimo baseline`: train and export the MotionBERT-style baseline lifter."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vimo.cli.root import (
    MAX_SEED,
    CacheOpt,
    MaxMinutesOpt,
    ResumeOpt,
    RunDirOpt,
    ThreadsOpt,
    app,
    console,
    run_training,
    user_errors,
)
from vimo.errors import VimoError
from vimo.options import ExportWeights
from vimo.paths import BASELINE_WEIGHTS

baseline_app = typer.Typer(help="The MotionBERT-style baseline lifter: training, export.", no_args_is_help=True)
app.add_typer(baseline_app, name="baseline")


@baseline_app.command("train")
@user_errors
def baseline_train(
    data: CacheOpt,
    out: RunDirOpt,
    config: Annotated[str, typer.Option(help="Model config: small or tiny.")] = "small",
    resume: ResumeOpt = False,
    max_steps: Annotated[int, typer.Option(min=1)] = 1_000_000,
    max_minutes: MaxMinutesOpt = None,
    val_every: Annotated[int, typer.Option(min=0, help="Validate every N steps (0: never).")] = 1000,
    batch_size: Annotated[int, typer.Option(min=1)] = 32,
    seed: Annotated[int, typer.Option(min=0, max=MAX_SEED)] = 0,
    threads: ThreadsOpt = 0,
) -> None:
    """Train the baseline lifter on the same data and camera simulator as the diffusion model.

    Example: vimo baseline train --data data/cache --out runs/baseline
    """

    from vimo.models.motionbert import CONFIGS as LIFTER_CONFIGS
    from vimo.training.baseline import BaselineConfig, fit_baseline

    if config not in LIFTER_CONFIGS:
        raise VimoError(f"unknown --config {config!r}; choose one of {', '.join(LIFTER_CONFIGS)}")
    cfg = BaselineConfig(model=config, max_steps=max_steps, max_minutes=max_minutes, val_every=val_every,
                         batch_size=batch_size, seed=seed)  # fmt: skip
    run_training(out, threads, lambda: fit_baseline(cfg, data, out, resume=resume))


@baseline_app.command("export")
@user_errors
def baseline_export(
    run_dir: Annotated[Path, typer.Argument(help="Baseline training run directory.")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Output prefix.")] = BASELINE_WEIGHTS,
    weights: Annotated[
        ExportWeights,
        typer.Option(help="ema (default) or raw: the current weights, for short runs where the EMA lags."),
    ] = ExportWeights.EMA,
) -> None:
    """Export a baseline run's EMA weights as a bundle (`vimo run --model baseline` loads it).

    Example: vimo baseline export runs/baseline -o weights/baseline-motionbert-small
    """
    from vimo.training.export import export_baseline

    lifter = export_baseline(run_dir, out, weights=weights.value)
    console.print(f"{out}.safetensors: step {lifter.info.get('step')}, {weights.value} weights")
