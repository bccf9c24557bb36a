import numpy as np
import torch
from scipy.spatial.transform import Rotation

from vimo.geometry.kinematics import forward_kinematics, global_to_local
from vimo.skeleton import SMPL


def test_fk_rest_pose_reproduces_rest_positions():
    rots = torch.eye(3).expand(24, 3, 3)
    root = torch.tensor([0.1, 0.9, -0.2])
    fk = forward_kinematics(rots, root, torch.from_numpy(SMPL.offsets), SMPL.parents)
    expected = SMPL.rest_positions() + root.numpy()
    assert np.allclose(fk.positions.numpy(), expected, atol=1e-6)
    # Left side of the body is +X in the rest pose.
    assert expected[SMPL.index("left_wrist"), 0] > 0.5 > -0.5 > expected[SMPL.index("right_wrist"), 0]


def test_fk_batch_dimension_invariance_and_bone_lengths():
    rots = torch.from_numpy(Rotation.random(2 * 3 * 24, random_state=1).as_matrix()).float().reshape(2, 3, 24, 3, 3)
    root = torch.randn(2, 3, 3)
    offsets = torch.from_numpy(SMPL.offsets)
    fk = forward_kinematics(rots, root, offsets, SMPL.parents)
    single = forward_kinematics(rots[1, 2], root[1, 2], offsets, SMPL.parents)
    assert torch.allclose(fk.positions[1, 2], single.positions, atol=1e-6)
    parents = list(SMPL.parents[1:])
    bones = (fk.positions[..., 1:, :] - fk.positions[..., parents, :]).norm(dim=-1)
    assert torch.allclose(bones, offsets[1:].norm(dim=-1).expand_as(bones), atol=1e-5)


def test_global_to_local_inverts_fk():
    rots = torch.from_numpy(Rotation.random(5 * 24, random_state=2).as_matrix()).reshape(5, 24, 3, 3)
    fk = forward_kinematics(
        rots, torch.zeros(5, 3, dtype=rots.dtype), torch.from_numpy(SMPL.offsets).double(), SMPL.parents
    )
    assert torch.allclose(global_to_local(fk.global_rotations, SMPL.parents), rots, atol=1e-10)
