"""The SMPL skeleton drawn on a matplotlib ``Axes`` (left limbs blue, right red, centre black)."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes

from vimo.skeleton import SMPL

_LEFT = {j for j, n in enumerate(SMPL.names) if n.startswith("left_")}
_RIGHT = {j for j, n in enumerate(SMPL.names) if n.startswith("right_")}


def draw_skeleton(ax: Axes, joints_2d: np.ndarray, *, alpha: float = 1.0) -> None:
    """Draw (24, 2) projected joints on ``ax``; left limbs blue, right red, centre black."""
    for j, p in enumerate(SMPL.parents):
        if p < 0:
            continue
        colour = "tab:blue" if j in _LEFT else ("tab:red" if j in _RIGHT else "k")
        ax.plot(*joints_2d[[p, j]].T, color=colour, lw=2, alpha=alpha, solid_capstyle="round")
