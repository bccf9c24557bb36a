import numpy as np
import torch
from scipy.spatial.transform import Rotation

from vimo.geometry.rotations import (
    axis_angle_to_matrix,
    euler_to_matrix,
    matrix_to_6d,
    matrix_to_axis_angle,
    matrix_to_euler,
    matrix_to_quat,
    minimal_rotation,
    quat_to_matrix,
    rotation_about_y,
    sixd_to_matrix,
)


def _random_rotations(n, seed=0):
    return torch.from_numpy(Rotation.random(n, random_state=seed).as_matrix())


def test_6d_is_first_two_columns():
    r = _random_rotations(4)
    sixd = matrix_to_6d(r)
    assert torch.allclose(sixd[..., :3], r[..., :, 0])
    assert torch.allclose(sixd[..., 3:], r[..., :, 1])


def test_6d_round_trip_and_gram_schmidt():
    r = _random_rotations(10).reshape(2, 5, 3, 3)
    assert torch.allclose(sixd_to_matrix(matrix_to_6d(r)), r, atol=1e-10)
    # A perturbed 6D still decodes to a proper rotation.
    m = sixd_to_matrix(matrix_to_6d(r) + 0.1)
    assert torch.allclose(m @ m.transpose(-1, -2), torch.eye(3, dtype=m.dtype).expand_as(m), atol=1e-9)
    assert torch.allclose(torch.linalg.det(m), torch.ones(2, 5, dtype=m.dtype))


def test_quaternion_is_xyzw_and_round_trips():
    r = _random_rotations(6)
    q = matrix_to_quat(r)
    assert np.allclose(np.abs(q.numpy()), np.abs(Rotation.from_matrix(r.numpy()).as_quat()), atol=1e-9)
    assert torch.allclose(quat_to_matrix(q), r, atol=1e-10)
    assert torch.allclose(axis_angle_to_matrix(matrix_to_axis_angle(r)), r, atol=1e-9)


def test_euler_is_intrinsic_in_channel_order():
    angles = torch.tensor([[30.0, -20.0, 45.0]], dtype=torch.float64)
    m = euler_to_matrix(angles, "ZXY")
    rz, rx, ry = (Rotation.from_euler(a, v, degrees=True).as_matrix() for a, v in zip("zxy", angles[0].numpy()))
    assert np.allclose(m[0].numpy(), rz @ rx @ ry)
    assert torch.allclose(matrix_to_euler(m, "ZXY"), angles)


def test_rotation_about_y_turns_z_towards_x():
    r = rotation_about_y(torch.tensor(np.pi / 2, dtype=torch.float64))
    assert torch.allclose(r @ torch.tensor([0.0, 0.0, 1.0], dtype=torch.float64),
                          torch.tensor([1.0, 0.0, 0.0], dtype=torch.float64), atol=1e-12)  # fmt: skip


def test_minimal_rotation_maps_directions_including_antiparallel():
    a = torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]], dtype=torch.float64)
    b = torch.tensor([[0.0, 1.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, 2.0]], dtype=torch.float64)
    r = minimal_rotation(a, b)
    assert torch.allclose((r @ a[..., None])[..., 0], torch.nn.functional.normalize(b, dim=-1), atol=1e-9)
    assert torch.allclose(r[2], torch.eye(3, dtype=torch.float64))
