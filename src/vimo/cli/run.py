"""`vimo extract` and `vimo run`: 2D keypoints from a video, 3D motion from a video or keypoints."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vimo.cli.root import (
    EXTRACTING,
    GENERATING,
    MAX_SEED,
    StepsOpt,
    app,
    check_suffix,
    console,
    progress_bar,
    task_progress,
    user_errors,
    warn,
)
from vimo.options import BvhUnits, ModelKind, NpzLayout


@app.command("extract")
@user_errors
def extract(
    video: Annotated[Path, typer.Argument(help="Video file (mp4, mov, webm, avi, mkv, ...).")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Keypoints JSON to write.")],
    start: Annotated[float | None, typer.Option(help="Start time (s).")] = None,
    end: Annotated[float | None, typer.Option(help="End time (s).")] = None,
    person: Annotated[int | None, typer.Option(help="Track id to follow (default: the performer).")] = None,
    preview: Annotated[Path | None, typer.Option(help="Also write a tracks preview (.mp4, .gif, .png).")] = None,
) -> None:
    """Extract the performer's COCO-17 keypoints (MediaPipe BlazePose on a person-following crop).

    Example: vimo extract dance.mp4 -o keypoints.json --preview tracks.png
    """
    from vimo.run import check_span
    from vimo.video.decode import probe
    from vimo.video.extract import extract_keypoints, write_preview

    check_span(start, end)
    if preview is not None:
        check_suffix(preview, "--preview", TRACK_PREVIEW_SUFFIXES)
    probe(video)
    with progress_bar() as bar:
        extraction = extract_keypoints(video, start=start, end=end, person=person,
                                       progress=task_progress(bar, EXTRACTING))  # fmt: skip
    extraction.keypoints.to_json(out)
    if preview is not None:
        write_preview(extraction, preview)
    console.print(extraction.summary())
    console.print(f"wrote {out}")


TRACK_PREVIEW_SUFFIXES = (".mp4", ".gif", ".png", ".jpg", ".jpeg")  # vimo.video.tracking.write_tracks_preview


@app.command("run")
@user_errors
def run(
    source: Annotated[
        Path, typer.Argument(help="A video, or 2D keypoints (our JSON, AlphaPose, OpenPose, COCO, MMPose).")
    ],
    out: Annotated[Path, typer.Option("-o", "--out", help="Output directory.")],
    samples: Annotated[int, typer.Option("--samples", "-k", min=1, help="Motions to generate (K).")] = 1,
    seed: Annotated[int, typer.Option(min=0, max=MAX_SEED, help="Random seed.")] = 0,
    guidance: Annotated[
        float | None, typer.Option(help="Classifier-free guidance weight (default: the model's).")
    ] = None,
    steps: StepsOpt = 50,
    weights: Annotated[Path | None, typer.Option(help="Model prefix (PREFIX.json + PREFIX.safetensors).")] = None,
    model: Annotated[
        ModelKind, typer.Option(help="vimo (diffusion) or baseline (the MotionBERT-style lifter).")
    ] = ModelKind.VIMO,
    formats: Annotated[str, typer.Option(help="Comma-separated: npz,bvh,glb.")] = "npz,bvh",
    npz: Annotated[
        NpzLayout, typer.Option(help="motion.npz layout: vimo (ours), amass (Z up, mocap_framerate), aist (60 fps).")
    ] = NpzLayout.VIMO,
    bvh_units: Annotated[BvhUnits, typer.Option(help="motion.bvh units: m (Blender's default scale) or cm.")] = (
        BvhUnits.M
    ),
    start: Annotated[float | None, typer.Option(help="Video only: start time (s).")] = None,
    end: Annotated[float | None, typer.Option(help="Video only: end time (s).")] = None,
    person: Annotated[int | None, typer.Option(help="Video only: track id to follow.")] = None,
    preview: Annotated[bool, typer.Option(help="Video only: write preview.mp4.")] = True,
    foot_lock: Annotated[bool, typer.Option(help="Pin feet on predicted contact frames (IK).")] = True,
    smooth: Annotated[
        float | None, typer.Option(help="Temporal smoothing, Gaussian sigma in frames (default: the model's; 0: off).")
    ] = None,
    reprojection: Annotated[
        float | None,
        typer.Option(
            min=0.0, help="Pull every denoising step towards the 2D keypoints: strength (default: the model's; 0: off)."
        ),
    ] = None,
    trajectory: Annotated[
        bool, typer.Option(help="Root path from the planted feet (else the model's own root channels).")
    ] = True,
) -> None:
    """Generate 3D motion (SMPL-24) from a video or a 2D keypoint sequence of any length.

    Example: vimo run clip.mp4 -o out/ --samples 3 --seed 1
    """
    from vimo.generation import GenerationConfig
    from vimo.run import RunConfig, VideoSpan
    from vimo.run import run as run_job

    config = RunConfig(
        model=model, weights=weights, formats=tuple(f.strip() for f in formats.split(",") if f.strip()),
        npz=npz, bvh_units=bvh_units,
        generation=GenerationConfig(samples=samples, seed=seed, guidance=guidance, steps=steps, foot_lock=foot_lock,
                                    smooth=smooth, reprojection=reprojection, trajectory=trajectory),
        video=VideoSpan(start=start, end=end, person=person), preview=preview,
    )  # fmt: skip
    with progress_bar() as bar:
        report = run_job(source, out, config, progress=task_progress(bar, EXTRACTING),
                         generation_progress=task_progress(bar, GENERATING))  # fmt: skip
    for message in report.warnings:  # on the console too, not only in report.json
        warn(message)
    best = report.samples[report.best_sample]
    console.print(f"{out}: {report.frames} frames at {report.fps:g} fps, {len(report.samples)} sample(s); "
                  f"best #{report.best_sample} fidelity PCK {best['fidelity_pck']}; timings (s) "
                  f"{report.timings_s}")  # fmt: skip
