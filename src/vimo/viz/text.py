"""Text on images (OpenCV's Hershey font, anti-aliased)."""

from __future__ import annotations

import cv2
import numpy as np

LABEL_ORIGIN = (8, 20)  # pixels: a panel's label, top left
DARK_TEXT = (40, 40, 40)  # RGB: labels over the renderer's light background


def put_text(
    img: np.ndarray,
    text: str,
    org: tuple[int, int] = LABEL_ORIGIN,
    *,
    color: tuple[int, int, int] = DARK_TEXT,
    scale: float = 0.5,
) -> None:
    """Write ``text`` on ``img`` (H, W, 3) uint8 in place, its baseline starting at ``org`` (x, y) pixels."""
    cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, color, 1, cv2.LINE_AA)
