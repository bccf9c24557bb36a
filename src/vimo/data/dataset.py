"""Reading the prepared window cache (see :mod:`vimo.data.prepare`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors.torch import load_file

from vimo.data.prepare import window_tensor
from vimo.errors import VimoError
from vimo.representation import Normalizer, canonicalize_vectors, join, split


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

    def sequence_lengths(self) -> torch.Tensor:
        """Frames of each sequence (S,)."""
        ends = torch.cat([self.seq_start[1:], torch.tensor([len(self.vectors)])])
        return ends - self.seq_start

    def batch_rows_at_rates(self, rows: torch.Tensor, rates: torch.Tensor) -> torch.Tensor:
        """Canonicalised windows (B, W, 151) replayed at ``rates`` (B,) times the captured speed: rate r covers
        round(W * r) captured frames from the row's start (moved back where the sequence would end first; a
        sequence shorter than that span is played whole) resampled to W frames. Root positions and 6D
        rotations are interpolated linearly between neighbouring frames (the 6D decoding re-orthonormalises),
        contacts are rounded. Rate 1 is :meth:`batch_rows`."""
        w = self.window
        lengths = self.sequence_lengths()[rows[:, 0]]
        span = torch.minimum(torch.round(w * rates.double()).long().clamp_min(2), lengths)
        start = torch.minimum(rows[:, 1], lengths - span)
        ramp = torch.linspace(0, 1, w, dtype=torch.float64)
        return self.batch_at_times(rows[:, 0], start[:, None] + ramp[None] * (span[:, None] - 1))

    def batch_at_times(self, sequences: torch.Tensor, times: torch.Tensor) -> torch.Tensor:
        """Canonicalised windows (B, T, 151) sampled at fractional frame ``times`` (B, T) of ``sequences`` (B,)
        (0 = a sequence's first frame; clamped to the sequence). Root positions and 6D rotations are
        interpolated linearly between neighbouring frames (the 6D decoding re-orthonormalises), contacts are
        rounded. Retimed windows: :func:`vimo.training.dance.retime_pairs`."""
        lengths = self.sequence_lengths()[sequences]
        pos = torch.minimum(times.double().clamp_min(0), (lengths - 1)[:, None].double())
        first = self.seq_start[sequences][:, None]
        lo = pos.floor().long()
        hi = torch.minimum(lo + 1, (lengths - 1)[:, None])
        frac = (pos - lo).float()[..., None]
        x = torch.lerp(self.vectors[first + lo], self.vectors[first + hi], frac)
        parts = split(x)
        x = join(type(parts)(parts.contacts.round(), parts.root_position, parts.rotations))
        return canonicalize_vectors(x)
