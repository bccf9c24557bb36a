from __future__ import annotations

import numpy as np

from vimo.geometry.camera import (
    camera_center,
    camera_orientation,
    look_at,
    project,
    unproject,
    world_to_camera,
)


def test_look_at_is_a_proper_rotation_and_centres_the_target() -> None:
    rng = np.random.default_rng(0)
    eye = rng.normal(size=(6, 3)) * 4
    target = rng.normal(size=(6, 3))
    R, t = look_at(eye, target)
    np.testing.assert_allclose(R @ np.swapaxes(R, -1, -2), np.broadcast_to(np.eye(3), (6, 3, 3)), atol=1e-12)
    np.testing.assert_allclose(np.linalg.det(R), 1.0)
    np.testing.assert_allclose(camera_center(R, t), eye, atol=1e-12)
    pixels, depth = project(target, R, t, np.full(6, 800.0), np.array([320.0, 240.0]))
    np.testing.assert_allclose(pixels, np.broadcast_to([320.0, 240.0], (6, 2)), atol=1e-9)
    np.testing.assert_allclose(depth, np.linalg.norm(target - eye, axis=-1))


def test_opencv_axes_x_right_y_down_z_forward() -> None:
    # Camera at +Z looking at the origin (towards -Z), world Y up: the viewer's right is world +X
    # (so a body facing +Z shows its left side, +X, on the image's right).
    R, t = look_at((0.0, 0.0, 5.0), (0.0, 0.0, 0.0))
    cam = world_to_camera(np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0]]), R, t)
    assert cam[0, 0] > 0  # to the right -> +x
    assert cam[1, 1] < 0  # up in the world -> -y (y points down)
    assert cam[2, 2] > 0  # in front -> +z
    pixels, _ = project(np.array([[1.0, 1.0, 0.0]]), R, t, 100.0, (50.0, 50.0))
    assert pixels[0, 0] > 50 and pixels[0, 1] < 50  # right and up in the image


def test_project_formula_and_behind_camera_depth() -> None:
    R, t = np.eye(3), np.zeros(3)
    pixels, depth = project(np.array([[0.5, -0.25, 2.0], [0.0, 0.0, -1.0]]), R, t, 1000.0, (640.0, 360.0))
    np.testing.assert_allclose(pixels[0], [640 + 1000 * 0.25, 360 - 1000 * 0.125])
    np.testing.assert_allclose(depth, [2.0, -1.0])


def test_camera_orientation_matches_look_at_and_documented_angles() -> None:
    rng = np.random.default_rng(1)
    yaw = rng.uniform(-np.pi, np.pi, 20)
    pitch = rng.uniform(-1.2, 1.2, 20)
    R = camera_orientation(yaw, pitch)
    forward = np.stack([np.cos(pitch) * np.sin(yaw), np.sin(pitch), np.cos(pitch) * np.cos(yaw)], -1)
    np.testing.assert_allclose(R[:, 2], forward, atol=1e-12)
    R_look, _ = look_at(np.zeros((20, 3)), forward)
    np.testing.assert_allclose(R, R_look, atol=1e-12)
    np.testing.assert_allclose(camera_orientation(0.0, 0.0)[2], [0, 0, 1], atol=1e-12)  # yaw 0: along +Z
    np.testing.assert_allclose(camera_orientation(np.pi / 2, 0.0)[2], [1, 0, 0], atol=1e-12)  # towards +X
    assert camera_orientation(0.0, 0.3)[2, 1] > 0  # positive pitch looks up
    # roll keeps the optical axis and turns the camera's x axis towards its y axis
    rolled = camera_orientation(0.4, -0.2, 0.3)
    flat = camera_orientation(0.4, -0.2)
    np.testing.assert_allclose(rolled[2], flat[2], atol=1e-12)
    np.testing.assert_allclose(rolled[0], np.cos(0.3) * flat[0] + np.sin(0.3) * flat[1], atol=1e-12)
    np.testing.assert_allclose(np.linalg.det(rolled), 1.0)


def test_unproject_inverts_project_with_broadcast_batch_dims() -> None:
    rng = np.random.default_rng(2)
    T, N = 5, 17
    points = rng.normal(size=(T, N, 3)) + [0.0, 1.0, 0.0]
    eye = rng.normal(size=(T, 3)) * 0.3 + [0.0, 1.5, -6.0]
    R, t = look_at(eye, np.zeros(3))
    focal = rng.uniform(500, 2000, T)
    principal = rng.uniform(200, 800, (T, 2))
    pixels, depth = project(points, R[:, None], t[:, None], focal[:, None], principal[:, None])
    assert pixels.shape == (T, N, 2) and depth.shape == (T, N)
    back = unproject(pixels, depth, R[:, None], t[:, None], focal[:, None], principal[:, None])
    np.testing.assert_allclose(back, points, atol=1e-9)
    # batch-dim invariance: one frame at a time gives the same pixels
    for k in range(T):
        single, _ = project(points[k], R[k], t[k], focal[k], principal[k])
        np.testing.assert_allclose(single, pixels[k], atol=1e-9)


def test_look_at_straight_down_stays_a_rotation() -> None:
    R, t = look_at((0.0, 5.0, 0.0), (0.0, 0.0, 0.0))
    np.testing.assert_allclose(R @ R.T, np.eye(3), atol=1e-12)
    np.testing.assert_allclose(R[2], [0, -1, 0], atol=1e-12)
    np.testing.assert_allclose(np.linalg.det(R), 1.0)
