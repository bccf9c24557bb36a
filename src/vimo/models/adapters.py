"""Zero-convolution adapters (ControlNet-style) for few-shot stylisation of a trained denoiser.

The base denoiser is frozen. A trainable copy of its decoder layers runs beside it on the same input; after
each layer, the copy's hidden state enters the frozen stream through a zero-initialised linear layer (the
1D analogue of ControlNet's zero convolutions). Before any training the adapter's output is the base
model's, exactly; training moves only the copy and the zero layers, so the base cannot be forgotten by
construction (only overridden where the style data push it).
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from vimo.models.denoiser import Denoiser, EncodedCondition, sinusoidal


class ZeroConvDenoiser(nn.Module):
    """Same interface as :class:`Denoiser` (``cfg``, ``encode_condition``, ``null_condition``, ``forward``)."""

    def __init__(self, base: Denoiser) -> None:
        super().__init__()
        self.base = base
        for p in self.base.parameters():
            p.requires_grad_(False)
        self.cfg = base.cfg
        d = base.cfg.width
        self.copy_layers = copy.deepcopy(base.layers)
        for p in self.copy_layers.parameters():
            p.requires_grad_(True)
        self.zero = nn.ModuleList(nn.Linear(d, d) for _ in base.layers)
        for z in self.zero:
            nn.init.zeros_(z.weight)
            nn.init.zeros_(z.bias)

    def train(self, mode: bool = True) -> ZeroConvDenoiser:
        super().train(mode)
        self.base.eval()  # the frozen base keeps its inference behaviour (no dropout)
        return self

    def encode_condition(self, condition: torch.Tensor, pad: torch.Tensor | None = None) -> EncodedCondition:
        return self.base.encode_condition(condition, pad)

    def null_condition(self, batch: int, width: int, pad: torch.Tensor | None = None) -> EncodedCondition:
        return self.base.null_condition(batch, width, pad)

    def forward(self, x_t: torch.Tensor, t: torch.Tensor, cond: EncodedCondition) -> torch.Tensor:
        base = self.base
        width = x_t.shape[1]
        if width > self.cfg.max_frames:
            raise ValueError(f"window of {width} frames exceeds the model's max_frames={self.cfg.max_frames}")
        film = base.time_mlp(sinusoidal(t, self.cfg.width)) + base.pooled_mlp(cond.pooled)
        h = base.motion_in(x_t) + base.positions[:width]
        if self.cfg.frame_inject:
            h = h + base.frame_inject(cond.tokens)
        side = h
        for layer, twin, zero in zip(base.layers, self.copy_layers, self.zero):
            side = twin(side, film, cond.tokens, cond.pad)
            h = layer(h, film, cond.tokens, cond.pad) + zero(side)
        return base.motion_out(base.norm_out(h))


def trainable_parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
