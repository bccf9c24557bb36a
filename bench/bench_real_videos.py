"""2D fidelity of `vimo run` on the real clips in ../shared/data/videos, against references measured on
the same keypoints: the same motion played backwards (does the motion follow the video's timing?) and a
body standing still in the rest pose. PCK@0.25 torso after a per-frame weak-perspective fit.

    .venv/bin/python bench/bench_real_videos.py [--steps 50]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

from vimo.data.markers import motion_markers
from vimo.fidelity import reprojection_fidelity
from vimo.generation import GenerationConfig
from vimo.io.smpl_npz import read_smpl_npz
from vimo.keypoints import Keypoints2D
from vimo.motion import Motion
from vimo.run import RunConfig, run

VIDEOS = Path(__file__).resolve().parents[2] / "shared" / "data" / "videos"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--steps", type=int, default=50)
    args = ap.parse_args()
    clips = sorted(VIDEOS.rglob("*.mp4")) if VIDEOS.exists() else []
    if not clips:
        print(f"skipped: no clips under {VIDEOS}")
        return
    print("| clip | frames | coverage | ViMo | backwards | rest pose |")
    print("|---|---|---|---|---|---|")
    for clip in clips:
        with tempfile.TemporaryDirectory() as tmp:
            report = run(clip, Path(tmp), RunConfig(generation=GenerationConfig(steps=args.steps), preview=False))
            motion = read_smpl_npz(Path(tmp) / "motion.npz")
            kp = Keypoints2D.from_json(Path(tmp) / "keypoints.json")
        markers = motion_markers(motion)
        rest = Motion(np.tile(np.eye(3, dtype=np.float32), (len(motion), 24, 1, 1)), motion.root_position, motion.fps)
        scores = [reprojection_fidelity(m, kp.data).pck for m in (markers, markers[::-1].copy(), motion_markers(rest))]
        print(f"| {clip.relative_to(VIDEOS)} | {len(motion)} | {report.coverage['detected']:.2f} | "
              + " | ".join(f"{s:.3f}" for s in scores) + " |")  # fmt: skip


if __name__ == "__main__":
    main()
