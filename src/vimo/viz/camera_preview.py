"""Preview of the casual-camera simulator: the simulated 2D detections next to the 3D truth.

Left panel: the keypoints drawn as a COCO skeleton on a canvas with the simulated image's aspect
(brighter = more confident, missing joints not drawn), with the frame counter, the regime and a
marker on shot cuts and missed frames. Right panel: the true SMPL skeleton from a fixed oblique
view that follows the person over a floor grid fixed in the world, and a top-down inset showing
the person's path and the camera (position and viewing direction).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from vimo.data.camera_sim import SimResult
from vimo.geometry.camera import camera_center
from vimo.skeleton import SMPL
from vimo.video.writer import write_video
from vimo.viz.keypoints import BACKGROUND, CENTRE_COLOUR, draw_keypoints, pixel, side_colour
from vimo.viz.text import put_text

PANEL_HEIGHT = 480  # pixels; the left panel keeps the simulated image's aspect ratio
LIGHT_TEXT = (230, 230, 230)  # RGB: text over the dark background


def write_camera_preview(joints: np.ndarray, sim: SimResult, path: str | os.PathLike, *, fps: float = 30.0) -> Path:
    """Write a side-by-side preview video (.mp4 or .gif by suffix) of ``sim`` and the 3D truth.

    joints: (T, 24, 3) world SMPL joints in metres (Y up), the same frames as ``sim.keypoints``.
    """
    joints = np.asarray(joints, dtype=np.float64)
    if joints.shape != (sim.keypoints.shape[0], SMPL.num_joints, 3):
        raise ValueError(
            f"write_camera_preview: joints must be ({sim.keypoints.shape[0]}, {SMPL.num_joints}, 3) "
            f"to match the simulation, got {joints.shape}"
        )
    return write_video(_frames(joints, sim), path, fps)


def _frames(joints: np.ndarray, sim: SimResult) -> Iterator[np.ndarray]:
    width, height = sim.image_size
    scale = PANEL_HEIGHT / height
    left_w = int(round(width * scale))
    view = _View3D(joints, sim)
    cuts = np.asarray([0, *sim.cut_frames])
    shot_start = cuts[np.searchsorted(cuts, np.arange(len(joints)), side="right") - 1]  # (T,)
    for k in range(len(joints)):
        left = np.full((PANEL_HEIGHT, left_w, 3), BACKGROUND, np.uint8)
        draw_keypoints(left, sim.keypoints[k], scale)
        cv2.rectangle(left, (0, 0), (left_w - 1, PANEL_HEIGHT - 1), (90, 90, 90), 1)
        put_text(left, f"{sim.regime.value}  frame {k + 1}/{len(joints)}", (8, 20), color=LIGHT_TEXT)
        put_text(left, f"{width}x{height}", (8, 40), scale=0.4, color=LIGHT_TEXT)
        if shot_start[k] > 0 and k - shot_start[k] < 8:  # flash a banner for the first frames of a shot
            cv2.rectangle(left, (0, 0), (left_w - 1, PANEL_HEIGHT - 1), (255, 60, 60), 6)
            put_text(left, "CUT", (8, 68), color=(255, 80, 80), scale=0.8)
        if sim.missed[k]:
            put_text(left, "missed", (8, PANEL_HEIGHT - 12), color=(255, 200, 0))
        right = view.render(k)
        yield np.concatenate([left, np.full((PANEL_HEIGHT, 4, 3), 0, np.uint8), right], axis=1)


class _View3D:
    """Fixed oblique orthographic view of the SMPL skeleton, following the root over a world grid."""

    SIZE = PANEL_HEIGHT
    AZIMUTH = np.deg2rad(35.0)  # view direction about +Y
    ELEVATION = np.deg2rad(18.0)

    def __init__(self, joints: np.ndarray, sim: SimResult) -> None:
        self.joints = joints
        self.root = joints[:, 0]
        self.floor = float(np.percentile(joints[..., 1].min(axis=1), 5))
        ca, sa = np.cos(self.AZIMUTH), np.sin(self.AZIMUTH)
        ce, se = np.cos(self.ELEVATION), np.sin(self.ELEVATION)
        right = np.array([ca, 0.0, -sa])
        up = np.array([-sa * se, ce, -ca * se])  # viewer at (sa ce, se, ca ce): front-left, above
        self.axes = np.stack([right, up])  # (2, 3) world -> view plane
        extent = np.abs((joints - self.root[:, None]) @ self.axes.T).max()
        self.px_per_m = 0.42 * self.SIZE / max(extent, 0.5)
        self.cams = camera_center(sim.R, sim.t)  # (T, 3)
        self.heading = sim.R[:, 2]  # (T, 3) optical axes
        path = np.concatenate([self.root[:, [0, 2]], self.cams[:, [0, 2]]])
        self.map_lo = path.min(axis=0) - 0.5
        self.map_span = max(float((path.max(axis=0) + 0.5 - self.map_lo).max()), 1.0)

    def _to_px(self, points: np.ndarray, centre: np.ndarray) -> np.ndarray:
        rel = (points - centre) @ self.axes.T * self.px_per_m
        return np.stack([self.SIZE / 2 + rel[..., 0], self.SIZE * 0.55 - rel[..., 1]], axis=-1)

    def render(self, k: int) -> np.ndarray:
        img = np.full((self.SIZE, self.SIZE, 3), BACKGROUND, np.uint8)
        centre = np.array([self.root[k, 0], self.root[k, 1], self.root[k, 2]])
        # floor grid, 0.5 m cells, fixed in the world
        step = 0.5
        base = np.floor(centre[[0, 2]] / step) * step
        ticks = np.arange(-8, 9) * step
        for d in ticks:
            for a, b in (
                ((base[0] + d, ticks[0] + base[1]), (base[0] + d, ticks[-1] + base[1])),
                ((ticks[0] + base[0], base[1] + d), (ticks[-1] + base[0], base[1] + d)),
            ):
                ends = self._to_px(np.array([[a[0], self.floor, a[1]], [b[0], self.floor, b[1]]]), centre)
                cv2.line(img, pixel(ends[0]), pixel(ends[1]), (55, 55, 62), 1, cv2.LINE_AA)
        px = self._to_px(self.joints[k], centre)
        for j, p in enumerate(SMPL.parents):
            if p >= 0:
                cv2.line(img, pixel(px[p]), pixel(px[j]), side_colour(SMPL.names[j]), 3, cv2.LINE_AA)
        put_text(img, "3D truth", (8, 20), color=LIGHT_TEXT)
        self._inset(img, k)
        return img

    def _inset(self, img: np.ndarray, k: int) -> None:
        """Top-down map (x right, z up on screen) of the root path and the camera in the top-right."""
        size, margin = 130, 8
        x0, y0 = self.SIZE - size - margin, margin
        cv2.rectangle(img, (x0, y0), (x0 + size, y0 + size), (45, 45, 52), -1)

        def to_map(xz: np.ndarray) -> np.ndarray:
            uv = (xz - self.map_lo) / self.map_span
            return np.stack([x0 + uv[..., 0] * size, y0 + size - uv[..., 1] * size], axis=-1)

        path = to_map(self.root[: k + 1][:, [0, 2]])
        cv2.polylines(img, [np.round(path).astype(np.int32)], False, (120, 120, 120), 1, cv2.LINE_AA)
        cv2.circle(img, pixel(path[-1]), 3, CENTRE_COLOUR, -1, cv2.LINE_AA)
        cam = to_map(self.cams[k, [0, 2]])
        direction = self.heading[k, [0, 2]]
        direction = direction / max(np.linalg.norm(direction), 1e-6)
        tip = cam + np.array([direction[0], -direction[1]]) * 14
        cv2.arrowedLine(img, pixel(cam), pixel(tip), (255, 220, 0), 2, cv2.LINE_AA, tipLength=0.4)
        put_text(img, "top view", (x0 + 4, y0 + 12), scale=0.35, color=LIGHT_TEXT)
