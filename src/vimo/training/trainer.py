"""Training: ``fit(config, data_dir, out_dir)`` -> a run directory with checkpoints, logs and validation.

Run directory: ``config.json`` (train + model configs), ``normalizer.safetensors``,
``checkpoint.safetensors`` (+ ``.json``), ``log.csv``, ``val.csv``, ``tb/`` (TensorBoard).
Every step is seeded from (seed, step), so a resumed run continues exactly as an uninterrupted one.
"""

from __future__ import annotations

import csv
import json
import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from vimo.conditioning import VARIANTS
from vimo.data.camera_sim import Regime, random_regimes
from vimo.data.dataset import WindowCache
from vimo.diffusion.scheduler import DDIMScheduler
from vimo.errors import VimoError
from vimo.models.denoiser import CONFIGS, Denoiser, DenoiserConfig, speed_profile
from vimo.representation import Normalizer
from vimo.training.batches import simulate_condition
from vimo.training.checkpoint import load_checkpoint, save_checkpoint
from vimo.training.losses import LossWeights, diffusion_losses
from vimo.training.optim import GRAD_CLIP_NORM, OptimConfig, default_lr, ema_model, ema_update, lr_at, optimizer_and_ema
from vimo.training.validation import evaluate_windows

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainConfig(OptimConfig):
    """The keypoint denoiser's training (optimiser and loop settings: ``OptimConfig``)."""

    model: str = "small"  # key of vimo.models.denoiser.CONFIGS
    cond_drop: float = 0.25  # classifier-free guidance: probability of the null condition
    lift_weight: float = 1.0  # weight of the auxiliary lifter loss (models with a lift head)
    # FK compared in the body frame: with EDGE's world-frame FK (root trajectory and heading included, both
    # ambiguous without a camera) a per-frame lifter reached PA-MPJPE 114 mm in 300 steps, 84 mm in the body
    # frame (MODEL_CARD.md, "recipe").
    loss: LossWeights = field(default_factory=lambda: LossWeights(fk_frame="body"))
    val_steps: int = 20  # DDIM steps for the periodic validation (the model card uses 50)
    guidance: float = 2.0
    conditioning: str = "default"  # key of vimo.conditioning.VARIANTS (condition normalisation)
    # Speed augmentation: each training window is replayed at a rate drawn log-uniformly in [1/(1+a), 1+a]
    # (WindowCache.batch_rows_at_rates); 0 = off (every run before session 6).
    time_warp: float = 0.0

    @classmethod
    def from_dict(cls, d: dict) -> TrainConfig:
        d = dict(d)
        # Runs saved before these choices existed used Adan and world-frame FK.
        d.setdefault("optimizer", "adan")
        d["loss"] = LossWeights(**{"fk_frame": "world", **d["loss"]}) if "loss" in d else LossWeights(fk_frame="body")
        return cls(**d)


@dataclass
class TrainState:
    step: int = 0
    wall_seconds: float = 0.0
    samples: int = 0
    # Process CPU time of the training steps (all threads: CPU-hours, not wall hours), counted from step
    # ``cpu_since_step`` (runs checkpointed before this was recorded start counting when resumed).
    cpu_seconds: float = 0.0
    cpu_since_step: int | None = None


def training_step(
    model: Denoiser,
    optimizer: torch.optim.Optimizer,
    scheduler: DDIMScheduler,
    cache: WindowCache,
    cfg: TrainConfig,
    step: int,
) -> dict[str, float]:
    """One optimisation step, fully determined by (cfg.seed, step) and the current weights."""
    rng = np.random.default_rng([cfg.seed, step])
    gen = torch.Generator().manual_seed(int(rng.integers(2**62)))
    idx = torch.from_numpy(rng.integers(0, cache.num_windows("train"), cfg.batch_size))
    if cfg.time_warp > 0:
        bound = np.log1p(cfg.time_warp)
        rates = torch.from_numpy(np.exp(rng.uniform(-bound, bound, cfg.batch_size)))
        x_metres = cache.batch_rows_at_rates(cache.windows["train"][idx], rates)
    else:
        x_metres = cache.batch("train", idx)
    cond, _ = simulate_condition(
        x_metres, random_regimes(cfg.batch_size, rng), rng, norm_config=VARIANTS[cfg.conditioning]
    )
    return denoiser_update(model, optimizer, scheduler, cache.normalizer, cfg, step, cache.normalizer.encode(x_metres),
                           cond, rng, gen)  # fmt: skip


