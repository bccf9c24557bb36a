"""The one inference interface: what every model bundle's ``generate`` takes and returns, and the one chain that
turns sampled motion vectors into the motions users get.

- :class:`MotionGenerator`: a model bundle of some ``KIND`` ("vimo", "lifter", "dance"; :mod:`vimo.bundle` maps
  kinds to classes) with ``load``/``save`` and ``generate(inputs, config, progress) -> Generated``.
- :class:`GenerationConfig`: the options every generator takes (samples, seed, guidance, steps, stitching,
  smoothing, foot locking); a generator ignores what it has no use for (the lifter has no guidance).
- :func:`finish`: motion vectors (K, T, 151) -> :class:`Generated`, always in this order: smooth in time ->
  put on the floor -> lock the feet on their predicted contacts -> score (2D fidelity against the input
  keypoints when there are some, and the best sample).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import ClassVar, Protocol, runtime_checkable

import numpy as np
import torch

from vimo.data.markers import motion_markers
from vimo.errors import VimoError
from vimo.fidelity import Fidelity, reprojection_fidelity
from vimo.keypoints import Keypoints2D
from vimo.motion import Motion
from vimo.postprocess import foot_lock as lock_feet
from vimo.postprocess import foot_skating, smooth_vectors
from vimo.representation import from_vector
from vimo.reprojection import ReprojectionConfig
from vimo.trajectory import world_trajectory

FPS = 30.0  # every generator works, and every generated motion comes out, at this frame rate

Progress = Callable[[int, int], None]  # (done, total)


@dataclass(frozen=True)
class GenerationConfig:
    samples: int = 1  # K motions per input
    seed: int = 0
    guidance: float | None = None  # None: the bundle's validated default
    steps: int = 50  # DDIM steps
    overlap: int = 30  # frames shared by consecutive windows
    fade: int = 10  # last overlap frames cross-faded instead of constrained
    resample: int = 1  # RePaint-style repeats per step (completion)
    foot_lock: bool = True  # pin feet on their predicted contact frames (vimo.postprocess)
    smooth: float | None = None  # temporal smoothing sigma in frames; None: the bundle's, 0: the raw samples
    reprojection: float | None = (
        None  # 2D reprojection-guidance strength (vimo.reprojection); None: the bundle's, 0: off
    )
    trajectory: bool = True  # re-derive the root's path from the planted feet (vimo.trajectory); video motions only

    def smoothing(self, bundle_default: float) -> float:
        """The smoothing sigma (frames) to use: this config's, else the bundle's."""
        sigma = bundle_default if self.smooth is None else self.smooth
        if sigma < 0:
            raise VimoError(f"--smooth must be >= 0, got {sigma:g}")
        return sigma

    def reprojection_config(self, bundle_default: ReprojectionConfig) -> ReprojectionConfig:
        """The reprojection guidance to use: the bundle's, with this config's strength when it sets one."""
        if self.reprojection is None:
            return bundle_default
        if not (self.reprojection >= 0 and math.isfinite(self.reprojection)):
            raise VimoError(f"--reprojection must be a finite number >= 0, got {self.reprojection:g}")
        return replace(bundle_default, strength=self.reprojection)

    def guidance_weight(self, bundle_default: float) -> float:
        """The classifier-free guidance weight to use: this config's, else the bundle's."""
        return bundle_default if self.guidance is None else self.guidance


@dataclass
class Generated:
    motions: list[Motion]  # K motions, world frame (the first window's canonical frame), 30 fps
    fidelity: list[Fidelity]  # per motion, against the input keypoints (empty without keypoints: dances)
    best: int  # index of the motion that best explains the input (highest PCK, then lowest error); 0 without
    foot_skate: list[tuple[float, float]] = field(default_factory=list)  # per motion: (before, after) locking, m/s


@runtime_checkable
class MotionGenerator(Protocol):
    """A model bundle that generates motion. ``inputs`` is what the kind is conditioned on: Keypoints2D for
    "vimo" and "lifter", :class:`vimo.dance.Music` for "dance"."""

    KIND: ClassVar[str]  # the ``kind`` written in the bundle's PREFIX.json
    info: dict  # provenance (training run, steps, ...), as saved

    @classmethod
    def load(cls, prefix: str | Path, *, device: str | torch.device = "cpu") -> MotionGenerator: ...

    def save(self, prefix: str | Path) -> None: ...

    def generate(self, inputs, config: GenerationConfig, progress: Progress | None = None) -> Generated: ...


def generate_any(model: MotionGenerator, inputs, config: GenerationConfig = GenerationConfig(),
                 progress: Progress | None = None) -> Generated:  # fmt: skip
    """``model.generate(inputs, config, progress)``, for callers that hold a bundle of any kind."""
    return model.generate(inputs, config, progress)


def at_generation_rate(keypoints: Keypoints2D) -> Keypoints2D:
    """``keypoints`` resampled to :data:`FPS` (unchanged when already there)."""
    return keypoints.resample(FPS) if abs(keypoints.fps - FPS) > 1e-6 else keypoints


def require_frames(num_frames: int) -> None:
    """One-line VimoError unless the (30 fps) keypoints have the 2 frames a motion needs."""
    if num_frames < 2:
        raise VimoError(f"keypoints have {num_frames} frame(s); at least 2 are needed")


def finish(vectors: torch.Tensor, *, smooth: float, foot_lock: bool, keypoints: Keypoints2D | None = None,
           trajectory: bool = False) -> Generated:  # fmt: skip
    """Sampled motion vectors (K, T, 151) metres, world frame, 30 fps -> the motions users get.

    1. smooth: root and 6D rotations Gaussian-smoothed in time (``smooth`` sigma in frames; 0: off);
    2. ground: the model never sees the floor, so the feet are put on y = 0 (:meth:`Motion.grounded`);
    3. trajectory (when ``trajectory``): the root's horizontal path re-derived from the planted feet
       (:func:`vimo.trajectory.world_trajectory`);
    4. foot-lock (when ``foot_lock``): feet pinned on their predicted contact runs; ``foot_skate`` records the
       toes' sliding speed before and after, on the predicted contacts;
    5. score: 2D fidelity of each motion against ``keypoints`` (resampled to 30 fps), the best one; without
       keypoints (dances) no fidelity and best = 0.
    """
    motions = [from_vector(v, fps=FPS).grounded() for v in smooth_vectors(vectors, smooth)]
    if trajectory:
        motions = [world_trajectory(m) for m in motions]
    skate = []
    if foot_lock:
        locked = [lock_feet(m) for m in motions]
        skate = [(foot_skating(m.joints(), m.contacts), foot_skating(lm.joints(), m.contacts))
                 for m, lm in zip(motions, locked)]  # fmt: skip
        motions = locked
    if keypoints is None:
        return Generated(motions, [], 0, skate)
    kp = at_generation_rate(keypoints).data
    fidelity = [reprojection_fidelity(motion_markers(m), kp) for m in motions]
    best = max(
        range(len(motions)),
        key=lambda i: (np.nan_to_num(fidelity[i].pck, nan=-1), -np.nan_to_num(fidelity[i].error, nan=1e9)),
    )
    return Generated(motions, fidelity, best, skate)
