"""Where the shipped files are, found from the package itself (never from the current directory), so that every
default works wherever the user stands.

- :data:`WEIGHTS_DIR`: the shipped model bundles (``weights/`` of the repository that holds ``src/vimo``).
- :data:`SHARED_DATA`: the data beside the repository (``../shared/data``: mocap, music loops, real clips).
"""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]  # src/vimo/paths.py -> the repository
WEIGHTS_DIR = REPO_ROOT / "weights"
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"

VIMO_WEIGHTS = WEIGHTS_DIR / "vimo-small"  # the keypoint-to-motion diffusion model
BASELINE_WEIGHTS = WEIGHTS_DIR / "baseline-motionbert-small"  # the MotionBERT-style lifter (vimo.lifter)
DANCE_WEIGHTS = WEIGHTS_DIR / "dance-small"  # the music-to-dance base
SHARED_VIDEOS = SHARED_DATA / "videos"  # the real clips
SHARED_LOOPS = SHARED_DATA / "music" / "sonic_pi_cc0"  # CC0 percussion loops
