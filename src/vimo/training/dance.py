"""Music-to-dance: the ViMo denoiser with a music condition (35 EDGE features per frame instead of 2D keypoints).

Pairs (:func:`build_pairs`): every cached window of the chosen categories (dance) gets ``variants``
soundtracks whose beats follow its kinematic beats (:mod:`vimo.music.pairing`; the best of ``candidates`` by
how well their detected beats fit the motion's), stored as music features in ``PAIRS`` (safetensors: ``rows``
(N, 2) window rows, ``split`` flags, ``features`` (N, V, W, 35) float16, ``mean``/``std`` (35,) of the training
features, ``fit`` (N, V) the ground truth's Beat Align for each soundtrack, ``times`` (N, V, W) the motion
retimed to accent each soundtrack's beats, :func:`retime_pairs`). Training (:func:`fit_dance`) uses
the shared loop (:func:`vimo.training.trainer.run_training`): per step B windows, one random soundtrack each, z-scored
features as the condition; the denoiser's losses and classifier-free guidance dropout as for video.
Validation: Beat Align Score (music-to-motion, Bailando; the paper's direction) of sampled dances for their
own music and for shuffled music (music of another window) on validation windows, and their jitter.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
from rich.progress import Progress
from safetensors.torch import load_file, save_file

from vimo.data.dataset import WindowCache
from vimo.diffusion.sampling import sample
from vimo.diffusion.scheduler import DDIMScheduler
from vimo.errors import VimoError
from vimo.eval.beats import beat_align_score, motion_beats
from vimo.eval.metrics import jitter
from vimo.io.atomic import atomic_path
from vimo.models.denoiser import Denoiser, DenoiserConfig
from vimo.music.features import FEATURE_DIM, beat_frames
from vimo.music.pairing import Loop, matched_soundtracks
from vimo.representation import DIM, window_joints
from vimo.training.losses import LossWeights
from vimo.training.optim import OptimConfig, optimizer_and_ema
from vimo.training.trainer import Recipe, TrainState, denoiser_update, run_training

MUSIC_NORM = "music_normalizer.safetensors"  # in a dance run directory: mean/std of the training features

DANCE_CONFIGS: dict[str, DenoiserConfig] = {
    # The condition encoder starts with a temporal convolution (+-4 frames), as the keypoint model's; each frame's
    # music token is added to its motion token, and a speed head makes the tokens carry the beat timing
    # (small-v1 ignored the music: changing it moved the poses 3 mm, a new seed 53 mm; MODEL_CARD.md, "dance").
    "small": DenoiserConfig(cond_dim=FEATURE_DIM, cond_conv=9, frame_inject=True, speed_head=True),
    "small-v1": DenoiserConfig(cond_dim=FEATURE_DIM, cond_conv=9),
    "tiny": DenoiserConfig(width=32, layers=1, heads=2, ff=64, cond_layers=1, dropout=0.0, cond_dim=FEATURE_DIM),
}


# The denoiser's motion side: what it learned about motion does not depend on what conditions it.
MOTION_PRIOR_MODULES = ("motion_in", "time_mlp", "layers", "norm_out", "motion_out", "null_tokens", "null_pooled",
                        "pooled_mlp")  # fmt: skip


def load_motion_prior(model: Denoiser, prefix: str | Path) -> list[str]:
    """Copy :data:`MOTION_PRIOR_MODULES` from a keypoint bundle's weights into ``model``; the names copied."""
    prefix = Path(prefix)
    path = prefix.with_suffix(".safetensors")
    if not path.exists():
        raise VimoError(f"--motion-prior {prefix}: no {path}")
    bundle = {k[len("model.") :]: v for k, v in load_file(str(path)).items() if k.startswith("model.")}
    own = model.state_dict()
    take = {k: v for k, v in bundle.items() if k.split(".")[0] in MOTION_PRIOR_MODULES and k in own}
    wrong = [k for k, v in take.items() if v.shape != own[k].shape]
    if wrong or not take:
        raise VimoError(f"--motion-prior {prefix}: its decoder does not fit this model ({wrong[:3] or 'no weights'})")
    model.load_state_dict(take, strict=False)
    return sorted(take)


