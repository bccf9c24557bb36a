"""2D keypoints on an image: bones where the keypoints are, brightness by confidence, missing joints left out."""

import numpy as np

from vimo.keypoints import COCO17_NAMES
from vimo.viz.keypoints import BACKGROUND, LEFT_COLOUR, RIGHT_COLOUR, dim, draw_keypoints, side_colour


def _frame(conf: float) -> np.ndarray:
    kp = np.zeros((17, 3))
    kp[:, 0] = np.linspace(20, 180, 17)
    kp[:, 1] = 50.0
    kp[:, 2] = conf
    return kp


def test_keypoints_are_drawn_at_their_scaled_positions_and_confidence_sets_brightness():
    bright, faint = (np.full((100, 400, 3), BACKGROUND, np.uint8) for _ in range(2))
    draw_keypoints(bright, _frame(1.0), scale=2.0)
    draw_keypoints(faint, _frame(0.2), scale=2.0)
    drawn = np.any(bright != BACKGROUND, axis=-1)
    rows, cols = np.nonzero(drawn)
    assert drawn.any() and abs(rows.mean() - 100) < 10 and cols.min() >= 30 and cols.max() <= 370
    assert bright.astype(int).sum() > faint.astype(int).sum() > np.full_like(faint, BACKGROUND).astype(int).sum()


def test_missing_keypoints_are_not_drawn():
    canvas = np.full((100, 400, 3), BACKGROUND, np.uint8)
    draw_keypoints(canvas, _frame(0.0), scale=1.0)
    assert np.all(canvas == BACKGROUND)


def test_sides_have_their_colours_and_full_confidence_keeps_the_colour():
    assert side_colour(COCO17_NAMES[5]) == LEFT_COLOUR and side_colour(COCO17_NAMES[6]) == RIGHT_COLOUR
    assert dim(LEFT_COLOUR, 1.0) == LEFT_COLOUR and dim(LEFT_COLOUR, 0.0) != LEFT_COLOUR
