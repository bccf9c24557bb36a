"""Dances for music: the music-to-dance model bundle, generation of any length, previews that play the music.

A dance bundle is a ViMo bundle of kind "dance": the denoiser (condition = 35 music features per frame), the
motion normaliser, and the music features' mean/std (``music_mean``/``music_std`` in PREFIX.json). Long
music is handled like long videos: overlapping windows, each constrained on the previous one's overlap,
cross-faded (:func:`vimo.pipeline.sample_sequence`). The sampled dance then goes through the post-processing
every generated motion gets (:func:`vimo.generation.finish`): smoothed in time with the bundle's ``smooth``
(Gaussian sigma in frames, :func:`vimo.postprocess.smooth_vectors`), grounded, foot-locked. On 32 validation
windows the raw samples of the first base had 7x the truth's jitter, all of it frame-to-frame noise; sigma 1
brought it to 1.3x and left Beat Align unchanged (0.467 -> 0.480; shuffled music 0.29).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch

from vimo.bundle import read_bundle, write_bundle
from vimo.errors import VimoError
from vimo.generation import Generated, GenerationConfig, Progress, finish
from vimo.models.denoiser import Denoiser, DenoiserConfig
from vimo.motion import Motion
from vimo.music.features import FEATURE_DIM, FPS, SR
from vimo.pipeline import sample_sequence
from vimo.postprocess import DEFAULT_SMOOTH
from vimo.representation import Normalizer
from vimo.video.audio import mux_audio, write_with_audio  # noqa: F401 - mux_audio: public here too


@dataclass(frozen=True)
class Music:
    """What a dance is generated for: music features (T, 35) at 30 fps (:func:`vimo.music.features.music_features`;
    None: dance without music) and the number of frames to dance (at most T with music)."""

    features: np.ndarray | None
    num_frames: int


@dataclass
class DanceModel:
    """A music-to-dance bundle: denoiser (or an adapter with its interface), motion normaliser, the music
    features' statistics, default guidance and smoothing."""

    KIND: ClassVar[str] = "dance"

    model: torch.nn.Module  # Denoiser (or an adapter with its interface)
    normalizer: Normalizer
    music_mean: torch.Tensor  # (35,)
    music_std: torch.Tensor  # (35,)
    guidance: float = 2.0
    info: dict = field(default_factory=dict)
    smooth: float = DEFAULT_SMOOTH  # Gaussian sigma (frames) applied to sampled dances

    @classmethod
    def load(cls, prefix: str | Path, *, device: str | torch.device = "cpu") -> DanceModel:
        files = read_bundle(prefix, cls.KIND, device=device)
        cfg = files.config
        model = Denoiser(DenoiserConfig(**cfg["model"])).to(device)
        if cfg.get("adapter") == "zeroconv":  # a style learnt with zero-conv adapters (vimo.apps.stylize)
            from vimo.models.adapters import ZeroConvDenoiser

            model = ZeroConvDenoiser(model)
        elif cfg.get("adapter") is not None:
            raise VimoError(f"{prefix}: unknown adapter {cfg['adapter']!r} (made by a newer ViMo?)")
        model.load_state_dict(files.model_state)
        return cls(
            model.eval(),
            files.normalizer,
            torch.tensor(cfg["music_mean"]),
            torch.tensor(cfg["music_std"]),
            float(cfg.get("guidance", 2.0)),
            cfg.get("info", {}),
            float(cfg.get("smooth", DEFAULT_SMOOTH)),
        )

    def save(self, prefix: str | Path) -> None:
        from vimo.models.adapters import ZeroConvDenoiser

        adapter = "zeroconv" if isinstance(self.model, ZeroConvDenoiser) else None
        cfg = {"model": self.model.cfg.to_dict(), "adapter": adapter, "music_mean": self.music_mean.tolist(),
               "music_std": self.music_std.tolist(), "guidance": self.guidance, "smooth": self.smooth,
               "info": self.info}  # fmt: skip
        write_bundle(prefix, self.KIND, self.model, self.normalizer, cfg)

    def condition(self, features: np.ndarray) -> torch.Tensor:
        f = torch.as_tensor(np.asarray(features), dtype=torch.float32)
        if f.ndim != 2 or f.shape[1] != FEATURE_DIM:
            raise VimoError(f"music features must be (T, {FEATURE_DIM}), got {tuple(f.shape)}")
        return (f - self.music_mean) / self.music_std

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    def generate(self, inputs: Music, config: GenerationConfig = GenerationConfig(),
                 progress: Progress | None = None) -> Generated:  # fmt: skip
        """K dances (30 fps) for ``inputs``, finished as every generated motion is (:func:`vimo.generation.finish`:
        smoothed with ``config.smooth``, default the bundle's; grounded; foot-locked unless ``config.foot_lock``
        is off); no 2D fidelity (best = 0). ``progress(done, total)`` counts the windows."""
        num_frames = inputs.num_frames
        if num_frames < 2:
            raise VimoError(f"the music is too short: {num_frames} frame(s) at {FPS} fps")
        sigma = config.smoothing(self.smooth)
        cond = None if inputs.features is None else self.condition(inputs.features[:num_frames]).to(self.device)
        if cond is not None and len(cond) < num_frames:
            raise VimoError(f"{num_frames} frames asked for, but the music has {len(cond)} at {FPS} fps")
        out = sample_sequence(self.model, self.normalizer, cond, num_frames, config, default_guidance=self.guidance,
                              progress=progress)  # fmt: skip
        return finish(out, smooth=sigma, foot_lock=config.foot_lock)

    def finish(self, vectors: torch.Tensor, *, smooth: float | None = None, foot_lock: bool = True) -> list[Motion]:
        """Sampled motion vectors (K, T, 151) metres -> dances as users get them: smoothed in time (``smooth``,
        default the bundle's), on the floor, and foot-locked on their predicted contacts (validation dances,
        base: foot skating 0.62 -> 0.31 m/s, PFC 4.5 -> 2.9 (truth 1.2), Beat Align unchanged)."""
        return finish(vectors, smooth=self.smooth if smooth is None else smooth, foot_lock=foot_lock).motions


def write_dance_preview(motion: Motion, audio: np.ndarray | None, path: Path, *, size: int = 360) -> Path:
    """A follow-camera video of the dance, with the music when given."""
    from vimo.viz.cameras import CameraPath
    from vimo.viz.scene import SceneStyle
    from vimo.viz.video import render_video

    joints = motion.joints().astype(np.float64)
    cams = CameraPath.follow(joints, image_size=(size, size), fps=motion.fps)
    scene = SceneStyle(floor_y=float(np.percentile(joints[:, :, 1].min(axis=1), 5)) - 0.05)
    track = None if audio is None else audio[: int(len(motion) / motion.fps * SR)]
    return write_with_audio(Path(path), track, lambda p: render_video(motion, cams, p, scene=scene), sr=SR)
