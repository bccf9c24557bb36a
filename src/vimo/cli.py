"""The ``vimo`` command line: thin typer commands over the public API.

Errors from user input (``VimoError``) print as one line and exit with status 2; no traceback.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from vimo.errors import VimoError

console = Console(stderr=True)
app = typer.Typer(
    help="ViMo: plausible 3D character motion from casual videos.\n\n"
    "Examples:\n\n"
    "  vimo data prepare ../shared/data/mocap -o data/cache\n\n"
    "  vimo train --config small --data data/cache --out runs/small\n\n"
    "  vimo run keypoints.json -o out/",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
data_app = typer.Typer(help="Motion data: prepare training caches, preview the camera simulator.", no_args_is_help=True)
app.add_typer(data_app, name="data")


def user_errors(fn):
    """Turn VimoError (and OSError on user paths) into a one-line message and exit status 2."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except VimoError as exc:
            console.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None
        except (OSError, PermissionError) as exc:
            console.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None

    return wrapper


def progress_bar() -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        TimeRemainingColumn(), console=console,
    )  # fmt: skip


GENERATING = "generating 3D motion (windows)"


def task_progress(bar: Progress, label: str):
    """A ``progress(done, total)`` callback that adds ``label``'s task to ``bar`` on its first call (so a job
    that fails before this stage shows no bar for it) and then moves it."""
    task: list = []

    def update(done: int, total: int) -> None:
        if not task:
            task.append(bar.add_task(label, total=total))
        bar.update(task[0], completed=done, total=total)

    return update


