"""The ViMo denoiser: a transformer over frame tokens that predicts the clean motion x0.

Condition encoder (run once per sample, reused at every denoising step): per-frame MLP over the
normalised keypoint features + a small temporal transformer -> pose tokens (B, W, D) and a pooled
pose feature (B, D). Decoder layer: self-attention -> FiLM(time + pooled pose) -> cross-attention to
the pose tokens -> FiLM -> feed-forward -> FiLM. A learned null condition replaces the pose tokens
and pooled feature for classifier-free guidance.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
from torch import nn

from vimo.conditioning import CONDITION_DIM
from vimo.representation import DIM as MOTION_DIM


@dataclass(frozen=True)
class DenoiserConfig:
    width: int = 192  # token width D
    layers: int = 4  # decoder layers
    heads: int = 4  # attention heads
    ff: int = 512  # feed-forward hidden width
    cond_layers: int = 2  # temporal transformer layers in the condition encoder
    max_frames: int = 150  # window length W (positions beyond it are not supported)
    dropout: float = 0.1
    motion_dim: int = MOTION_DIM  # 151
    cond_dim: int = CONDITION_DIM  # 54
    # Add each frame's pose token to that frame's motion token at the input (zero-initialised), so the decoder
    # sees its own frame's 2D pose without first having to find it by cross-attention.
    frame_inject: bool = False
    # A linear head on the pose tokens that regresses the motion directly; its loss is added in training
    # (deep supervision: the condition encoder becomes a lifter within minutes, and the decoder, which sees
    # the pose tokens, starts from a 3D estimate instead of having to discover the 2D -> 3D mapping).
    lift_head: bool = False
    # Kernel of a temporal convolution replacing the per-frame MLP at the start of the condition encoder
    # (0: the MLP). 2D -> 3D lifting is mostly local in time; see MODEL_CARD.md, "encoder".
    cond_conv: int = 0
    # A linear head on the condition tokens that predicts the motion's per-frame speed profile (z-scored over the
    # window); its loss is added in training. For music, where dips in speed mark the beats, it makes the tokens
    # carry beat timing, which the decoder then sees frame by frame (frame_inject). See MODEL_CARD.md, "dance".
    speed_head: bool = False

    def to_dict(self) -> dict:
        return asdict(self)


CONFIGS: dict[str, DenoiserConfig] = {
    # Trains on 2 CPU cores; the shipped model.
    "small": DenoiserConfig(frame_inject=True, lift_head=True, cond_conv=9),
    # Session 2's model (weights/vimo-small from 2026-11-24 session 2 until session 3).
    "small-v2": DenoiserConfig(frame_inject=True, lift_head=True),
    # The first shipped model's architecture (weights/vimo-small until 2026-11-24, session 2).
    "small-v1": DenoiserConfig(),
    # EDGE-sized, for GPU users.
    "paper": DenoiserConfig(
        width=512,
        layers=8,
        heads=8,
        ff=1024,
        cond_layers=2,
        dropout=0.1,
        frame_inject=True,
        lift_head=True,
        cond_conv=9,
    ),
    # For tests.
    "tiny": DenoiserConfig(width=32, layers=1, heads=2, ff=64, cond_layers=1, dropout=0.0),
}


def sinusoidal(positions: torch.Tensor, dim: int) -> torch.Tensor:
    """(...,) positions or timesteps -> (..., dim) sinusoidal features."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, device=positions.device) / half)
    args = positions.float()[..., None] * freqs
    return torch.cat([args.sin(), args.cos()], dim=-1)


