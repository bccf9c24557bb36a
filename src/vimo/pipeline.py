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

import numpy as np
import torch

from vimo.bundle import read_bundle, write_bundle
from vimo.conditioning import NormalizationConfig, normalize_keypoints
from vimo.data.markers import motion_markers
from vimo.diffusion.sampling import Constraint, sample
from vimo.diffusion.scheduler import DDIMScheduler
from vimo.errors import VimoError
from vimo.eval.fidelity import Fidelity, reprojection_fidelity
from vimo.eval.metrics import foot_skating
from vimo.keypoints import Keypoints2D
from vimo.models.denoiser import Denoiser, DenoiserConfig
from vimo.motion import Motion, facing_yaw
from vimo.postprocess import foot_lock
from vimo.representation import DIM, Normalizer, canonicalize_vectors, from_vector, split
from vimo.stitching import blend, fade_weights, window_starts, world_from_canonical

DEFAULT_WEIGHTS = Path(__file__).resolve().parents[2] / "weights" / "vimo-small"
FPS = 30.0


@dataclass
class ViMo:
    """A trained model bundle: denoiser, motion normaliser, condition settings, default guidance."""

    model: Denoiser
    normalizer: Normalizer
    norm_config: NormalizationConfig = field(default_factory=NormalizationConfig)
    guidance: float = 2.0
    info: dict = field(default_factory=dict)

    @classmethod
    def load(cls, prefix: str | Path = DEFAULT_WEIGHTS, *, device: str | torch.device = "cpu") -> ViMo:
        """Load ``PREFIX.json`` + ``PREFIX.safetensors`` (tensors only, no pickle)."""
        files = read_bundle(prefix, "vimo", device=device)
        cfg = files.config
        model = Denoiser(DenoiserConfig(**cfg["model"])).to(device)
        model.load_state_dict(files.model_state)
        model.eval()
        return cls(model, files.normalizer, NormalizationConfig(**cfg.get("conditioning", {})),
                   float(cfg.get("guidance", 2.0)), cfg.get("info", {}))  # fmt: skip

    def save(self, prefix: str | Path) -> None:
        cfg = {"model": self.model.cfg.to_dict(), "conditioning": asdict(self.norm_config),
               "guidance": self.guidance, "info": self.info}  # fmt: skip
        write_bundle(prefix, "vimo", self.model, self.normalizer, cfg)

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device


@dataclass(frozen=True)
class GenerationConfig:
    samples: int = 1  # K motions per input
    seed: int = 0
    guidance: float | None = None  # None: the bundle's validated default
    steps: int = 50  # DDIM steps
    overlap: int = 30  # frames shared by consecutive windows
    fade: int = 10  # last overlap frames cross-faded instead of constrained
    resample: int = 1  # RePaint-style repeats per step (completion)
    foot_lock: bool = True  # pin feet on their predicted contact frames (vimo.postprocess)


@dataclass
class Generated:
    motions: list[Motion]  # K motions, world frame (the first window's canonical frame), 30 fps
    fidelity: list[Fidelity]  # per motion, against the input keypoints
    best: int  # index of the motion that best explains the input (highest PCK, then lowest error)
    foot_skate: list[tuple[float, float]] = field(default_factory=list)  # per motion: (before, after) locking, m/s


@torch.no_grad()
def generate(vimo: ViMo, keypoints: Keypoints2D, config: GenerationConfig = GenerationConfig()) -> Generated:
    """K plausible motions for a 2D keypoint sequence of any length (resampled to 30 fps)."""
    if config.samples < 1:
        raise VimoError(f"--samples must be at least 1, got {config.samples}")
    kp = keypoints.resample(FPS) if abs(keypoints.fps - FPS) > 1e-6 else keypoints
    num_frames = kp.num_frames
    if num_frames < 2:
        raise VimoError(f"keypoints have {num_frames} frame(s); at least 2 are needed")
    device = vimo.device
    window = vimo.model.cfg.max_frames
    guidance = vimo.guidance if config.guidance is None else config.guidance
    cond_all = normalize_keypoints(torch.from_numpy(kp.data), vimo.norm_config).to(device)  # (T, 54)
    k = config.samples
    gen = torch.Generator(device=device).manual_seed(config.seed)
    scheduler = DDIMScheduler()
    out = torch.zeros(k, num_frames, DIM)
    starts = window_starts(num_frames, window, config.overlap)
    prev_end = 0
    for s in starts:
        length = min(window, num_frames - s)
        cond = torch.zeros(window, cond_all.shape[-1], device=device)
        cond[:length] = cond_all[s : s + length]
        pad = torch.zeros(k, window, dtype=torch.bool, device=device)
        pad[:, length:] = True
        enc = vimo.model.encode_condition(cond.expand(k, -1, -1), pad if length < window else None)
        null = vimo.model.null_condition(k, window, enc.pad)
        overlap = prev_end - s if s > 0 else 0
        constraint = None
        yaw = torch.zeros(k)
        origin = torch.zeros(k, 3)
        if overlap > 0:
            prev = out[:, s:prev_end]  # (K, ov, 151) world
            prev_parts = split(prev)
            yaw = facing_yaw(prev_parts.rotations[:, 0, 0])
            origin = prev_parts.root_position[:, 0]
            known = torch.zeros(k, window, DIM)
            known[:, :overlap] = canonicalize_vectors(prev)
            mask = torch.zeros(k, window, 1, dtype=torch.bool)
            mask[:, : max(0, overlap - config.fade)] = True
            constraint = Constraint(vimo.normalizer.encode(known).to(device), mask.to(device))
        z = sample(vimo.model, scheduler, (k, window, DIM), cond=enc, null=null, guidance=guidance,
                   steps=config.steps, generator=gen, constraint=constraint, resample=config.resample,
                   device=device)  # fmt: skip
        x = world_from_canonical(vimo.normalizer.decode(z.cpu().float())[:, :length], yaw, origin)
        if overlap > 0:
            x[:, :overlap] = blend(out[:, s:prev_end], x[:, :overlap], fade_weights(overlap, config.fade))
        out[:, s : s + length] = x
        prev_end = s + length

    motions = [from_vector(out[i], fps=FPS) for i in range(k)]
    skate = []
    if config.foot_lock:
        locked = [foot_lock(m) for m in motions]
        skate = [(foot_skating(m.joints(), m.contacts), foot_skating(lm.joints(), m.contacts))
                 for m, lm in zip(motions, locked)]  # fmt: skip
        motions = locked
    fidelity = [reprojection_fidelity(motion_markers(m), kp.data) for m in motions]
    best = max(
        range(k),
        key=lambda i: (np.nan_to_num(fidelity[i].pck, nan=-1), -np.nan_to_num(fidelity[i].error, nan=1e9)),
    )
    return Generated(motions, fidelity, best, skate)
