"""Line plots: the documented size, both panels drawn, a series keeps its colour from panel to panel."""

import numpy as np
from PIL import Image

from vimo.viz.plots import Panel, Series, write_line_plots


def _colours(half: np.ndarray) -> set[tuple[int, int, int]]:
    """Strongly coloured pixels (lines, not grey axes or text), quantised."""
    px = half.reshape(-1, 3).astype(int)
    strong = px[(px.max(1) - px.min(1)) > 120]
    return {tuple(c) for c in (strong // 32 * 32)}


def test_two_panels_of_the_documented_size_with_shared_colours(tmp_path):
    x = np.array([0.0, 1.0, 2.0])
    ci = np.array([[9.0, 11.0], [19.0, 22.0], [28.0, 33.0]])
    left = Panel("x", "error", (Series("a", x, np.array([10.0, 20.0, 30.0]), ci),), legend=True)
    right = Panel("x", "other", (Series("a", x, [5.0, None, 7.0]),))
    path = write_line_plots([left, right], tmp_path / "plot.png", title="sweep", size_inches=(6.0, 3.0), dpi=50)
    image = np.asarray(Image.open(path).convert("RGB"))
    assert image.shape == (150, 300, 3)
    a, b = _colours(image[:, :150]), _colours(image[:, 150:])
    assert a and b and a & b  # series "a" drawn in both panels, in the same colour
