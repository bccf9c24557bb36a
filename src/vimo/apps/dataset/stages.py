"""The two stages of a build, run in the driver's process (``engines.local``) or as Ray tasks (``engines.ray``).

Stage 1 extracts a video's 2D keypoints; stage 2 generates and scores the samples of its clips. Both are
pure functions of their inputs (no dataset IO): the builder decides what to run and writes the results.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from vimo.apps.dataset.plan import Scores
from vimo.errors import VimoError
from vimo.eval.metrics import foot_skating, jitter
from vimo.generation import FPS, GenerationConfig
from vimo.keypoints import Keypoints2D
from vimo.motion import Motion
from vimo.numeric import finite_or_none
from vimo.pipeline import ViMo, generate


@dataclass(frozen=True)
class ExtractedVideo:
    """Stage 1's result: the performer's keypoints (T, 17, 3) at 30 fps, frame 0 at ``start_time`` s."""

    keypoints: Keypoints2D
    start_time: float
    person: int | None  # the followed track (None: no track, full frames)
    warnings: tuple[str, ...]
    seconds: float = 0.0  # time spent


def extract_video(path: str | os.PathLike) -> ExtractedVideo:
    """Stage 1: 2D extraction (``vimo.video.extract.extract_keypoints`` at 30 fps)."""
    from vimo.video.extract import extract_keypoints

    t0 = time.perf_counter()
    ex = extract_keypoints(path, fps=FPS)
    return ExtractedVideo(ex.keypoints, ex.start_time, ex.person, ex.warnings, time.perf_counter() - t0)


@dataclass(frozen=True)
class ClipJob:
    """Stage 2's input for one clip: its keypoints (T, 17, 3) and the (index, seed) of the samples to make."""

    clip: str
    keypoints: Keypoints2D
    samples: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class GeneratedSample:
    index: int
    seed: int
    motion: Motion  # 30 fps, world frame, grounded
    scores: Scores


@dataclass(frozen=True)
class ClipResult:
    clip: str
    samples: tuple[GeneratedSample, ...]
    seconds: float


@dataclass(frozen=True)
class GenerationSettings:
    steps: int
    guidance: float  # resolved (the model's default when the config says None)
    foot_lock: bool


def generate_clips(vimo: ViMo, jobs: Sequence[ClipJob], settings: GenerationSettings) -> Iterator[ClipResult]:
    """Stage 2: each sample generated alone with its own seed, and scored; one result per clip."""
    for job in jobs:
        t0 = time.perf_counter()
        samples = []
        for index, seed in job.samples:
            config = GenerationConfig(samples=1, seed=seed, steps=settings.steps, guidance=settings.guidance,
                                      foot_lock=settings.foot_lock)  # fmt: skip
            gen = generate(vimo, job.keypoints, config)
            motion = gen.motions[0]
            joints = motion.joints()
            skate = gen.foot_skate[0][1] if gen.foot_skate else foot_skating(joints, motion.contacts)
            fidelity = gen.fidelity[0]
            scores = Scores(finite_or_none(fidelity.pck), finite_or_none(fidelity.error), finite_or_none(skate),
                            finite_or_none(jitter(joints)))  # fmt: skip
            samples.append(GeneratedSample(index, seed, motion, scores))
        yield ClipResult(job.clip, tuple(samples), time.perf_counter() - t0)


@dataclass(frozen=True)
class ModelFiles:
    """A model bundle's bytes and identity (shipped to Ray workers instead of a path)."""

    name: str
    sha256: str
    config_json: bytes
    weights: bytes
    guidance: float

    @classmethod
    def read(cls, prefix: str | os.PathLike) -> ModelFiles:
        prefix = Path(prefix)
        cfg_path, w_path = prefix.with_suffix(".json"), prefix.with_suffix(".safetensors")
        if not cfg_path.exists() or not w_path.exists():
            raise VimoError(f"model weights not found: expected {cfg_path} and {w_path}")
        cfg, weights = cfg_path.read_bytes(), w_path.read_bytes()
        sha = hashlib.sha256(hashlib.sha256(cfg).digest() + hashlib.sha256(weights).digest()).hexdigest()
        return cls(prefix.name, sha[:16], cfg, weights, float(json.loads(cfg).get("guidance", 2.0)))
