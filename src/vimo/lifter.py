"""Keypoints -> Motion with the MotionBERT-style baseline: one deterministic answer, any input length.

``Lifter`` bundles a trained DSTformer (:mod:`vimo.models.motionbert`) with its motion normaliser and condition
settings (``PREFIX.json`` + ``PREFIX.safetensors``, kind "lifter"; see :mod:`vimo.bundle`).
``lift`` resamples to 30 fps and cuts the input into windows of W frames overlapping by ``overlap`` frames
(:func:`vimo.stitching.window_starts`); all windows are regressed independently (batched), an input shorter
than W is padded and the padding masked. Each window's output is canonicalised (its frame 0 at x = z = 0
facing +Z), then turned about Y and shifted so that the middle frame of its overlap has the heading and
horizontal pelvis position of the result so far, and the whole overlap is cross-faded (root lerp, rotation
slerp). The result is in the first window's canonical frame, like :func:`vimo.pipeline.generate`'s.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch

from vimo.bundle import read_bundle, write_bundle
from vimo.conditioning import NormalizationConfig, normalize_keypoints
from vimo.errors import VimoError
from vimo.keypoints import Keypoints2D
from vimo.models.motionbert import DSTformer, DSTformerConfig
from vimo.motion import Motion
from vimo.pipeline import FPS, Generated, finish
from vimo.representation import DIM, Normalizer, canonicalize_vectors, from_vector, split
from vimo.stitching import align_to, blend, fade_weights, window_starts

KIND = "lifter"


@dataclass
class Lifter:
    """A trained baseline bundle: lifter network, motion normaliser, condition settings."""

    model: DSTformer
    normalizer: Normalizer
    norm_config: NormalizationConfig = field(default_factory=NormalizationConfig)
    info: dict = field(default_factory=dict)

    @classmethod
    def load(cls, prefix: str | Path, *, device: str | torch.device = "cpu") -> Lifter:
        """Load ``PREFIX.json`` + ``PREFIX.safetensors`` (tensors only, no pickle)."""
        files = read_bundle(prefix, KIND, device=device)
        cfg = files.config
        model = DSTformer(DSTformerConfig(**cfg["model"])).to(device)
        model.load_state_dict(files.model_state)
        return cls(model.eval(), files.normalizer, NormalizationConfig(**cfg.get("conditioning", {})),
                   cfg.get("info", {}))  # fmt: skip

    def save(self, prefix: str | Path) -> None:
        cfg = {"model": self.model.cfg.to_dict(), "conditioning": asdict(self.norm_config), "info": self.info}
        write_bundle(prefix, KIND, self.model, self.normalizer, cfg)

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


@dataclass(frozen=True)
class LiftConfig:
    overlap: int = 30  # frames shared by consecutive windows, all cross-faded
    batch: int = 8  # windows per forward pass


@torch.no_grad()
def lift(lifter: Lifter, keypoints: Keypoints2D, config: LiftConfig = LiftConfig()) -> Motion:
    """The baseline's motion for a 2D keypoint sequence of any length, at 30 fps."""
    kp = keypoints.resample(FPS) if abs(keypoints.fps - FPS) > 1e-6 else keypoints
    num_frames = kp.num_frames
    if num_frames < 2:
        raise VimoError(f"keypoints have {num_frames} frame(s); at least 2 are needed")
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
    return from_vector(out[0], fps=FPS)


def lift_generated(lifter: Lifter, keypoints: Keypoints2D, *, foot_lock: bool = True) -> Generated:
    """The baseline's answer as :func:`vimo.pipeline.generate`'s result (one sample, grounded, feet locked
    when asked, its 2D fidelity), so that every output path (files, previews, reports) takes either model."""
    kp = keypoints.resample(FPS) if abs(keypoints.fps - FPS) > 1e-6 else keypoints
    return finish([lift(lifter, kp).grounded()], kp, foot_lock=foot_lock)
