"""2D keypoints drawn with OpenCV: a COCO-17 skeleton (left side orange, right blue, brighter = more
confident, joints with confidence 0 not drawn), and the colours the previews share."""

from __future__ import annotations

import cv2
import numpy as np

from vimo.keypoints import COCO17_NAMES

LEFT_COLOUR = (255, 150, 40)  # RGB: orange for the person's left side
RIGHT_COLOUR = (60, 160, 255)  # blue for the right side
CENTRE_COLOUR = (220, 220, 220)
BACKGROUND = (28, 28, 32)

COCO_BONES: tuple[tuple[str, str], ...] = (
    ("nose", "left_eye"), ("nose", "right_eye"), ("left_eye", "left_ear"), ("right_eye", "right_ear"),
    ("left_shoulder", "right_shoulder"), ("left_shoulder", "left_elbow"), ("left_elbow", "left_wrist"),
    ("right_shoulder", "right_elbow"), ("right_elbow", "right_wrist"), ("left_shoulder", "left_hip"),
    ("right_shoulder", "right_hip"), ("left_hip", "right_hip"), ("left_hip", "left_knee"),
    ("left_knee", "left_ankle"), ("right_hip", "right_knee"), ("right_knee", "right_ankle"),
)  # fmt: skip
_BONE_INDEX = [(COCO17_NAMES.index(a), COCO17_NAMES.index(b)) for a, b in COCO_BONES]


def draw_keypoints(canvas: np.ndarray, kp: np.ndarray, scale: float) -> None:
    """Draw one frame's (17, 3) keypoints; colour brightness follows confidence."""
    xy = kp[:, :2] * scale
    conf = kp[:, 2]
    for a, b in _BONE_INDEX:
        c = min(conf[a], conf[b])
        if c <= 0:
            continue
        side = side_colour(COCO17_NAMES[b])
        cv2.line(canvas, pixel(xy[a]), pixel(xy[b]), dim(side, c), 2, cv2.LINE_AA)
    for j in range(len(kp)):
        if conf[j] <= 0:
            continue
        cv2.circle(canvas, pixel(xy[j]), 4, dim(side_colour(COCO17_NAMES[j]), conf[j]), -1, cv2.LINE_AA)


def side_colour(name: str) -> tuple[int, int, int]:
    """The colour of a joint or bone by its name: left, right or centre."""
    if name.startswith("left_"):
        return LEFT_COLOUR
    if name.startswith("right_"):
        return RIGHT_COLOUR
    return CENTRE_COLOUR


def dim(color: tuple[int, int, int], conf: float) -> tuple[int, int, int]:
    """Blend ``color`` towards the background by confidence (conf 1: full colour)."""
    w = 0.25 + 0.75 * float(np.clip(conf, 0.0, 1.0))
    return tuple(int(round(w * c + (1 - w) * b)) for c, b in zip(color, BACKGROUND, strict=True))  # type: ignore[return-value]


def pixel(p: np.ndarray) -> tuple[int, int]:
    """(2,) float pixel coordinates -> OpenCV's int point (clipped far outside any image)."""
    return int(round(float(np.clip(p[0], -1e4, 1e4)))), int(round(float(np.clip(p[1], -1e4, 1e4))))
