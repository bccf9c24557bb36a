"""Training the MotionBERT-style baseline lifter (SPEC section 3) on the same data, with the same camera
simulator and the same loop as the diffusion model (:func:`vimo.training.trainer.run_training`: run directory
``config.json`` / ``normalizer.safetensors`` / ``checkpoint.safetensors`` / ``log.csv`` / ``val.csv``, EMA, Adan,
warmup, checkpoints by wall time, exact resume).

Per step, seeded from (seed, step): B cached windows, each filmed by a random casual-camera regime ->
conditions (B, W, 54); the lifter regresses the normalised motion vector (B, W, 151) in one pass. Loss: the
diffusion model's terms (:func:`vimo.training.losses.diffusion_losses`) on that prediction — MSE on normalised
vectors, velocity, FK joint positions in metres; the foot-contact term is off by default (MotionBERT has
none). With probability ``short_prob`` a window is cut to a random length (>= ``min_frames``) and the rest
padded and masked, as inputs shorter than a window are at inference.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from vimo.conditioning import VARIANTS
from vimo.data.camera_sim import random_regimes
from vimo.data.dataset import WindowCache
from vimo.models.motionbert import CONFIGS, DSTformer, DSTformerConfig
from vimo.training.batches import simulate_condition
from vimo.training.losses import LossWeights, diffusion_losses
from vimo.training.optim import GRAD_CLIP_NORM, OptimConfig, lr_at, optimizer_and_ema
from vimo.training.trainer import Recipe, TrainState, run_training
from vimo.training.validation import evaluate_predictor


@dataclass(frozen=True)
class BaselineConfig(OptimConfig):
    """The baseline lifter's training (optimiser and loop settings: ``OptimConfig``; AdamW at 1e-3 and FK in
    the body frame, as the diffusion model since session 3, MODEL_CARD.md "recipe")."""

    model: str = "small"  # key of vimo.models.motionbert.CONFIGS
    # EDGE's weights for simple, velocity and FK (FK in metres here, as for the denoiser) and no foot term
    # (MotionBERT has none). Not the denoiser's 20x FK: a regressor's FK error is dominated by the root
    # trajectory that 2D leaves ambiguous, and on a toy set that weight stalled learning (tests/training).
    loss: LossWeights = field(
        default_factory=lambda: LossWeights(simple=0.636, velocity=2.964, fk=0.646, foot=0.0, fk_frame="body")
    )
    short_prob: float = 0.1  # probability that a training window is cut short (padded + masked)
    min_frames: int = 30  # shortest cut window
    conditioning: str = "default"  # key of vimo.conditioning.VARIANTS (condition normalisation)
    bf16: bool = False  # bf16 autocast; on CPUs without bf16 units it is slower than fp32 for this model

    @classmethod
    def from_dict(cls, d: dict) -> BaselineConfig:
        d = dict(d)
        d.setdefault("optimizer", "adan")  # runs saved before the choice existed used Adan at 4e-4
        d["loss"] = LossWeights(**{"fk_frame": "world", **d.get("loss", {})})
        return cls(**d)


def build_baseline(cfg: BaselineConfig, model_cfg: DSTformerConfig | None = None):
    """(lifter, optimiser, EMA weights), the lifter initialised from cfg.seed."""
    with torch.random.fork_rng():
        torch.manual_seed(cfg.seed)  # reproducible initialisation
        model = DSTformer(model_cfg or CONFIGS[cfg.model])
    return model, *optimizer_and_ema(model, cfg)


def random_padding(batch: int, frames: int, prob: float, min_frames: int, rng: np.random.Generator) -> torch.Tensor:
    """(B, W) True on padded frames: with probability ``prob`` a window keeps only its first
    ``min_frames..W-1`` frames."""
    short = rng.random(batch) < prob
    cut = rng.integers(max(1, min(min_frames, frames - 1)), frames, batch)  # in [min_frames, W - 1]
    lengths = np.where(short, cut, frames)
    return torch.arange(frames)[None, :] >= torch.from_numpy(lengths)[:, None]


def baseline_step(
    model: DSTformer, optimizer: torch.optim.Optimizer, cache: WindowCache, cfg: BaselineConfig, step: int
) -> dict[str, float]:
    """One optimisation step, fully determined by (cfg.seed, step) and the current weights."""
    rng = np.random.default_rng([cfg.seed, step])
    idx = torch.from_numpy(rng.integers(0, cache.num_windows("train"), cfg.batch_size))
    x_metres = cache.batch("train", idx)
    cond, _ = simulate_condition(
        x_metres, random_regimes(cfg.batch_size, rng), rng, norm_config=VARIANTS[cfg.conditioning]
    )
    target = cache.normalizer.encode(x_metres)
    pad = random_padding(cfg.batch_size, x_metres.shape[1], cfg.short_prob, cfg.min_frames, rng)
    cond = cond.masked_fill(pad[..., None], 0.0)  # padded frames look as they do at inference
    pad_or_none = pad if bool(pad.any()) else None

    for group in optimizer.param_groups:
        group["lr"] = lr_at(cfg, step)
    with torch.random.fork_rng():
        torch.manual_seed(int(rng.integers(2**62)))  # dropout
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=cfg.bf16):
            pred = model(cond, pad_or_none)
        valid = None if pad_or_none is None else ~pad
        terms = diffusion_losses(pred.float(), target, cache.normalizer, cfg.loss, valid)
        optimizer.zero_grad(set_to_none=True)
        terms.total.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), GRAD_CLIP_NORM)
        optimizer.step()
    return terms.as_floats()


def validate_baseline(model: DSTformer, cache: WindowCache, cfg: BaselineConfig) -> dict[str, dict[str, float]]:
    """Per camera regime accuracy on the validation split (the same windows and cameras as the denoiser's)."""

    def predict(cond: torch.Tensor, _gen: torch.Generator) -> torch.Tensor:
        return cache.normalizer.decode(model(cond).float())

    model.eval()
    return evaluate_predictor(predict, cache, split="val", per_regime=cfg.val_windows, seed=1234,
                              norm_config=VARIANTS[cfg.conditioning])  # fmt: skip


def fit_baseline(
    cfg: BaselineConfig,
    data_dir: Path,
    out_dir: Path,
    *,
    resume: bool = False,
    model_cfg: DSTformerConfig | None = None,
    on_step: Callable[[int, dict[str, float]], None] | None = None,
) -> TrainState:
    """Train (or resume) the baseline lifter into ``out_dir``. Returns the final state; checkpoints along the way."""
    recipe = Recipe(
        config_from_dict=BaselineConfig.from_dict,
        build=lambda c, saved: build_baseline(c, DSTformerConfig(**saved) if saved is not None else model_cfg),
        step=baseline_step,
        validate=validate_baseline,
    )
    return run_training(recipe, cfg, Path(data_dir), Path(out_dir), resume=resume, on_step=on_step)
