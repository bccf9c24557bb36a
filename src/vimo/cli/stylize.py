"""`vimo stylize`: learn a dance style from a few videos."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vimo.cli.root import (
    MAX_SEED,
    app,
    console,
    progress_bar,
    stage_progress,
    user_errors,
)
from vimo.errors import VimoError
from vimo.options import StyleMethod
from vimo.paths import DANCE_WEIGHTS


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
        StyleMethod, typer.Option(help="zeroconv (frozen base + adapters) or finetune (all weights).")
    ] = StyleMethod.ZEROCONV,
    base: Annotated[Path, typer.Option(help="Music-to-dance base bundle.")] = DANCE_WEIGHTS,
    music: Annotated[
        Path | None, typer.Option(help="Pair the motions with this track instead of the videos' audio.")
    ] = None,
    steps: Annotated[int, typer.Option(min=1, help="Adaptation steps.")] = 300,
    samples: Annotated[int, typer.Option(min=1, help="Motions generated per 5 s clip.")] = 3,
    min_pck: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Keep motions whose 2D fidelity (PCK) is at least this.")
    ] = 0.5,
    seed: Annotated[int, typer.Option(min=0, max=MAX_SEED)] = 0,
) -> None:
    """Learn a dance style from a few videos (few-shot stylisation of the music-to-dance model).

    Example: vimo stylize --videos a.mp4 b.mp4 c.mp4 -o styles/mine --method zeroconv
    """
    from vimo.apps.stylize import StylizeConfig, stylize

    videos = [*(videos or []), *(more or [])]
    if not videos:
        raise VimoError("no videos: vimo stylize --videos A.mp4 B.mp4 ... -o STYLE")

    config = StylizeConfig(method=method.value, steps=steps, samples=samples, min_pck=min_pck, seed=seed)
    with progress_bar(transient=True) as bar:  # a failure after the build is then its one line
        report = stylize(videos, out, base=base, music=music, config=config, progress=stage_progress(bar))
    console.print(
        f"{out}: {report.motions} motions from {report.videos} video(s), {report.pairs} music pairs; "
        f"final loss {report.final_loss:.3f}; seconds {report.seconds}"
    )
    console.print(f"dance in this style: vimo dance --style {out} --music SONG -o OUT")
