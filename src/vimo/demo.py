"""``vimo demo``: the main job on a bundled default input, with the truth to compare against.

The default input is generated, so the demo needs nothing but the repository: a procedural walk is
filmed by the casual-camera simulator (a hand-held camera that orbits and zooms), the simulated 2D
detections are written as keypoints JSON, ``vimo run``'s pipeline turns them into 3D motion, and the
result is compared with the truth (PA-MPJPE).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vimo.data.camera_sim import Regime, simulate
from vimo.data.markers import motion_markers
from vimo.data.preview import write_camera_preview
from vimo.data.synthetic import walking_motion
from vimo.eval.metrics import pa_mpjpe
from vimo.export import ensure_writable_dir, write_generated
from vimo.pipeline import DEFAULT_WEIGHTS, GenerationConfig, ViMo, generate
from vimo.training.batches import CASUAL_SIM_CONFIG
from vimo.viz import contact_sheet


@dataclass
class DemoResult:
    out_dir: Path
    pa_mpjpe_mm: float
    fidelity_pck: float
    files: list[Path]


def run_demo(out_dir: Path, *, weights: Path = DEFAULT_WEIGHTS, seed: int = 0, seconds: float = 8.0) -> DemoResult:
    ensure_writable_dir(out_dir)
    truth = walking_motion(int(seconds * 30))
    sim = simulate(motion_markers(truth), regime=Regime.MOVING, config=CASUAL_SIM_CONFIG,
                   rng=np.random.default_rng(seed))  # fmt: skip
    keypoints = sim.to_keypoints()
    keypoints.to_json(out_dir / "input_keypoints.json")
    files = [out_dir / "input_keypoints.json"]
    files.append(write_camera_preview(truth.joints(), sim, out_dir / "input_preview.mp4"))
    vimo = ViMo.load(weights)
    generated = generate(vimo, keypoints, GenerationConfig(samples=1, seed=seed))
    files += write_generated(out_dir, generated, report={"input": "generated walk, moving camera", "seed": seed})
    result = generated.motions[generated.best]
    files.append(contact_sheet([("truth", truth), ("ViMo", result)], out_dir / "comparison.png", frames=8))
    return DemoResult(out_dir, 1000 * pa_mpjpe(result.joints(), truth.joints()),
                      generated.fidelity[generated.best].pck, files)  # fmt: skip
