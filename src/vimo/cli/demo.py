"""`vimo demo`: run ViMo on the bundled default input."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vimo.cli.root import (
    MAX_SEED,
    app,
    console,
    user_errors,
)


@app.command("demo")
@user_errors
def demo(
    out: Annotated[Path, typer.Option("-o", "--out", help="Output directory.")] = Path("demo_output"),
    seed: Annotated[int, typer.Option(min=0, max=MAX_SEED, help="Random seed (camera and sampling).")] = 0,
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
