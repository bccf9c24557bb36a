"""Few-shot dance stylisation from a handful of videos (paper section 3.4, application 2).

``stylize(videos, out)``:

1. **Motions**: ``vimo dataset build`` on the videos (``OUT/dataset``; resumable, K samples per 5 s clip).
2. **Music**: each kept motion is paired with the music it was danced to: the video's own audio over the
   clip's time span, or a given track (``music=``, over the same span, looped), or, for a silent video, beat-
   matched soundtracks built from the percussion loops the base model was trained with (the base model's
   pairing, :func:`vimo.music.pairing.matched_soundtracks`: the best of twice as many candidates by how well
   their detected beats fit the motion). Features are the base model's 35 EDGE features, z-scored with its
   statistics.
3. **Adaptation** of the music-to-dance base model (a ``dance`` bundle) on those pairs, with the base
   model's losses and classifier-free-guidance dropout:

   - ``zeroconv``: the base is frozen; a trainable copy of its decoder feeds it through zero-initialised
     linear layers (:class:`vimo.models.adapters.ZeroConvDenoiser`), so training starts exactly at the
     base model and cannot overwrite it;
   - ``finetune``: every weight is trained (at a lower learning rate).

The style is a ``dance`` bundle at ``OUT/style.{json,safetensors}`` (``vimo dance generate --style OUT``),
with ``OUT/pairs.safetensors`` (the style's motions and music features, the Table 2 reference) and
``OUT/training.csv``.
"""

from __future__ import annotations

import csv
import os
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file

from vimo.apps.dataset import DatasetConfig, build_dataset, read_manifest
from vimo.bundle import loading
from vimo.dance import DanceModel
from vimo.diffusion.scheduler import DDIMScheduler
from vimo.errors import InputFormatError, VimoError
from vimo.io.atomic import atomic_path
from vimo.io.smpl_npz import read_smpl_npz
from vimo.models.adapters import ZeroConvDenoiser, trainable_parameter_count
from vimo.music.features import FPS, SR, load_audio, music_features
from vimo.music.pairing import load_loops, matched_soundtracks
from vimo.paths import DANCE_WEIGHTS, SHARED_LOOPS
from vimo.pipeline import DEFAULT_WEIGHTS
from vimo.representation import to_vector
from vimo.training.losses import LossWeights
from vimo.training.trainer import denoiser_update

METHODS = ("zeroconv", "finetune")
DEFAULT_BASE = DANCE_WEIGHTS
DEFAULT_LOOPS = SHARED_LOOPS
STYLE = "style"  # OUT/style.{json,safetensors}
PAIRS = "pairs.safetensors"


def style_bundle(folder: Path) -> Path:
    """The dance bundle prefix in a style folder made by :func:`stylize` (one-line VimoError if it is not one)."""
    prefix = Path(folder) / STYLE
    if not prefix.with_suffix(".json").exists():
        raise VimoError(f"{folder}: not a style folder (no {STYLE}.json); make one with `vimo stylize`")
    return prefix


MIN_FRAMES = 60  # shortest clip used for training (2 s)


@dataclass(frozen=True)
class StylizeConfig:
    method: str = "zeroconv"
    steps: int = 300  # optimisation steps
    batch_size: int = 16
    lr: float | None = None  # default: 1e-3 for zeroconv (new layers), 1e-4 for finetune (all weights)
    weight_decay: float = 0.0
    warmup_steps: int = 30
    cond_drop: float = 0.25
    loss: LossWeights = field(default_factory=LossWeights)
    samples: int = 3  # motions generated per clip by the dataset builder
    clip_seconds: float = 5.0
    # A few videos are all there is: keep motions whose 2D fidelity (PCK) is at least this (the dataset
    # builder's default, 0.7, kept none of the real dance clip's; its samples scored 0.50-0.55).
    min_pck: float = 0.5
    soundtracks: int = 3  # synthetic soundtracks per motion for a silent video
    mirror: bool = True  # also train on the mirrored motions (twice the data; music unchanged)
    bf16: bool = True
    seed: int = 0

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise VimoError(f"unknown --method {self.method!r}; choose one of {', '.join(METHODS)}")
        if self.steps < 1 or self.batch_size < 1:
            raise VimoError("--steps and --batch-size must be at least 1")

    @property
    def learning_rate(self) -> float:
        return self.lr if self.lr is not None else (1e-3 if self.method == "zeroconv" else 1e-4)


