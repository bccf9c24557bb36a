"""`vimo dataset`: build 3D motion datasets from videos."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vimo.cli.root import (
    MAX_SEED,
    StepsOpt,
    app,
    console,
    progress_bar,
    stop_on_signals,
    task_progress,
    user_errors,
    warn,
)
from vimo.errors import VimoError
from vimo.options import Engine

dataset_app = typer.Typer(help="Build 3D motion datasets from videos.", no_args_is_help=True)
app.add_typer(dataset_app, name="dataset")


@dataset_app.command("build")
@user_errors
def dataset_build(
    inputs: Annotated[list[Path], typer.Argument(help="Videos, folders of videos, or .txt/.csv lists of videos.")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Dataset folder (created, or brought up to date).")],
    samples: Annotated[int, typer.Option("--samples", "-k", min=1, help="Motions generated per clip (K).")] = 5,
    clip_seconds: Annotated[float, typer.Option(help="Clip length (s).")] = 5.0,
    overlap_seconds: Annotated[float, typer.Option(help="Seconds shared by consecutive clips.")] = 0.0,
    min_clip_seconds: Annotated[float, typer.Option(help="Shortest clip (short videos, the rest at the end).")] = 2.0,
    min_coverage: Annotated[float, typer.Option(help="Skip clips with a pose on fewer frames.")] = 0.7,
    min_pck: Annotated[float, typer.Option(help="Keep motions with at least this 2D fidelity (PCK).")] = 0.7,
    max_foot_skate: Annotated[float, typer.Option(help="... feet sliding at most this fast (m/s).")] = 0.3,
    max_jitter: Annotated[float, typer.Option(help="... and jitter at most this (m/s^3).")] = 1000.0,
    steps: StepsOpt = 50,
    guidance: Annotated[float | None, typer.Option(help="Guidance weight (default: the model's).")] = None,
    seed: Annotated[int, typer.Option(min=0, max=MAX_SEED, help="Mixed into every sample's seed.")] = 0,
    bvh: Annotated[bool, typer.Option(help="Also write a .bvh per motion.")] = False,
    foot_lock: Annotated[bool, typer.Option(help="Pin feet on predicted contact frames (IK).")] = True,
    weights: Annotated[Path | None, typer.Option(help="Model prefix (PREFIX.json + PREFIX.safetensors).")] = None,
    engine: Annotated[Engine, typer.Option(help="local (this process) or ray.")] = Engine.LOCAL,
    address: Annotated[str | None, typer.Option(help="Ray cluster address (default: a local Ray instance).")] = None,
    workers: Annotated[int | None, typer.Option(help="Ray: videos in flight (local instance: its CPUs).")] = None,
    generate_gpus: Annotated[float, typer.Option(help="Ray: GPUs per generation task.")] = 0.0,
    force: Annotated[bool, typer.Option(help="Recompute everything (2D extraction and motions).")] = False,
) -> None:
    """Turn videos into a 3D motion dataset: 5 s clips, K scored motions each, a manifest and a summary.

    Re-running continues a killed run and skips what is done; --force recomputes.

    Example: vimo dataset build videos/ -o datasets/dance --samples 10 --engine ray --workers 8
    """
    import math
    import shutil

    from rich.table import Table

    from vimo.apps.dataset import DatasetConfig, RayConfig, build_dataset
    from vimo.paths import VIMO_WEIGHTS
    from vimo.run import check_bundle

    if engine is Engine.LOCAL and (address is not None or workers is not None or generate_gpus):
        raise VimoError("--address, --workers and --generate-gpus need --engine ray (without --address: a local Ray)")
    config = DatasetConfig(samples=samples, clip_seconds=clip_seconds, overlap_seconds=overlap_seconds,
                           min_clip_seconds=min_clip_seconds, min_coverage=min_coverage, min_pck=min_pck,
                           max_foot_skate=max_foot_skate, max_jitter=max_jitter, steps=steps, guidance=guidance,
                           foot_lock=foot_lock, bvh=bvh, seed=seed)  # fmt: skip
    ray = RayConfig(address=address, workers=workers, generate_gpus=generate_gpus) if engine is Engine.RAY else None
    if guidance is not None and not math.isfinite(guidance):
        raise VimoError(f"--guidance {guidance}: expected a finite number")
    check_bundle(Path(weights or VIMO_WEIGHTS))
    existed = out.exists()
    stopped = f"{out}: stopped; finished clips are kept (run the same command again to continue)"
    # transient: the summary table follows the bar; an error (every video failed) is then its one line
    with stop_on_signals(stopped) as stop, progress_bar(transient=True) as bar:
        videos = task_progress(bar, "videos")

        def progress(done: int, total: int) -> None:
            videos(done, total)
            stop.check()

        report = build_dataset(inputs, out, weights=weights or VIMO_WEIGHTS, config=config, engine=engine.value,
                               ray=ray, force=force, progress=progress)  # fmt: skip
    s = report.summary
    if s.failed and not s.videos and not s.clips:  # nothing came of any input: an error, not an empty dataset
        if not existed:  # made by this run and holding nothing of value: gone, as if never made
            shutil.rmtree(out, ignore_errors=True)
        source, reason = next(iter(s.failed.items()))
        first = reason if reason.startswith(source) else f"{source}: {reason}"
        more = f" (and {len(s.failed) - 1} more video(s))" if len(s.failed) > 1 else ""
        raise VimoError(f"every video failed{more}: {first}")
    if report.up_to_date:
        console.print(f"{out}: up to date (same videos, model and settings)")
    table = Table(title=f"{out}: {s.motions} motions from {s.clips} clips of {s.videos} videos")
    for col in ("clips", "motions", "minutes", "rejected (by reason)", "failed videos"):
        table.add_column(col, justify="right")
    rejects = ", ".join(f"{k} {v}" for k, v in s.rejects.items() if v and k != "failed") or "none"
    table.add_row(str(s.clips), str(s.motions), f"{s.minutes:.1f}", rejects, str(len(s.failed)))
    console.print(table)
    for source, reason in list(s.failed.items())[:10]:
        warn(f"failed: {reason if reason.startswith(source) else f'{source}: {reason}'}")
    console.print(f"this run: {report.clips_computed} clips generated, {report.samples_generated} samples; "
                  f"timings (s) {report.seconds}")  # fmt: skip
    if not s.motions:  # a dataset of nothing is a failed build (what was extracted stays for a re-run)
        raise VimoError(f"{out}: no motion came of {s.videos} usable video(s) ({len(s.failed)} failed; clips rejected: "
                        f"{rejects}); what was extracted is kept: re-run with lower thresholds (--min-pck, "
                        "--min-coverage, --min-clip-seconds) or longer, clearer videos")  # fmt: skip
