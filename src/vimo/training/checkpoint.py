"""Checkpoints as safetensors (+ a JSON sidecar): model, EMA, optimiser state and step. No pickle."""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from vimo.io.atomic import atomic_open, atomic_path


def _atomic_save(tensors: dict[str, torch.Tensor], meta: dict, path: Path) -> None:
    """The tensors, then the sidecar, each through a temp file that no interruption leaves behind."""
    with atomic_path(path) as tmp:
        save_file({k: v.contiguous() for k, v in tensors.items()}, str(tmp))
    with atomic_open(path.with_suffix(".json")) as fh:
        fh.write(json.dumps(meta, indent=1))


def save_checkpoint(
    path: Path,
    *,
    model: torch.nn.Module,
    ema: dict[str, torch.Tensor],
    optimizer: torch.optim.Optimizer,
    meta: dict,
) -> None:
    tensors = {f"model.{k}": v for k, v in model.state_dict().items()}
    tensors.update({f"ema.{k}": v for k, v in ema.items()})
    opt_state = optimizer.state_dict()
    scalars: dict[str, dict[str, float | int]] = {}
    for idx, state in opt_state["state"].items():
        for key, value in state.items():
            if torch.is_tensor(value):
                tensors[f"opt.{idx}.{key}"] = value
            else:
                scalars.setdefault(str(idx), {})[key] = value
    groups = [{k: v for k, v in g.items() if k != "restart_cond"} for g in opt_state["param_groups"]]
    _atomic_save(tensors, {**meta, "opt_scalars": scalars, "opt_groups": groups}, path)


def load_checkpoint(
    path: Path,
    *,
    model: torch.nn.Module,
    ema: dict[str, torch.Tensor],
    optimizer: torch.optim.Optimizer | None,
) -> dict:
    tensors = load_file(str(path))
    meta = json.loads(path.with_suffix(".json").read_text())
    model.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model.")})
    for k in ema:
        ema[k].copy_(tensors[f"ema.{k}"])
    if optimizer is not None:
        state: dict[int, dict] = {}
        for key, value in tensors.items():
            if key.startswith("opt."):
                _, idx, name = key.split(".", 2)
                state.setdefault(int(idx), {})[name] = value
        for idx, scalars in meta["opt_scalars"].items():
            state.setdefault(int(idx), {}).update(scalars)
        groups = optimizer.state_dict()["param_groups"]
        for g, saved in zip(groups, meta["opt_groups"]):
            g.update(
                {
                    k: (tuple(v) if isinstance(v, list) and k == "betas" else v)
                    for k, v in saved.items()
                    if k != "params"
                }
            )
        optimizer.load_state_dict({"state": state, "param_groups": groups})
    return meta
