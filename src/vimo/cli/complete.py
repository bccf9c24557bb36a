"""`vimo complete`: video-guided motion completion and transitions."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import typer

from vimo.cli.root import (
    MAX_SEED,
    StepsOpt,
    WeightsOpt,
    app,
    console,
    user_errors,
)
from vimo.errors import VimoError


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
    from vimo.apps.completion import blend_motions, complete, parse_ranges, write_completion_preview
    from vimo.data.mocap import load_motion
    from vimo.export import check_writable_dir, write_motion
    from vimo.generation import GenerationConfig
    from vimo.io.keypoint_formats import read_keypoints
    from vimo.paths import VIMO_WEIGHTS
    from vimo.pipeline import ViMo
    from vimo.run import check_bundle

    if (motion is None) == (blend is None):
        raise VimoError("give either --motion with --keep (completion) or --blend A B with --at (transition)")
    if motion is not None and keep is None:
        raise VimoError("--motion needs --keep RANGES (the frames to keep)")
    if blend is not None and at is None:
        raise VimoError("--blend A B needs --at SECONDS")
    if video is not None and keypoints is not None:
        raise VimoError("give --video or --keypoints, not both")
    if at is not None and not (math.isfinite(at) and at >= 0):
        raise VimoError(f"--at {at}: expected a time in seconds >= 0")
    if not (math.isfinite(gap) and gap > 0):
        raise VimoError(f"--gap {gap}: expected a length in seconds > 0")
    # Every input is read and checked before the output folder is made or the model loaded.
    if motion is not None:
        m = load_motion(motion)
        kept = parse_ranges(keep, m.num_frames)
    else:
        a, b = load_motion(blend[0]), load_motion(blend[1])
    kp = read_keypoints(keypoints) if keypoints is not None else None
    check_bundle(Path(weights or VIMO_WEIGHTS))
    if video is not None:
        from vimo.video.decode import probe
        from vimo.video.extract import extract_keypoints

        probe(video)
        with console.status("extracting 2D poses from the video..."):
            kp = extract_keypoints(video).keypoints
    check_writable_dir(out)
    vimo = ViMo.load(weights or VIMO_WEIGHTS)
    config = GenerationConfig(seed=seed, steps=steps, resample=resample)
    with console.status("generating..."):
        if motion is not None:
            result = complete(vimo, m, kept, kp, config)
        else:
            result = blend_motions(vimo, a, b, at, gap=gap, keypoints=kp, config=config)
        write_motion(result.motion, out)
        write_completion_preview(result, out / "preview.mp4")
    console.print(
        f"{out}: {len(result.motion)} frames, {int(result.kept.sum())} kept, {int((~result.kept).sum())} "
        "generated; preview.mp4 shows kept (blue) and generated (orange)"
    )
