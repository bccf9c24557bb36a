"""Table 2 on our data: few-shot stylisation, zero-conv adapters vs fine-tuning (paper section 3.4).

For each style (a few videos -> ``vimo stylize`` once per method) every model (the base and each style
model) dances to the style's own music (the music of the style's clips, :class:`vimo.apps.stylize.
StylePairs`), one dance per clip, and to the same music shuffled across clips. Reported per model:

- **BA**: Beat Align Score (music-to-motion, the paper's direction) of the dances against their music; **BA
  shuffled**: the same model's dances for another clip's music (:func:`other_music`), scored against this
  clip's music — a model that follows the beat scores clearly higher with the real pairing; the gain (paired
  per clip) is reported with a 95 % bootstrap interval over clips, so "clearly" means an interval above 0;
- **PFC** (EDGE's physical foot contact, lower is better); **Jitter** (mean jerk, m/s^3, as in the accuracy
  tables: the reference row is what real motion has);
- **Div_k / Div_m** (diversity of kinetic / manual features);
- **FID_k / FID_m (style)**: against the style's reference motions (the motions extracted from its videos);
- **FID_k / FID_m (base)**: against the base model's training dances (forgetting: how far the model moved away
  from what it knew).

Every FID and Div is computed on features z-scored with one reference: the style's motions and the base's
dances together. Sets are small (tens of clips): FID is biased at this size, so N is reported with every
row; compare rows of one style with each other, not with the paper's numbers.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from vimo.dance import DanceModel
from vimo.diffusion.sampling import sample
from vimo.diffusion.scheduler import DDIMScheduler
from vimo.eval.beats import pfc_dataset
from vimo.eval.distribution import bootstrap_ci, diversity, fid
from vimo.eval.features import kinetic_features, manual_features
from vimo.eval.metrics import jitter
from vimo.io.atomic import atomic_path
from vimo.representation import DIM, canonicalize_vectors, window_joints
from vimo.training.dance import beat_alignment_scores

FRAME_TIME = 1 / 30


@dataclass(frozen=True)
class StyleSet:
    """One style: its name, its pairs file and its style models (method -> style bundle prefix)."""

    name: str
    pairs: Path
    models: dict[str, Path]


def features(joints: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Kinetic (N, 72) and manual (N, 32) features of clips (N, W, 24, 3)."""
    k = np.stack([kinetic_features(j, frame_time=FRAME_TIME) for j in joints])
    m = np.stack([manual_features(j) for j in joints])
    return k, m


@torch.no_grad()
def dance_clips(model: DanceModel, music: torch.Tensor, *, steps: int, seed: int, chunk: int = 32) -> np.ndarray:
    """One dance (W frames) per raw music-feature clip (N, W, 35) -> joints (N, W, 24, 3), finished as ``vimo
    dance generate`` finishes them (smoothed, grounded, foot-locked: :meth:`DanceModel.finish`)."""
    out = []
    gen = torch.Generator().manual_seed(seed)
    net = model.model.eval()
    for i in range(0, len(music), chunk):
        cond = (music[i : i + chunk] - model.music_mean) / model.music_std
        b, w = cond.shape[:2]
        z = sample(net, DDIMScheduler(), (b, w, DIM), cond=net.encode_condition(cond), null=net.null_condition(b, w),
                   guidance=model.guidance, steps=steps, generator=gen)  # fmt: skip
        out.extend(m.joints() for m in model.finish(model.normalizer.decode(z.float())))
    return np.stack(out)


def _clips(pairs, window: int, limit: int) -> tuple[torch.Tensor, torch.Tensor, list[str]]:
    """The first ``window`` frames of up to ``limit`` pairs (evenly spread): motions (canonical), music and the
    pairs' sources."""
    rows = torch.nonzero(pairs.frames >= window)[:, 0]
    rows = rows[torch.linspace(0, len(rows) - 1, min(limit, len(rows))).round().long()]
    sources = [pairs.sources[i] if i < len(pairs.sources) else str(i) for i in rows.tolist()]
    return canonicalize_vectors(pairs.motion[rows, :window]), pairs.features[rows, :window], sources


