from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from vimo.data.camera_sim import Regime, SimConfig, simulate
from vimo.data.markers import motion_markers
from vimo.motion import Motion
from vimo.video.writer import write_video
from vimo.viz.camera_preview import PANEL_HEIGHT, write_camera_preview

T = 24


def _clip() -> tuple[np.ndarray, Motion]:
    rots = np.tile(np.eye(3, dtype=np.float32), (T, 24, 1, 1))
    root = np.stack([np.linspace(0, 0.5, T), np.full(T, 0.93), np.linspace(0, 0.8, T)], -1).astype(np.float32)
    motion = Motion(rots, root, 30.0)
    return motion_markers(motion), motion


def _read_mp4(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]


@pytest.mark.parametrize("size", [(1280, 720), (721, 1281)])
def test_preview_mp4_has_one_frame_per_input_frame(tmp_path: Path, size: tuple[int, int]) -> None:
    markers, motion = _clip()
    config = SimConfig(image_size=size, cut_interval_s=(0.2, 0.3))  # short shots: cuts inside the clip
    sim = simulate(markers, regime=Regime.MONTAGE, config=config, rng=np.random.default_rng(0))
    assert sim.cut_frames
    out = write_camera_preview(motion.joints(), sim, tmp_path / "preview.mp4")
    assert out == tmp_path / "preview.mp4" and sorted(p.name for p in tmp_path.iterdir()) == ["preview.mp4"]
    frames = _read_mp4(out)
    assert len(frames) == T
    h, w = frames[0].shape[:2]
    assert h % 2 == 0 and w % 2 == 0 and h >= PANEL_HEIGHT
    assert w > PANEL_HEIGHT + round(size[0] * PANEL_HEIGHT / size[1]) - 2  # both panels side by side
    assert frames[0].std() > 5  # something was drawn


def test_preview_gif(tmp_path: Path) -> None:
    markers, motion = _clip()
    sim = simulate(markers, regime=Regime.TRACKING, config=SimConfig(), rng=np.random.default_rng(1))
    path = write_camera_preview(motion.joints(), sim, tmp_path / "preview.gif", fps=15)
    with Image.open(path) as gif:
        assert gif.n_frames == T
        assert gif.info["duration"] == pytest.approx(1000 / 15, abs=5)  # centisecond resolution


def test_preview_rejects_mismatched_joints(tmp_path: Path) -> None:
    markers, motion = _clip()
    sim = simulate(markers, regime=Regime.STATIC, config=SimConfig(), rng=np.random.default_rng(2))
    with pytest.raises(ValueError, match=r"joints must be \(24, 24, 3\)"):
        write_camera_preview(motion.joints()[:10], sim, tmp_path / "x.mp4")


def test_write_video_is_atomic_and_checks_frames(tmp_path: Path) -> None:
    frames = [np.full((33, 47, 3), k * 10, np.uint8) for k in range(5)]
    path = write_video(frames, tmp_path / "ok.mp4", fps=25)
    decoded = _read_mp4(path)
    assert len(decoded) == 5 and decoded[0].shape == (34, 48, 3)  # padded to even size
    target = tmp_path / "bad.mp4"
    target.write_bytes(b"previous")
    bad = [np.zeros((32, 32, 3), np.uint8), np.zeros((16, 16, 3), np.uint8)]
    with pytest.raises(ValueError, match="frame 1 has shape"):
        write_video(bad, target, fps=25)
    assert target.read_bytes() == b"previous"  # the old file is untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.mp4", "ok.mp4"]  # no temp files left
    with pytest.raises(ValueError, match="unsupported suffix"):
        write_video(frames, tmp_path / "x.avi", fps=25)
    with pytest.raises(ValueError, match="uint8"):
        write_video([np.zeros((8, 8, 3), np.float32)], tmp_path / "f.gif", fps=25)
