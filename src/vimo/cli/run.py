"""`vimo extract` and `vimo run`: 2D keypoints from a video, 3D motion from a video or keypoints."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vimo.cli.root import (
    GENERATING,
    StepsOpt,
    app,
    console,
    progress_bar,
    task_progress,
    user_errors,
)
from vimo.errors import VimoError


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
    from vimo.video.decode import probe
    from vimo.video.extract import extract_keypoints, write_preview

    probe(video)
    with progress_bar() as bar:
        task = bar.add_task("extracting 2D poses", total=None)
        extraction = extract_keypoints(video, start=start, end=end, person=person,
                                       progress=lambda d, t: bar.update(task, completed=d, total=t))  # fmt: skip
    extraction.keypoints.to_json(out)
    if preview is not None:
        write_preview(extraction, preview)
    console.print(extraction.summary())
    console.print(f"wrote {out}")


@app.command("run")
@user_errors
def run(
    source: Annotated[
        Path, typer.Argument(help="A video, or 2D keypoints (our JSON, AlphaPose, OpenPose, COCO, MMPose).")
    ],
    out: Annotated[Path, typer.Option("-o", "--out", help="Output directory.")],
    samples: Annotated[int, typer.Option("--samples", "-k", help="Motions to generate (K).")] = 1,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    guidance: Annotated[
        float | None, typer.Option(help="Classifier-free guidance weight (default: the model's).")
    ] = None,
    steps: StepsOpt = 50,
    weights: Annotated[Path | None, typer.Option(help="Model prefix (PREFIX.json + PREFIX.safetensors).")] = None,
    model: Annotated[str, typer.Option(help="vimo (diffusion) or baseline (the MotionBERT-style lifter).")] = "vimo",
    formats: Annotated[str, typer.Option(help="Comma-separated: npz,bvh,glb.")] = "npz,bvh",
    start: Annotated[float | None, typer.Option(help="Video only: start time (s).")] = None,
    end: Annotated[float | None, typer.Option(help="Video only: end time (s).")] = None,
    person: Annotated[int | None, typer.Option(help="Video only: track id to follow.")] = None,
    preview: Annotated[bool, typer.Option(help="Video only: write preview.mp4.")] = True,
    foot_lock: Annotated[bool, typer.Option(help="Pin feet on predicted contact frames (IK).")] = True,
    smooth: Annotated[
        float | None, typer.Option(help="Temporal smoothing, Gaussian sigma in frames (default: the model's; 0: off).")
    ] = None,
) -> None:
    """Generate 3D motion (SMPL-24) from a video or a 2D keypoint sequence of any length.

    Example: vimo run clip.mp4 -o out/ --samples 3 --seed 1
    """
    import time

    from vimo.export import ensure_writable_dir, write_generated
    from vimo.io.keypoint_formats import read_keypoints
    from vimo.pipeline import BASELINE_WEIGHTS, DEFAULT_WEIGHTS, GenerationConfig, generate_any, load_model
    from vimo.video_run import is_video, run_video

    if model not in ("vimo", "baseline"):
        raise VimoError(f"unknown --model {model!r}; choose vimo or baseline")
    weights = weights or (BASELINE_WEIGHTS if model == "baseline" else DEFAULT_WEIGHTS)
    if model == "baseline" and samples != 1:
        raise VimoError("the baseline is deterministic: it gives one answer (--samples 1)")
    fmt = tuple(f.strip() for f in formats.split(",") if f.strip())
    generation = GenerationConfig(samples=samples, seed=seed, guidance=guidance, steps=steps, foot_lock=foot_lock,
                                  smooth=smooth)  # fmt: skip
    if is_video(source):
        from vimo.video.decode import probe

        probe(source)  # a bad file fails here, before any progress bar or output
        ensure_writable_dir(out)
        with progress_bar() as bar:
            task = bar.add_task("extracting 2D poses", total=None)
            report = run_video(source, out, weights=weights, generation=generation, start=start,
                               end=end, person=person, formats=fmt, preview=preview,
                               progress=lambda d, t: bar.update(task, completed=d, total=t),
                               generation_progress=task_progress(bar, GENERATING))  # fmt: skip
        best = report["samples"][report["best_sample"]]
        console.print(f"{out}: {report['frames']} frames; best sample #{report['best_sample']} fidelity "
                      f"{best['fidelity_pck']}; timings {report['timings_s']}")  # fmt: skip
        return
    if start is not None or end is not None or person is not None:
        raise VimoError("--start/--end/--person apply to videos; for keypoints, trim the keypoint file instead")
    t0 = time.time()
    kp = read_keypoints(source)
    ensure_writable_dir(out)
    bundle = load_model(weights)
    t1 = time.time()
    with progress_bar() as bar:
        generated = generate_any(bundle, kp, generation, task_progress(bar, GENERATING))
    t2 = time.time()
    w = guidance if guidance is not None else getattr(bundle, "guidance", None)
    sigma = smooth if smooth is not None else getattr(bundle, "smooth", None)
    report = {"input": str(source), "model": model, "seed": seed, "guidance": w, "smooth": sigma,
              "steps": steps, "timings_s": {"load": round(t1 - t0, 2), "generate": round(t2 - t1, 2)}}  # fmt: skip
    write_generated(out, generated, formats=fmt, report=report)
    best = generated.fidelity[generated.best]
    console.print(
        f"{out}: {generated.motions[0].num_frames} frames at 30 fps, {samples} sample(s); best #{generated.best} "
        f"fidelity PCK {best.pck:.2f} ({t2 - t1:.1f} s)"
    )
