"""Fixtures of the dataset tests: three short rendered walks (320x240; 2-3 s) and a broken file, and the
reference dataset built from them by the local engine (2 s clips, K = 2, a tiny untrained model, 2 DDIM steps)."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.apps.dataset.common import LOOSE

from vimo.apps.dataset import build_dataset
from vimo.data.synthetic import walking_motion
from vimo.viz.cameras import CameraPath
from vimo.viz.video import render_video


@pytest.fixture(scope="package")
def videos(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("videos")
    for name, frames in (("a", 75), ("b", 90), ("c", 60)):
        cams = CameraPath.static((0.5, 1.2, 5.0), (0.0, 0.9, 0.6), frames=frames, image_size=(320, 240))
        render_video(walking_motion(frames, speed=1.0 + 0.1 * frames / 30), cams, folder / f"{name}.mp4", fps=30)
    (folder / "broken.mp4").write_bytes(b"not a video" * 50)
    return folder


@pytest.fixture(scope="package")
def built(videos, tiny_bundle, tmp_path_factory):
    """The reference dataset: the local engine, uninterrupted."""
    out = tmp_path_factory.mktemp("ds") / "local"
    report = build_dataset([videos], out, weights=tiny_bundle, config=LOOSE)
    return out, report


@pytest.fixture
def ray_local():
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()
