from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

# Tests use tiny models: one thread is faster, and avoids thrashing when a training run shares the CPU.
torch.set_num_threads(1)

SHARED = Path(__file__).resolve().parents[2] / "shared"
MOCAP = SHARED / "data" / "mocap" / "cmu"


def require_shared(path: Path = MOCAP) -> Path:
    if not path.exists():
        pytest.skip(f"needs ../shared data at {path} (absent on this machine)")
    return path


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


@pytest.fixture
def mocap_dir() -> Path:
    """The CMU mocap folder in ../shared; skips the test when ../shared is absent."""
    return require_shared(MOCAP)


@pytest.fixture(scope="session")
def tiny_cache(tmp_path_factory) -> Path:
    """A window cache of 4 synthetic motions (3 train, 1 val), 30-frame windows."""
    from vimo.data.prepare import PrepareConfig, write_cache
    from vimo.data.synthetic import random_motion
    from vimo.representation import to_vector

    out = tmp_path_factory.mktemp("cache") / "cache"
    vectors, records = [], []
    for seed in range(4):
        v = to_vector(random_motion(60, seed=seed, amplitude=0.3).with_contacts())
        vectors.append(v)
        records.append({"source": f"synthetic/{seed}", "split": "train" if seed < 3 else "val", "frames": len(v)})
    write_cache(out, records, vectors, config=PrepareConfig(window=30, stride=10))
    return out


@pytest.fixture(scope="session")
def tiny_bundle(tmp_path_factory) -> Path:
    """An untrained tiny ViMo bundle (identity normaliser): exercises the plumbing, not the model."""
    from vimo.models.denoiser import CONFIGS, Denoiser
    from vimo.pipeline import ViMo
    from vimo.representation import Normalizer

    torch.manual_seed(0)
    prefix = tmp_path_factory.mktemp("w") / "tiny"
    ViMo(Denoiser(CONFIGS["tiny"]).eval(), Normalizer(torch.zeros(151), torch.ones(151))).save(prefix)
    return prefix
