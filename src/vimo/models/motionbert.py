"""The paper's baseline: a MotionBERT-style deterministic lifter (DSTformer + mesh-style regression head).

Input is the diffusion model's condition, (B, T, 54): 17 x (x, y, conf) normalised pose channels and 3
global-motion channels (:mod:`vimo.conditioning`). Output is the normalised motion vector (B, T, 151) of
:mod:`vimo.representation` (contacts, root, 24 x 6D), one regression per frame — no sampling.

Tokens, one per frame and joint (B, T, J, D):
    embed(x, y, conf of the joint) + joint embedding + temporal embedding + embed(the frame's 3 motion channels)
(the motion channels describe the whole frame, so their embedding is added to each of its joint tokens).
Each DST block runs two streams on the same tokens — spatial attention (across the J joints of a frame)
then temporal attention (across the frames of a joint), and temporal then spatial — and fuses them per
token with learned weights, a softmax over the two streams. Temporal attention ignores padded frames
(``pad`` (B, T) True), so padding never changes the output on real frames.
Head (MotionBERT's mesh regressor without SMPL shape): per token a tanh projection to ``rep`` features,
the frame's J tokens concatenated, then an MLP -> 151 numbers per frame. MotionBERT concatenates rather
than averages the joints, which keeps which-joint-is-where information that a mean would superpose.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn
from torch.nn import functional as F

from vimo.conditioning import CONDITION_DIM, NUM_KEYPOINTS
from vimo.representation import DIM as MOTION_DIM


@dataclass(frozen=True)
class DSTformerConfig:
    dim: int = 64  # token width D
    depth: int = 2  # DST blocks (each: two streams of spatial + temporal attention)
    heads: int = 4  # attention heads
    mlp_ratio: float = 2.0  # feed-forward width / D
    rep: int = 32  # per-joint features entering the head (MotionBERT's dim_rep)
    hidden: int = 512  # head MLP width
    max_frames: int = 150  # window length W (positions beyond it are not supported)
    num_joints: int = NUM_KEYPOINTS  # 17 COCO keypoints
    dropout: float = 0.0  # backbone residual/MLP dropout (MotionBERT's backbone uses none)
    head_dropout: float = 0.1  # before the head's output layer
    out_dim: int = MOTION_DIM  # 151
    cond_dim: int = CONDITION_DIM  # 54 = 17 x 3 pose + 3 motion channels

    def to_dict(self) -> dict:
        return asdict(self)


# A DSTformer has J = 17 tokens per frame where the denoiser has one, so per parameter it costs ~17x the
# compute: matching the denoiser's compute and matching its parameter count are different configs.
# Training step, batch 32 of 150 frames, 1 CPU thread, fp32 (bf16 autocast is slower here): small ~6 s,
# base ~6x that; the ViMo small denoiser ~2.4 s under the same load.
CONFIGS: dict[str, DSTformerConfig] = {
    # 0.64 M parameters; trainable on CPU (a step costs ~2.5x the small denoiser's).
    "small": DSTformerConfig(),
    # The parameter count of the ViMo small denoiser (3.8 M); for a GPU.
    "base": DSTformerConfig(dim=128, depth=4, heads=8, mlp_ratio=4.0, rep=64, hidden=512),
    # MotionBERT-lite's backbone (dim 256, depth 5, 8 heads, mlp ratio 4, dim_rep 512), mesh head width 1024.
    "lite": DSTformerConfig(dim=256, depth=5, heads=8, mlp_ratio=4.0, rep=512, hidden=1024),
    # For tests.
    "tiny": DSTformerConfig(dim=16, depth=1, heads=2, mlp_ratio=2.0, rep=8, hidden=32, head_dropout=0.0),
}


class AxisBlock(nn.Module):
    """Pre-norm transformer block (attention + MLP) along one axis of (B, T, J, D) tokens:
    ``spatial`` attends across joints within a frame, ``temporal`` across frames of one joint."""

    def __init__(self, cfg: DSTformerConfig, *, temporal: bool) -> None:
        super().__init__()
        d = cfg.dim
        self.temporal = temporal
        self.norm1, self.norm2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.heads = cfg.heads
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        hidden = int(d * cfg.mlp_ratio)
        self.mlp = nn.Sequential(nn.Linear(d, hidden), nn.GELU(), nn.Dropout(cfg.dropout), nn.Linear(hidden, d))
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, h: torch.Tensor, pad: torch.Tensor | None) -> torch.Tensor:
        b, t, j, d = h.shape
        if self.temporal:
            seq = h.transpose(1, 2).reshape(b * j, t, d)  # rows: (batch, joint)
            # (B*J, 1, 1, T) True where a key may be attended to
            mask = None if pad is None else ~pad.repeat_interleave(j, dim=0)[:, None, None, :]
        else:
            seq = h.reshape(b * t, j, d)  # rows: (batch, frame)
            mask = None
        seq = seq + self.drop(self._attention(self.norm1(seq), mask))
        seq = seq + self.drop(self.mlp(self.norm2(seq)))
        if self.temporal:
            return seq.reshape(b, j, t, d).transpose(1, 2)
        return seq.reshape(b, t, j, d)

    def _attention(self, y: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        n, length, d = y.shape
        q, k, v = self.qkv(y).view(n, length, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)  # (N, H, L, d / H)
        return self.proj(out.transpose(1, 2).reshape(n, length, d))


class StreamFusion(nn.Module):
    """Per-token convex combination of two streams; weights = softmax(Linear([a, b])). Starts at 1/2, 1/2."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.gate = nn.Linear(2 * dim, 2)
        nn.init.zeros_(self.gate.weight)
        nn.init.zeros_(self.gate.bias)

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """a, b (..., D) -> (fused (..., D), weights (..., 2))."""
        w = self.gate(torch.cat([a, b], dim=-1)).softmax(dim=-1)
        return w[..., :1] * a + w[..., 1:] * b, w


