"""The optimiser and loop settings every training recipe shares, and the optimiser, warm-up and EMA they set up.

``OptimConfig`` is the base of ``TrainConfig`` (keypoint denoiser), ``BaselineConfig`` (MotionBERT lifter) and
``DanceConfig`` (music denoiser): a base class rather than a nested field, so a run's saved ``config.json``,
the CLI options and ``dataclasses.replace(cfg, lr=...)`` stay flat and runs saved before it load unchanged.
A recipe redeclares a field only to change its default.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch

from vimo.errors import VimoError

OPTIMIZERS = ("adamw", "adan")
ADAN_BETAS = (0.02, 0.08, 0.01)  # EDGE's
GRAD_CLIP_NORM = 1.0  # gradients are clipped to this norm before every step


@dataclass(frozen=True)
class OptimConfig:
    """What ``vimo.training.trainer.run_training`` reads: batch, optimiser, schedule, stopping, EMA, logging,
    validation, precision and seed."""

    batch_size: int = 32
    # AdamW at 1e-3, not the paper's Adan: on this task and budget Adan learned the 2D -> 3D mapping far more
    # slowly (150 regression steps: PA-MPJPE 134 mm with Adan at 1e-3, 115 mm with AdamW; MODEL_CARD.md).
    # "adan" (betas 0.02/0.08/0.01, EDGE's effective lr 4e-4) remains available.
    optimizer: str = "adamw"  # one of OPTIMIZERS
    lr: float = 1e-3  # after warm-up
    weight_decay: float = 0.02
    warmup_steps: int = 300  # linear warm-up of the learning rate from lr / warmup_steps
    max_steps: int = 1_000_000
    max_minutes: float | None = None  # stop after this much wall time (this invocation)
    ema_decay: float = 0.999  # of the EMA weights that validation and bundles use (0 during warm-up)
    checkpoint_minutes: float = 5.0
    log_every: int = 20  # steps
    val_every: int = 1000  # steps; 0 disables
    val_windows: int = 12  # per camera regime (dance: validation windows)
    bf16: bool = True  # bf16 autocast (CPU: 1.24 vs 1.63 s per step of 32 here; bench/bench_training.py)
    seed: int = 0  # every step's batch and noise are drawn from (seed, step)


# The learning rate after warm-up when a run names none, per optimiser: AdamW's is OptimConfig's default; Adan's
# is EDGE's effective rate.
DEFAULT_LR = {"adamw": OptimConfig.lr, "adan": 4e-4}


def default_lr(optimizer: str) -> float:
    """The learning rate a run with ``optimizer`` uses when none is given (one-line VimoError for an unknown one)."""
    if optimizer not in DEFAULT_LR:
        raise VimoError(f"unknown optimizer {optimizer!r}; choose one of {', '.join(DEFAULT_LR)}")
    return DEFAULT_LR[optimizer]


def lr_at(cfg, step: int) -> float:  # noqa: ANN001 - any config with lr and warmup_steps (OptimConfig, stylize's)
    """Linear warmup to cfg.lr over cfg.warmup_steps."""
    return cfg.lr * min(1.0, (step + 1) / max(1, cfg.warmup_steps))


def optimizer_and_ema(
    model: torch.nn.Module, cfg: OptimConfig
) -> tuple[torch.optim.Optimizer, dict[str, torch.Tensor]]:
    """cfg.optimizer (AdamW or Adan) with cfg.lr and cfg.weight_decay, and EMA weights starting at the model's."""
    params = [p for p in model.parameters() if p.requires_grad]  # frozen parts (adapters' bases) stay put
    if cfg.optimizer == "adan":
        from adan_pytorch import Adan

        optimizer = Adan(params, lr=cfg.lr, betas=ADAN_BETAS, weight_decay=cfg.weight_decay)
    elif cfg.optimizer == "adamw":
        optimizer = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    else:
        raise VimoError(f"unknown optimizer {cfg.optimizer!r}; choose one of {', '.join(OPTIMIZERS)}")
    ema = {k: v.detach().clone() for k, v in model.state_dict().items()}
    return optimizer, ema


def ema_update(ema: dict[str, torch.Tensor], model: torch.nn.Module, decay: float) -> None:
    """Move the EMA weights towards the model's by ``1 - decay`` (integer buffers are copied)."""
    with torch.no_grad():
        for k, v in model.state_dict().items():
            if v.dtype.is_floating_point:
                ema[k].lerp_(v, 1 - decay)
            else:
                ema[k].copy_(v)


def ema_model(model: torch.nn.Module, ema: dict[str, torch.Tensor]) -> torch.nn.Module:
    """A copy of ``model`` with the EMA weights, in eval mode."""
    m = copy.deepcopy(model)
    m.load_state_dict(ema)
    return m.eval()
