"""Benchmark the casual-camera simulator as training uses it: B=64 clips of T=150 frames per batch.

Prints the median time per ``simulate_batch`` call and the ratio to a bare ``project`` of the same
points (one camera per frame), both measured in this run. Synthetic markers; needs no data files.

    .venv/bin/python bench/bench_camera_sim.py [--batch 64] [--frames 150] [--repeats 30]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from vimo.data.camera_sim import COMMON_IMAGE_SIZES, SimConfig, random_regimes, simulate_batch
from vimo.data.markers import coco_markers
from vimo.geometry.camera import look_at, project
from vimo.skeleton import SMPL


def synthetic_markers(batch: int, frames: int, rng: np.random.Generator) -> np.ndarray:
    """(B, T, 17, 3) rest-pose markers walking in random directions with a little per-joint wobble."""
    rest = coco_markers(SMPL.rest_positions(), np.broadcast_to(np.eye(3, dtype=np.float32), (24, 3, 3)))
    t = np.arange(frames)[None, :, None] / 30.0
    heading = rng.uniform(0, 2 * np.pi, size=(batch, 1, 1))
    speed = rng.uniform(0.0, 1.5, size=(batch, 1, 1))
    root = np.concatenate([np.sin(heading) * speed * t, np.full_like(t * speed, 0.95), np.cos(heading) * speed * t], -1)
    wobble = 0.05 * np.sin(2 * np.pi * rng.uniform(0.5, 2, size=(batch, 1, 17, 3)) * t[..., None])
    return (root[:, :, None] + rest + wobble).astype(np.float32)


def median_ms(fn, repeats: int) -> float:  # noqa: ANN001
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000.0 * float(np.median(times))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--frames", type=int, default=150)
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    markers = synthetic_markers(args.batch, args.frames, rng)
    regimes = random_regimes(args.batch, rng)
    config = SimConfig(image_size_choices=COMMON_IMAGE_SIZES)
    eye = np.stack([np.zeros(args.batch), np.full(args.batch, 1.5), np.full(args.batch, -5.0)], -1)
    R, t = look_at(eye, np.array([0.0, 0.95, 0.0]))
    R = np.broadcast_to(R[:, None, None], (args.batch, args.frames, 1, 3, 3))
    t = np.broadcast_to(t[:, None, None], (args.batch, args.frames, 1, 3))

    sim_ms = median_ms(lambda: simulate_batch(markers, regimes=regimes, config=config, rng=rng), args.repeats)
    proj_ms = median_ms(lambda: project(markers, R, t, 1000.0, (640.0, 360.0)), args.repeats)
    print(f"simulate_batch B={args.batch} T={args.frames}: {sim_ms:.1f} ms per batch")
    print(f"bare project of the same points:   {proj_ms:.1f} ms  (simulator = {sim_ms / proj_ms:.1f}x project)")


if __name__ == "__main__":
    main()
