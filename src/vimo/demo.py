"""``vimo demo``: the main job on a bundled default input, with the truth to compare against.

The default input is generated, so the demo needs nothing but the repository: a procedural walk is
rendered as a mannequin video filmed by a casual camera (hand-held, orbiting and zooming, with a cut to
a new viewpoint halfway), then ``vimo run``'s video path (2D extraction with MediaPipe, person crop,
cleaning, ViMo) turns it into 3D motion, and the result is compared with the truth (PA-MPJPE, metres
-> mm, per-frame Procrustes: the camera is never known to ViMo).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vimo.data.camera_sim import Regime, SimConfig, simulate
from vimo.data.markers import motion_markers
from vimo.data.synthetic import walking_motion
from vimo.eval.metrics import pa_mpjpe
from vimo.export import ensure_writable_dir
from vimo.generation import GenerationConfig
from vimo.io.smpl_npz import read_smpl_npz
from vimo.paths import VIMO_WEIGHTS
from vimo.run import RunConfig, run
from vimo.viz.cameras import CameraPath
from vimo.viz.contact_sheet import contact_sheet
from vimo.viz.video import render_video


@dataclass
class DemoResult:
    out_dir: Path
    pa_mpjpe_mm: float
    fidelity_pck: float | None
    timings_s: dict
    files: list[Path]


def demo_camera(truth_markers: np.ndarray, *, seed: int = 0, image_size=(640, 480)) -> CameraPath:
    """A moving hand-held camera for the first half and a different one after a cut."""
    cfg = SimConfig(image_size_choices=(image_size,), distance_range=(3.0, 4.5))
    half = len(truth_markers) // 2
    a = simulate(truth_markers, regime=Regime.MOVING, config=cfg, rng=np.random.default_rng(seed))
    b = simulate(truth_markers, regime=Regime.MOVING, config=cfg, rng=np.random.default_rng(seed + 101))
    cat = lambda x, y: np.concatenate([x[:half], y[half:]])  # noqa: E731
    return CameraPath(cat(a.R, b.R), cat(a.t, b.t), cat(a.focal, b.focal), cat(a.principal, b.principal), image_size)


def run_demo(out_dir: Path, *, weights: Path = VIMO_WEIGHTS, seed: int = 0, seconds: float = 8.0) -> DemoResult:
    ensure_writable_dir(out_dir)
    truth = walking_motion(int(seconds * 30))
    video = out_dir / "input.mp4"
    render_video(truth, demo_camera(motion_markers(truth), seed=seed), video, fps=30)
    report = run(video, out_dir, RunConfig(weights=weights, generation=GenerationConfig(seed=seed)))
    result = read_smpl_npz(out_dir / "motion.npz")
    n = min(len(result), len(truth))
    error = 1000 * pa_mpjpe(result.joints()[:n], truth.joints()[:n])
    sheet = contact_sheet([("truth", truth), ("ViMo", result)], out_dir / "comparison.png", frames=8)
    files = [video, out_dir / "keypoints.json", out_dir / "motion.npz", out_dir / "motion.bvh",
             out_dir / "preview.mp4", out_dir / "report.json", sheet]  # fmt: skip
    best = report.samples[report.best_sample]["fidelity_pck"]
    return DemoResult(out_dir, error, best, report.timings_s, files)