class DSTBlock(nn.Module):
    """Spatial->temporal and temporal->spatial streams on the same input, fused per token."""

    def __init__(self, cfg: DSTformerConfig) -> None:
        super().__init__()
        self.st = nn.ModuleList([AxisBlock(cfg, temporal=False), AxisBlock(cfg, temporal=True)])
        self.ts = nn.ModuleList([AxisBlock(cfg, temporal=True), AxisBlock(cfg, temporal=False)])
        self.fusion = StreamFusion(cfg.dim)

    def forward(self, h: torch.Tensor, pad: torch.Tensor | None) -> torch.Tensor:
        a, b = h, h
        for block in self.st:
            a = block(a, pad)
        for block in self.ts:
            b = block(b, pad)
        return self.fusion(a, b)[0]


class DSTformer(nn.Module):
    """condition (B, T, 54), pad (B, T) True on padded frames | None -> normalised motion (B, T, 151)."""

    def __init__(self, cfg: DSTformerConfig) -> None:
        super().__init__()
        self.cfg = cfg
        d = cfg.dim
        self.pose_channels = cfg.num_joints * 3
        self.joint_in = nn.Linear(3, d)
        self.motion_in = nn.Linear(cfg.cond_dim - self.pose_channels, d)
        self.joint_pos = nn.Parameter(torch.randn(cfg.num_joints, d) * 0.02)
        self.time_pos = nn.Parameter(torch.randn(cfg.max_frames, d) * 0.02)
        self.blocks = nn.ModuleList(DSTBlock(cfg) for _ in range(cfg.depth))
        self.norm = nn.LayerNorm(d)
        self.pre_logits = nn.Sequential(nn.Linear(d, cfg.rep), nn.Tanh())
        self.head = nn.Sequential(
            nn.Linear(cfg.num_joints * cfg.rep, cfg.hidden), nn.GELU(), nn.Dropout(cfg.head_dropout),
            nn.Linear(cfg.hidden, cfg.out_dim),
        )  # fmt: skip

    def forward(self, condition: torch.Tensor, pad: torch.Tensor | None = None) -> torch.Tensor:
        b, t, c = condition.shape
        if c != self.cfg.cond_dim:
            raise ValueError(f"condition must have {self.cfg.cond_dim} features, got {c}")
        if t > self.cfg.max_frames:
            raise ValueError(f"window of {t} frames exceeds the model's max_frames={self.cfg.max_frames}")
        if pad is not None and pad.shape != (b, t):
            raise ValueError(f"pad must be (B, T) = {(b, t)}, got {tuple(pad.shape)}")
        pose = condition[..., : self.pose_channels].reshape(b, t, self.cfg.num_joints, 3)
        motion = condition[..., self.pose_channels :]  # (B, T, 3)
        h = self.joint_in(pose) + self.joint_pos + self.time_pos[:t, None] + self.motion_in(motion)[:, :, None]
        for block in self.blocks:
            h = block(h, pad)  # (B, T, J, D)
        feats = self.pre_logits(self.norm(h)).flatten(2)  # (B, T, J * rep)
        return self.head(feats)
