"""`vimo dance`: music-to-dance generation, pairs, training and export."""

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
    StepsOpt,
    ThreadsOpt,
    app,
    console,
    progress_bar,
    run_training,
    task_progress,
    user_errors,
)
from vimo.errors import VimoError
from vimo.options import BvhUnits, NpzLayout
from vimo.paths import DANCE_WEIGHTS, SHARED_LOOPS

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
    loops: Annotated[Path, typer.Option(help="Folder of percussion loops.")] = SHARED_LOOPS,
    variants: Annotated[int, typer.Option(min=1, help="Soundtracks per window.")] = 3,
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
    from vimo.representation import window_joints
    from vimo.training.dance import Pairs, beat_alignment, retime_pairs

    if not 0 <= depth < 1:
        raise VimoError(f"--depth {depth}: must be in [0, 1)")
    if sigma <= 0:
        raise VimoError(f"--sigma {sigma}: must be positive")
    base = Pairs.load(pairs)  # the argument first, then the cache it refers to
    cache = WindowCache.load(data)
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
    max_steps: Annotated[int, typer.Option(min=1)] = 1_000_000,
    max_minutes: MaxMinutesOpt = None,
    val_every: Annotated[int, typer.Option(min=0, help="Validate every N steps (0: never).")] = 500,
    batch_size: Annotated[int, typer.Option(min=1)] = 32,
    seed: Annotated[int, typer.Option(min=0, max=MAX_SEED)] = 0,
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
    run_training(out, threads, lambda: fit_dance(cfg, data, out, resume=resume, init=init))


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
    from vimo.training.export import export_dance

    dance = export_dance(run_dir, out, guidance=guidance)
    console.print(f"{out}.safetensors: step {dance.info.get('step')}")


@dance_app.command("generate")
@user_errors
def dance_generate(
    music: Annotated[Path, typer.Option(help="Song (audio file, or a video with an audio track).")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Output directory.")],
    model: Annotated[Path, typer.Option(help="Dance bundle prefix.")] = DANCE_WEIGHTS,
    style: Annotated[
        Path | None, typer.Option(help="A style folder made by `vimo stylize` (instead of --model).")
    ] = None,
    seconds: Annotated[float | None, typer.Option(help="Dance this many seconds (default: the whole song).")] = None,
    samples: Annotated[int, typer.Option(min=1, help="Dances to generate.")] = 1,
    seed: Annotated[int, typer.Option(min=0, max=MAX_SEED)] = 0,
    guidance: Annotated[float | None, typer.Option(help="Guidance weight (default: the model's).")] = None,
    steps: StepsOpt = 50,
    smooth: Annotated[
        float | None, typer.Option(help="Temporal smoothing, Gaussian sigma in frames (default: the model's; 0: off).")
    ] = None,
    foot_lock: Annotated[bool, typer.Option(help="Pin feet on predicted contact frames (IK).")] = True,
    formats: Annotated[str, typer.Option(help="Comma-separated: npz, bvh, glb.")] = "npz,bvh",
    npz: Annotated[
        NpzLayout, typer.Option(help="motion.npz layout: vimo (ours), amass (Z up, mocap_framerate), aist (60 fps).")
    ] = NpzLayout.VIMO,
    bvh_units: Annotated[BvhUnits, typer.Option(help="motion.bvh units: m (Blender's default scale) or cm.")] = (
        BvhUnits.M
    ),
    preview: Annotated[bool, typer.Option(help="Write preview.mp4 (with the music).")] = True,
) -> None:
    """Generate a dance of any length for a song.

    Example: vimo dance generate --music song.ogg -o dance_out --seconds 20 [--style styles/salsa]
    """
    from vimo.dance_run import DanceRunConfig, dance_to_music
    from vimo.generation import GenerationConfig

    config = DanceRunConfig(
        model=model, style=style, seconds=seconds, formats=tuple(f.strip() for f in formats.split(",") if f.strip()),
        npz=npz, bvh_units=bvh_units, preview=preview,
        generation=GenerationConfig(samples=samples, seed=seed, guidance=guidance, steps=steps, smooth=smooth,
                                    foot_lock=foot_lock),
    )  # fmt: skip
    with progress_bar() as bar:
        report = dance_to_music(music, out, config, progress=task_progress(bar, f"dancing {music.name} (windows)"))
    for name in report.files:
        console.print(f"  wrote {out / name}")