@data_app.command("preview-camera")
@user_errors
def data_preview_camera(
    motion: Annotated[Path, typer.Argument(help="Motion file (.bvh, .bvh.gz, .npz, .pkl).")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Output .mp4 or .gif.")],
    regime: Annotated[str, typer.Option(help="static, moving, montage or tracking.")] = "moving",
    seed: Annotated[int, typer.Option()] = 0,
    seconds: Annotated[float, typer.Option(help="Length to preview.")] = 10.0,
) -> None:
    """Film a motion with the casual-camera simulator; write the 2D output next to the 3D truth.

    Example: vimo data preview-camera ../shared/data/mocap/cmu/atelier_01-09/05/05_02.bvh.gz -o cam.mp4 --regime montage
    """
    import numpy as np

    from vimo.data.camera_sim import Regime, simulate
    from vimo.data.markers import motion_markers
    from vimo.data.mocap import load_motion
    from vimo.data.preview import write_camera_preview
    from vimo.training.batches import CASUAL_SIM_CONFIG

    try:
        chosen = Regime(regime)
    except ValueError:
        raise VimoError(f"unknown --regime {regime!r}; choose one of {', '.join(r.value for r in Regime)}") from None
    m = load_motion(motion)[: int(seconds * 30)]
    sim = simulate(motion_markers(m), regime=chosen, config=CASUAL_SIM_CONFIG, rng=np.random.default_rng(seed))
    path = write_camera_preview(m.joints(), sim, out)
    console.print(f"wrote {path} ({len(m)} frames, cuts at {list(sim.cut_frames)})")


@data_app.command("prepare")
@user_errors
def data_prepare(
    sources: Annotated[list[Path], typer.Argument(help="Motion files or folders (.bvh, .bvh.gz, .npz, .pkl).")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Cache directory.")],
    stride: Annotated[int, typer.Option(help="Frames between window starts.")] = 30,
    window: Annotated[int, typer.Option(help="Frames per window (30 fps).")] = 150,
    mirror: Annotated[bool, typer.Option(help="Add left/right mirrored copies.")] = True,
    workers: Annotated[int, typer.Option(help="Parallel import processes.")] = 2,
) -> None:
    """Build a cache of canonical 150-frame windows with train/val/test splits.

    Example: vimo data prepare ../shared/data/mocap -o data/cache
    """
    from rich.table import Table

    from vimo.data.prepare import PrepareConfig, prepare

    with progress_bar() as bar:
        task = bar.add_task("importing motion files", total=None)
        summary = prepare(
            sources, out, config=PrepareConfig(window=window, stride=stride, mirror=mirror), workers=workers,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )  # fmt: skip
    if summary.up_to_date:
        console.print(f"{out}: up to date (same sources, code version and parameters)")
    table = Table(title=f"{out}: {summary.files} files")
    table.add_column("category")
    table.add_column("minutes", justify="right")
    for cat, minutes in sorted(summary.minutes_by_category.items(), key=lambda kv: -kv[1]):
        table.add_row(cat, f"{minutes:.1f}")
    console.print(table)
    splits = Table(title="splits")
    for col in ("split", "minutes", "windows"):
        splits.add_column(col, justify="right")
    for split in ("train", "val", "test"):
        splits.add_row(
            split,
            f"{summary.minutes_by_split.get(split, 0):.1f}",
            str(summary.windows_by_split.get(split, 0)),
        )
    console.print(splits)
    console.print(f"{summary.too_short} files shorter than one window; {len(summary.failed)} failed")
    for name, reason in list(summary.failed.items())[:10]:
        console.print(f"  failed: {name}: {reason}")


# Options shared by the training commands (vimo train, vimo baseline train, vimo dance train).
CacheOpt = Annotated[Path, typer.Option(help="Cache made by `vimo data prepare`.")]
RunDirOpt = Annotated[Path, typer.Option(help="Run directory (checkpoints, logs).")]
ResumeOpt = Annotated[bool, typer.Option(help="Continue the run in --out from its last checkpoint.")]
MaxMinutesOpt = Annotated[float | None, typer.Option(help="Stop after this many minutes.")]
ThreadsOpt = Annotated[int, typer.Option(help="Torch CPU threads (0: torch's default).")]
# ... and for the commands that sample or evaluate models
StepsOpt = Annotated[int, typer.Option(help="DDIM steps.")]
WeightsOpt = Annotated[Path | None, typer.Option(help="Model prefix.")]
BaselineOpt = Annotated[
    Path | None, typer.Option(help="Baseline lifter prefix (default: the shipped one, if present).")
]
GuidanceOpt = Annotated[float | None, typer.Option(help="Guidance (default: the model's).")]
SplitOpt = Annotated[str, typer.Option(help="test or val.")]


@app.command("train")
@user_errors
def train(
    data: CacheOpt,
    out: RunDirOpt,
    config: Annotated[str, typer.Option(help="Model config: small (CPU), paper (GPU), tiny (tests).")] = "small",
    resume: ResumeOpt = False,
    init: Annotated[Path | None, typer.Option(help="Start from a shipped bundle (e.g. weights/vimo-small).")] = None,
    batch_size: Annotated[int, typer.Option()] = 32,
    max_steps: Annotated[int, typer.Option()] = 1_000_000,
    max_minutes: MaxMinutesOpt = None,
    val_every: Annotated[int, typer.Option(help="Validate every N steps (0: never).")] = 1000,
    bf16: Annotated[bool, typer.Option(help="bf16 autocast (faster on CPUs with AVX512-BF16).")] = True,
    conditioning: Annotated[str, typer.Option(help="Condition normalisation variant (ablation).")] = "default",
    time_warp: Annotated[
        float, typer.Option(help="Speed augmentation: replay windows at rates in [1/(1+A), 1+A] (new runs).")
    ] = 0.0,
    threads: ThreadsOpt = 0,
    optimizer: Annotated[str, typer.Option(help="adamw or adan.")] = "adamw",
    lr: Annotated[float | None, typer.Option(help="Learning rate (default: 1e-3 AdamW, 4e-4 Adan).")] = None,
    seed: Annotated[int, typer.Option()] = 0,
) -> None:
    """Train the ViMo denoiser on simulated casual-camera 2D keypoints.

    Example: vimo train --config small --data data/cache --out runs/small --max-minutes 60
    """
    import torch

    from vimo.models.denoiser import CONFIGS
    from vimo.training.trainer import TrainConfig, fit

    if config not in CONFIGS:
        raise VimoError(f"unknown --config {config!r}; choose one of {', '.join(CONFIGS)}")
    from vimo.conditioning import VARIANTS

    if conditioning not in VARIANTS:
        raise VimoError(f"unknown --conditioning {conditioning!r}; choose one of {', '.join(VARIANTS)}")
    if threads:
        torch.set_num_threads(threads)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    from vimo.training.trainer import OPTIMIZERS

    if optimizer not in OPTIMIZERS:
        raise VimoError(f"unknown --optimizer {optimizer!r}; choose one of {', '.join(OPTIMIZERS)}")
    lr = lr if lr is not None else (1e-3 if optimizer == "adamw" else 4e-4)
    if not 0 <= time_warp < 1:
        raise VimoError(f"--time-warp {time_warp}: expected 0 (off) up to below 1 (rates 0.5-2)")
    cfg = TrainConfig(model=config, batch_size=batch_size, max_steps=max_steps, max_minutes=max_minutes,
                      val_every=val_every, bf16=bf16, seed=seed, conditioning=conditioning,
                      optimizer=optimizer, lr=lr, time_warp=time_warp)  # fmt: skip
    if init is not None and resume:
        raise VimoError("--init starts a new run from a bundle; --resume continues a run: use one of them")
    _stop_on_signals()
    try:
        state = fit(cfg, data, out, resume=resume, init=init)
    except KeyboardInterrupt:
        console.print(f"{out}: stopped; the last step is checkpointed (continue with --resume)")
        raise typer.Exit(130) from None
    console.print(f"{out}: step {state.step}, {state.samples} samples, {state.wall_seconds / 3600:.2f} h of training")


def _train(out: Path, threads: int, fit_run) -> None:
    """Run a training loop (``fit_run()`` -> final state) the way every `... train` command does: INFO logs,
    ``threads`` torch threads (0: torch's default), a checkpoint and exit 130 on SIGTERM / SIGINT."""
    import logging

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if threads:
        import torch

        torch.set_num_threads(threads)
    _stop_on_signals()
    try:
        state = fit_run()
    except KeyboardInterrupt:
        console.print(f"{out}: stopped; the last step is checkpointed (continue with --resume)")
        raise typer.Exit(130) from None
    console.print(f"{out}: step {state.step}, {state.wall_seconds / 3600:.2f} h of training")


def _stop_on_signals() -> None:
    """SIGTERM / SIGINT (also when started in the background) end a training run with a checkpoint."""
    import signal

    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)


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
    resample: Annotated[int, typer.Option(help="RePaint-style resampling per step (1 = off).")] = 1,
    seed: Annotated[int, typer.Option()] = 0,
    steps: StepsOpt = 50,
    weights: WeightsOpt = None,
) -> None:
    """Video-guided motion completion: keep some frames, generate the rest to follow a video (or freely).

    Example: vimo complete --motion walk.npz --keep 0-2,5-8 --video dance.mp4 -o out/
    """
    from vimo.apps.completion import blend_motions, complete, parse_ranges, write_completion_preview
    from vimo.data.mocap import load_motion
    from vimo.export import ensure_writable_dir, write_motion
    from vimo.io.keypoint_formats import read_keypoints
    from vimo.pipeline import DEFAULT_WEIGHTS, GenerationConfig, ViMo

    if (motion is None) == (blend is None):
        raise VimoError("give either --motion with --keep (completion) or --blend A B with --at (transition)")
    if motion is not None and keep is None:
        raise VimoError("--motion needs --keep RANGES (the frames to keep)")
    if blend is not None and at is None:
        raise VimoError("--blend A B needs --at SECONDS")
    if video is not None and keypoints is not None:
        raise VimoError("give --video or --keypoints, not both")
    ensure_writable_dir(out)
    kp = read_keypoints(keypoints) if keypoints is not None else None
    if video is not None:
        from vimo.video.extract import extract_keypoints

        with console.status("extracting 2D poses from the video..."):
            kp = extract_keypoints(video).keypoints
    vimo = ViMo.load(weights or DEFAULT_WEIGHTS)
    config = GenerationConfig(seed=seed, steps=steps, resample=resample)
    with console.status("generating..."):
        if motion is not None:
            m = load_motion(motion)
            result = complete(vimo, m, parse_ranges(keep, m.num_frames), kp, config)
        else:
            result = blend_motions(vimo, load_motion(blend[0]), load_motion(blend[1]), at, gap=gap, keypoints=kp,
                                   config=config)  # fmt: skip
        write_motion(result.motion, out)
        write_completion_preview(result, out / "preview.mp4")
    console.print(
        f"{out}: {len(result.motion)} frames, {int(result.kept.sum())} kept, {int((~result.kept).sum())} "
        "generated; preview.mp4 shows kept (blue) and generated (orange)"
    )


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


