"""`vimo run` on the real clips in ../shared/data/videos (skipped when absent), with the shipped model.

Sanity, not accuracy (there is no 3D truth): finite output, a person found on most frames (the
sports2d clip is deliberately hard: backlit, with a flip MediaPipe loses), feet on the floor, rigid
bones, and the motion must explain its own video (2D fidelity, SPEC section 4) better than a body
standing still in the rest pose does — a reference measured in the same test on the same keypoints.
(A stronger check, beating the same motion played backwards, is reported by bench/bench_real_videos.py;
the current model does not pass it yet — see weights/MODEL_CARD.md.)
"""

from pathlib import Path

import numpy as np
import pytest

from vimo.data.markers import motion_markers
from vimo.fidelity import reprojection_fidelity
from vimo.generation import GenerationConfig
from vimo.io.smpl_npz import read_smpl_npz
from vimo.keypoints import Keypoints2D
from vimo.motion import Motion
from vimo.pipeline import DEFAULT_WEIGHTS
from vimo.run import RunConfig, run
from vimo.skeleton import SMPL

VIDEOS = Path(__file__).resolve().parents[2] / "shared" / "data" / "videos"
CLIPS = ["davis/dance-twirl.mp4", "sports2d/jumping_jacks_flip.mp4", "pose2sim/cam01.mp4", "pose2sim/cam02.mp4"]


@pytest.mark.shared
@pytest.mark.slow
@pytest.mark.parametrize("clip", CLIPS)
def test_real_clip_gives_sane_motion(clip, tmp_path):
    path = VIDEOS / clip
    if not path.exists():
        pytest.skip(f"needs ../shared/data/videos/{clip} (absent)")
    if not DEFAULT_WEIGHTS.with_suffix(".safetensors").exists():
        pytest.skip("needs the shipped weights in weights/")
    report = run(path, tmp_path, RunConfig(generation=GenerationConfig(steps=10), preview=False)).to_dict()
    motion = read_smpl_npz(tmp_path / "motion.npz")
    joints = motion.joints()
    assert np.isfinite(joints).all()
    assert report["coverage"]["detected"] > 0.5
    lowest = joints[:, :, 1].min(axis=1)
    assert np.median(np.abs(lowest)) < 0.1, np.percentile(lowest, [10, 50, 90])
    bones = np.linalg.norm(joints[:, 1:] - joints[:, list(SMPL.parents[1:])], axis=-1)
    assert bones.std(axis=0).max() < 1e-4
    kp = Keypoints2D.from_json(tmp_path / "keypoints.json")
    ours = reprojection_fidelity(motion_markers(motion), kp.data)
    rest = Motion(np.tile(np.eye(3, dtype=np.float32), (len(motion), 24, 1, 1)), motion.root_position, motion.fps)
    standing = reprojection_fidelity(motion_markers(rest), kp.data)
    assert ours.pck > standing.pck, (ours, standing)