def denoiser_update(model: Denoiser, optimizer: torch.optim.Optimizer, scheduler: DDIMScheduler,
                    normalizer: Normalizer, cfg: Any, step: int, x0: torch.Tensor, cond: torch.Tensor,
                    rng: np.random.Generator, gen: torch.Generator) -> dict[str, float]:  # fmt: skip
    """The optimisation step shared by every condition (2D keypoints, music): noise x0 (B, W, 151) normalised
    at random timesteps, drop the condition (B, W, C) with probability cfg.cond_drop, predict x0, and step on
    the losses (plus the lift head's, when the model has one). Randomness from ``rng`` and ``gen`` only."""
    batch = x0.shape[0]
    t = torch.randint(1, scheduler.num_train_timesteps + 1, (batch,), generator=gen)
    x_t = scheduler.add_noise(x0, torch.randn(x0.shape, generator=gen), t)
    keep = torch.rand(batch, generator=gen) >= cfg.cond_drop

    for group in optimizer.param_groups:
        group["lr"] = lr_at(cfg, step)
    with torch.random.fork_rng():
        torch.manual_seed(int(rng.integers(2**62)))  # dropout
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=cfg.bf16):
            enc = model.encode_condition(cond)
            lifted = model.lift(enc) if model.cfg.lift_head else None
            speed = model.speed(enc) if getattr(model.cfg, "speed_head", False) and hasattr(model, "speed") else None
            enc = enc.select(keep, model.null_condition(batch, x0.shape[1]))
            pred = model(x_t, t, enc)
        terms = diffusion_losses(pred.float(), x0, normalizer, cfg.loss)
        if lifted is not None:
            lift = diffusion_losses(lifted.float(), x0, normalizer, cfg.loss).total
            terms.total = terms.total + getattr(cfg, "lift_weight", 1.0) * lift
        if speed is not None:
            speed_loss = torch.nn.functional.mse_loss(speed.float(), speed_profile(x0))
            terms.total = terms.total + getattr(cfg, "speed_weight", 1.0) * speed_loss
        out_weight = getattr(cfg, "output_speed_weight", 0.0)
        if out_weight and keep.any():
            # The timing of the prediction's speed-ups and dips (z-scored, so a prediction blurred by noise still
            # counts): what the plain x0 loss teaches only weakly, and what the beats are made of.
            sigma = getattr(cfg, "output_speed_sigma", 0.0)
            out_loss = torch.nn.functional.mse_loss(
                speed_profile(pred.float()[keep], sigma), speed_profile(x0[keep], sigma)
            )
            terms.total = terms.total + out_weight * out_loss
        optimizer.zero_grad(set_to_none=True)
        terms.total.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), GRAD_CLIP_NORM)
        optimizer.step()
    return terms.as_floats()


def build(cfg: TrainConfig, model_cfg: DenoiserConfig | None = None):
    model_cfg = model_cfg or CONFIGS[cfg.model]
    with torch.random.fork_rng():
        torch.manual_seed(cfg.seed)  # reproducible initialisation
        model = Denoiser(model_cfg)
    return model, *optimizer_and_ema(model, cfg)


@dataclass(frozen=True)
class Recipe:
    """What a training run needs to know about its model; ``run_training`` does the rest (run directory,
    resume, EMA, logging, periodic validation and checkpoints). ``cfg`` is the recipe's config dataclass, an
    ``OptimConfig``: the loop reads those fields."""

    config_from_dict: Callable[[dict], OptimConfig]  # the saved "train" dict -> cfg
    build: Callable[[OptimConfig, dict | None], tuple[torch.nn.Module, torch.optim.Optimizer, dict[str, torch.Tensor]]]
    # ^ (cfg, the saved model config or None for a new run) -> (model, optimizer, EMA weights); the model has .cfg
    step: Callable[[torch.nn.Module, torch.optim.Optimizer, WindowCache, Any, int], dict[str, float]]
    # ^ one optimisation step, fully determined by (cfg.seed, step) and the weights -> loss terms
    validate: Callable[[torch.nn.Module, WindowCache, Any], dict[str, dict[str, float]]]
    # ^ (EMA model, cache, cfg) -> {regime: metrics}