SHARED_VIDEOS = Path("../shared/data/videos")  # the real clips, beside the repository


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
    base: Annotated[Path, typer.Option(help="Music-to-dance base bundle.")] = Path("weights/dance-small"),
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


dataset_app = typer.Typer(help="Build 3D motion datasets from videos.", no_args_is_help=True)
app.add_typer(dataset_app, name="dataset")


@dataset_app.command("build")
@user_errors
def dataset_build(
    inputs: Annotated[list[Path], typer.Argument(help="Videos, folders of videos, or .txt/.csv lists of videos.")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Dataset folder (created, or brought up to date).")],
    samples: Annotated[int, typer.Option("--samples", "-k", help="Motions generated per clip (K).")] = 5,
    clip_seconds: Annotated[float, typer.Option(help="Clip length (s).")] = 5.0,
    overlap_seconds: Annotated[float, typer.Option(help="Seconds shared by consecutive clips.")] = 0.0,
    min_clip_seconds: Annotated[float, typer.Option(help="Shortest clip (short videos, the rest at the end).")] = 2.0,
    min_coverage: Annotated[float, typer.Option(help="Skip clips with a pose on fewer frames.")] = 0.7,
    min_pck: Annotated[float, typer.Option(help="Keep motions with at least this 2D fidelity (PCK).")] = 0.7,
    max_foot_skate: Annotated[float, typer.Option(help="... feet sliding at most this fast (m/s).")] = 0.3,
    max_jitter: Annotated[float, typer.Option(help="... and jitter at most this (m/s^3).")] = 1000.0,
    steps: StepsOpt = 50,
    guidance: Annotated[float | None, typer.Option(help="Guidance weight (default: the model's).")] = None,
    seed: Annotated[int, typer.Option(help="Mixed into every sample's seed.")] = 0,
    bvh: Annotated[bool, typer.Option(help="Also write a .bvh per motion.")] = False,
    foot_lock: Annotated[bool, typer.Option(help="Pin feet on predicted contact frames (IK).")] = True,
    weights: Annotated[Path | None, typer.Option(help="Model prefix (PREFIX.json + PREFIX.safetensors).")] = None,
    engine: Annotated[str, typer.Option(help="local (this process) or ray.")] = "local",
    address: Annotated[str | None, typer.Option(help="Ray cluster address (default: a local Ray instance).")] = None,
    workers: Annotated[int | None, typer.Option(help="Ray: videos in flight (local instance: its CPUs).")] = None,
    generate_gpus: Annotated[float, typer.Option(help="Ray: GPUs per generation task.")] = 0.0,
    force: Annotated[bool, typer.Option(help="Recompute everything (2D extraction and motions).")] = False,
) -> None:
    """Turn videos into a 3D motion dataset: 5 s clips, K scored motions each, a manifest and a summary.

    Re-running continues a killed run and skips what is done; --force recomputes.

    Example: vimo dataset build videos/ -o datasets/dance --samples 10 --engine ray --workers 8
    """
    import signal

    from rich.table import Table

    from vimo.apps.dataset import DatasetConfig, RayConfig, build_dataset
    from vimo.pipeline import DEFAULT_WEIGHTS

    if engine not in ("local", "ray"):
        raise VimoError(f"unknown --engine {engine!r}; choose local or ray")
    if engine == "local" and (address is not None or workers is not None or generate_gpus):
        raise VimoError("--address, --workers and --generate-gpus need --engine ray (without --address: a local Ray)")
    config = DatasetConfig(samples=samples, clip_seconds=clip_seconds, overlap_seconds=overlap_seconds,
                           min_clip_seconds=min_clip_seconds, min_coverage=min_coverage, min_pck=min_pck,
                           max_foot_skate=max_foot_skate, max_jitter=max_jitter, steps=steps, guidance=guidance,
                           foot_lock=foot_lock, bvh=bvh, seed=seed)  # fmt: skip
    ray = RayConfig(address=address, workers=workers, generate_gpus=generate_gpus) if engine == "ray" else None

    stopping = []

    def stop(signum, frame):  # SIGTERM / SIGINT: committed clips stay; the next run continues
        stopping.append(signum)
        raise KeyboardInterrupt

    def progress(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)
        if stopping:  # C code (numpy, PyAV) may swallow the handler's KeyboardInterrupt: stop here instead
            raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        with progress_bar() as bar:
            task = bar.add_task("videos", total=None)
            report = build_dataset(inputs, out, weights=weights or DEFAULT_WEIGHTS, config=config, engine=engine,
                                   ray=ray, force=force, progress=progress)  # fmt: skip
    except KeyboardInterrupt:
        console.print(f"{out}: stopped; finished clips are kept (run the same command again to continue)")
        raise typer.Exit(130) from None
    s = report.summary
    if report.up_to_date:
        console.print(f"{out}: up to date (same videos, model and settings)")
    table = Table(title=f"{out}: {s.motions} motions from {s.clips} clips of {s.videos} videos")
    for col in ("clips", "motions", "minutes", "rejected (by reason)", "failed videos"):
        table.add_column(col, justify="right")
    rejects = ", ".join(f"{k} {v}" for k, v in s.rejects.items() if v and k != "failed") or "none"
    table.add_row(str(s.clips), str(s.motions), f"{s.minutes:.1f}", rejects, str(len(s.failed)))
    console.print(table)
    for source, reason in list(s.failed.items())[:10]:
        console.print(f"  failed: {reason if reason.startswith(source) else f'{source}: {reason}'}", highlight=False)
    console.print(f"this run: {report.clips_computed} clips generated, {report.samples_generated} samples; "
                  f"timings (s) {report.seconds}")  # fmt: skip


baseline_app = typer.Typer(help="The MotionBERT-style baseline lifter: training, export.", no_args_is_help=True)
app.add_typer(baseline_app, name="baseline")


@baseline_app.command("train")
@user_errors
def baseline_train(
    data: CacheOpt,
    out: RunDirOpt,
    config: Annotated[str, typer.Option(help="Model config: small or tiny.")] = "small",
    resume: ResumeOpt = False,
    max_steps: Annotated[int, typer.Option()] = 1_000_000,
    max_minutes: MaxMinutesOpt = None,
    val_every: Annotated[int, typer.Option(help="Validate every N steps (0: never).")] = 1000,
    batch_size: Annotated[int, typer.Option()] = 32,
    seed: Annotated[int, typer.Option()] = 0,
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
    _train(out, threads, lambda: fit_baseline(cfg, data, out, resume=resume))


@baseline_app.command("export")
@user_errors
def baseline_export(
    run_dir: Annotated[Path, typer.Argument(help="Baseline training run directory.")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Output prefix.")] = Path(
        "weights/baseline-motionbert-small"
    ),
    weights: Annotated[
        str, typer.Option(help="ema (default) or raw: the current weights, for short runs where the EMA lags.")
    ] = "ema",
) -> None:
    """Export a baseline run's EMA weights as a bundle (`vimo run --model baseline` loads it).

    Example: vimo baseline export runs/baseline -o weights/baseline-motionbert-small
    """
    from vimo.training.export import export_baseline

    lifter = export_baseline(run_dir, out, weights=weights)
    console.print(f"{out}.safetensors: step {lifter.info.get('step')}, {weights} weights")


dance_app = typer.Typer(help="Music-to-dance: dance to a song (`vimo dance --music SONG -o OUT`), paired "
                        "soundtracks, training, export.")  # fmt: skip
app.add_typer(dance_app, name="dance")


@dance_app.callback(invoke_without_command=True)
@user_errors
def dance_main(
    ctx: typer.Context,
    music: Annotated[Path | None, typer.Option(help="Song to dance to (as `vimo dance generate --music`).")] = None,
    out: Annotated[Path | None, typer.Option("-o", "--out", help="Output directory.")] = None,
    style: Annotated[Path | None, typer.Option(help="A style folder made by `vimo stylize`.")] = None,
    seconds: Annotated[float | None, typer.Option(help="Dance this many seconds (default: the whole song).")] = None,
) -> None:
    """Dance to a song: `vimo dance --music SONG -o OUT [--style STYLE] [--seconds N]` is `vimo dance generate`
    with its defaults; the subcommands below build and train the music-to-dance model."""
    given = any(v is not None for v in (music, out, style, seconds))
    if ctx.invoked_subcommand is not None:
        if given:
            raise VimoError("--music/--out/--style/--seconds go after `generate` with a subcommand")
        return
    if not given:
        console.print(ctx.get_help())
        raise typer.Exit(0)
    if music is None or out is None:
        raise VimoError("vimo dance needs both --music SONG and -o OUTDIR")
    dance_generate(music=music, out=out, style=style, seconds=seconds)


@dance_app.command("pairs")
@user_errors
def dance_pairs(
    data: Annotated[Path, typer.Argument(help="Cache made by `vimo data prepare`.")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Pairs file to write (.safetensors).")],
    loops: Annotated[Path, typer.Option(help="Folder of percussion loops.")] = Path(
        "../shared/data/music/sonic_pi_cc0"
    ),
    variants: Annotated[int, typer.Option(help="Soundtracks per window.")] = 3,
    candidates: Annotated[
        int, typer.Option(help="Soundtracks tried per window; the best --variants by beat fit are kept.")
    ] = 6,
    categories: Annotated[str, typer.Option(help="Comma-separated motion categories to pair.")] = "dance",
    limit: Annotated[int | None, typer.Option(help="Use at most this many windows (spread evenly).")] = None,
    accent: Annotated[
        float, typer.Option(help="Retime each window to accent its soundtrack's beats: playback rate dip (0: none).")
    ] = 0.6,
) -> None:
    """Pair every dance window with soundtracks whose beats follow its kinematic beats.

    Example: vimo dance pairs data/cache -o data/dance_pairs.safetensors
    """
    from vimo.data.dataset import WindowCache
    from vimo.music.pairing import load_loops
    from vimo.training.dance import build_pairs, retime_pairs

    if not loops.is_dir():
        raise VimoError(f"--loops {loops}: no such folder")
    if candidates < variants:
        raise VimoError(f"--candidates {candidates}: must be at least --variants ({variants})")
    if not 0 <= accent < 1:
        raise VimoError(f"--accent {accent}: must be in [0, 1)")
    cache = WindowCache.load(data)
    pairs = build_pairs(cache, load_loops(loops), variants=variants, candidates=candidates,
                        categories=tuple(c.strip() for c in categories.split(",")), limit=limit)  # fmt: skip
    if accent > 0:
        pairs = retime_pairs(cache, pairs, depth=accent)
    pairs.save(out)
    n_val = int(pairs.is_val.sum())
    console.print(f"{out}: {len(pairs.rows) - n_val} training and {n_val} validation windows x {variants} soundtracks"
                  f" (ground truth's Beat Align with them: {float(pairs.fit.mean()):.3f})")  # fmt: skip


@dance_app.command("accent")
@user_errors
def dance_accent(
    pairs: Annotated[Path, typer.Argument(help="Pairs file from `vimo dance pairs`.")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Pairs file to write (.safetensors).")],
    data: CacheOpt = Path("data/cache"),
    depth: Annotated[float, typer.Option(help="Playback rate dip at each beat, in [0, 1) (0: as captured).")] = 0.6,
    sigma: Annotated[float, typer.Option(help="Width of the dip, frames.")] = 3.0,
) -> None:
    """Retime the motion of existing pairs to accent their soundtracks' beats (no audio is re-analysed).

    Example: vimo dance accent data/dance_pairs.safetensors -o data/dance_pairs_accent.safetensors
    """
    import torch

    from vimo.data.dataset import WindowCache
    from vimo.training.batches import window_joints
    from vimo.training.dance import Pairs, beat_alignment, retime_pairs

    if not 0 <= depth < 1:
        raise VimoError(f"--depth {depth}: must be in [0, 1)")
    if sigma <= 0:
        raise VimoError(f"--sigma {sigma}: must be positive")
    cache, base = WindowCache.load(data), Pairs.load(pairs)
    accented = retime_pairs(cache, base, depth=depth, sigma=sigma)
    accented.save(out)
    pick = torch.linspace(0, len(base.rows) - 1, min(256, len(base.rows))).round().long()
    music = base.features[pick, 0].float().numpy()
    before, after = (window_joints(p.motion(cache, pick))[0].numpy() for p in (base, accented))
    console.print(f"{out}: {len(base.rows)} windows x {base.features.shape[1]} soundtracks retimed; ground truth's Beat"
                  f" Align {beat_alignment(before, music):.3f} -> {beat_alignment(after, music):.3f}")  # fmt: skip


@dance_app.command("train")
@user_errors
def dance_train(
    data: CacheOpt,
    out: RunDirOpt,
    pairs: Annotated[Path | None, typer.Option(help="Pairs file from `vimo dance pairs` (new runs).")] = None,
    config: Annotated[str, typer.Option(help="Model config: small or tiny.")] = "small",
    resume: ResumeOpt = False,
    max_steps: Annotated[int, typer.Option()] = 1_000_000,
    max_minutes: MaxMinutesOpt = None,
    val_every: Annotated[int, typer.Option(help="Validate every N steps (0: never).")] = 500,
    batch_size: Annotated[int, typer.Option()] = 32,
    seed: Annotated[int, typer.Option()] = 0,
    output_speed_weight: Annotated[
        float,
        typer.Option(help="Loss weight on the timing of the prediction's speed (unsmoothed, it made dances jitter)."),
    ] = 0.0,
    output_speed_sigma: Annotated[
        float, typer.Option(help="Smooth the motion by a Gaussian of this many frames before its speed is compared.")
    ] = 0.0,
    init: Annotated[
        Path | None, typer.Option(help="Start a new run from an exported dance model (e.g. weights/dance-small).")
    ] = None,
    motion_prior: Annotated[
        Path | None,
        typer.Option(help="Start a new run's decoder from a keypoint model (e.g. weights/vimo-small)."),
    ] = None,
    threads: ThreadsOpt = 0,
) -> None:
    """Train the music-to-dance denoiser on paired soundtracks.

    Example: vimo dance train --data data/cache --pairs data/dance_pairs.safetensors --out runs/dance
    """

    from vimo.training.dance import DANCE_CONFIGS, DanceConfig, fit_dance

    if config not in DANCE_CONFIGS:
        raise VimoError(f"unknown --config {config!r}; choose one of {', '.join(DANCE_CONFIGS)}")
    if pairs is None and not resume:
        raise VimoError("a new run needs --pairs (make them with `vimo dance pairs`)")
    cfg = DanceConfig(model=config, pairs=str(pairs or ""), max_steps=max_steps, max_minutes=max_minutes,
                      val_every=val_every, batch_size=batch_size, seed=seed,
                      output_speed_weight=output_speed_weight, output_speed_sigma=output_speed_sigma,
                      motion_prior=str(motion_prior) if motion_prior else "")  # fmt: skip
    if init is not None and resume:
        raise VimoError("--init starts a new run; drop it with --resume")
    _train(out, threads, lambda: fit_dance(cfg, data, out, resume=resume, init=init))


@dance_app.command("export")
@user_errors
def dance_export(
    run_dir: Annotated[Path, typer.Argument(help="Dance training run directory.")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Output prefix, e.g. weights/dance-small.")],
    guidance: Annotated[float, typer.Option(help="Default guidance weight stored with the model.")] = 2.0,
) -> None:
    """Export a dance run's EMA weights as a bundle (kind "dance").

    Example: vimo dance export runs/dance -o weights/dance-small
    """
    from vimo.dance import export_dance

    dance = export_dance(run_dir, out, guidance=guidance)
    console.print(f"{out}.safetensors: step {dance.info.get('step')}")


@dance_app.command("generate")
@user_errors
def dance_generate(
    music: Annotated[Path, typer.Option(help="Song (audio file, or a video with an audio track).")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Output directory.")],
    model: Annotated[Path, typer.Option(help="Dance bundle prefix.")] = Path("weights/dance-small"),
    style: Annotated[
        Path | None, typer.Option(help="A style folder made by `vimo stylize` (instead of --model).")
    ] = None,
    seconds: Annotated[float | None, typer.Option(help="Dance this many seconds (default: the whole song).")] = None,
    samples: Annotated[int, typer.Option(help="Dances to generate.")] = 1,
    seed: Annotated[int, typer.Option()] = 0,
    guidance: Annotated[float | None, typer.Option(help="Guidance weight (default: the model's).")] = None,
    steps: StepsOpt = 50,
    smooth: Annotated[
        float | None, typer.Option(help="Temporal smoothing, Gaussian sigma in frames (default: the model's; 0: off).")
    ] = None,
    foot_lock: Annotated[bool, typer.Option(help="Pin feet on predicted contact frames (IK).")] = True,
    formats: Annotated[str, typer.Option(help="Comma-separated: npz, bvh, glb.")] = "npz,bvh",
    preview: Annotated[bool, typer.Option(help="Write preview.mp4 (with the music).")] = True,
) -> None:
    """Generate a dance of any length for a song.

    Example: vimo dance generate --music song.ogg -o dance_out --seconds 20 [--style styles/salsa]
    """
    from vimo.dance import DanceModel, write_dance_preview
    from vimo.export import FORMATS, ensure_writable_dir, write_motion
    from vimo.music.features import FPS, SR, cached_music_features
    from vimo.pipeline import GenerationConfig

    fmts = tuple(f.strip() for f in formats.split(",") if f.strip())
    bad = [f for f in fmts if f not in FORMATS]
    if bad:
        raise VimoError(f"unknown --formats {bad}; choose from {', '.join(FORMATS)}")
    if seconds is not None and seconds <= 0:
        raise VimoError(f"--seconds must be positive, got {seconds}")
    if style is not None:
        from vimo.apps.stylize import STYLE

        if not (style / f"{STYLE}.json").exists():
            raise VimoError(f"{style}: not a style folder (no {STYLE}.json); make one with `vimo stylize`")
        model = style / STYLE
    dance = DanceModel.load(model)
    feats, audio = cached_music_features(music)
    ensure_writable_dir(out)
    frames = len(feats) if seconds is None else min(len(feats), int(round(seconds * FPS)))
    config = GenerationConfig(samples=samples, seed=seed, guidance=guidance, steps=steps, smooth=smooth,
                              foot_lock=foot_lock)  # fmt: skip
    with progress_bar() as bar:
        motions = dance.generate(feats, frames, config, task_progress(bar, f"dancing {music.name} (windows)"))
    for i, motion in enumerate(motions):
        folder = out if i == 0 else out / f"sample_{i}"
        for f in write_motion(motion, folder, fmts):
            console.print(f"  wrote {f}")
    if preview:
        with console.status("rendering the preview..."):
            path = write_dance_preview(motions[0], audio[: int(frames / FPS * SR)], out / "preview.mp4")
        console.print(f"  wrote {path}")


@app.command("stylize")
@user_errors
def stylize_cmd(
    out: Annotated[Path, typer.Option("-o", "--out", help="Style folder to write.")],
    videos: Annotated[
        list[Path] | None, typer.Option("--videos", help="Dance videos of the style: --videos A B C (or repeated).")
    ] = None,
    more: Annotated[
        list[Path] | None, typer.Argument(metavar="VIDEOS", help="Videos, with or without --videos before them.")
    ] = None,
    method: Annotated[
        str, typer.Option(help="zeroconv (frozen base + adapters) or finetune (all weights).")
    ] = "zeroconv",
    base: Annotated[Path, typer.Option(help="Music-to-dance base bundle.")] = Path("weights/dance-small"),
    music: Annotated[
        Path | None, typer.Option(help="Pair the motions with this track instead of the videos' audio.")
    ] = None,
    steps: Annotated[int, typer.Option(help="Adaptation steps.")] = 300,
    samples: Annotated[int, typer.Option(help="Motions generated per 5 s clip.")] = 3,
    min_pck: Annotated[float, typer.Option(help="Keep motions whose 2D fidelity (PCK) is at least this.")] = 0.5,
    seed: Annotated[int, typer.Option()] = 0,
) -> None:
    """Learn a dance style from a few videos (few-shot stylisation of the music-to-dance model).

    Example: vimo stylize --videos a.mp4 b.mp4 c.mp4 -o styles/mine --method zeroconv
    """
    from rich.progress import Progress

    from vimo.apps.stylize import StylizeConfig, stylize

    videos = [*(videos or []), *(more or [])]
    if not videos:
        raise VimoError("no videos: vimo stylize --videos A.mp4 B.mp4 ... -o STYLE")

    config = StylizeConfig(method=method, steps=steps, samples=samples, min_pck=min_pck, seed=seed)
    with Progress(console=console, transient=True) as bar:
        tasks: dict[str, int] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        report = stylize(videos, out, base=base, music=music, config=config, progress=progress)
    console.print(
        f"{out}: {report.motions} motions from {report.videos} video(s), {report.pairs} music pairs; "
        f"final loss {report.final_loss:.3f}; seconds {report.seconds}"
    )
    console.print(f"dance in this style: vimo dance --style {out} --music SONG -o OUT")


@app.command("demo")
@user_errors
def demo(
    out: Annotated[Path, typer.Option("-o", "--out", help="Output directory.")] = Path("demo_output"),
    seed: Annotated[int, typer.Option(help="Random seed (camera and sampling).")] = 0,
) -> None:
    """Run ViMo on the bundled default input and compare with the truth.

    Example: vimo demo -o demo_output
    """
    from vimo.demo import run_demo

    with console.status("rendering a casual video, extracting 2D poses, running ViMo..."):
        result = run_demo(out, seed=seed)
    for f in result.files:
        console.print(f"  wrote {f}")
    console.print(f"timings (s): {result.timings_s}")
    console.print(
        f"PA-MPJPE against the truth: {result.pa_mpjpe_mm:.0f} mm; 2D fidelity (PCK@0.25 torso): "
        f"{result.fidelity_pck}. Watch {out}/preview.mp4; compare poses in {out}/comparison.png."
    )


def main() -> None:  # pragma: no cover - console entry point
    app()