@dataclass
class Pairs:
    rows: torch.Tensor  # (N, 2) (sequence, start) window rows of the cache
    is_val: torch.Tensor  # (N,) bool: the window is in the validation split
    features: torch.Tensor  # (N, V, W, 35) float16 music features
    mean: torch.Tensor  # (35,) over training features
    std: torch.Tensor  # (35,)
    fit: torch.Tensor | None = None  # (N, V) ground-truth Beat Align for each soundtrack (pairs made since session 6)
    # (N, V, W) float32: for each soundtrack, the source frame (within the window's sequence) that each frame plays,
    # retiming the motion so its kinematic beats land on the soundtrack's beats (:func:`retime_pairs`). None: the
    # window plays as captured.
    times: torch.Tensor | None = None

    def normalize(self, feats: torch.Tensor) -> torch.Tensor:
        return (feats.float() - self.mean) / self.std

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tensors = {"rows": self.rows, "is_val": self.is_val, "features": self.features, "mean": self.mean,
                   "std": self.std} | ({"fit": self.fit} if self.fit is not None else {}) | (
                   {"times": self.times} if self.times is not None else {})  # fmt: skip
        with atomic_path(path) as tmp:
            save_file(tensors, str(tmp))

    @classmethod
    def load(cls, path: str | Path) -> Pairs:
        path = Path(path)
        if not path.exists():
            raise VimoError(f"{path}: no music-dance pairs; make them with `vimo dance pairs`")
        t = load_file(str(path))
        return cls(t["rows"], t["is_val"].bool(), t["features"], t["mean"], t["std"], t.get("fit"), t.get("times"))

    def split(self, val: bool) -> torch.Tensor:
        return torch.nonzero(self.is_val == val)[:, 0]

    def motion(self, cache: WindowCache, index: torch.Tensor, variant: torch.Tensor | int = 0) -> torch.Tensor:
        """Canonicalised motion (B, W, 151) metres that pairs ``index`` (B,) play with soundtrack ``variant``:
        retimed to its beats where the pairs carry ``times``, else the captured window."""
        if self.times is None:
            return cache.batch_rows(self.rows[index])
        variant = torch.as_tensor(variant).expand(len(index))
        return cache.batch_at_times(self.rows[index, 0], self.times[index, variant].double())

    def music_beats(self, index: int, variant: int = 0) -> np.ndarray:
        """Frames (int) of soundtrack ``variant`` of pair ``index`` that carry a beat."""
        return beat_frames(self.features[index, variant].float().numpy())


def accent_map(music_beats: np.ndarray, start: int, width: int, *, depth: float = 0.6,
               sigma: float = 3.0) -> np.ndarray:  # fmt: skip
    """Source frames (width,) float64 for a window that starts at source frame ``start``, retimed to accent the
    beats: the playback rate dips to ``1 - depth`` (Gaussian of ``sigma`` frames) at each of ``music_beats``
    (window frames) and is raised between them so that every beat still plays its own captured frame
    (``start + beat``): a dancer marking each beat by lingering on it. No beats: the window as captured."""
    t = np.arange(width, dtype=np.float64)
    beats = np.unique(np.asarray(music_beats, dtype=np.float64))
    beats = beats[(beats > 0) & (beats < width - 1)]
    if len(beats) == 0 or depth <= 0:
        return start + t
    mid = t[:-1] + 0.5  # the rate between frames k and k+1
    rate = 1.0 - depth * np.exp(-((mid[:, None] - beats[None]) ** 2) / (2 * sigma**2)).sum(1).clip(0, 1)
    knots = np.concatenate([[0.0], beats, [width - 1.0]])
    seg = np.searchsorted(knots, mid, side="right") - 1  # segment of each step
    for i in range(len(knots) - 1):
        inside = seg == i
        rate[inside] *= (knots[i + 1] - knots[i]) / rate[inside].sum()
    return start + np.concatenate([[0.0], np.cumsum(rate)])