class FiLM(nn.Module):
    """h * (1 + scale) + shift, with (scale, shift) from a conditioning vector; starts as identity."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.proj = nn.Sequential(nn.SiLU(), nn.Linear(width, 2 * width))
        nn.init.zeros_(self.proj[1].weight)
        nn.init.zeros_(self.proj[1].bias)

    def forward(self, h: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        scale, shift = self.proj(cond).unsqueeze(1).chunk(2, dim=-1)
        return h * (1 + scale) + shift


class DecoderLayer(nn.Module):
    def __init__(self, cfg: DenoiserConfig) -> None:
        super().__init__()
        d = cfg.width
        self.norm1, self.norm2, self.norm3 = nn.LayerNorm(d), nn.LayerNorm(d), nn.LayerNorm(d)
        self.self_attn = nn.MultiheadAttention(d, cfg.heads, dropout=cfg.dropout, batch_first=True)
        self.cross_attn = nn.MultiheadAttention(d, cfg.heads, dropout=cfg.dropout, batch_first=True)
        self.ff = nn.Sequential(nn.Linear(d, cfg.ff), nn.GELU(), nn.Dropout(cfg.dropout), nn.Linear(cfg.ff, d))
        self.film1, self.film2, self.film3 = FiLM(d), FiLM(d), FiLM(d)
        self.drop = nn.Dropout(cfg.dropout)

    def forward(
        self,
        x: torch.Tensor,
        film: torch.Tensor,
        tokens: torch.Tensor,
        pad: torch.Tensor | None,
        memory: tuple[torch.Tensor, torch.Tensor] | None = None,
    ) -> torch.Tensor:
        h = self.norm1(x)
        if memory is None:
            attended = self.self_attn(h, h, h, key_padding_mask=pad, need_weights=False)[0]
        else:  # inference: scaled_dot_product_attention beats the native MHA path here (~8 % a step)
            attn = self.self_attn
            q, k, v = _heads(attn, attn.in_proj_weight, attn.in_proj_bias, h, 0, 1, 2)
            attended = self._sdpa(attn, q, (k, v), pad)
        x = x + self.drop(self.film1(attended, film))
        h = self.norm2(x)
        if memory is None:
            crossed = self.cross_attn(h, tokens, tokens, key_padding_mask=pad, need_weights=False)[0]
        else:
            crossed = self._attend(self.cross_attn, h, memory, pad)
        x = x + self.drop(self.film2(crossed, film))
        return x + self.drop(self.film3(self.ff(self.norm3(x)), film))

    def memory(self, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The cross-attention keys and values of the pose tokens, (B, heads, W, D / heads) each: they do not
        change between denoising steps, so sampling computes them once per window."""
        attn = self.cross_attn
        return _heads(attn, attn.in_proj_weight, attn.in_proj_bias, tokens, 1, 2)

    @staticmethod
    def _attend(
        attn: nn.MultiheadAttention, h: torch.Tensor, kv: tuple[torch.Tensor, torch.Tensor], pad: torch.Tensor | None
    ) -> torch.Tensor:
        """``attn(h, ., .)`` from its keys and values (inference: no attention dropout)."""
        (q,) = _heads(attn, attn.in_proj_weight, attn.in_proj_bias, h, 0)
        return DecoderLayer._sdpa(attn, q, kv, pad)

    @staticmethod
    def _sdpa(
        attn: nn.MultiheadAttention, q: torch.Tensor, kv: tuple[torch.Tensor, torch.Tensor], pad: torch.Tensor | None
    ) -> torch.Tensor:
        keep = None if pad is None else ~pad[:, None, None, :]
        out = nn.functional.scaled_dot_product_attention(q, kv[0], kv[1], attn_mask=keep)
        return attn.out_proj(out.transpose(1, 2).flatten(-2))


