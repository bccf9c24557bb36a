"""Mannequin renderer: ray-capsule geometry, depth order, cameras, videos, and MediaPipe finding the figure."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from vimo.data.synthetic import walking_motion
from vimo.video.decode import probe
from vimo.viz.cameras import CameraPath
from vimo.viz.scene import SceneStyle, _ray_capsule, render_frame, render_frames
from vimo.viz.video import render_side_by_side, render_video


def test_ray_capsule_hits_sphere_cylinder_and_caps() -> None:
    d = np.array([[0.0, 0.0, 1.0], [0.6, 0.0, 0.8], [0.0, 0.8, 0.6]])
    # A sphere (a == b) of radius 0.5 at z = 5: the straight ray hits at 4.5 facing back.
    dist, normal = _ray_capsule(d[:1], np.array([0, 0, 5.0]), np.array([0, 0, 5.0]), 0.5)
    assert dist[0] == pytest.approx(4.5) and normal[0] == pytest.approx([0, 0, -1])
    # A horizontal capsule from x = -1 to 1 at z = 5: the side is hit at 4.5; a steep ray misses.
    a, b = np.array([-1.0, 0, 5]), np.array([1.0, 0, 5])
    dist, normal = _ray_capsule(d, a, b, 0.5)
    assert dist[0] == pytest.approx(4.5) and normal[0] == pytest.approx([0, 0, -1])
    assert np.isinf(dist[2])
    # The oblique ray passes beyond the end at x = 1 and meets the end cap: |t d - b| = r there.
    ray = np.array([0.3, 0.0, 1.0])
    ray /= np.linalg.norm(ray)
    dist, normal = _ray_capsule(ray[None], a, b, 0.5)
    hit = ray * dist[0]
    assert hit[0] > 1.0 and np.linalg.norm(hit - b) == pytest.approx(0.5)
    assert np.linalg.norm(normal[0]) == pytest.approx(1.0)


def test_frame_shows_figure_floor_and_sky() -> None:
    motion = walking_motion(3)
    cams = CameraPath.static([0.0, 1.2, 4.0], [0.0, 0.9, 0.0], frames=3, image_size=(160, 120))
    image = render_frame(motion, cams, 1)
    assert image.shape == (120, 160, 3) and image.dtype == np.uint8
    joints = motion.joints()[1]
    from vimo.geometry.camera import project

    chest = project(joints[9], cams.R[1], cams.t[1], cams.focal[1], cams.principal[1]).pixels
    r, g, b = image[int(chest[1]), int(chest[0])].astype(int)
    assert b > r + 40  # the blue shirt
    top = image[2, 80].astype(int)
    bottom = image[-2, 5].astype(int)
    assert abs(top - bottom).sum() > 20  # sky differs from floor
    frames = list(render_frames(motion, cams))
    assert np.array_equal(frames[1], image)


def test_depth_order_does_not_depend_on_figure_order() -> None:
    near = walking_motion(2)
    far = walking_motion(2)
    far = type(far)(far.rotations, far.root_position + np.array([0.3, 0.0, -2.0], np.float32), far.fps)
    cams = CameraPath.static([0.0, 1.2, 4.0], [0.0, 0.9, 0.0], frames=2, image_size=(120, 90))
    scene = SceneStyle(floor_y=0.0)
    a = render_frame([near, far], cams, 0, scene=scene)
    from vimo.viz.mannequin import BYSTANDER_STYLE, Figure, MannequinStyle

    b = render_frame([Figure.of(far, BYSTANDER_STYLE), Figure.of(near, MannequinStyle())], cams, 0, scene=scene)
    assert np.array_equal(a, b)


def test_cameras_from_simulator_like_objects_and_shape_checks() -> None:
    T = 4
    sim = SimpleNamespace(
        R=np.broadcast_to(np.eye(3), (T, 3, 3)),
        t=np.tile([0.0, -1.0, 4.0], (T, 1)),
        focal=np.full(T, 100.0),
        principal=np.tile([40.0, 30.0], (T, 1)),
        image_size=(80, 60),
    )
    cams = CameraPath.from_cameras(sim)
    assert len(cams) == T and cams.image_size == (80, 60)
    assert len(list(render_frames(walking_motion(T), sim))) == T
    with pytest.raises(ValueError, match="focal"):
        CameraPath(sim.R, sim.t, np.full(T + 1, 100.0), sim.principal, (80, 60))
    with pytest.raises(ValueError, match="frames"):
        list(render_frames(walking_motion(T + 1), sim))


def test_render_video_and_side_by_side(tmp_path) -> None:  # noqa: ANN001
    motion = walking_motion(8)
    cams = CameraPath.static([0.0, 1.2, 4.0], [0.0, 0.9, 0.0], frames=8, image_size=(96, 64))
    out = render_video(motion, cams, tmp_path / "walk.mp4")
    info = probe(out)
    assert (info.width, info.height, info.num_frames) == (96, 64, 8)
    left = (np.full((60, 80, 3), 128, np.uint8) for _ in range(8))
    side = render_side_by_side(left, motion, tmp_path / "side.mp4", panel_height=64)
    info = probe(side)
    assert (info.height, info.num_frames) == (64, 8)
    width = round(80 * 64 / 60) + 4 + 64 + 4 + 64
    assert info.width == width + width % 2  # the writer pads to even sizes
    alone = render_side_by_side(None, motion, tmp_path / "alone.gif", panel_height=48)
    assert alone.exists() and alone.stat().st_size > 0


def test_raster_previews_draw_the_figure_where_the_ray_caster_does():
    """The fast preview renderer (OpenCV strokes) covers the same pixels as the shaded ray caster."""
    import numpy as np

    from vimo.data.synthetic import walking_motion
    from vimo.viz.cameras import CameraPath
    from vimo.viz.mannequin import Figure, primitives
    from vimo.viz.scene import SceneStyle, _Rasterizer, _Renderer

    motion = walking_motion(40)
    fig = Figure.of(motion)
    cams = CameraPath.follow(fig.joints, image_size=(200, 200))
    previous = None
    for k in (0, 25):
        masks = []
        for kind in (_Renderer, _Rasterizer):
            r = kind(cams.image_size, -0.05, SceneStyle())
            with_fig = r(primitives(fig, k), cams.R[k], cams.t[k], cams.focal[k], cams.principal[k])
            empty = r([], cams.R[k], cams.t[k], cams.focal[k], cams.principal[k])
            masks.append(np.abs(with_fig.astype(int) - empty.astype(int)).sum(-1) > 30)
        iou = (masks[0] & masks[1]).sum() / (masks[0] | masks[1]).sum()
        assert masks[0].sum() > 1500 and iou > 0.65, (k, iou)
        if previous is not None:  # another pose (frame 0 against 25) overlaps clearly less
            other = (previous & masks[1]).sum() / (previous | masks[1]).sum()
            assert other < iou - 0.15, (other, iou)
        previous = masks[0]
