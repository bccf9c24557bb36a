"""Contact sheets: a few poses of each of several motions on one image (matplotlib, drawn on an Agg canvas of
its own: neither pyplot nor the global backend is touched)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from vimo.motion import Motion
from vimo.viz.skeleton import draw_skeleton

TILE_INCHES = (1.6, 2.2)  # (width, height) of one pose
DPI = 80
TITLE_CHARS = 28  # a row's title is cut to this many characters


def contact_sheet(items: list[tuple[str, Motion]], path: str | Path, *, frames: int = 6) -> Path:
    """One row per motion: ``frames`` evenly spaced poses of the canonicalised motion seen from the front
    (the viewer stands at +Z looking back at the character, so its left side, +X, appears on the image's
    right), with the floor line y = 0. Written as a PNG of (128 * frames) x (176 * rows) pixels."""
    rows = len(items)
    fig = Figure(figsize=(TILE_INCHES[0] * frames, TILE_INCHES[1] * rows))
    FigureCanvasAgg(fig)
    axes = fig.subplots(rows, frames, squeeze=False)
    for r, (title, motion) in enumerate(items):
        joints = motion.canonicalize().joints()
        picks = np.linspace(0, len(joints) - 1, frames).round().astype(int)
        for c, f in enumerate(picks):
            ax = axes[r, c]
            pose = joints[f]
            xy = np.stack([pose[:, 0] - pose[0, 0], pose[:, 1]], axis=-1)  # front view: x right, y up
            ax.axhline(0.0, color="0.6", lw=1)
            draw_skeleton(ax, xy)
            ax.set_xlim(-1.0, 1.0)
            ax.set_ylim(-0.1, 2.0)
            ax.set_aspect("equal")
            ax.set_xticks([])
            ax.set_yticks([])
            time = f"t={f / motion.fps:.1f}s"
            ax.set_title(f"{title[:TITLE_CHARS]}\n{time}" if c == 0 else time, fontsize=7)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI)
    return path
