"""What the video suites share: the cached MediaPipe extraction of a clip, the methods run on it, and the
scoring and table helpers (the suites: ``rendered``, ``real``).

Caching: ``work_dir`` keeps each clip's extraction (``<name>-<key>.npz``, written atomically) and the rendered
videos. The key hashes the inputs (the truth window and its cameras, or the video's bytes) with the stage
version, render method and extraction settings, so a re-run with the same inputs renders and extracts nothing,
and a changed input never reads a stale result.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from vimo.data.markers import motion_markers
from vimo.eval.distribution import bootstrap_ci
from vimo.eval.videos.peer import fill_missing_frames, mediapipe_coco17
from vimo.generation import GenerationConfig, generate_any
from vimo.io.atomic import atomic_open
from vimo.keypoints import COCO17_NAMES, Keypoints2D
from vimo.video.extract import ExtractionConfig, extract_keypoints

log = logging.getLogger(__name__)

STAGE_VERSION = "1"  # bump when a cached extraction would change
FPS = 30.0
MIN_CONF = ExtractionConfig().min_conf  # keypoints at or above this confidence count as detected

VIMO, BASELINE, PEER = "vimo", "baseline_motionbert", "mediapipe_world"
_HIPS = [COCO17_NAMES.index("left_hip"), COCO17_NAMES.index("right_hip")]

# progress(label, done, total): called before each clip (label names it) and once at the end (done == total).
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class ClipExtraction:
    """What the suites keep of an extraction: cleaned keypoints (T, 17, 3) at 30 fps, MediaPipe world landmarks
    (T, 33, 3) (NaN where no pose), the fraction of frames with a pose, warnings and the seconds it took."""

    keypoints: Keypoints2D
    world: np.ndarray
    detected: float
    warnings: tuple[str, ...]
    seconds: float

    def save(self, path: Path) -> None:
        """Write an .npz atomically."""
        meta = {"fps": self.keypoints.fps, "image_size": list(self.keypoints.image_size), "detected": self.detected,
                "warnings": list(self.warnings), "seconds": self.seconds}  # fmt: skip
        with atomic_open(path, "wb") as fh:
            np.savez(fh, keypoints=self.keypoints.data, world=self.world, meta=np.array(json.dumps(meta)))

    @classmethod
    def load(cls, path: Path) -> ClipExtraction:
        with np.load(path) as f:
            meta = json.loads(str(f["meta"]))
            kp = Keypoints2D(f["keypoints"], float(meta["fps"]), tuple(meta["image_size"]))
            return cls(kp, f["world"], float(meta["detected"]), tuple(meta["warnings"]), float(meta["seconds"]))


def extract_clip(video: Path) -> ClipExtraction:
    """MediaPipe 2D (and world) keypoints of a video at 30 fps, timed."""
    t0 = time.perf_counter()
    ex = extract_keypoints(video, fps=FPS)
    return ClipExtraction(ex.keypoints, np.asarray(ex.world_landmarks, np.float32), float(ex.coverage.detected),
                          tuple(ex.warnings), time.perf_counter() - t0)  # fmt: skip


def cache_key(*parts: object, arrays: Sequence[np.ndarray] = ()) -> str:
    """16 hex digits hashing ``parts`` and ``arrays`` (as float32) with the stage version and extraction settings."""
    h = hashlib.sha256(json.dumps([STAGE_VERSION, asdict(ExtractionConfig()), *parts], sort_keys=True,
                                  default=str).encode())  # fmt: skip
    for a in arrays:
        h.update(np.ascontiguousarray(a, dtype=np.float32).tobytes())
    return h.hexdigest()[:16]


def load_cached(path: Path) -> ClipExtraction | None:
    """The cached extraction at ``path``; None when absent or unreadable (then it is extracted again)."""
    if not path.exists():
        return None
    try:
        return ClipExtraction.load(path)
    except (OSError, ValueError, KeyError) as exc:
        log.warning("%s: cached extraction unreadable (%s); extracting again", path, exc)
        return None


@contextmanager
def work_dir_for(work_dir: str | os.PathLike | None) -> Iterator[Path]:
    """``work_dir`` (created), or a temporary folder removed afterwards when None."""
    if work_dir is not None:
        path = Path(work_dir)
        path.mkdir(parents=True, exist_ok=True)
        yield path
    else:
        with tempfile.TemporaryDirectory(prefix="vimo-eval-") as tmp:
            yield Path(tmp)


@dataclass(frozen=True)
class Prediction:
    """One method's answer for a clip: markers (T, 17, 3) world metres, Y up (gaps filled); joints (T, 24, 3)
    for the SMPL methods, else None; found (T,) frames with output; seconds it took."""

    markers: np.ndarray
    joints: np.ndarray | None
    found: np.ndarray
    seconds: float


def predict_methods(
    models: dict[str, object], extraction: ClipExtraction, *, seed: int, steps: int
) -> dict[str, Prediction]:
    """Every model (a ViMo bundle or a lifter, by name) on the extracted keypoints, and the MediaPipe peer."""
    out = {}
    for name, model in models.items():
        t0 = time.perf_counter()
        motion = generate_any(model, extraction.keypoints, GenerationConfig(seed=seed, steps=steps)).motions[0]
        joints = motion.joints().astype(np.float64)
        out[name] = Prediction(motion_markers(motion).astype(np.float64), joints, np.ones(len(joints), bool),
                               time.perf_counter() - t0)  # fmt: skip
    markers, found = fill_missing_frames(mediapipe_coco17(extraction.world))
    out[PEER] = Prediction(markers, None, found, 0.0)
    return out


def models_by_name(vimo: object, baseline: object | None) -> dict[str, object]:
    """The generating methods by report name: ViMo, and the baseline when given."""
    return {VIMO: vimo} | ({BASELINE: baseline} if baseline is not None else {})


def hip_centred(points: np.ndarray) -> np.ndarray:
    """(..., 17, 3) COCO keypoints minus their hip midpoint."""
    return points - points[..., _HIPS, :].mean(-2, keepdims=True)


def aggregate(rows: list[dict], rng: np.random.Generator, ci_keys: tuple[str, ...] = ()) -> dict:
    """Mean over clips of every metric (ignoring None), n clips, and 95 % bootstrap intervals for ``ci_keys``."""
    out: dict = {"n": len(rows)}
    for key in dict.fromkeys(k for r in rows for k in r):
        vals = np.array([r[key] for r in rows if r.get(key) is not None], dtype=np.float64)
        out[key] = float(vals.mean()) if len(vals) else None
        if key in ci_keys:
            out[key + "_ci95"] = None
            if len(vals):
                ci = bootstrap_ci(np.mean, vals, rng=rng)
                out[key + "_ci95"] = [ci.low, ci.high]
    return out


def cell(value: float | None, fmt: str, ci: list[float] | None = None) -> str:
    """A Markdown table cell: ``value`` formatted (with its interval when given), or a dash for None."""
    if value is None:
        return "–"
    text = format(value, fmt)
    return text + (f" [{format(ci[0], fmt)}, {format(ci[1], fmt)}]" if ci else "")
