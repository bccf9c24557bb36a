"""`vimo data`: prepare training caches, preview the camera simulator."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vimo.cli.root import (
    MAX_SEED,
    app,
    check_suffix,
    console,
    progress_bar,
    task_progress,
    user_errors,
    warn,
)
from vimo.errors import VimoError
from vimo.options import Regime

data_app = typer.Typer(help="Motion data: prepare training caches, preview the camera simulator.", no_args_is_help=True)
app.add_typer(data_app, name="data")


@data_app.command("preview-camera")
@user_errors
def data_preview_camera(
    motion: Annotated[Path, typer.Argument(help="Motion file (.bvh, .bvh.gz, .npz, .pkl).")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Output .mp4 or .gif.")],
    regime: Annotated[Regime, typer.Option(help="Camera regime.")] = Regime.MOVING,
    seed: Annotated[int, typer.Option(min=0, max=MAX_SEED)] = 0,
    seconds: Annotated[float, typer.Option(help="Length to preview.")] = 10.0,
) -> None:
    """Film a motion with the casual-camera simulator; write the 2D output next to the 3D truth.

    Example: vimo data preview-camera ../shared/data/mocap/cmu/atelier_01-09/05/05_02.bvh.gz -o cam.mp4 --regime montage
    """
    import numpy as np

    from vimo.data.camera_sim import CASUAL_SIM_CONFIG, simulate
    from vimo.data.markers import motion_markers
    from vimo.data.mocap import load_motion
    from vimo.video.writer import SUFFIXES
    from vimo.viz.camera_preview import write_camera_preview

    check_suffix(out, "-o", SUFFIXES)
    if not seconds > 0:
        raise VimoError(f"--seconds {seconds}: expected a length > 0")
    m = load_motion(motion)[: max(1, int(seconds * 30))]
    sim = simulate(motion_markers(m), regime=regime, config=CASUAL_SIM_CONFIG, rng=np.random.default_rng(seed))
    path = write_camera_preview(m.joints(), sim, out)
    console.print(f"wrote {path} ({len(m)} frames, cuts at {list(sim.cut_frames)})")


@data_app.command("prepare")
@user_errors
def data_prepare(
    sources: Annotated[list[Path], typer.Argument(help="Motion files or folders (.bvh, .bvh.gz, .npz, .pkl).")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Cache directory.")],
    stride: Annotated[int, typer.Option(min=1, help="Frames between window starts.")] = 30,
    window: Annotated[int, typer.Option(min=1, help="Frames per window (30 fps).")] = 150,
    mirror: Annotated[bool, typer.Option(help="Add left/right mirrored copies.")] = True,
    workers: Annotated[int, typer.Option(min=1, help="Parallel import processes.")] = 2,
) -> None:
    """Build a cache of canonical 150-frame windows with train/val/test splits.

    Example: vimo data prepare ../shared/data/mocap -o data/cache
    """
    from rich.table import Table

    from vimo.data.prepare import PrepareConfig, check_cache_dir, prepare

    check_cache_dir(out)  # before any bar or work
    with progress_bar(transient=True) as bar:  # an error after the import is then its one line
        summary = prepare(
            sources, out, config=PrepareConfig(window=window, stride=stride, mirror=mirror), workers=workers,
            progress=task_progress(bar, "importing motion files"),
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
        warn(f"failed: {reason if name in reason else f'{name}: {reason}'}")