def _heads(attn: nn.MultiheadAttention, weight, bias, h: torch.Tensor, *parts: int) -> tuple[torch.Tensor, ...]:
    """The query (0), key (1) and/or value (2) projections of h (B, W, D) by ``attn``'s packed input projection,
    split into heads: (B, heads, W, D / heads) each."""
    d, heads = attn.embed_dim, attn.num_heads
    if parts == (0, 1, 2):  # one matmul for all three
        qkv = nn.functional.linear(h, weight, bias).unflatten(-1, (3, heads, d // heads)).permute(2, 0, 3, 1, 4)
        return tuple(qkv.unbind(0))
    return tuple(
        nn.functional.linear(h, weight[i * d : (i + 1) * d], bias[i * d : (i + 1) * d])
        .unflatten(-1, (heads, d // heads))
        .transpose(1, 2)
        for i in parts
    )


@dataclass
class EncodedCondition:
    """The condition encoder's output, computed once per sample and reused at every step."""

    tokens: torch.Tensor  # (B, W, D) pose tokens
    pooled: torch.Tensor  # (B, D)
    pad: torch.Tensor | None  # (B, W) True where the frame is padding
    # Step-invariant work, filled by Denoiser.prepare for sampling: the frame-injection term (B, W, D) and
    # each decoder layer's cross-attention keys and values.
    inject: torch.Tensor | None = None
    memory: tuple[tuple[torch.Tensor, torch.Tensor], ...] | None = None

    def select(self, keep: torch.Tensor, null: EncodedCondition) -> EncodedCondition:
        """Per sample: self where keep (B,) is True, else ``null``."""
        k = keep.view(-1, 1, 1)
        return EncodedCondition(
            torch.where(k, self.tokens, null.tokens), torch.where(k[:, 0], self.pooled, null.pooled), self.pad
        )

    def cat(self, other: EncodedCondition) -> EncodedCondition:
        pad = None if self.pad is None else torch.cat([self.pad, other.pad], 0)
        inject = memory = None
        if self.inject is not None and other.inject is not None:
            inject = torch.cat([self.inject, other.inject])
        if self.memory is not None and other.memory is not None:
            pairs = zip(self.memory, other.memory)
            memory = tuple((torch.cat([a[0], b[0]]), torch.cat([a[1], b[1]])) for a, b in pairs)
        return EncodedCondition(
            torch.cat([self.tokens, other.tokens]), torch.cat([self.pooled, other.pooled]), pad, inject, memory
        )


class Denoiser(nn.Module):
    """D(x_t, t, c) -> x0. Shapes: x_t (B, W, 151) normalised; t (B,) int; condition (B, W, 54)."""

    def __init__(self, cfg: DenoiserConfig) -> None:
        super().__init__()
        self.cfg = cfg
        d = cfg.width
        if cfg.cond_conv:
            k = cfg.cond_conv
            self.cond_in = nn.Sequential(
                nn.Conv1d(cfg.cond_dim, 256, 1), nn.GELU(), nn.Conv1d(256, 256, k, padding=k // 2), nn.GELU(),
                nn.Conv1d(256, d, 1),
            )  # fmt: skip
        else:
            self.cond_in = nn.Sequential(nn.Linear(cfg.cond_dim, d), nn.SiLU(), nn.Linear(d, d))
        layer = nn.TransformerEncoderLayer(
            d, cfg.heads, cfg.ff, cfg.dropout, activation="gelu", batch_first=True, norm_first=True
        )
        self.cond_encoder = nn.TransformerEncoder(layer, cfg.cond_layers, enable_nested_tensor=False)
        self.null_tokens = nn.Parameter(torch.randn(1, cfg.max_frames, d) * 0.02)
        self.null_pooled = nn.Parameter(torch.randn(1, d) * 0.02)
        self.time_mlp = nn.Sequential(nn.Linear(d, d), nn.SiLU(), nn.Linear(d, d))
        self.pooled_mlp = nn.Sequential(nn.Linear(d, d), nn.SiLU(), nn.Linear(d, d))
        self.motion_in = nn.Linear(cfg.motion_dim, d)
        if cfg.frame_inject:
            self.frame_inject = nn.Linear(d, d)
            nn.init.zeros_(self.frame_inject.weight)
            nn.init.zeros_(self.frame_inject.bias)
        if cfg.lift_head:
            self.lift_head = nn.Linear(d, cfg.motion_dim)
        if cfg.speed_head:
            self.speed_head = nn.Linear(d, 1)
        self.layers = nn.ModuleList(DecoderLayer(cfg) for _ in range(cfg.layers))
        self.norm_out = nn.LayerNorm(d)
        self.motion_out = nn.Linear(d, cfg.motion_dim)
        self.register_buffer("positions", sinusoidal(torch.arange(cfg.max_frames), d), persistent=False)

    def encode_condition(self, condition: torch.Tensor, pad: torch.Tensor | None = None) -> EncodedCondition:
        """condition (B, W, 54), pad (B, W) True on padded frames -> pose tokens and pooled feature."""
        width = condition.shape[1]
        if self.cfg.cond_conv:
            if pad is not None:  # padded frames must not leak into their neighbours through the convolution
                condition = condition.masked_fill(pad.unsqueeze(-1), 0.0)
            h = self.cond_in(condition.transpose(1, 2)).transpose(1, 2)
        else:
            h = self.cond_in(condition)
        h = h + self.positions[:width]
        h = self.cond_encoder(h, src_key_padding_mask=pad)
        if pad is None:
            pooled = h.mean(1)
        else:
            keep = (~pad).unsqueeze(-1).to(h.dtype)
            pooled = (h * keep).sum(1) / keep.sum(1).clamp_min(1)
        return EncodedCondition(h, pooled, pad)

    def lift(self, cond: EncodedCondition) -> torch.Tensor:
        """The auxiliary lifter's direct estimate of the normalised motion (B, W, 151) from the pose tokens."""
        return self.lift_head(cond.tokens)

    def speed(self, cond: EncodedCondition) -> torch.Tensor:
        """The auxiliary head's estimate (B, W) of the motion's z-scored speed profile (:func:`speed_profile`)."""
        return self.speed_head(cond.tokens)[..., 0]

    def null_condition(self, batch: int, width: int, pad: torch.Tensor | None = None) -> EncodedCondition:
        return EncodedCondition(
            self.null_tokens[:, :width].expand(batch, -1, -1), self.null_pooled.expand(batch, -1), pad
        )

    def prepare(self, cond: EncodedCondition) -> EncodedCondition:
        """``cond`` with its step-invariant work done once (frame injection, cross-attention keys and values):
        sampling calls the network 50-100 times with the same condition. Same outputs as the unprepared
        condition, to float rounding (test); for inference (the cached attention has no dropout)."""
        if cond.memory is not None:
            return cond
        inject = self.frame_inject(cond.tokens) if self.cfg.frame_inject else None
        memory = tuple(layer.memory(cond.tokens) for layer in self.layers)
        return EncodedCondition(cond.tokens, cond.pooled, cond.pad, inject, memory)

    def forward(self, x_t: torch.Tensor, t: torch.Tensor, cond: EncodedCondition) -> torch.Tensor:
        width = x_t.shape[1]
        if width > self.cfg.max_frames:
            raise ValueError(f"window of {width} frames exceeds the model's max_frames={self.cfg.max_frames}")
        film = self.time_mlp(sinusoidal(t, self.cfg.width)) + self.pooled_mlp(cond.pooled)
        h = self.motion_in(x_t) + self.positions[:width]
        if self.cfg.frame_inject:
            h = h + (self.frame_inject(cond.tokens) if cond.inject is None else cond.inject)
        cached = cond.memory is not None and not self.training
        for i, layer in enumerate(self.layers):
            h = layer(h, film, cond.tokens, cond.pad, cond.memory[i] if cached else None)
        return self.motion_out(self.norm_out(h))


def speed_profile(x0: torch.Tensor, sigma: float = 0.0) -> torch.Tensor:
    """(B, W, 151) normalised motion -> (B, W) how fast it changes per frame (norm of the frame-to-frame change of
    root and rotations; the last frame repeats), z-scored over each window: the timing of speed-ups and dips,
    not their size. With sigma > 0 the motion is first smoothed in time by a Gaussian of ``sigma`` frames (edges
    replicated), so the profile is that of the movement a viewer sees: frame-to-frame jitter cannot shape it.
    (Smoothing the speed instead, as a first try did, let a model shape the profile by modulating its jitter.)"""
    x = x0[..., 4:]
    if sigma > 0:
        radius = max(1, round(3 * sigma))
        k = torch.exp(-(torch.arange(-radius, radius + 1, dtype=x.dtype, device=x.device) ** 2) / (2 * sigma**2))
        flat = x.transpose(1, 2).reshape(-1, 1, x.shape[1])  # (B * C, 1, W)
        padded = torch.nn.functional.pad(flat, (radius, radius), mode="replicate")
        x = torch.nn.functional.conv1d(padded, (k / k.sum()).view(1, 1, -1)).view(x.shape[0], x.shape[2], -1)
        x = x.transpose(1, 2)
    speed = (x[:, 1:] - x[:, :-1]).norm(dim=-1)
    speed = torch.cat([speed, speed[:, -1:]], dim=1)
    return (speed - speed.mean(1, keepdim=True)) / (speed.std(1, keepdim=True) + 1e-3)
