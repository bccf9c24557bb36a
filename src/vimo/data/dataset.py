"""Reading the prepared window cache (see :mod:`vimo.data.prepare`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors.torch import load_file

from vimo.data.prepare import window_tensor
from vimo.errors import VimoError
from vimo.representation import Normalizer, canonicalize_vectors


@dataclass
class WindowCache:
    vectors: torch.Tensor  # (N_frames, 151)
    seq_start: torch.Tensor  # (S,)
    windows: dict[str, torch.Tensor]  # split -> (N, 2) rows of (sequence, start)
    normalizer: Normalizer
    meta: dict
    window: int

    @classmethod
    def load(cls, path: str | Path) -> WindowCache:
        path = Path(path)
        if not (path / "meta.json").exists():
            raise VimoError(f"{path}: not a prepared cache (no meta.json); run `vimo data prepare SRC -o {path}`")
        meta = json.loads((path / "meta.json").read_text())
        seqs = load_file(str(path / "sequences.safetensors"))
        return cls(
            vectors=seqs["vectors"],
            seq_start=seqs["seq_start"],
            windows=load_file(str(path / "windows.safetensors")),
            normalizer=Normalizer.load(path / "normalizer.safetensors"),
            meta=meta,
            window=int(meta["config"]["window"]),
        )

    def num_windows(self, split: str) -> int:
        return int(self.windows[split].shape[0])

    def batch(self, split: str, index: torch.Tensor) -> torch.Tensor:
        """Canonicalised windows (B, W, 151) in metres/6D (not normalised) for rows ``index`` of a split."""
        return self.batch_rows(self.windows[split][index])

    def batch_rows(self, rows: torch.Tensor) -> torch.Tensor:
        """Canonicalised windows (B, W, 151) for (sequence, start) rows (B, 2)."""
        return canonicalize_vectors(window_tensor(self.vectors, self.seq_start, rows, self.window))