def other_music(sources: list[str]) -> np.ndarray:
    """For each pair, the index of another pair whose music is not its own, for the shuffled-music control.

    A style's pairs come in families that share or nearly share music: a motion and its mirror have the same
    track, and the samples of one clip (``VIDEO/CLIP/SAMPLE#...``) have tracks built on nearly the same beats.
    So the control takes music from another clip when there is one, else from another motion (rolling the rows
    by one, as before, paired half the rows with their own music). Starts half-way round, so neighbours in
    time are not chosen first."""
    n = len(sources)
    motion = [s.split("#")[0] for s in sources]
    clip = [m.rsplit("/", 1)[0] for m in motion]
    for keys in (clip, motion):
        if len(set(keys)) > 1:
            return np.array([next((i + d) % n for d in range(n // 2, n // 2 + n) if keys[(i + d) % n] != keys[i])
                             for i in range(n)])  # fmt: skip
    return np.roll(np.arange(n), 1)


def evaluate_style(style: StyleSet, base: DanceModel, base_reference: np.ndarray, *, clips: int = 48,
                   steps: int = 20, seed: int = 0) -> dict[str, dict[str, float]]:  # fmt: skip
    """Rows {model name: metrics} for the base and the style's models on the style's music."""
    from vimo.apps.stylize import MIN_FRAMES, StylePairs

    pairs = StylePairs.load(style.pairs)
    window = min(base.model.cfg.max_frames, int(pairs.frames[pairs.frames >= MIN_FRAMES].min()))
    motion, music, sources = _clips(pairs, window, clips)
    ref_joints = window_joints(motion)[0].numpy()
    ref_k, ref_m = features(ref_joints)
    base_k, base_m = features(base_reference[:, :window])
    # One z-scoring reference for every FID and Div of the table: the style's motions and the base's dances
    # together. The style's few clips alone leave manual features with zero spread (std 0 -> 1e-10), which
    # blows their FID up to ~1e17 whatever the model does.
    norm_k, norm_m = np.concatenate([ref_k, base_k]), np.concatenate([ref_m, base_m])
    shuffled = music[torch.from_numpy(other_music(sources))]

    def beat_rows(own: np.ndarray, shuffled_scores: np.ndarray) -> dict:
        gain = own - shuffled_scores  # paired per clip: the same music scored against both dances
        ci = bootstrap_ci(np.mean, gain, n=1000, rng=np.random.default_rng([seed, 11]))
        return {"ba": float(own.mean()), "ba_shuffled": float(shuffled_scores.mean()), "ba_gain": float(gain.mean()),
                "ba_gain_ci95": [ci.low, ci.high]}  # fmt: skip

    rows = {"reference (style motions)": beat_rows(beat_alignment_scores(ref_joints, music.numpy()),
                                                   beat_alignment_scores(ref_joints, shuffled.numpy()))}  # fmt: skip
    models = {"base": base, **{m: DanceModel.load(p) for m, p in style.models.items()}}
    for name, model in models.items():
        own = dance_clips(model, music, steps=steps, seed=seed)
        other = dance_clips(model, shuffled, steps=steps, seed=seed)
        k, m = features(own)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # small sets: N is reported instead
            rows[name] = {
                **beat_rows(beat_alignment_scores(own, music.numpy()), beat_alignment_scores(other, music.numpy())),
                "pfc": pfc_dataset(list(own)),
                "jitter": jitter(own),
                "div_k": diversity(k, norm_k),
                "div_m": diversity(m, norm_m),
                "fid_k_style": fid(k, ref_k, norm_k).value,
                "fid_m_style": fid(m, ref_m, norm_m).value,
                "fid_k_base": fid(k, base_k, norm_k).value,
                "fid_m_base": fid(m, base_m, norm_m).value,
            }
    rows["reference (style motions)"].update({"pfc": pfc_dataset(list(ref_joints)), "jitter": jitter(ref_joints),
                                              "div_k": diversity(ref_k, norm_k),
                                              "div_m": diversity(ref_m, norm_m)})  # fmt: skip
    for r in rows.values():
        r["n"] = len(music)
    return rows


COLUMNS = ("ba", "ba_shuffled", "ba_gain_ci95", "pfc", "jitter", "div_k", "div_m", "fid_k_style", "fid_m_style",
           "fid_k_base", "fid_m_base", "n")  # fmt: skip
HEADERS = ("BA ↑", "BA shuffled", "BA - shuffled (95 % CI)", "PFC ↓", "Jitter", "Div_k", "Div_m", "FID_k style ↓",
           "FID_m style ↓", "FID_k base", "FID_m base", "N")  # fmt: skip


def _cell(row: dict, column: str) -> str:
    if column not in row:
        return ""
    if column == "ba_gain_ci95":
        low, high = row[column]
        return f"{row['ba_gain']:+.3f} [{low:+.3f}, {high:+.3f}]"
    return f"{row[column]:.0f}" if column == "n" else f"{row[column]:.3g}"


def markdown(report: dict[str, dict[str, dict[str, float]]]) -> str:
    lines = ["| style | model | " + " | ".join(HEADERS) + " |", "|---" * (len(HEADERS) + 2) + "|"]
    for style, rows in report.items():
        for model, r in rows.items():
            cells = [_cell(r, c) for c in COLUMNS]
            lines.append(f"| {style} | {model} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def write(report: dict, out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    with atomic_path(out_dir / "stylization.json") as tmp:
        tmp.write_text(json.dumps(report, indent=1))
    with atomic_path(out_dir / "stylization.md") as tmp:
        tmp.write_text(markdown(report))


__all__ = ["StyleSet", "evaluate_style", "dance_clips", "other_music", "markdown", "write"]
