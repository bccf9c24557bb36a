"""Keypoints -> condition -> sampling loop -> Motion, with seamless long-input stitching.

``ViMo`` bundles a trained denoiser with its normaliser and settings (``weights/vimo-small.*``).
``generate`` handles any length: windows of W frames overlapping by ``overlap`` frames; each window
after the first is sampled with its overlap constrained (inpainting, paper eq. 8) to the previous result
(expressed in the new window's canonical frame), the last ``fade`` overlap frames are cross-faded (root
lerp, rotation slerp), and the window is placed back in the world frame of the previous result.
Inputs shorter than W are padded and the padded frames masked.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import ClassVar

import torch

from vimo.bundle import read_bundle, write_bundle
from vimo.conditioning import NormalizationConfig, normalize_keypoints
from vimo.diffusion.sampling import Constraint, sample
from vimo.diffusion.scheduler import DDIMScheduler
from vimo.errors import VimoError
from vimo.generation import (
    FPS,
    Generated,
    GenerationConfig,
    Progress,
    at_generation_rate,
    finish,
    generate_any,
    require_frames,
)
from vimo.keypoints import Keypoints2D
from vimo.models.denoiser import Denoiser, DenoiserConfig
from vimo.motion import facing_yaw
from vimo.paths import VIMO_WEIGHTS
from vimo.postprocess import DEFAULT_SMOOTH
from vimo.representation import DIM, MotionParts, Normalizer, join, split
from vimo.reprojection import ReprojectionConfig, ReprojectionGuide
from vimo.stitching import blend, fade_weights, window_starts, world_from_canonical

DEFAULT_WEIGHTS = VIMO_WEIGHTS

# FPS, GenerationConfig and generate_any live in vimo.generation; importable from here until apps.dataset and
# eval.videos (being split) import them from there.
__all__ = ["DEFAULT_WEIGHTS", "FPS", "GenerationConfig", "Known", "ViMo", "generate", "generate_any", "harmonize",
           "sample_sequence"]  # fmt: skip


@dataclass
class ViMo:
    """A trained model bundle: denoiser, motion normaliser, condition settings, default guidance."""

    KIND: ClassVar[str] = "vimo"

    model: Denoiser
    normalizer: Normalizer
    norm_config: NormalizationConfig = field(default_factory=NormalizationConfig)
    guidance: float = 2.0
    info: dict = field(default_factory=dict)
    smooth: float = DEFAULT_SMOOTH  # Gaussian sigma (frames) applied to sampled motion (vimo.postprocess)
    reprojection: ReprojectionConfig = field(default_factory=ReprojectionConfig)  # 2D guidance while sampling

    @classmethod
    def load(cls, prefix: str | Path = DEFAULT_WEIGHTS, *, device: str | torch.device = "cpu") -> ViMo:
        """Load ``PREFIX.json`` + ``PREFIX.safetensors`` (tensors only, no pickle)."""
        files = read_bundle(prefix, cls.KIND, device=device)
        cfg = files.config
        model = Denoiser(DenoiserConfig(**cfg["model"])).to(device)
        model.load_state_dict(files.model_state)
        model.eval()
        return cls(model, files.normalizer, NormalizationConfig.from_dict(cfg.get("conditioning", {})),
                   float(cfg.get("guidance", 2.0)), cfg.get("info", {}), float(cfg.get("smooth", DEFAULT_SMOOTH)),
                   ReprojectionConfig(**cfg.get("reprojection", {})))  # fmt: skip

    def save(self, prefix: str | Path) -> None:
        cfg = {"model": self.model.cfg.to_dict(), "conditioning": self.norm_config.to_dict(),
               "guidance": self.guidance, "smooth": self.smooth, "reprojection": asdict(self.reprojection),
               "info": self.info}  # fmt: skip
        write_bundle(prefix, self.KIND, self.model, self.normalizer, cfg)

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    def condition(self, keypoints: Keypoints2D) -> torch.Tensor:
        """The network's condition (T, 54) for keypoints already at :data:`FPS`, on the model's device."""
        return normalize_keypoints(torch.from_numpy(keypoints.data), self.norm_config).to(self.device)

    @torch.no_grad()
    def generate(self, inputs: Keypoints2D, config: GenerationConfig = GenerationConfig(),
                 progress: Progress | None = None) -> Generated:  # fmt: skip
        """K plausible motions for a 2D keypoint sequence of any length (resampled to 30 fps); ``progress(done,
        total)`` counts the windows sampled."""
        if config.samples < 1:
            raise VimoError(f"--samples must be at least 1, got {config.samples}")
        kp = at_generation_rate(inputs)
        require_frames(kp.num_frames)
        vectors = sample_sequence(self.model, self.normalizer, self.condition(kp), kp.num_frames, config,
                                  default_guidance=self.guidance, progress=progress,
                                  reprojection=config.reprojection_config(self.reprojection))  # fmt: skip
        return finish(vectors, smooth=config.smoothing(self.smooth), foot_lock=config.foot_lock, keypoints=kp,
                      trajectory=config.trajectory)  # fmt: skip


def generate(vimo: ViMo, keypoints: Keypoints2D, config: GenerationConfig = GenerationConfig(),
             progress: Progress | None = None) -> Generated:  # fmt: skip
    """:meth:`ViMo.generate`, as a function."""
    return vimo.generate(keypoints, config, progress)


@dataclass
class Known:
    """Frames whose motion is given (completion): mask (T,) True where known; values (T, 151) world frame."""

    mask: torch.Tensor
    values: torch.Tensor


def _into_frame(x: torch.Tensor, yaw: torch.Tensor, origin: torch.Tensor) -> torch.Tensor:
    """Inverse of ``world_from_canonical``: (K, F, 151) world -> the frame with ``origin`` (K, 3) at x = z = 0
    and heading ``yaw`` (K,) along +Z."""
    parts = split(x)
    shifted = join(MotionParts(parts.contacts, parts.root_position - origin[:, None] * torch.tensor([1.0, 0.0, 1.0]),
                               parts.rotations))  # fmt: skip
    return world_from_canonical(shifted, -yaw, torch.zeros_like(origin))


def harmonize(x: torch.Tensor, known: torch.Tensor) -> torch.Tensor:
    """Meet known frames smoothly (replacement inpainting leaves steps at the edges of known runs).

    For each run of generated frames, its first frame should continue the known frames before it (their
    last value plus their last velocity) and its last frame should lead into the known frames after it;
    the misses at both ends are spread across the run with smoothstep weights, so the correction adds no
    velocity at either end. x: (K, W, 151) metres (6D re-orthonormalised on decoding); known: (W,) bool.
    """
    if known.all() or not known.any():
        return x
    out = x.clone()
    num = known.shape[0]
    gaps = torch.nonzero(~known)[:, 0]
    breaks = torch.nonzero(gaps[1:] != gaps[:-1] + 1)[:, 0]
    for run in torch.tensor_split(gaps, (breaks + 1).tolist()):
        lo, hi = int(run[0]), int(run[-1])
        n = hi - lo + 1
        p = torch.linspace(0.0, 1.0, n) if n > 1 else torch.full((1,), 0.5)
        s_right = (p * p * (3 - 2 * p))[None, :, None]
        if lo > 0:
            prev = x[:, lo - 1]
            velocity = prev - x[:, lo - 2] if lo >= 2 and known[lo - 2] else torch.zeros_like(prev)
            out[:, lo : hi + 1] += (1 - s_right) * (prev + velocity - x[:, lo])[:, None]
        if hi + 1 < num:
            nxt = x[:, hi + 1]
            velocity = x[:, hi + 2] - nxt if hi + 2 < num and known[hi + 2] else torch.zeros_like(nxt)
            out[:, lo : hi + 1] += s_right * (nxt - velocity - x[:, hi])[:, None]
    return out


@torch.no_grad()
def sample_sequence(
    denoiser: torch.nn.Module,
    normalizer: Normalizer,
    condition: torch.Tensor | None,
    num_frames: int,
    config: GenerationConfig,
    *,
    default_guidance: float,
    known: Known | None = None,
    progress: Progress | None = None,
    reprojection: ReprojectionConfig | None = None,
) -> torch.Tensor:
    """(K, T, 151) motion vectors in metres (world frame) for a condition (T, C) or None (unconditional).

    denoiser: a :class:`vimo.models.denoiser.Denoiser` (or an adapter with its interface: ``encode_condition``,
    ``null_condition``, ``cfg.max_frames`` = W); normalizer: its motion normaliser; the guidance weight is
    ``config.guidance``, else ``default_guidance`` (the bundle's). ``progress(done, total)`` is called after
    each window. ``reprojection``: guide every denoising step towards the condition's 2D keypoints
    (:mod:`vimo.reprojection`; None or strength 0: off).

    Windows overlap by ``config.overlap`` frames; in each window, the known frames (the previous window's
    overlap, minus the last ``fade`` frames, and any ``known`` frames) are inpainting constraints, expressed
    in the frame where the window's first known frame is canonical; known frames come back exactly.
    """
    device = next(denoiser.parameters()).device
    window = denoiser.cfg.max_frames
    guidance = config.guidance_weight(default_guidance)
    k = config.samples
    gen = torch.Generator(device=device).manual_seed(config.seed)
    scheduler = DDIMScheduler()
    out = torch.zeros(k, num_frames, DIM)
    starts = window_starts(num_frames, window, config.overlap)
    prev_end = 0
    for i, s in enumerate(starts):
        length = min(window, num_frames - s)
        pad = torch.zeros(k, window, dtype=torch.bool, device=device)
        pad[:, length:] = True
        pad_or_none = pad if length < window else None
        null = denoiser.null_condition(k, window, pad_or_none)
        enc, guide = None, None
        if condition is not None:
            cond = torch.zeros(window, condition.shape[-1], device=device)  # this window's condition (W, C)
            cond[:length] = condition[s : s + length]
            enc = denoiser.encode_condition(cond.expand(k, -1, -1), pad_or_none)
            if reprojection is not None and reprojection.strength > 0:
                guide = ReprojectionGuide(normalizer, cond.expand(k, -1, -1), reprojection)
        overlap = prev_end - s if s > 0 else 0
        mask = torch.zeros(window, dtype=torch.bool)
        values = torch.zeros(k, window, DIM)
        mask[: max(0, overlap - config.fade)] = True
        values[:, :overlap] = out[:, s:prev_end]
        if known is not None:
            kept = known.mask[s : s + length]
            mask[:length] |= kept
            values[:, :length][:, kept] = known.values[s : s + length][kept]
        constraint, yaw, origin = None, torch.zeros(k), torch.zeros(k, 3)
        if mask.any():
            ref = int(mask.nonzero()[0, 0])
            ref_parts = split(values[:, ref : ref + 1])
            yaw, origin = facing_yaw(ref_parts.rotations[:, 0, 0]), ref_parts.root_position[:, 0]
            local = _into_frame(values, yaw, origin)
            constraint = Constraint(normalizer.encode(local).to(device), mask.view(1, -1, 1).to(device))
        z = sample(denoiser, scheduler, (k, window, DIM), cond=enc, null=null, guidance=guidance,
                   steps=config.steps, generator=gen, constraint=constraint, resample=config.resample,
                   device=device, guide=guide)  # fmt: skip
        x = normalizer.decode(z.cpu().float())
        if constraint is not None:
            x = harmonize(x, mask)
        x = world_from_canonical(x[:, :length], yaw, origin)
        if overlap > 0:
            x[:, :overlap] = blend(out[:, s:prev_end], x[:, :overlap], fade_weights(overlap, config.fade))
        out[:, s : s + length] = x
        prev_end = s + length
        if progress is not None:
            progress(i + 1, len(starts))
    if known is not None:
        out[:, known.mask] = known.values[known.mask]
    return out