def fit(
    cfg: TrainConfig,
    data_dir: Path,
    out_dir: Path,
    *,
    resume: bool = False,
    init: Path | None = None,
    model_cfg: DenoiserConfig | None = None,
    on_step: Callable[[int, dict[str, float]], None] | None = None,
) -> TrainState:
    """Train (or resume) the denoiser into ``out_dir``. Returns the final state; checkpoints along the way.

    init: a shipped bundle prefix (e.g. weights/vimo-small) to continue training from: its weights start
    both the model and the EMA, the optimiser starts fresh (with warm-up), the bundle's normaliser is
    kept, and the bundle's training record is carried into this run's (see ``export``).
    """
    scheduler = DDIMScheduler()
    recipe = Recipe(
        config_from_dict=TrainConfig.from_dict,
        build=lambda c, saved: build(c, DenoiserConfig(**saved) if saved is not None else model_cfg),
        step=lambda model, optimizer, cache, c, step: training_step(model, optimizer, scheduler, cache, c, step),
        validate=_validate,
    )
    return run_training(recipe, cfg, data_dir, out_dir, resume=resume, init=init, on_step=on_step)


def run_training(
    recipe: Recipe,
    cfg: OptimConfig,
    data_dir: Path,
    out_dir: Path,
    *,
    resume: bool = False,
    init: Path | None = None,
    on_step: Callable[[int, dict[str, float]], None] | None = None,
) -> TrainState:
    """The training loop shared by every model: train (or resume) into ``out_dir``."""
    cache = WindowCache.load(data_dir)
    if cache.num_windows("train") == 0:
        raise VimoError(f"{data_dir}: the cache has no training windows")
    out_dir.mkdir(parents=True, exist_ok=True)
    ckpt = out_dir / "checkpoint.safetensors"
    if ckpt.exists() and not resume:
        raise VimoError(f"{out_dir} already holds a run; pass --resume to continue it or choose another --out")
    model, optimizer, ema = recipe.build(cfg, None)
    state = TrainState(cpu_since_step=0)
    if resume and ckpt.exists():
        saved = json.loads((out_dir / "config.json").read_text())
        cfg = recipe.config_from_dict({**saved["train"], **_overrides(cfg)})
        model, optimizer, ema = recipe.build(cfg, saved["model"])
        meta = load_checkpoint(ckpt, model=model, ema=ema, optimizer=optimizer)
        state = TrainState(**meta["state"])
        if state.cpu_since_step is None:
            state.cpu_since_step = state.step
        _truncate_log(out_dir / "log.csv", state.step)  # rows logged after the checkpoint would repeat
        log.info("resumed %s at step %d", out_dir, state.step)
    else:
        prior = None
        normalizer_src = data_dir / "normalizer.safetensors"
        if init is not None:
            prior = _init_from_bundle(Path(init), model, ema, out_dir)
            cfg = replace(cfg, seed=cfg.seed + prior["steps"])  # fresh batches, not a replay of the first run
            normalizer_src = None
        (out_dir / "config.json").write_text(
            json.dumps({"train": asdict(cfg), "model": model.cfg.to_dict(), "data": str(data_dir),
                        "data_key": cache.meta["cache_key"], "init": prior}, indent=1)
        )  # fmt: skip
        if normalizer_src is not None:
            shutil.copy(normalizer_src, out_dir / "normalizer.safetensors")

    writer = _tensorboard(out_dir)
    log_path = out_dir / "log.csv"
    started = time.time()
    last_ckpt = time.time()
    model.train()
    try:
        while state.step < cfg.max_steps:
            if cfg.max_minutes is not None and time.time() - started > cfg.max_minutes * 60:
                break
            t0, c0 = time.time(), time.process_time()
            losses = recipe.step(model, optimizer, cache, cfg, state.step)
            ema_update(ema, model, cfg.ema_decay if state.step > cfg.warmup_steps else 0.0)
            state.step += 1
            state.samples += cfg.batch_size
            state.wall_seconds += time.time() - t0
            state.cpu_seconds += time.process_time() - c0
            if state.step % cfg.log_every == 0:
                row = {
                    "step": state.step,
                    "wall_s": round(state.wall_seconds, 1),
                    "lr": lr_at(cfg, state.step),
                    **losses,
                }
                _append_csv(log_path, row)
                if writer is not None:
                    for k, v in losses.items():
                        writer.add_scalar(f"loss/{k}", v, state.step)
            if on_step is not None:
                on_step(state.step, losses)
            if cfg.val_every and state.step % cfg.val_every == 0:
                _validate_and_log(recipe, model, ema, cache, cfg, state, out_dir, writer)
            if time.time() - last_ckpt > cfg.checkpoint_minutes * 60:
                _save(ckpt, model, ema, optimizer, state, cfg)
                last_ckpt = time.time()
    finally:
        _save(ckpt, model, ema, optimizer, state, cfg)
        if writer is not None:
            writer.close()
    return state