def training_joints(cache: WindowCache, pairs: Pairs, n: int = 256) -> np.ndarray:
    """Joints (n, W, 24, 3) of ``n`` training pairs spread evenly, as the model was trained on them (retimed when
    the pairs are): the base data that stylisation's forgetting is measured against."""
    train = pairs.split(False)
    train = train[torch.linspace(0, len(train) - 1, min(n, len(train))).round().long()]
    return window_joints(pairs.motion(cache, train))[0].numpy()


def retime_pairs(cache: WindowCache, pairs: Pairs, *, depth: float = 0.6, sigma: float = 3.0) -> Pairs:
    """``pairs`` with ``times``: each window retimed for each of its soundtracks to accent that soundtrack's beats
    (:func:`accent_map`). The soundtracks follow the motion's kinematic beats on a steady grid, but a dancer's
    steps fall on about one beat in three (ground-truth Beat Align 0.38), and their speed dips are shallow: the
    speed at a beat is 0.1 standard deviations below the mean, too weak a signal for a model to learn timing from
    25 minutes of dance. Accented, every beat is a dip (MODEL_CARD.md, "dance")."""
    width, lengths = cache.window, cache.sequence_lengths()
    times = torch.zeros(len(pairs.rows), pairs.features.shape[1], width)
    for i, (seq, start) in enumerate(pairs.rows.tolist()):
        start = min(start, int(lengths[seq]) - width)
        for v in range(pairs.features.shape[1]):
            m = accent_map(pairs.music_beats(i, v), start, width, depth=depth, sigma=sigma)
            times[i, v] = torch.from_numpy(np.clip(m, 0, int(lengths[seq]) - 1))
    return replace(pairs, times=times)


def category_rows(cache: WindowCache, split: str, categories: tuple[str, ...]) -> torch.Tensor:
    """Rows of ``split``'s windows whose source sequence is in one of ``categories``."""
    cats = [s.get("category", "") for s in cache.meta["sequences"]]
    rows = cache.windows[split]
    keep = torch.tensor([cats[int(s)] in categories for s in rows[:, 0]], dtype=torch.bool)
    return rows[keep]


def build_pairs(cache: WindowCache, loops: list[Loop], *, variants: int = 3, candidates: int = 6,
                categories: tuple[str, ...] = ("dance",), seed: int = 0,
                limit: int | None = None) -> Pairs:  # fmt: skip
    """Music features for ``variants`` beat-matched soundtracks of every train/val window of ``categories``:
    the best ``variants`` of ``candidates`` by the fit of their detected beats to the window's motion beats."""
    if not loops:
        raise VimoError("no percussion loops with detectable beats to build soundtracks from")
    rows, is_val = [], []
    for split, flag in (("train", False), ("val", True)):
        if split in cache.windows:
            r = category_rows(cache, split, categories)
            rows.append(r)
            is_val.append(torch.full((len(r),), flag))
    all_rows, all_val = torch.cat(rows), torch.cat(is_val)
    if limit is not None:
        pick = torch.linspace(0, len(all_rows) - 1, min(limit, len(all_rows))).round().long()
        all_rows, all_val = all_rows[pick], all_val[pick]
    if len(all_rows) == 0:
        raise VimoError(f"the cache has no windows of categories {categories}")
    width = cache.window
    feats = torch.zeros(len(all_rows), variants, width, FEATURE_DIM, dtype=torch.float16)
    fit = torch.zeros(len(all_rows), variants)
    with Progress(transient=True) as progress:
        task = progress.add_task("soundtracks", total=len(all_rows))
        for i in range(len(all_rows)):
            x = cache.batch_rows(all_rows[i : i + 1])[0]
            joints = window_joints(x[None])[0][0].numpy()
            rng = np.random.default_rng([seed, int(all_rows[i, 0]), int(all_rows[i, 1])])
            tracks = matched_soundtracks(joints, loops, rng, keep=variants, candidates=candidates)
            for v, (f, score) in enumerate(tracks):
                feats[i, v] = torch.from_numpy(f[:width]).half()
                fit[i, v] = score
            progress.advance(task)
    train = feats[~all_val].float().reshape(-1, FEATURE_DIM)
    mean, std = train.mean(0), train.std(0).clamp_min(1e-3)
    return Pairs(all_rows, all_val, feats, mean, std, fit)


