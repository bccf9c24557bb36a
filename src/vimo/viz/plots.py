"""Line plots of numbers against a swept setting (matplotlib on an Agg canvas of its own: neither pyplot nor
the global backend is touched). The caller turns its report into ``Panel``s; this module only draws."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from vimo.io.atomic import atomic_open

LEGEND_FONT_SIZE = 8
ERROR_BAR_CAP = 3  # points


@dataclass(frozen=True)
class Series:
    """One line: ``y`` (P,) against ``x`` (P,); ``interval`` (P, 2) low/high drawn as error bars when given."""

    name: str
    x: Sequence[float] | np.ndarray
    y: Sequence[float | None] | np.ndarray
    interval: np.ndarray | None = None


@dataclass(frozen=True)
class Panel:
    """One set of axes. A series keeps its colour across the panels of a figure (by name)."""

    x_label: str
    y_label: str
    series: tuple[Series, ...]
    legend: bool = False


def write_line_plots(
    panels: Sequence[Panel],
    path: str | os.PathLike,
    *,
    title: str,
    size_inches: tuple[float, float] = (10.0, 4.0),
    dpi: int = 100,
) -> Path:
    """The panels side by side under ``title``, written atomically as a PNG; returns the path."""
    fig = Figure(figsize=size_inches, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    colours: dict[str, object] = {}
    for ax, panel in zip(axes, panels, strict=True):
        for s in panel.series:
            style = {"color": colours[s.name]} if s.name in colours else {}
            if s.interval is None:
                (line,) = ax.plot(s.x, s.y, marker="o", label=s.name, **style)
            else:
                y = np.asarray(s.y, dtype=np.float64)
                yerr = np.stack([y - s.interval[:, 0], s.interval[:, 1] - y]).clip(min=0.0)
                line = ax.errorbar(s.x, y, yerr=yerr, marker="o", capsize=ERROR_BAR_CAP, label=s.name, **style).lines[0]
            colours.setdefault(s.name, line.get_color())
        ax.set_xlabel(panel.x_label)
        ax.set_ylabel(panel.y_label)
        ax.grid(alpha=0.3)
        if panel.legend:
            ax.legend(fontsize=LEGEND_FONT_SIZE)
    fig.suptitle(title)
    path = Path(path)
    with atomic_open(path, "wb") as fh:
        fig.savefig(fh, format="png", dpi=dpi)
    return path
