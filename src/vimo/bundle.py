"""Model bundles on disk: ``PREFIX.safetensors`` (tensors only, no pickle: ``model.*`` weights and the motion
``normalizer.*``) + ``PREFIX.json`` (``kind``, the model config under ``model`` and any settings).

``kind`` says which model a bundle holds ("vimo": the diffusion model, "lifter": the MotionBERT-style
baseline, "dance": the music-to-dance model), so loading one as the other fails with a message instead of a
shape error, and :func:`load_generator` loads any bundle as the class its kind names (:data:`GENERATORS`;
every class is a :class:`vimo.generation.MotionGenerator`).
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from vimo.errors import VimoError
from vimo.representation import Normalizer

# kind -> "module:Class" of its MotionGenerator. Imported on use: the model modules sit above this one.
GENERATORS: dict[str, str] = {
    "vimo": "vimo.pipeline:ViMo",
    "lifter": "vimo.lifter:Lifter",
    "dance": "vimo.dance:DanceModel",
}


@dataclass
class BundleFiles:
    config: dict  # PREFIX.json
    model_state: dict[str, torch.Tensor]  # the model's state dict, on the requested device
    normalizer: Normalizer


def read_bundle(prefix: str | Path, kind: str, *, device: str | torch.device = "cpu") -> BundleFiles:
    """Read a bundle, checking that it holds a model of ``kind`` (bundles without a kind are "vimo")."""
    prefix = Path(prefix)
    cfg_path, w_path = prefix.with_suffix(".json"), prefix.with_suffix(".safetensors")
    if not cfg_path.exists() or not w_path.exists():
        raise VimoError(f"model weights not found: expected {cfg_path} and {w_path}")
    found = bundle_kind(prefix)  # a readable JSON object, or a one-line error naming the file
    cfg = json.loads(cfg_path.read_text())
    if found != kind:
        hint = f"; load it with {GENERATORS[found].replace(':', '.')}.load" if found in GENERATORS else ""
        raise VimoError(f"{cfg_path} holds a {found!r} model, expected {kind!r}{hint}")
    try:
        tensors = load_file(str(w_path), device=str(device))
    except Exception as exc:  # noqa: BLE001 - safetensors raises its own error types (and OSError)
        raise VimoError(f"{w_path}: not a readable safetensors file ({type(exc).__name__})") from None
    missing = [k for k in ("normalizer.mean", "normalizer.std") if k not in tensors]
    if missing:
        raise VimoError(f"{w_path}: not a model bundle (no {', '.join(missing)})")
    state = {k[6:]: v for k, v in tensors.items() if k.startswith("model.")}
    normalizer = Normalizer(tensors["normalizer.mean"].cpu(), tensors["normalizer.std"].cpu())
    return BundleFiles(cfg, state, normalizer)


def write_bundle(prefix: str | Path, kind: str, model: torch.nn.Module, normalizer: Normalizer, config: dict) -> None:
    """Write ``model``'s weights and ``normalizer`` to PREFIX.safetensors and ``{kind, **config}`` to PREFIX.json."""
    prefix = Path(prefix)
    prefix.parent.mkdir(parents=True, exist_ok=True)
    tensors = {f"model.{k}": v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    tensors.update({f"normalizer.{k}": v for k, v in normalizer.state_dict().items()})
    save_file(tensors, str(prefix.with_suffix(".safetensors")))
    prefix.with_suffix(".json").write_text(json.dumps({"kind": kind, **config}, indent=1))


def bundle_kind(prefix: str | Path) -> str:
    """The ``kind`` recorded in PREFIX.json ("vimo" when it names none, or when there is no PREFIX.json yet:
    reading the bundle then reports what is missing)."""
    cfg_path = Path(prefix).with_suffix(".json")
    if not cfg_path.exists():
        return "vimo"
    try:
        cfg = json.loads(cfg_path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise VimoError(f"{cfg_path}: not a readable bundle config ({exc})") from None
    except RecursionError:
        raise VimoError(f"{cfg_path}: not a readable bundle config (JSON nested too deeply)") from None
    kind = cfg.get("kind", "vimo") if isinstance(cfg, dict) else None
    if not isinstance(kind, str):
        raise VimoError(f"{cfg_path}: expected a JSON object with a string 'kind', got {kind!r}")
    return kind


def generator_class(kind: str, *, source: str | Path = "bundle") -> type:
    """The MotionGenerator class for ``kind`` (one-line VimoError naming ``source`` for an unknown kind)."""
    if kind not in GENERATORS:
        raise VimoError(f"{source}: unknown model kind {kind!r}; known kinds: {', '.join(GENERATORS)}")
    module, name = GENERATORS[kind].split(":")
    return getattr(importlib.import_module(module), name)


def load_generator(prefix: str | Path, *, device: str | torch.device = "cpu"):
    """Any bundle, as the MotionGenerator class its recorded kind names."""
    kind = bundle_kind(prefix)
    cls = generator_class(kind, source=Path(prefix).with_suffix(".json"))
    with loading(prefix, kind):
        return cls.load(prefix, device=device)


@contextmanager
def loading(prefix: str | Path, kind: str) -> Iterator[None]:
    """Around a bundle's ``load``: a config or weights of another shape (a KeyError, TypeError, ValueError or
    RuntimeError while the model is built) is a one-line VimoError naming PREFIX.json."""
    try:
        yield
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        if isinstance(exc, VimoError):
            raise
        source = Path(prefix).with_suffix(".json")
        raise VimoError(
            f"{source}: not a {kind!r} bundle this version can load ({type(exc).__name__}: {exc})"
        ) from None
