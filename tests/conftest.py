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
