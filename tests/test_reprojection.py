import numpy as np
import roma
import torch

from vimo.conditioning import normalize_keypoints
from vimo.data.markers import coco_markers, coco_markers_torch
from vimo.diffusion.sampling import sample
from vimo.diffusion.scheduler import DDIMScheduler
from vimo.keypoints import COCO17_NAMES
from vimo.representation import DIM, ROTATIONS, MotionParts, Normalizer, join, window_joints
from vimo.reprojection import ReprojectionConfig, ReprojectionGuide, reprojection_loss
from vimo.skeleton import SMPL

W = 12


def _motion(seed: int, amount: float) -> torch.Tensor:
    """(1, W, 151) metres: rest pose with random joint bends of ``amount`` radians."""
    gen = torch.Generator().manual_seed(seed)
    rot = roma.rotvec_to_rotmat(amount * torch.randn(1, W, 24, 3, generator=gen))
    return join(MotionParts(torch.zeros(1, W, 4), torch.tensor([0.0, 0.9, 0.0]).expand(1, W, 3), rot))


def _keypoints_of(x: torch.Tensor) -> torch.Tensor:
    """Pixel keypoints (1, W, 17, 3) of motion x filmed from the front by an orthographic camera."""
    joints, rots = window_joints(x)
    markers = coco_markers_torch(joints, rots)
    xy = torch.stack([-markers[..., 0], -markers[..., 1]], dim=-1) * 400 + 500  # image x right, y down
    return torch.cat([xy, torch.ones(*xy.shape[:-1], 1)], dim=-1)


def test_torch_markers_match_numpy():
    x = _motion(0, 0.4)
    joints, rots = window_joints(x)
    np.testing.assert_allclose(coco_markers_torch(joints, rots).numpy(),
                               coco_markers(joints.numpy(), rots.numpy()), atol=1e-6)  # fmt: skip


def test_guide_moves_the_estimate_towards_the_keypoints():
    truth, start = _motion(1, 0.5), _motion(2, 0.5)
    cond = normalize_keypoints(_keypoints_of(truth))
    norm = Normalizer(torch.zeros(DIM), torch.ones(DIM))
    guide = ReprojectionGuide(norm, cond, ReprojectionConfig(strength=0.1, iterations=30, robust=0.0, smooth=0.0))
    target_w = guide.weight
    before = reprojection_loss(start, guide.target, target_w, 0.0)
    after = reprojection_loss(guide(start, 0), guide.target, target_w, 0.0)
    assert after.item() < 0.5 * before.item()
    # Off: strength 0, or a step later than ``start`` of the schedule, leaves x0 untouched.
    off = ReprojectionGuide(norm, cond, ReprojectionConfig(strength=0.0))
    assert torch.equal(off(start, 0), start)
    late = ReprojectionGuide(norm, cond, ReprojectionConfig(strength=0.02, start=0.5))
    assert torch.equal(late(start, 600), start)


def test_missing_keypoints_give_no_pull():
    truth, start = _motion(3, 0.5), _motion(4, 0.5)
    kp = _keypoints_of(truth)
    wrist = COCO17_NAMES.index("left_wrist")
    kp[..., wrist, 2] = 0.0  # the left wrist is never seen
    cond = normalize_keypoints(kp)
    norm = Normalizer(torch.zeros(DIM), torch.ones(DIM))
    out = ReprojectionGuide(norm, cond, ReprojectionConfig(strength=0.05, iterations=3))(start, 0)
    elbow = SMPL.index("left_elbow")  # its rotation moves only the left wrist among the markers
    rot = slice(ROTATIONS.start + 6 * elbow, ROTATIONS.start + 6 * elbow + 6)
    assert torch.equal(out[..., rot], start[..., rot])
    shoulder = SMPL.index("left_shoulder")  # moves the (seen) elbow: pulled
    rot = slice(ROTATIONS.start + 6 * shoulder, ROTATIONS.start + 6 * shoulder + 6)
    assert not torch.equal(out[..., rot], start[..., rot])
    # Nothing seen at all: nothing changes.
    kp[..., 2] = 0.0
    blind = ReprojectionGuide(norm, normalize_keypoints(kp), ReprojectionConfig(strength=0.05))
    assert torch.equal(blind(start, 0), start)


def test_sampler_applies_the_guide_to_every_step_estimate():
    seen = []

    def model(x, t, cond):
        return torch.zeros_like(x)

    def guide(x0, t):
        seen.append(t)
        return x0 + 1.0

    out = sample(model, DDIMScheduler(), (2, 5, 3), steps=4, generator=torch.Generator().manual_seed(0), guide=guide)
    assert len(seen) == 4 and seen == sorted(seen, reverse=True)
    torch.testing.assert_close(out, torch.ones(2, 5, 3))  # the last step returns the guided estimate


def test_the_pelvis_orientation_and_root_stay_the_priors():
    truth, start = _motion(5, 0.5), _motion(6, 0.5)
    norm = Normalizer(torch.zeros(DIM), torch.ones(DIM))
    out = ReprojectionGuide(norm, normalize_keypoints(_keypoints_of(truth)), ReprojectionConfig(strength=0.05))(
        start, 0
    )
    untouched = slice(0, ROTATIONS.start + 6)  # contacts, root position, pelvis rotation
    assert torch.equal(out[..., untouched], start[..., untouched])
    assert not torch.equal(out, start)
