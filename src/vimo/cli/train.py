"""`vimo train` and `vimo export`: train the ViMo denoiser, export a run as a bundle."""

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
from vimo.options import Optimizer


@app.command("train")
@user_errors
def train(
    data: CacheOpt,
    out: RunDirOpt,
    config: Annotated[str, typer.Option(help="Model config: small (CPU), paper (GPU), tiny (tests).")] = "small",
    resume: ResumeOpt = False,
    init: Annotated[Path | None, typer.Option(help="Start from a shipped bundle (e.g. weights/vimo-small).")] = None,
    batch_size: Annotated[int, typer.Option(min=1)] = 32,
    max_steps: Annotated[int, typer.Option(min=1)] = 1_000_000,
    max_minutes: MaxMinutesOpt = None,
    val_every: Annotated[int, typer.Option(min=0, help="Validate every N steps (0: never).")] = 1000,
    bf16: Annotated[bool, typer.Option(help="bf16 autocast (faster on CPUs with AVX512-BF16).")] = True,
    conditioning: Annotated[str, typer.Option(help="Condition normalisation variant (ablation).")] = "default",
    time_warp: Annotated[
        float, typer.Option(help="Speed augmentation: replay windows at rates in [1/(1+A), 1+A] (new runs).")
    ] = 0.0,
    threads: ThreadsOpt = 0,
    optimizer: Annotated[Optimizer, typer.Option(help="adamw or adan.")] = Optimizer.ADAMW,
    lr: Annotated[float | None, typer.Option(help="Learning rate (default: 1e-3 AdamW, 4e-4 Adan).")] = None,
    seed: Annotated[int, typer.Option(min=0, max=MAX_SEED)] = 0,
) -> None:
    """Train the ViMo denoiser on simulated casual-camera 2D keypoints.

    Example: vimo train --config small --data data/cache --out runs/small --max-minutes 60
    """
    from vimo.models.denoiser import CONFIGS
    from vimo.training.trainer import TrainConfig, default_lr, fit

    if config not in CONFIGS:
        raise VimoError(f"unknown --config {config!r}; choose one of {', '.join(CONFIGS)}")
    from vimo.conditioning import VARIANTS

    if conditioning not in VARIANTS:
        raise VimoError(f"unknown --conditioning {conditioning!r}; choose one of {', '.join(VARIANTS)}")
    if lr is not None and not (lr > 0 and lr < float("inf")):
        raise VimoError(f"--lr {lr}: expected a learning rate > 0")
    lr = lr if lr is not None else default_lr(optimizer.value)
    if not 0 <= time_warp < 1:
        raise VimoError(f"--time-warp {time_warp}: expected 0 (off) up to below 1 (rates 0.5-2)")
    cfg = TrainConfig(model=config, batch_size=batch_size, max_steps=max_steps, max_minutes=max_minutes,
                      val_every=val_every, bf16=bf16, seed=seed, conditioning=conditioning,
                      optimizer=optimizer.value, lr=lr, time_warp=time_warp)  # fmt: skip
    if init is not None and resume:
        raise VimoError("--init starts a new run from a bundle; --resume continues a run: use one of them")
    run_training(out, threads, lambda: fit(cfg, data, out, resume=resume, init=init))


@app.command("export")
@user_errors
def export(
    run_dir: Annotated[Path, typer.Argument(help="Training run directory.")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Output prefix, e.g. weights/vimo-small.")],
    guidance: Annotated[float, typer.Option(help="Default guidance weight stored with the model.")] = 2.0,
) -> None:
    """Export a run's EMA weights as a model bundle (PREFIX.safetensors + PREFIX.json).

    Example: vimo export runs/small -o weights/vimo-small
    """
    from vimo.training.export import export_run

    vimo = export_run(run_dir, out, guidance=guidance)
    console.print(f"{out}.safetensors: step {vimo.info.get('step')}, guidance {guidance}")
