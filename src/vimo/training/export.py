"""Turn a training run into a shippable model bundle (EMA weights + normaliser + settings)."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

import torch
from safetensors.torch import load_file

from vimo.conditioning import VARIANTS, NormalizationConfig
from vimo.dance import DanceModel
from vimo.errors import VimoError
from vimo.lifter import Lifter
from vimo.models.denoiser import Denoiser, DenoiserConfig
from vimo.models.motionbert import DSTformer, DSTformerConfig
from vimo.pipeline import ViMo
from vimo.representation import Normalizer
from vimo.training.checkpoint import load_checkpoint
from vimo.training.dance import MUSIC_NORM


def export_run(run_dir: Path, prefix: Path, *, guidance: float = 2.0) -> ViMo:
    """Write PREFIX.safetensors + PREFIX.json from RUN_DIR's checkpoint (EMA weights)."""
    model, normalizer, norm_config, info = _load_run(run_dir, lambda cfg: Denoiser(DenoiserConfig(**cfg)))
    vimo = ViMo(model, normalizer, norm_config, guidance=guidance, info=info)
    vimo.save(prefix)
    return vimo


def export_baseline(run_dir: Path, prefix: Path, *, weights: str = "ema") -> Lifter:
    """Write PREFIX.safetensors + PREFIX.json (kind "lifter") from a baseline run's checkpoint: its EMA weights,
    or with ``weights="raw"`` the optimiser's current weights (for short runs, where the EMA still lags)."""
    model, normalizer, norm_config, info = _load_run(run_dir, lambda cfg: DSTformer(DSTformerConfig(**cfg)),
                                                     weights=weights)  # fmt: skip
    lifter = Lifter(model, normalizer, norm_config, info=info)
    lifter.save(prefix)
    return lifter


def export_dance(run_dir: str | Path, prefix: str | Path, *, guidance: float = 2.0) -> DanceModel:
    """A dance run's EMA weights -> PREFIX.safetensors + PREFIX.json (kind "dance")."""
    run_dir = Path(run_dir)
    if not (run_dir / MUSIC_NORM).exists():
        raise VimoError(f"{run_dir}: not a dance run (no {MUSIC_NORM})")
    model, normalizer, _, info = _load_run(run_dir, lambda cfg: Denoiser(DenoiserConfig(**cfg)))
    norm = load_file(str(run_dir / MUSIC_NORM))
    dance = DanceModel(model, normalizer, norm["mean"], norm["std"], guidance, info)
    dance.save(prefix)
    return dance


def _load_run(
    run_dir: Path, make_model: Callable[[dict], torch.nn.Module], *, weights: str = "ema"
) -> tuple[torch.nn.Module, Normalizer, NormalizationConfig, dict]:
    """A run's model with its EMA (or raw) weights (eval mode), normaliser, condition settings and a summary."""
    if weights not in ("ema", "raw"):
        raise VimoError(f"weights must be ema or raw, got {weights!r}")
    run_dir = Path(run_dir)
    ckpt = run_dir / "checkpoint.safetensors"
    if not ckpt.exists():
        raise VimoError(f"{run_dir}: no checkpoint.safetensors (is it a training run directory?)")
    cfg = json.loads((run_dir / "config.json").read_text())
    try:
        model = make_model(cfg["model"])
    except TypeError as err:  # a model config of another kind of run
        raise VimoError(
            f"{run_dir}: its model config does not fit this exporter ({err}); is it the right kind of run?"
        ) from err
    ema = {k: v.detach().clone() for k, v in model.state_dict().items()}
    meta = load_checkpoint(ckpt, model=model, ema=ema, optimizer=None)
    if weights == "ema":
        model.load_state_dict(ema)
    info = {
        "weights": weights,
        "run": run_dir.name,
        "train_config": cfg["train"],
        "data_key": cfg.get("data_key"),
        **meta["state"],
    }
    prior = cfg.get("init") or {"steps": 0, "samples": 0, "wall_seconds": 0.0}
    info["total_steps"] = prior["steps"] + info.get("step", 0)
    info["total_samples"] = prior["samples"] + info.get("samples", 0)
    info["total_wall_seconds"] = prior["wall_seconds"] + info.get("wall_seconds", 0.0)
    if cfg.get("init"):
        info["init"] = cfg["init"]
    log_path = run_dir / "log.csv"
    if log_path.exists():
        rows = list(csv.DictReader(log_path.open()))
        if rows:
            info["last_losses"] = {k: float(v) for k, v in rows[-1].items() if k not in ("step",)}
    variant = cfg["train"].get("conditioning", "default")
    normalizer = Normalizer.load(run_dir / "normalizer.safetensors")
    return model.eval(), normalizer, VARIANTS[variant], info
