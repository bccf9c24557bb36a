"""Turn a training run into a shippable model bundle (EMA weights + normaliser + settings)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from vimo.conditioning import VARIANTS
from vimo.errors import VimoError
from vimo.models.denoiser import Denoiser, DenoiserConfig
from vimo.pipeline import ViMo
from vimo.representation import Normalizer
from vimo.training.checkpoint import load_checkpoint


def export_run(run_dir: Path, prefix: Path, *, guidance: float = 2.0) -> ViMo:
    """Write PREFIX.safetensors + PREFIX.json from RUN_DIR's checkpoint (EMA weights)."""
    ckpt = run_dir / "checkpoint.safetensors"
    if not ckpt.exists():
        raise VimoError(f"{run_dir}: no checkpoint.safetensors (is it a training run directory?)")
    cfg = json.loads((run_dir / "config.json").read_text())
    model = Denoiser(DenoiserConfig(**cfg["model"]))
    ema = {k: v.detach().clone() for k, v in model.state_dict().items()}
    meta = load_checkpoint(ckpt, model=model, ema=ema, optimizer=None)
    model.load_state_dict(ema)
    info = {
        "run": run_dir.name,
        "train_config": cfg["train"],
        "data_key": cfg.get("data_key"),
        **meta["state"],
    }
    log_path = run_dir / "log.csv"
    if log_path.exists():
        rows = list(csv.DictReader(log_path.open()))
        if rows:
            info["last_losses"] = {k: float(v) for k, v in rows[-1].items() if k not in ("step",)}
    variant = cfg["train"].get("conditioning", "default")
    vimo = ViMo(model.eval(), Normalizer.load(run_dir / "normalizer.safetensors"), VARIANTS[variant],
                guidance=guidance, info=info)  # fmt: skip
    vimo.save(prefix)
    return vimo
