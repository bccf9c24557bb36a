"""Keypoints -> Motion with the MotionBERT-style baseline: one deterministic answer, any input length.

``Lifter`` bundles a trained DSTformer (:mod:`vimo.models.motionbert`) with its motion normaliser and condition
settings (``PREFIX.json`` + ``PREFIX.safetensors``, kind "lifter"; see :mod:`vimo.bundle`).
``lift`` resamples to 30 fps and cuts the input into windows of W frames overlapping by ``overlap`` frames
(:func:`vimo.stitching.window_starts`); all windows are regressed independently (batched), an input shorter
than W is padded and the padding masked. Each window's output is canonicalised (its frame 0 at x = z = 0
facing +Z), then turned about Y and shifted so that the middle frame of its overlap has the heading and
horizontal pelvis position of the result so far, and the whole overlap is cross-faded (root lerp, rotation
slerp). The result is in the first window's canonical frame, like :meth:`vimo.pipeline.ViMo.generate`'s, and
goes through the same post-processing (:func:`vimo.generation.finish`, without smoothing unless asked).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import torch

from vimo.bundle import read_bundle, write_bundle
from vimo.conditioning import NormalizationConfig, normalize_keypoints
from vimo.errors import VimoError
from vimo.generation import FPS, Generated, GenerationConfig, Progress, at_generation_rate, finish, require_frames
from vimo.keypoints import Keypoints2D
from vimo.models.motionbert import DSTformer, DSTformerConfig
from vimo.motion import Motion
from vimo.representation import DIM, Normalizer, canonicalize_vectors, from_vector, split
from vimo.stitching import align_to, blend, fade_weights, window_starts

# The baseline's outputs are not smoothed unless asked (GenerationConfig.smooth): it regresses, no sampler noise.
LIFTER_SMOOTH = 0.0


@dataclass
class Lifter:
    """A trained baseline bundle: lifter network, motion normaliser, condition settings."""

    KIND: ClassVar[str] = "lifter"

    model: DSTformer
    normalizer: Normalizer
    norm_config: NormalizationConfig = field(default_factory=NormalizationConfig)
    info: dict = field(default_factory=dict)

    @classmethod
    def load(cls, prefix: str | Path, *, device: str | torch.device = "cpu") -> Lifter:
        """Load ``PREFIX.json`` + ``PREFIX.safetensors`` (tensors only, no pickle)."""
        files = read_bundle(prefix, cls.KIND, device=device)
        cfg = files.config
        model = DSTformer(DSTformerConfig(**cfg["model"])).to(device)
        model.load_state_dict(files.model_state)
        return cls(model.eval(), files.normalizer, NormalizationConfig.from_dict(cfg.get("conditioning", {})),
                   cfg.get("info", {}))  # fmt: skip

    def save(self, prefix: str | Path) -> None:
        cfg = {"model": self.model.cfg.to_dict(), "conditioning": self.norm_config.to_dict(), "info": self.info}
        write_bundle(prefix, self.KIND, self.model, self.normalizer, cfg)

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    @torch.no_grad()
    def predict(self, condition: torch.Tensor, pad: torch.Tensor | None = None) -> torch.Tensor:
        """Conditions (B, W, 54), pad (B, W) True on padded frames -> motion windows (B, W, 151) in metres/6D
        (on the CPU), each in (approximately) its own canonical frame."""
        self.model.eval()
        device = self.device
        z = self.model(condition.to(device), None if pad is None else pad.to(device))
        return self.normalizer.decode(z.float().cpu())

    def generate(self, inputs: Keypoints2D, config: GenerationConfig = GenerationConfig(),
                 progress: Progress | None = None) -> Generated:  # fmt: skip
        """The baseline's one deterministic answer, post-processed and scored like ViMo's samples (so that every
        output path takes either model). ``config``: samples must be 1; smoothing and foot locking apply
        (smoothing off by default); guidance, steps and seed do not. ``progress`` is called once, at the end."""
        if config.samples != 1:
            raise VimoError("the baseline is deterministic: it gives one answer (--samples 1)")
        kp = at_generation_rate(inputs)
        vectors = lift_vectors(self, kp)[None]
        if progress is not None:
            progress(1, 1)
        return finish(vectors, smooth=config.smoothing(LIFTER_SMOOTH), foot_lock=config.foot_lock, keypoints=kp,
                      trajectory=config.trajectory)  # fmt: skip


@dataclass(frozen=True)
class LiftConfig:
    overlap: int = 30  # frames shared by consecutive windows, all cross-faded
    batch: int = 8  # windows per forward pass


def lift(lifter: Lifter, keypoints: Keypoints2D, config: LiftConfig = LiftConfig()) -> Motion:
    """The baseline's motion for a 2D keypoint sequence of any length, at 30 fps (not post-processed)."""
    return from_vector(lift_vectors(lifter, keypoints, config), fps=FPS)


@torch.no_grad()
def lift_vectors(lifter: Lifter, keypoints: Keypoints2D, config: LiftConfig = LiftConfig()) -> torch.Tensor:
    """The baseline's motion vectors (T, 151) metres, 30 fps, in the first window's canonical frame."""
    kp = at_generation_rate(keypoints)
    num_frames = kp.num_frames
    require_frames(num_frames)
    window = lifter.model.cfg.max_frames
    if not 0 <= config.overlap < window:
        raise VimoError(f"overlap must be in [0, {window}) frames, got {config.overlap}")
    cond_all = normalize_keypoints(torch.from_numpy(kp.data), lifter.norm_config)  # (T, 54)
    starts = window_starts(num_frames, window, config.overlap)
    lengths = [min(window, num_frames - s) for s in starts]
    cond = torch.zeros(len(starts), window, cond_all.shape[-1])
    pad = torch.ones(len(starts), window, dtype=torch.bool)
    for i, (s, length) in enumerate(zip(starts, lengths)):
        cond[i, :length] = cond_all[s : s + length]
        pad[i, :length] = False
    windows = []
    for b in range(0, len(starts), config.batch):
        p = pad[b : b + config.batch]
        windows.append(lifter.predict(cond[b : b + config.batch], p if bool(p.any()) else None))
    x = canonicalize_vectors(torch.cat(windows))  # (N, W, 151), each window canonical on its frame 0

    out = torch.zeros(1, num_frames, DIM)
    prev_end = 0
    for i, (s, length) in enumerate(zip(starts, lengths)):
        xi = x[i : i + 1, :length]
        overlap = prev_end - s
        if overlap > 0:
            anchor = overlap // 2
            ref = split(out[:, s + anchor])
            xi = align_to(xi, anchor, ref.rotations[:, 0], ref.root_position)
            xi[:, :overlap] = blend(out[:, s:prev_end], xi[:, :overlap], fade_weights(overlap, overlap))
        out[:, s : s + length] = xi
        prev_end = s + length
    return out[0]