@dataclass(frozen=True)
class DanceConfig(OptimConfig):
    """The music denoiser's training (optimiser and loop settings: ``OptimConfig``)."""

    model: str = "small"  # key of DANCE_CONFIGS
    pairs: str = ""  # path of the pairs file (made by `vimo dance pairs`)
    warmup_steps: int = 200
    cond_drop: float = 0.25
    loss: LossWeights = field(default_factory=LossWeights)
    # Weight of the loss on the z-scored speed profile of the predicted x0 (conditioned samples): see
    # trainer.denoiser_update. 0 for runs made before it existed. An experiment that failed: with weight 1 the
    # sampled dances' acceleration grew to 5-12x the truth's (dance3, dance4; MODEL_CARD.md).
    output_speed_weight: float = 0.0
    # Smooth the motion in time by a Gaussian of this many frames before its speed profile is compared (0: none,
    # as in the failed runs): the loss then asks for the dips a viewer sees where the truth has them (a beat, in
    # accented pairs) and cannot be met by jitter, which the unsmoothed profile rewarded (speed_profile).
    output_speed_sigma: float = 0.0
    # A keypoint ViMo bundle (e.g. weights/vimo-small) whose motion-side weights start a new run
    # (:data:`MOTION_PRIOR_MODULES`): the dance pairs are 25 minutes of motion, the keypoint model saw 380.
    motion_prior: str = ""
    val_every: int = 500
    val_windows: int = 16
    val_steps: int = 20
    guidance: float = 2.0

    @classmethod
    def from_dict(cls, d: dict) -> DanceConfig:
        d = dict(d)
        d["loss"] = LossWeights(**d.get("loss", {}))
        return cls(**d)


def dance_step(model: Denoiser, optimizer: torch.optim.Optimizer, scheduler: DDIMScheduler, cache: WindowCache,
               pairs: Pairs, train_idx: torch.Tensor, cfg: DanceConfig, step: int) -> dict[str, float]:  # fmt: skip
    """One optimisation step, fully determined by (cfg.seed, step) and the current weights."""
    rng = np.random.default_rng([cfg.seed, step])
    gen = torch.Generator().manual_seed(int(rng.integers(2**62)))
    pick = train_idx[torch.from_numpy(rng.integers(0, len(train_idx), cfg.batch_size))]
    variant = torch.from_numpy(rng.integers(0, pairs.features.shape[1], cfg.batch_size))
    x_metres = pairs.motion(cache, pick, variant)
    cond = pairs.normalize(pairs.features[pick, variant])
    return denoiser_update(model, optimizer, scheduler, cache.normalizer, cfg, step, cache.normalizer.encode(x_metres),
                           cond, rng, gen)  # fmt: skip


@torch.no_grad()
def sample_dances(model: Denoiser, cache: WindowCache, cond: torch.Tensor, *, steps: int, guidance: float,
                  seed: int) -> np.ndarray:  # fmt: skip
    """Joints (B, W, 24, 3) metres of one dance per normalised music condition (B, W, 35)."""
    model.eval()
    gen = torch.Generator().manual_seed(seed)
    enc, null = model.encode_condition(cond), model.null_condition(len(cond), cond.shape[1])
    z = sample(model, DDIMScheduler(), (len(cond), cond.shape[1], DIM), cond=enc, null=null, guidance=guidance,
               steps=steps, generator=gen)  # fmt: skip
    return window_joints(cache.normalizer.decode(z.float()))[0].numpy()


def beat_alignment_scores(joints: np.ndarray, feats: np.ndarray) -> np.ndarray:
    """Music-to-motion Beat Align Score per clip (B,): joints (B, W, 24, 3), raw features (B, W, 35)."""
    scores = []
    for j, f in zip(joints, feats):
        music = beat_frames(f)
        scores.append(beat_align_score(motion_beats(j, variant="bailando"), music, direction="music_to_motion"))
    return np.asarray(scores, dtype=np.float64)


def beat_alignment(joints: np.ndarray, feats: np.ndarray) -> float:
    """Mean music-to-motion Beat Align Score over clips: joints (B, W, 24, 3), raw features (B, W, 35)."""
    return float(beat_alignment_scores(joints, feats).mean())


