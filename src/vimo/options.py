"""The named choices of ViMo's public functions and commands, as Enums.

They live apart from the modules that use them, in a module that imports nothing heavy, so the command line
can offer them (``vimo --help``, choice checking) without loading torch. Each is a ``str`` Enum: a member
equals its value (``ModelKind.VIMO == "vimo"``), so configs and reports that hold the plain strings stay valid.
"""

from __future__ import annotations

from enum import Enum


class ModelKind(str, Enum):
    """Which model turns 2D keypoints into motion."""

    VIMO = "vimo"  # the keypoint-conditioned diffusion model (vimo.pipeline)
    BASELINE = "baseline"  # the MotionBERT-style deterministic lifter (vimo.lifter)


class NpzLayout(str, Enum):
    """Key layouts of ``motion.npz`` (vimo.io.smpl_npz.CONVENTIONS)."""

    VIMO = "vimo"  # ours: joints, rotations, root_pos, contacts, fps, and SMPL poses/trans (metres, Y up)
    AMASS = "amass"  # AMASS: SMPL-H poses, trans (Z up), mocap_framerate
    AIST = "aist"  # AIST++: smpl_poses, smpl_trans, smpl_scaling (60 fps)


class BvhUnits(str, Enum):
    """Length units of a written BVH (vimo.io.bvh.BVH_UNITS)."""

    M = "m"  # metres: Blender's importer at its default scale
    CM = "cm"  # centimetres, for tools that expect them


class Regime(str, Enum):
    """Camera regimes of the casual-camera simulator (vimo.data.camera_sim)."""

    STATIC = "static"
    MOVING = "moving"
    MONTAGE = "montage"
    TRACKING = "tracking"


class Split(str, Enum):
    """The held-out splits of a window cache that the benchmarks draw from."""

    TEST = "test"
    VAL = "val"


class Optimizer(str, Enum):
    """Training optimisers (vimo.training.optim.OPTIMIZERS)."""

    ADAMW = "adamw"
    ADAN = "adan"


class ExportWeights(str, Enum):
    """Which weights of a training run a bundle gets."""

    EMA = "ema"  # the exponential moving average (what validation measures)
    RAW = "raw"  # the optimiser's current weights (short runs, where the EMA still lags)


class Engine(str, Enum):
    """Where `vimo dataset build` runs its stages."""

    LOCAL = "local"  # this process
    RAY = "ray"  # a Ray cluster (vimo.apps.dataset.engines.ray)


class StyleMethod(str, Enum):
    """How `vimo stylize` adapts the music-to-dance base (vimo.apps.stylize.METHODS)."""

    ZEROCONV = "zeroconv"  # frozen base + zero-initialised adapters
    FINETUNE = "finetune"  # all weights
