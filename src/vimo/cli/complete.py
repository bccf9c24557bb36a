"""`vimo complete`: video-guided motion completion and transitions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vimo.cli.root import (
    MAX_SEED,
    StepsOpt,
    WeightsOpt,
    app,
    console,
    status_stages,
    user_errors,
)


@app.command("complete")
@user_errors
def complete_cmd(
    out: Annotated[Path, typer.Option("-o", "--out", help="Output directory.")],
    motion: Annotated[Path | None, typer.Option(help="Motion to complete (.npz, .bvh, .bvh.gz, .pkl).")] = None,
    keep: Annotated[str | None, typer.Option(help="Frames to keep: '0-2.5,6-8' seconds or 'f0-f75'.")] = None,
    blend: Annotated[tuple[Path, Path] | None, typer.Option(help="Two motions: A then B.")] = None,
    at: Annotated[float | None, typer.Option(help="With --blend: transition time (s).")] = None,
    gap: Annotated[float, typer.Option(help="With --blend: generated transition length (s).")] = 1.0,
    video: Annotated[Path | None, typer.Option(help="Video guiding the generated frames.")] = None,
    keypoints: Annotated[Path | None, typer.Option(help="2D keypoints guiding the generated frames.")] = None,
    resample: Annotated[int, typer.Option(min=1, help="RePaint-style resampling per step (1 = off).")] = 1,
    seed: Annotated[int, typer.Option(min=0, max=MAX_SEED)] = 0,
    steps: StepsOpt = 50,
    weights: WeightsOpt = None,
) -> None:
    """Video-guided motion completion: keep some frames, generate the rest to follow a video (or freely).

    Example: vimo complete --motion walk.npz --keep 0-2,5-8 --video dance.mp4 -o out/
    """
    from vimo.apps.completion_job import CompletionJob, run_completion
    from vimo.generation import GenerationConfig

    generation = GenerationConfig(seed=seed, steps=steps, resample=resample)
    job = CompletionJob(motion=motion, keep=keep, blend=blend, at=at, gap=gap, video=video, keypoints=keypoints,
                        weights=weights, generation=generation)  # fmt: skip
    with status_stages() as stage:
        result = run_completion(job, out, stage=stage)
    console.print(
        f"{out}: {len(result.motion)} frames, {int(result.kept.sum())} kept, {int((~result.kept).sum())} "
        "generated; preview.mp4 shows kept (blue) and generated (orange)"
    )