def validate_dance(model: Denoiser, cache: WindowCache, pairs: Pairs, cfg: DanceConfig) -> dict[str, dict[str, float]]:
    """Beat alignment of sampled dances for their own music and for shuffled music, on validation windows."""
    val = pairs.split(True)
    if len(val) == 0:
        val = pairs.split(False)
    val = val[torch.linspace(0, len(val) - 1, min(cfg.val_windows, len(val))).round().long()]
    raw = pairs.features[val, 0].float()
    # another window's music: half-way round the (evenly spread) windows, so from another take; the next window
    # along often overlaps this one, and its soundtrack was built on nearly the same beats
    shuffled = raw.roll(max(1, len(raw) // 2), 0)
    own = sample_dances(model, cache, pairs.normalize(raw), steps=cfg.val_steps, guidance=cfg.guidance, seed=1234)
    other = sample_dances(model, cache, pairs.normalize(shuffled), steps=cfg.val_steps, guidance=cfg.guidance,
                          seed=1234)  # fmt: skip
    truth = window_joints(pairs.motion(cache, val))[0].numpy()
    return {
        "music": {
            "ba_own_music": beat_alignment(own, raw.numpy()),
            "ba_shuffled_music": beat_alignment(other, raw.numpy()),
            "ba_ground_truth": beat_alignment(truth, raw.numpy()),
            "n": len(val),
            # Beat Align reads speed minima: a jittery dance has them anywhere (session 6: a speed-timing loss
            # drove the jitter to 10x the truth's and Beat Align to chance), so the jitter is watched too.
            "jitter_own_music": jitter(own),
            "jitter_ground_truth": jitter(truth),
        }
    }


def fit_dance(cfg: DanceConfig, data_dir: Path, out_dir: Path, *, resume: bool = False, init: Path | None = None,
              model_cfg: DenoiserConfig | None = None,
              on_step: Callable[[int, dict[str, float]], None] | None = None) -> TrainState:  # fmt: skip
    """Train (or resume) the music-to-dance denoiser into ``out_dir``."""
    if resume and (Path(out_dir) / "config.json").exists():
        saved = json.loads((Path(out_dir) / "config.json").read_text())["train"]
        cfg = replace(cfg, pairs=saved.get("pairs", cfg.pairs))
    pairs = Pairs.load(cfg.pairs)
    train_idx = pairs.split(False)
    if len(train_idx) == 0:
        raise VimoError(f"{cfg.pairs}: no training pairs")
    scheduler = DDIMScheduler()

    def build(c: DanceConfig, saved: dict | None):
        mcfg = DenoiserConfig(**saved) if saved is not None else (model_cfg or DANCE_CONFIGS[c.model])
        with torch.random.fork_rng():
            torch.manual_seed(c.seed)
            model = Denoiser(mcfg)
        if saved is None and c.motion_prior:  # a new run (a resumed one loads its checkpoint next)
            load_motion_prior(model, c.motion_prior)
        return model, *optimizer_and_ema(model, c)

    out_dir = Path(out_dir)
    if not (out_dir / "checkpoint.safetensors").exists():
        out_dir.mkdir(parents=True, exist_ok=True)
        with atomic_path(out_dir / MUSIC_NORM) as tmp:  # the bundle needs it to condition on new music
            save_file({"mean": pairs.mean, "std": pairs.std}, str(tmp))
    recipe = Recipe(
        config_from_dict=DanceConfig.from_dict,
        build=build,
        step=lambda model, opt, cache, c, step: dance_step(model, opt, scheduler, cache, pairs, train_idx, c, step),
        validate=lambda model, cache, c: validate_dance(model, cache, pairs, c),
    )
    return run_training(recipe, cfg, Path(data_dir), Path(out_dir), resume=resume, init=init, on_step=on_step)


__all__ = [
    "Pairs",
    "build_pairs",
    "load_motion_prior",
    "DanceConfig",
    "fit_dance",
    "validate_dance",
    "sample_dances",
    "DANCE_CONFIGS",
]
