"""Static pictures of motions (contact sheets) with matplotlib. Videos live in vimo.render."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from vimo.motion import Motion  # noqa: E402
from vimo.skeleton import SMPL  # noqa: E402

_LEFT = {j for j, n in enumerate(SMPL.names) if n.startswith("left_")}


def draw_skeleton(ax, joints_2d: np.ndarray, *, alpha: float = 1.0) -> None:
    """Draw (24, 2) projected joints; left limbs blue, right red, centre black."""
    for j, p in enumerate(SMPL.parents):
        if p < 0:
            continue
        colour = "tab:blue" if j in _LEFT else ("tab:red" if SMPL.names[j].startswith("right_") else "k")
        ax.plot(*joints_2d[[p, j]].T, color=colour, lw=2, alpha=alpha, solid_capstyle="round")


def contact_sheet(items: list[tuple[str, Motion]], path: str | Path, *, frames: int = 6) -> Path:
    """One row per motion: ``frames`` evenly spaced poses of the canonicalised motion seen from the front
    (the viewer stands at +Z looking back at the character, so its left side, +X, appears on the image's
    right), with the floor line y = 0."""
    rows = len(items)
    fig, axes = plt.subplots(rows, frames, figsize=(1.6 * frames, 2.2 * rows), squeeze=False)
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
            ax.set_title(f"{title[:28]}\nt={f / motion.fps:.1f}s" if c == 0 else f"t={f / motion.fps:.1f}s", fontsize=7)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return path
