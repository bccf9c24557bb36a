"""Fixtures for the video tests: small generated videos of a moving red square (PyAV).

``make_video(path, ...)`` writes one; ``square_image(i)`` is source frame i; ``square_index(image)``
reads the source frame index back from a decoded frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

SQUARE = 12  # pixels
STEP = 3  # pixels the square moves per source frame
X0 = 2

CODECS = {".mp4": "libx264", ".mkv": "libx264", ".webm": "libvpx", ".avi": "mpeg4"}


def _square_image(index: int, size: tuple[int, int] = (128, 64), *, noise: bool = False) -> np.ndarray:
    """(H, W, 3) RGB frame ``index``: a red square at x = X0 + STEP * index, a green marker in the
    top-left corner; with ``noise``, grey noise in the bottom rows (frames that compress badly, so a
    file cut in half keeps about half of its frames)."""
    w, h = size
    img = np.full((h, w, 3), 30, np.uint8)
    if noise:
        rows = h // 4
        img[h - rows :] = np.random.default_rng(index).integers(0, 100, (rows, w, 1), dtype=np.uint8)
    x = X0 + STEP * index
    img[h // 2 - SQUARE // 2 : h // 2 + SQUARE // 2, x : x + SQUARE] = (230, 30, 30)
    img[:8, :8] = (30, 230, 30)  # green marker: top-left corner (shows rotations and flips)
    return img


def _square_index(image: np.ndarray) -> int:
    """Recover the source frame index from a decoded (unrotated, full size) frame."""
    red = (image[..., 0] > 120) & (image[..., 1] < 100)
    xs = np.nonzero(red.any(axis=0))[0]
    return int(round((xs.mean() - SQUARE / 2 + 0.5 - X0) / STEP))


def _make_video(
    path: Path,
    *,
    frames: int = 20,
    fps: int = 30,
    size: tuple[int, int] = (128, 64),
    times: list[float] | None = None,
    rotation: int | None = None,
    hflip: bool = False,
    codec: str | None = None,
    noise: bool = False,
    options: dict[str, str] | None = None,
) -> Path:
    """Write a moving-square video; ``times`` (seconds) gives variable frame timestamps."""
    codec = codec or CODECS[path.suffix]
    with av.open(str(path), mode="w", options=options or {}) as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        if codec == "mpeg4":
            stream.bit_rate = 2_000_000
        if times is not None:
            stream.codec_context.time_base = Fraction(1, 1000)
            stream.time_base = Fraction(1, 1000)
        if rotation is not None:
            stream.set_display_rotation(rotation, hflip=hflip)
        for i in range(frames):
            frame = av.VideoFrame.from_ndarray(_square_image(i, size, noise=noise), format="rgb24")
            if times is not None:
                frame.pts = int(round(times[i] * 1000))
                frame.time_base = Fraction(1, 1000)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


@pytest.fixture(scope="session")
def make_video():  # noqa: ANN201
    return _make_video


@pytest.fixture(scope="session")
def square_image():  # noqa: ANN201
    return _square_image


@pytest.fixture(scope="session")
def square_index():  # noqa: ANN201
    return _square_index


# -- rendered scenes ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scene:
    """A rendered clip: frames (T, H, W, 3), the cameras, and per figure its Motion and the true
    COCO-17 markers projected to pixels (T, 17, 2)."""

    frames: np.ndarray
    cameras: object
    motions: tuple
    truth: tuple

    def person_height(self, figure: int = 0) -> np.ndarray:
        """(T,) the projected height in pixels of a figure's markers."""
        y = self.truth[figure][..., 1]
        return y.max(axis=1) - y.min(axis=1)


def _bystander(frames: int) -> object:
    """A walker crossing from right to left, 3 m behind the origin (turned to walk along -X)."""
    from scipy.spatial.transform import Rotation

    from vimo.data.synthetic import walking_motion
    from vimo.motion import Motion

    walk = walking_motion(frames, speed=1.0)
    turn = Rotation.from_euler("y", -90, degrees=True).as_matrix().astype(np.float32)
    rots = walk.rotations.copy()
    rots[:, 0] = turn @ rots[:, 0]
    root = walk.root_position @ turn.T + np.array([2.2, 0.0, -3.0], np.float32)
    return Motion(rots, root, walk.fps)


def _scene(motions: list, size: tuple[int, int], eye: list[float], target: list[float]) -> Scene:
    from vimo.data.markers import motion_markers
    from vimo.geometry.camera import project
    from vimo.viz.cameras import CameraPath
    from vimo.viz.scene import render_frames

    T = len(motions[0])
    cams = CameraPath.static(eye, target, frames=T, image_size=size)
    frames = np.stack(list(render_frames(motions, cams)))
    truth = tuple(
        project(
            motion_markers(m), cams.R[:, None], cams.t[:, None], cams.focal[:, None], cams.principal[:, None]
        ).pixels
        for m in motions
    )
    return Scene(frames, cams, tuple(motions), truth)


@pytest.fixture(scope="session")
def walking_scene() -> Scene:
    """One mannequin walking towards a static frontal camera, 640 x 480, 40 frames."""
    from vimo.data.synthetic import walking_motion

    return _scene([walking_motion(40)], (640, 480), [0.3, 1.5, 7.0], [0.0, 0.9, 1.5])


@pytest.fixture(scope="session")
def two_person_video(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Scene]:
    """A 2 s, 480 x 360 mp4: the performer walking towards the camera and a smaller bystander
    crossing behind. Returns the path and the scene (figure 0: performer, 1: bystander)."""
    from vimo.data.synthetic import walking_motion
    from vimo.video.writer import write_video

    T = 60
    scene = _scene([walking_motion(T, speed=0.8), _bystander(T)], (480, 360), [0.3, 1.4, 6.0], [0.0, 0.9, 0.5])
    path = write_video(scene.frames, tmp_path_factory.mktemp("scene") / "two_people.mp4", 30.0)
    return path, scene