@dataclass
class StylePairs:
    """The style's training data: motions (normalised vectors, zero-padded) and raw music features."""

    motion: torch.Tensor  # (N, W, 151) metres-space motion vectors (not normalised)
    features: torch.Tensor  # (N, W, 35) raw music features
    frames: torch.Tensor  # (N,) valid frames of each row
    sources: list[str]  # (N,) manifest id of each row ("...#mirror" / "...#track<k>" suffixes)

    def save(self, path: Path) -> None:
        with atomic_path(path) as tmp:
            save_file({"motion": self.motion, "features": self.features, "frames": self.frames}, str(tmp),
                      metadata={"sources": "\n".join(self.sources)})  # fmt: skip

    @classmethod
    def load(cls, path: str | Path) -> StylePairs:
        from safetensors import safe_open

        with safe_open(str(path), "pt") as fh:
            sources = (fh.metadata() or {}).get("sources", "").split("\n")
        t = load_file(str(path))
        return cls(t["motion"], t["features"], t["frames"], sources)


def _clip_music(doc: dict, dataset: Path, music: np.ndarray | None, frames: int) -> list[np.ndarray] | None:
    """The waveform(s) a clip was danced to: the given track or the video's audio over the clip's span;
    None when the video is silent (the caller builds soundtracks)."""
    start, need = doc["clip"]["start_s"], int(round(frames / FPS * SR))
    if music is None:
        source = Path(doc["source"]["path"])
        source = source if source.is_absolute() else dataset / source
        try:
            music = load_audio(source)
        except InputFormatError:
            return None
    a = int(round(start * SR)) % len(music)
    reps = -(-(a + need) // len(music))
    return [np.tile(music, reps)[a : a + need]]


def style_pairs(dataset: Path, *, music: Path | None = None, loops: Path = DEFAULT_LOOPS,
                config: StylizeConfig = StylizeConfig()) -> StylePairs:  # fmt: skip
    """Motions of a built dataset paired with their music (see the module docstring)."""
    docs = read_manifest(dataset)
    if not docs:
        raise VimoError(
            f"{dataset}: no motion passed the dataset builder's checks (see its summary.json); "
            "nothing to learn a style from: try a lower --min-pck or clearer videos"
        )
    track = load_audio(music) if music is not None else None
    loop_list = None
    motions, feats, sources = [], [], []
    for doc in docs:
        motion = read_smpl_npz(dataset / doc["motion"]).resample(FPS)
        if len(motion) < MIN_FRAMES:
            continue
        variants = [(motion, doc["id"])] + ([(motion.mirror(), doc["id"] + "#mirror")] if config.mirror else [])
        waves = _clip_music(doc, dataset, track, len(motion))
        if waves is None:  # a silent video: soundtracks on the motion's kinematic beats
            if loop_list is None:
                loop_list = load_loops(loops)
                if not loop_list:
                    raise VimoError(f"{loops}: no percussion loops to build soundtracks for silent videos; "
                                    "pass --music")  # fmt: skip
            rng = np.random.default_rng([config.seed, len(sources)])
            tracks = [f for f, _ in matched_soundtracks(motion.joints(), loop_list, rng, keep=config.soundtracks,
                                                        candidates=2 * config.soundtracks)]  # fmt: skip
        else:
            tracks = [music_features(y)[: len(motion)] for y in waves]
        for k, f in enumerate(tracks):
            for m, name in variants:
                motions.append(to_vector(m)[: len(f)])
                feats.append(f)
                sources.append(name + (f"#track{k}" if len(tracks) > 1 else ""))
    if not motions:
        raise VimoError(f"{dataset}: every clip is shorter than {MIN_FRAMES / FPS:g} s")
    width = max(len(m) for m in motions)
    n = len(motions)
    motion_t = torch.zeros(n, width, motions[0].shape[1])
    feat_t = torch.zeros(n, width, feats[0].shape[1])
    lengths = torch.zeros(n, dtype=torch.long)
    for i, (m, f) in enumerate(zip(motions, feats)):
        t = min(len(m), len(f))
        motion_t[i, :t], feat_t[i, :t], lengths[i] = torch.from_numpy(m[:t]), torch.from_numpy(f[:t]), t
    return StylePairs(motion_t, feat_t, lengths, sources)


def adapter_for(base: DanceModel, method: str) -> torch.nn.Module:
    """The trainable model: the base wrapped in zero-conv adapters, or a copy of it."""
    import copy

    if method == "zeroconv":
        return ZeroConvDenoiser(copy.deepcopy(base.model))
    model = copy.deepcopy(base.model)
    for p in model.parameters():
        p.requires_grad_(True)
    return model


def _batch(pairs: StylePairs, rng: np.random.Generator, batch: int, window: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Random windows of ``window`` frames (rows no shorter than it)."""
    rows = torch.nonzero(pairs.frames >= window)[:, 0]
    pick = rows[torch.from_numpy(rng.integers(0, len(rows), batch))]
    starts = [int(rng.integers(0, int(pairs.frames[r]) - window + 1)) for r in pick]
    x = torch.stack([pairs.motion[r, s : s + window] for r, s in zip(pick, starts)])
    f = torch.stack([pairs.features[r, s : s + window] for r, s in zip(pick, starts)])
    return x, f


Progress = Callable[[int, dict[str, float]], None]


def adapt(base: DanceModel, pairs: StylePairs, config: StylizeConfig,
          progress: Progress | None = None) -> tuple[DanceModel, list[dict]]:  # fmt: skip
    """Adapt ``base`` to the style's pairs; returns the style model and the loss log."""
    from vimo.representation import canonicalize_vectors

    model = adapter_for(base, config.method)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=config.learning_rate, weight_decay=config.weight_decay)
    window = min(base.model.cfg.max_frames, int(pairs.frames.max()))
    # windows of the shortest usable clip length keep every row in play
    window = min(window, int(pairs.frames[pairs.frames >= MIN_FRAMES].min()))
    cfg = _StepConfig(config.learning_rate, config.warmup_steps, config.cond_drop, config.loss, config.bf16)
    scheduler = DDIMScheduler()
    history = []
    model.train()
    for step in range(config.steps):
        rng = np.random.default_rng([config.seed, step])
        gen = torch.Generator().manual_seed(int(rng.integers(2**62)))
        x, f = _batch(pairs, rng, config.batch_size, window)
        x0 = base.normalizer.encode(canonicalize_vectors(x))
        cond = (f - base.music_mean) / base.music_std
        losses = denoiser_update(model, optimizer, scheduler, base.normalizer, cfg, step, x0, cond, rng, gen)
        history.append({"step": step + 1, **losses})
        if progress is not None:
            progress(step + 1, losses)
    model.eval()
    info = {
        "method": config.method,
        "steps": config.steps,
        "window": window,
        "trainable_parameters": trainable_parameter_count(model),
        "pairs": len(pairs.sources),
        "base": base.info.get("name", ""),
    }
    return DanceModel(model, base.normalizer, base.music_mean, base.music_std, base.guidance,
                      {**base.info, "style": info}, base.smooth), history  # fmt: skip


@dataclass(frozen=True)
class _StepConfig:  # what denoiser_update reads
    lr: float
    warmup_steps: int
    cond_drop: float
    loss: LossWeights
    bf16: bool
    lift_weight: float = 1.0


@dataclass
class StyleReport:
    out: Path
    videos: int
    motions: int
    pairs: int
    seconds: dict[str, float]
    final_loss: float


def _no_motions(summary, data_dir: Path, *, kept: bool) -> str:
    """Why a dataset build gave no motion to learn from, in one line: the videos' failures, then the clips'
    rejections (``summary``: :class:`vimo.apps.dataset.DatasetSummary`)."""
    causes = [reason if reason.startswith(src) else f"{src}: {reason}" for src, reason in summary.failed.items()]
    rejects = ", ".join(f"{k} {v}" for k, v in summary.rejects.items() if v and k != "failed")
    if rejects:
        causes.append(f"{summary.clips} clip(s), every motion rejected ({rejects}): try a lower --min-pck or clearer "
                      "videos")  # fmt: skip
    where = f"; the extractions are kept in {data_dir} for a re-run" if kept else ""
    return "no motion to learn a style from: " + ("; ".join(causes) or "the videos gave no clip") + where


def stylize(
    videos: Sequence[str | os.PathLike],
    out: str | os.PathLike,
    *,
    base: str | os.PathLike = DEFAULT_BASE,
    weights: str | os.PathLike = DEFAULT_WEIGHTS,
    music: str | os.PathLike | None = None,
    loops: str | os.PathLike = DEFAULT_LOOPS,
    config: StylizeConfig = StylizeConfig(),
    dataset: DatasetConfig | None = None,
    dataset_dir: str | os.PathLike | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> StyleReport:
    """Learn a dance style from a few videos into ``out`` (see the module docstring). ``dataset_dir``
    (default ``OUT/dataset``): where the motions are built; styles of the same videos can share it (the
    build is resumable and a no-op when up to date)."""
    out = Path(out)
    data_dir = Path(dataset_dir) if dataset_dir is not None else out / "dataset"
    made = [p for p in (out, data_dir) if not p.exists()]  # removed again if no video gives anything
    with loading(base, "dance"):
        base_model = DanceModel.load(base)
    seconds = {}
    t0 = time.perf_counter()
    dataset = dataset or DatasetConfig(samples=config.samples, clip_seconds=config.clip_seconds, min_pck=config.min_pck)
    report = build_dataset(list(videos), data_dir, weights=weights, config=dataset,
                           progress=(lambda d, t: progress("videos", d, t)) if progress else None)  # fmt: skip
    seconds["dataset_s"] = time.perf_counter() - t0
    if report.summary.motions == 0:
        extracted = any(v for k, v in report.summary.rejects.items() if k != "failed")
        for folder in [] if extracted else made:  # extractions are worth keeping for a re-run; nothing else is
            shutil.rmtree(folder, ignore_errors=True)
        raise VimoError(_no_motions(report.summary, data_dir, kept=data_dir.exists()))
    t0 = time.perf_counter()
    pairs = style_pairs(data_dir, music=Path(music) if music else None, loops=Path(loops), config=config)
    pairs.save(out / PAIRS)
    seconds["music_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    style, history = adapt(base_model, pairs, config,
                           (lambda s, _: progress("steps", s, config.steps)) if progress else None)  # fmt: skip
    seconds["adapt_s"] = time.perf_counter() - t0
    style.info["style"].update({"videos": [str(v) for v in videos], "base_bundle": str(base), "dataset": str(data_dir),
                                "config": {k: v for k, v in asdict(config).items() if k != "loss"},
                                "seconds": {k: round(v, 1) for k, v in seconds.items()}})  # fmt: skip
    style.save(out / STYLE)
    with atomic_path(out / "training.csv") as tmp, open(tmp, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(history[0]))
        w.writeheader()
        w.writerows(history)
    final = float(np.mean([h["total"] for h in history[-20:]]))
    return StyleReport(out, len(list(videos)), report.summary.motions, len(pairs.sources), seconds, final)


__all__ = ["StylizeConfig", "StylePairs", "style_pairs", "adapt", "stylize", "METHODS", "adapter_for"]
