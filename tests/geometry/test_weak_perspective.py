import roma
import torch

from vimo.geometry.weak_perspective import fit_weak_perspective


def test_recovers_a_known_camera_with_batch_dims():
    gen = torch.Generator().manual_seed(0)
    points = torch.randn(4, 5, 17, 3, generator=gen, dtype=torch.float64)
    rot = roma.random_rotmat((4, 5), dtype=torch.float64)
    scale = torch.rand(4, 5, 1, 1, generator=gen, dtype=torch.float64) * 100 + 10
    shift = torch.randn(4, 5, 1, 2, generator=gen, dtype=torch.float64) * 300
    observed = scale * (points @ rot[..., :2, :].transpose(-1, -2)) + shift
    camera = fit_weak_perspective(points, observed, torch.ones(4, 5, 17, dtype=torch.float64))
    torch.testing.assert_close(camera.project(points), observed, rtol=1e-5, atol=1e-3)  # pixels
    torch.testing.assert_close(camera.matrix, scale * rot[..., :2, :], rtol=1e-5, atol=1e-5)
    # Batch-dimension invariance: one element alone gives the same camera.
    alone = fit_weak_perspective(points[1, 2], observed[1, 2], torch.ones(17, dtype=torch.float64))
    torch.testing.assert_close(alone.matrix, camera.matrix[1, 2])


def test_zero_weight_points_do_not_move_the_camera():
    gen = torch.Generator().manual_seed(1)
    points = torch.randn(17, 3, generator=gen, dtype=torch.float64)
    observed = 50 * points[:, :2]
    weights = torch.ones(17, dtype=torch.float64)
    corrupted = observed.clone()
    corrupted[3] += 1000.0
    weights[3] = 0.0
    camera = fit_weak_perspective(points, corrupted, weights)
    torch.testing.assert_close(camera.project(points)[weights > 0], observed[weights > 0], rtol=1e-5, atol=1e-3)
    # With the outlier weighted in, the fit moves.
    moved = fit_weak_perspective(points, corrupted, torch.ones(17, dtype=torch.float64))
    assert (moved.project(points) - observed).abs()[weights > 0].max() > 1.0