def _init_from_bundle(prefix: Path, model: torch.nn.Module, ema: dict[str, torch.Tensor], out_dir: Path) -> dict:
    """Load a bundle's weights into model and EMA, write its normaliser into the run; its training record."""
    from safetensors.torch import load_file

    from vimo.representation import Normalizer

    cfg_path, w_path = prefix.with_suffix(".json"), prefix.with_suffix(".safetensors")
    if not cfg_path.exists() or not w_path.exists():
        raise VimoError(f"--init {prefix}: expected {cfg_path} and {w_path}")
    bundle = json.loads(cfg_path.read_text())
    if bundle["model"] != model.cfg.to_dict():
        raise VimoError(f"--init {prefix}: its model config differs from this run's ({bundle['model']})")
    tensors = load_file(str(w_path))
    model.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model.")})
    for k, v in model.state_dict().items():
        ema[k].copy_(v)
    Normalizer(tensors["normalizer.mean"], tensors["normalizer.std"]).save(out_dir / "normalizer.safetensors")
    info = bundle.get("info", {})
    return {
        "from": str(prefix),
        "steps": int(info.get("total_steps", info.get("step", 0))),
        "samples": int(info.get("total_samples", info.get("samples", 0))),
        "wall_seconds": float(info.get("total_wall_seconds", info.get("wall_seconds", 0.0))),
    }


def _truncate_log(path: Path, step: int) -> None:
    if not path.exists():
        return
    with path.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    if not rows or int(rows[-1]["step"]) <= step:
        return
    keep = [r for r in rows if int(r["step"]) <= step]
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(keep)


def _overrides(cfg) -> dict:
    """On resume, the run's saved config wins except for how long/how often to run."""
    keep = ("max_steps", "max_minutes", "checkpoint_minutes", "log_every", "val_every", "bf16")
    return {k: getattr(cfg, k) for k in keep}


def _save(path: Path, model, ema, optimizer, state: TrainState, cfg) -> None:
    save_checkpoint(path, model=model, ema=ema, optimizer=optimizer, meta={"state": asdict(state)})
    log.info("checkpoint at step %d", state.step)


def _append_csv(path: Path, row: dict) -> None:
    """Append scalar fields; a file that exists keeps its columns (runs resumed after metrics were added)."""
    row = {k: v for k, v in row.items() if not isinstance(v, (list, tuple, dict))}
    new = not path.exists()
    fields = list(row)
    if not new:
        with path.open(newline="") as fh:
            fields = next(csv.reader(fh), fields)
    with path.open("a", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields, extrasaction="ignore")
        if new:
            w.writeheader()
        w.writerow(row)


def _tensorboard(out_dir: Path):
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:  # tensorboard is optional
        return None
    return SummaryWriter(str(out_dir / "tb"))


def _validate(model: Denoiser, cache: WindowCache, cfg: TrainConfig) -> dict[str, dict[str, float]]:
    return evaluate_windows(
        model, cache, split="val", per_regime=cfg.val_windows, steps=cfg.val_steps, guidance=cfg.guidance,
        seed=1234, norm_config=VARIANTS[cfg.conditioning],
    )  # fmt: skip


def _validate_and_log(recipe: Recipe, model, ema, cache, cfg, state: TrainState, out_dir: Path, writer) -> None:
    results = recipe.validate(ema_model(model, ema), cache, cfg)
    for regime, metrics in results.items():
        _append_csv(out_dir / "val.csv", {"step": state.step, "regime": regime, **metrics})
        if writer is not None:
            for k, v in metrics.items():
                if isinstance(v, (int, float)):
                    writer.add_scalar(f"val_{regime}/{k}", v, state.step)
    log.info("validation at step %d: %s", state.step, results)


__all__ = [
    "TrainConfig", "fit", "build", "training_step", "ema_model", "Recipe", "run_training", "Regime", "default_lr",
]  # fmt: skip
