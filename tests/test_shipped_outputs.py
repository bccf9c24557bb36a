"""The shipped bundles' outputs stay what they were: a fixed keypoint sequence (25 fps, with gaps, a short one
bridged and a long one left to the model) and fixed music features go through vimo-small, the baseline lifter
and dance-small with fixed seeds; the motions must match the stored ones within numerical noise.

The stored outputs (tests/fixtures/shipped_outputs.npz) were made by ``python tests/test_shipped_outputs.py``
and are identical (max |diff| 0.0) to those of the code before the generation interface was unified (3f21c51).
A deliberate change of the models' outputs (new weights, a change to sampling or post-processing) rewrites the
file with that command, and says so in its commit.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vimo.bundle import load_generator
from vimo.dance import Music
from vimo.generation import GenerationConfig, generate_any
from vimo.keypoints import Keypoints2D
from vimo.paths import BASELINE_WEIGHTS, DANCE_WEIGHTS, VIMO_WEIGHTS

STORED = Path(__file__).parent / "fixtures" / "shipped_outputs.npz"
TOLERANCE_M = 1e-4  # float32 noise across machines and thread counts; a real change moves joints by millimetres


def _inputs() -> tuple[Keypoints2D, Music]:
    from vimo.data.camera_sim import Regime, SimConfig, simulate
    from vimo.data.markers import motion_markers
    from vimo.data.synthetic import walking_motion

    sim = simulate(motion_markers(walking_motion(50)), regime=Regime.STATIC, config=SimConfig(),
                   rng=np.random.default_rng(0))  # fmt: skip
    data = sim.keypoints.astype(np.float32)
    data[10:14] = 0.0  # no pose for 4 frames: bridged
    data[20:45, 9] = 0.0  # a wrist missing for 25 frames: left to the model
    music = np.random.default_rng(0).normal(size=(40, 35)).astype(np.float32)
    return Keypoints2D(data, 25.0, (640, 480)), Music(music, 40)


def outputs(keypoints: Keypoints2D, music: Music) -> dict[str, np.ndarray]:
    """Joints (K, T, 24, 3) of every shipped bundle's answer, plus the fidelity and foot skating it reports."""
    runs = {
        "vimo": (VIMO_WEIGHTS, keypoints, GenerationConfig(samples=2, steps=10, seed=1)),
        "baseline": (BASELINE_WEIGHTS, keypoints, GenerationConfig()),
        "dance": (DANCE_WEIGHTS, music, GenerationConfig(steps=10, seed=2)),
    }
    out = {}
    for name, (prefix, inputs, config) in runs.items():
        generated = generate_any(load_generator(prefix), inputs, config)
        out[f"{name}_joints"] = np.stack([m.joints() for m in generated.motions])
        out[f"{name}_pck"] = np.array([f.pck for f in generated.fidelity])
        out[f"{name}_foot_skate"] = np.array(generated.foot_skate)
    return out


@pytest.mark.slow
def test_shipped_bundles_give_the_stored_outputs():
    stored = np.load(STORED)
    keypoints = Keypoints2D(stored["input_keypoints"], 25.0, (640, 480))
    now = outputs(keypoints, Music(stored["input_music"], len(stored["input_music"])))
    for key, value in now.items():
        assert value.shape == stored[key].shape, key
        np.testing.assert_allclose(value, stored[key], atol=TOLERANCE_M, err_msg=key)


if __name__ == "__main__":
    kp, music = _inputs()
    np.savez_compressed(STORED, input_keypoints=kp.data, input_music=music.features, **outputs(kp, music))
