"""The video benchmark suites, with MediaPipe 2D extraction in the loop (the path ``vimo run`` takes).

- ``rendered``: held-out test motions (the casual suite's windows) filmed by the mannequin renderer, so the 3D
  truth is known;
- ``real``: the real clips in ``../shared/data/videos``, without 3D truth.

Methods, all given the same extracted keypoints (:func:`vimo.video.extract.extract_keypoints`, 30 fps):

- ``vimo``: one sample (:func:`vimo.pipeline.generate_any`: the bundle's guidance, foot locking on, as ``vimo run``);
- ``baseline_motionbert``: the deterministic lifter (:mod:`vimo.lifter`), when one is given;
- ``mediapipe_world``: BlazePose's own 3D world landmarks from the same extraction (SPEC section 3), the 17 COCO
  ones (:func:`mediapipe_coco17`). Frames where BlazePose found no pose are filled by linear interpolation between
  the nearest found frames (held at the ends); ``pose_found`` reports how many were found.

Accuracy, jitter and fidelity score every method on the same 17 points: ``motion_markers`` (the virtual COCO
markers) for the SMPL methods.

Rendered suite. Per camera regime the same ``windows_per_regime`` test windows (spread over the split, as the
casual suite picks them), cut to ``seconds``, are filmed by the casual-camera simulator's cameras for that regime
(:mod:`vimo.data.camera_sim`: static = a tripod; moving = follow + orbit + dolly + zoom + shake; montage = cuts
between static shots every 1-4 s; tracking = a tight crop following the hips, limbs may leave it), at 640x480 and
30 fps, drawn by the ray caster (what ``vimo demo`` films; MediaPipe finds the figure on ~all frames). Per clip,
against the truth:

- ``pa_mpjpe_17_mm``: PA-MPJPE (per-frame Procrustes) on the 17 keypoints;
- ``root_aligned_mpjpe_17_mm``: MPJPE after centring every frame on the hip midpoint and one rotation per clip,
  fitted to the truth (no method knows the camera's orientation, and the peer answers in the camera's axes; but
  a body that turns or leans when only the camera moves is counted here, where PA-MPJPE, aligned per frame,
  forgives it);
- ``pa_mpjpe_24_mm``, ``foot_skate_m_s`` (SMPL methods only): PA-MPJPE on the 24 joints; toe speed on the truth's
  contact frames;
- ``jitter_m_s3``: of the hip-centred 17 keypoints (comparable with the peer, which has no root motion); the
  truth's own is reported under ``reference``;
- ``fidelity_pck``: the camera-agnostic 2D fidelity against the extracted keypoints (SPEC section 4).

Per regime: the mean over clips, ``n`` clips, a 95 % bootstrap interval over clips for the PA-MPJPEs, and ``all``
(every clip of every regime). The extraction is scored as well: ``pck`` = the share of truth keypoints inside
the image (projected with the true cameras) detected (confidence >= 0.3, after cleaning) within 5 % of the
person's projected height; missed keypoints count as misses. The truth there is the virtual markers, so where
BlazePose's idea of a joint differs from theirs (hips most), that offset counts too.

Cost at the default size (4 regimes x 4 windows x 5 s, 50 DDIM steps), on 2 shared CPU cores: ~4 minutes (per
clip ~6 s rendering, ~5 s extraction, ~1 s ViMo); a re-run with the same ``work_dir`` only runs the methods.

Real suite, per clip and method: 2D fidelity (error in torso lengths and PCK@0.25 torso, against the extracted
keypoints); jitter (as above); foot skating (toe speed on frames where the toe is within 5 cm of the floor; SMPL
methods only: the peer's landmarks are hip-centred, without world motion, so their skating is not measurable);
bone-length stability (coefficient of variation over time of the 8 limb bones, mean over bones, on frames with
output, on each method's own skeleton: SMPL joints, rigid by construction, so ~0; the peer's landmarks, whose
bones stretch). The peer's fidelity is measured against keypoints from the same BlazePose run, so
it is favoured there.

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
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from vimo.apps.dataset import file_sha256
from vimo.data.camera_sim import Regime, SimConfig, SimResult, simulate
from vimo.data.dataset import WindowCache
from vimo.data.markers import motion_markers
from vimo.eval.distribution import bootstrap_ci
from vimo.eval.fidelity import reprojection_fidelity
from vimo.eval.metrics import (
    COCO17_LIMBS,
    SMPL_LIMBS,
    bone_length_cv,
    foot_skating,
    foot_skating_near_ground,
    jitter,
    mpjpe,
    pa_mpjpe,
)
from vimo.geometry.camera import project
from vimo.io.atomic import atomic_open
from vimo.keypoints import COCO17_NAMES, Keypoints2D
from vimo.motion import Motion
from vimo.pipeline import GenerationConfig, generate_any
from vimo.render import HasCameras, render_frames
from vimo.representation import from_vector
from vimo.training.batches import CASUAL_SIM_CONFIG
from vimo.training.validation import evaluation_indices
from vimo.video.extract import ExtractionConfig, extract_keypoints
from vimo.video.pose import BLAZEPOSE33_NAMES, BLAZEPOSE_INDEX_OF_COCO17
from vimo.video.writer import write_video
from vimo.video_run import is_video

log = logging.getLogger(__name__)

STAGE_VERSION = "1"  # bump when a cached extraction would change
FPS = 30.0
RENDER_SIZE = (640, 480)  # (width, height) pixels of the rendered test videos
# The casual suite's cameras (training framing), at the rendered videos' size; only the cameras are used.
RENDERED_SIM_CONFIG = replace(CASUAL_SIM_CONFIG, image_size_choices=(RENDER_SIZE,))
PCK_2D_THRESHOLD = 0.05  # extraction PCK: fraction of the person's projected height
MIN_CONF = ExtractionConfig().min_conf  # keypoints at or above this confidence count as detected

VIMO, BASELINE, PEER = "vimo", "baseline_motionbert", "mediapipe_world"
_HIPS = [COCO17_NAMES.index("left_hip"), COCO17_NAMES.index("right_hip")]
# MediaPipe world axes (x right, y down, z away from the camera) -> ours (Y up): a half turn about X.
_FROM_MEDIAPIPE = np.array([1.0, -1.0, -1.0])

# progress(label, done, total): called before each clip (label names it) and once at the end (done == total).
Progress = Callable[[str, int, int], None]

REAL_NOTES = (
    "fidelity: 2D error (torso lengths) and PCK@0.25 torso after a per-frame weak-perspective fit to the extracted "
    "keypoints; mediapipe_world is favoured (its 3D and those keypoints come from the same BlazePose run)",
    "jitter: third difference of the hip-centred 17 keypoints x fps^3 (m/s^3)",
    "foot skating: toe speed (m/s) on frames with the toe within 5 cm of the floor; not measurable for "
    "mediapipe_world (hip-centred landmarks: no world motion)",
    "bone CV: coefficient of variation of the 8 limb bone lengths over frames with output, mean over bones, on each "
    "method's own skeleton (SMPL joints: rigid by construction; mediapipe_world: its landmarks)",
)


# ----------------------------------------------------------------------------------------------------------------
# The MediaPipe peer


def mediapipe_coco17(world: np.ndarray) -> np.ndarray:
    """BlazePose world landmarks (..., 33, 3) -> the 17 COCO keypoints (..., 17, 3) in our axes.

    MediaPipe: metres, origin between the hips, x right, y down, z away from the camera. Ours: Y up, and a body
    facing the camera faces +Z with its left side at +X (as SMPL's rest pose). That is a half turn about X,
    (x, y, z) -> (x, -y, -z); flipping y alone would mirror the body, which no rotation (so no Procrustes) undoes.
    NaN rows (no pose) stay NaN.
    """
    world = np.asarray(world, dtype=np.float64)
    if world.shape[-2:] != (len(BLAZEPOSE33_NAMES), 3):
        raise ValueError(f"mediapipe_coco17: expected landmarks (..., 33, 3), got {world.shape}")
    return world[..., list(BLAZEPOSE_INDEX_OF_COCO17), :] * _FROM_MEDIAPIPE


def fill_missing_frames(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(T, K, 3) with NaN on frames without output -> (filled copy, found (T,) bool): each coordinate linearly
    interpolated over time between found frames, held at the ends. Nothing found: the input, all False."""
    points = np.asarray(points, dtype=np.float64)
    found = np.isfinite(points).all(axis=(-1, -2))
    if not found.any():
        return points.copy(), found
    t = np.arange(len(points))
    flat = points.reshape(len(points), -1)
    filled = np.stack([np.interp(t, t[found], flat[found, c]) for c in range(flat.shape[1])], axis=-1)
    return filled.reshape(points.shape), found


# ----------------------------------------------------------------------------------------------------------------
# Extraction, cached


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


def _extract(video: Path) -> ClipExtraction:
    t0 = time.perf_counter()
    ex = extract_keypoints(video, fps=FPS)
    return ClipExtraction(ex.keypoints, np.asarray(ex.world_landmarks, np.float32), float(ex.coverage.detected),
                          tuple(ex.warnings), time.perf_counter() - t0)  # fmt: skip


def _cache_key(*parts: object, arrays: Sequence[np.ndarray] = ()) -> str:
    h = hashlib.sha256(json.dumps([STAGE_VERSION, asdict(ExtractionConfig()), *parts], sort_keys=True,
                                  default=str).encode())  # fmt: skip
    for a in arrays:
        h.update(np.ascontiguousarray(a, dtype=np.float32).tobytes())
    return h.hexdigest()[:16]


def _load_cached(path: Path) -> ClipExtraction | None:
    if not path.exists():
        return None
    try:
        return ClipExtraction.load(path)
    except (OSError, ValueError, KeyError) as exc:
        log.warning("%s: cached extraction unreadable (%s); extracting again", path, exc)
        return None


@contextmanager
def _work_dir(work_dir: str | os.PathLike | None) -> Iterator[Path]:
    if work_dir is not None:
        path = Path(work_dir)
        path.mkdir(parents=True, exist_ok=True)
        yield path
    else:
        with tempfile.TemporaryDirectory(prefix="vimo-eval-") as tmp:
            yield Path(tmp)


# ----------------------------------------------------------------------------------------------------------------
# Methods


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


def _models(vimo: object, baseline: object | None) -> dict[str, object]:
    return {VIMO: vimo} | ({BASELINE: baseline} if baseline is not None else {})


# ----------------------------------------------------------------------------------------------------------------
# Scores


def _hip_centred(points: np.ndarray) -> np.ndarray:
    return points - points[..., _HIPS, :].mean(-2, keepdims=True)


def rotation_aligned(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """pred (T, K, 3) turned about the origin by the one rotation (for all frames) that best fits gt (T, K, 3) in
    the least-squares sense (Kabsch; no scale, no reflection)."""
    u, _, vt = np.linalg.svd(pred.reshape(-1, 3).T @ gt.reshape(-1, 3))
    fix = np.diag([1.0, 1.0, np.sign(np.linalg.det(u @ vt))])
    return pred @ (u @ fix @ vt)


def _number(x: float | None) -> float | None:
    """JSON-friendly: NaN/inf -> None."""
    return None if x is None or not np.isfinite(x) else float(x)


def score_against_truth(pred: Prediction, truth: Motion, keypoints: Keypoints2D) -> dict[str, float | None]:
    """The rendered suite's metrics of one method on one clip (see the module docstring)."""
    gt_markers = motion_markers(truth).astype(np.float64)
    n = min(len(pred.markers), len(gt_markers))
    p17, g17 = pred.markers[:n], gt_markers[:n]
    pc, gc = _hip_centred(p17), _hip_centred(g17)
    out = {
        "pa_mpjpe_17_mm": 1000 * pa_mpjpe(p17, g17),
        "root_aligned_mpjpe_17_mm": 1000 * mpjpe(rotation_aligned(pc, gc), gc),
        "pa_mpjpe_24_mm": None,
        "foot_skate_m_s": None,
        "jitter_m_s3": jitter(pc),
        "fidelity_pck": reprojection_fidelity(pred.markers, keypoints.data[: len(pred.markers)]).pck,
        "pose_found": float(pred.found.mean()),
    }
    if pred.joints is not None:
        gt_joints = truth.joints().astype(np.float64)[:n]
        out["pa_mpjpe_24_mm"] = 1000 * pa_mpjpe(pred.joints[:n], gt_joints)
        if truth.contacts is not None:
            out["foot_skate_m_s"] = foot_skating(pred.joints[:n], truth.contacts[:n])
    return {k: _number(v) for k, v in out.items()}


def extraction_pck(keypoints: Keypoints2D, truth_markers: np.ndarray, cameras: HasCameras) -> dict[str, float | None]:
    """2D extraction against the truth's markers (T, 17, 3) projected by the true cameras (see the module
    docstring): ``pck``, ``detected`` (share of the in-image truth keypoints detected at all) and ``error``
    (mean error of the detected ones, in person heights)."""
    n = min(keypoints.num_frames, len(truth_markers), len(cameras.R))
    proj = project(truth_markers[:n], cameras.R[:n, None], cameras.t[:n, None], cameras.focal[:n, None],
                   cameras.principal[:n, None])  # fmt: skip
    px, depth = proj.pixels, proj.depth  # (T, 17, 2), (T, 17)
    w, h = cameras.image_size
    inside = (depth > 0.1) & (px[..., 0] >= 0) & (px[..., 0] <= w) & (px[..., 1] >= 0) & (px[..., 1] <= h)
    ys = np.where(depth > 0.1, px[..., 1], np.nan)
    with np.errstate(invalid="ignore"):
        height = np.nanmax(ys, axis=1) - np.nanmin(ys, axis=1)  # (T,) the person's projected height
    data = keypoints.data[:n]
    detected = inside & (data[..., 2] >= MIN_CONF)
    err = np.linalg.norm(data[..., :2] - px, axis=-1) / np.maximum(np.nan_to_num(height, nan=1.0), 1.0)[:, None]
    total = inside.sum()
    return {
        "pck": _number((detected & (err < PCK_2D_THRESHOLD)).sum() / total if total else None),
        "detected": _number(detected.sum() / total if total else None),
        "error": _number(err[detected].mean() if detected.any() else None),
    }


def _aggregate(rows: list[dict], rng: np.random.Generator, ci_keys: tuple[str, ...] = ()) -> dict:
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


# ----------------------------------------------------------------------------------------------------------------
# The rendered suite


def _rendered_extraction(truth: Motion, cameras: SimResult, name: str, work: Path, render_method: str
                         ) -> tuple[ClipExtraction, bool, float]:  # fmt: skip
    """(extraction, whether it came from the cache, seconds spent rendering) for one rendered clip."""
    key = _cache_key(name, render_method, list(cameras.image_size), FPS,
                     arrays=(truth.rotations, truth.root_position, cameras.R, cameras.t, cameras.focal,
                             cameras.principal))  # fmt: skip
    cache_file = work / f"{name}-{key}.npz"
    cached = _load_cached(cache_file)
    if cached is not None:
        return cached, True, 0.0
    t0 = time.perf_counter()
    video = write_video(render_frames(truth, cameras, method=render_method), work / f"{name}-{key}.mp4", FPS)
    render_s = time.perf_counter() - t0
    extraction = _extract(video)
    extraction.save(cache_file)
    return extraction, False, render_s


def rendered_report(
    vimo,
    cache: WindowCache,
    *,
    baseline=None,
    windows_per_regime: int = 4,
    regimes: Sequence[Regime | str] = tuple(Regime),
    seconds: float = 5.0,
    seed: int = 0,
    work_dir: str | os.PathLike | None = None,
    progress: Progress | None = None,
    split: str = "test",
    steps: int = 50,
    render_method: str = "raycast",
    sim_config: SimConfig = RENDERED_SIM_CONFIG,
) -> dict:
    """The rendered suite (module docstring): {"config", "methods": {method: {regime | "all": metrics}},
    "reference": {"ground_truth": ...}, "extraction": {regime | "all": ...}, "clips": [...], "timings_s"}.

    vimo: a :class:`vimo.pipeline.ViMo`; baseline: a :class:`vimo.lifter.Lifter` or None. A clip that fails
    (e.g. no person found) is listed with its ``error`` and left out of the means (``failed`` counts them).
    """
    frames = int(round(seconds * FPS))
    if not 4 <= frames <= cache.window:
        raise ValueError(f"rendered_report: seconds must give 4..{cache.window} frames (the cache's window) at "
                         f"{FPS:g} fps, got {seconds} s = {frames} frames")  # fmt: skip
    if render_method not in ("raycast", "raster"):
        raise ValueError(f"rendered_report: render_method must be 'raycast' or 'raster', got {render_method!r}")
    if windows_per_regime < 1:
        raise ValueError(f"rendered_report: windows_per_regime must be >= 1, got {windows_per_regime}")
    regimes = [Regime(r) for r in regimes]
    report_progress = progress or (lambda label, done, total: None)
    idx = evaluation_indices(cache, split, windows_per_regime)
    truths = [from_vector(x[:frames].numpy(), fps=FPS) for x in cache.batch(split, idx)]
    truth_markers = [motion_markers(m).astype(np.float64) for m in truths]
    models = _models(vimo, baseline)
    clips: list[dict] = []
    timings = {"render_s": 0.0, "extract_s": 0.0} | {f"{m}_s": 0.0 for m in models}
    total = len(regimes) * len(truths)
    with _work_dir(work_dir) as work:
        for regime in regimes:
            r_i = list(Regime).index(regime)  # cameras depend on the regime and the window, not on the others run
            for i, (w, truth, markers) in enumerate(zip(idx.tolist(), truths, truth_markers)):
                name = f"{regime.value}-{split}{w:05d}-{frames}f-s{seed}"
                report_progress(name, len(clips), total)
                entry: dict = {"regime": regime.value, "window": w, "name": name}
                try:
                    rng = np.random.default_rng([seed, r_i, w])
                    cameras = simulate(markers, regime=regime, config=sim_config, rng=rng, fps=FPS)
                    extraction, cached, render_s = _rendered_extraction(truth, cameras, name, work, render_method)
                    timings["render_s"] += render_s
                    timings["extract_s"] += 0.0 if cached else extraction.seconds
                    preds = predict_methods(models, extraction, seed=seed * 1000 + r_i * 100 + i, steps=steps)
                    for m in models:
                        timings[f"{m}_s"] += preds[m].seconds
                    gc = _hip_centred(markers)
                    entry |= {
                        "cached": cached,
                        "frames": extraction.keypoints.num_frames,
                        "pose_found": extraction.detected,
                        "extraction": extraction_pck(extraction.keypoints, markers, cameras),
                        "truth_jitter_m_s3": _number(jitter(gc)),
                        "methods": {m: score_against_truth(p, truth, extraction.keypoints) for m, p in preds.items()},
                    }
                except Exception as exc:  # noqa: BLE001 -- one bad clip must not end the suite; it is reported
                    log.warning("rendered clip %s failed: %s", name, exc)
                    entry["error"] = f"{type(exc).__name__}: {exc}"
                clips.append(entry)
    report_progress("done", total, total)
    method_names = [*models, PEER]
    groups = {r.value: [c for c in clips if c["regime"] == r.value] for r in regimes} | {"all": clips}
    out_methods: dict = {m: {} for m in method_names}
    extraction_scores, reference = {}, {}
    for g, (group, rows) in enumerate(groups.items()):
        ok = [c for c in rows if "error" not in c]
        for m in method_names:
            out_methods[m][group] = _aggregate([c["methods"][m] for c in ok], np.random.default_rng([seed, g, 7]),
                                               ci_keys=("pa_mpjpe_17_mm", "pa_mpjpe_24_mm"))  # fmt: skip
            out_methods[m][group]["failed"] = len(rows) - len(ok)
        extraction_scores[group] = _aggregate([c["extraction"] | {"pose_found": c["pose_found"]} for c in ok],
                                              np.random.default_rng(0))  # fmt: skip
        reference[group] = _aggregate([{"jitter_m_s3": c["truth_jitter_m_s3"]} for c in ok], np.random.default_rng(0))
    config = {"split": split, "windows_per_regime": len(truths), "regimes": [r.value for r in regimes],
              "seconds": frames / FPS, "frames": frames, "seed": seed, "steps": steps,
              "guidance": float(vimo.guidance), "render_method": render_method, "image_size": list(RENDER_SIZE),
              "fps": FPS, "pck_2d_threshold_height": PCK_2D_THRESHOLD, "baseline": baseline is not None}  # fmt: skip
    return {"suite": "rendered", "config": config, "methods": out_methods, "reference": {"ground_truth": reference},
            "extraction": extraction_scores, "clips": clips, "timings_s": timings}  # fmt: skip


# ----------------------------------------------------------------------------------------------------------------
# The real suite


def find_clips(videos_dir: str | os.PathLike) -> list[Path]:
    """Video files under ``videos_dir`` (recursively), sorted."""
    return sorted(p for p in Path(videos_dir).rglob("*") if p.is_file() and is_video(p))


def score_real(pred: Prediction, keypoints: Keypoints2D) -> dict[str, float | None]:
    """The real suite's metrics of one method on one clip (see the module docstring)."""
    fid = reprojection_fidelity(pred.markers, keypoints.data[: len(pred.markers)])
    # Each method's own skeleton: the SMPL joints (the COCO hip markers sit off SMPL's hip joints, in the pelvis
    # frame, so the marker thighs change length with the hip's rotation), the peer's landmarks.
    bones = (
        bone_length_cv(pred.markers[pred.found], COCO17_LIMBS)
        if pred.joints is None
        else bone_length_cv(pred.joints[pred.found], SMPL_LIMBS)
    )
    out = {
        "fidelity_error": fid.error,
        "fidelity_pck": fid.pck,
        "jitter_m_s3": jitter(_hip_centred(pred.markers)),
        "foot_skate_m_s": None if pred.joints is None else foot_skating_near_ground(pred.joints),
        "bone_length_cv": bones,
        "frames": float(len(pred.markers)),
        "output_frames": float(pred.found.mean()),
    }
    return {k: _number(v) for k, v in out.items()}


def _real_extraction(path: Path, name: str, work: Path) -> tuple[ClipExtraction, bool]:
    key = _cache_key(name, FPS, file_sha256(path))
    cache_file = work / f"{name.replace('/', '__')}-{key}.npz"
    cached = _load_cached(cache_file)
    if cached is not None:
        return cached, True
    extraction = _extract(path)
    extraction.save(cache_file)
    return extraction, False


def real_report(
    vimo,
    videos_dir: str | os.PathLike,
    *,
    baseline=None,
    work_dir: str | os.PathLike | None = None,
    progress: Progress | None = None,
    seed: int = 0,
    steps: int = 50,
) -> dict:
    """The real suite (module docstring): {"config", "skipped", "clips": {relative path: {"frames", "coverage",
    "warnings", "cached", "methods": {method: metrics}} or {"error"}}, "summary": {method: means over clips},
    "notes", "timings_s"}. ``skipped`` names the reason when the folder is absent or holds no videos.

    vimo: a :class:`vimo.pipeline.ViMo`; baseline: a :class:`vimo.lifter.Lifter` or None.
    """
    videos_dir = Path(videos_dir)
    report_progress = progress or (lambda label, done, total: None)
    models = _models(vimo, baseline)
    config = {"videos_dir": str(videos_dir), "seed": seed, "steps": steps, "guidance": float(vimo.guidance),
              "fps": FPS, "baseline": baseline is not None}  # fmt: skip
    timings = {"extract_s": 0.0} | {f"{m}_s": 0.0 for m in models}
    report: dict = {"suite": "real", "config": config, "skipped": None, "clips": {}, "summary": {},
                    "notes": list(REAL_NOTES), "timings_s": timings}  # fmt: skip
    if not videos_dir.is_dir():
        report["skipped"] = f"no folder {videos_dir} (the real clips live in ../shared/data/videos)"
        return report
    clips = find_clips(videos_dir)
    if not clips:
        report["skipped"] = f"no video files under {videos_dir}"
        return report
    with _work_dir(work_dir) as work:
        for k, path in enumerate(clips):
            name = path.relative_to(videos_dir).as_posix()
            report_progress(name, k, len(clips))
            try:
                extraction, cached = _real_extraction(path, name, work)
                timings["extract_s"] += 0.0 if cached else extraction.seconds
                preds = predict_methods(models, extraction, seed=seed * 1000 + k, steps=steps)
                for m in models:
                    timings[f"{m}_s"] += preds[m].seconds
                report["clips"][name] = {
                    "frames": extraction.keypoints.num_frames,
                    "coverage": extraction.detected,
                    "warnings": list(extraction.warnings),
                    "cached": cached,
                    "methods": {m: score_real(p, extraction.keypoints) for m, p in preds.items()},
                }
            except Exception as exc:  # noqa: BLE001 -- one bad clip must not end the suite; it is reported
                log.warning("real clip %s failed: %s", name, exc)
                report["clips"][name] = {"error": f"{type(exc).__name__}: {exc}"}
    report_progress("done", len(clips), len(clips))
    ok = [c for c in report["clips"].values() if "error" not in c]
    for m in [*models, PEER]:
        report["summary"][m] = _aggregate([c["methods"][m] for c in ok], np.random.default_rng(0))
        report["summary"][m]["failed"] = len(report["clips"]) - len(ok)
    return report


# ----------------------------------------------------------------------------------------------------------------
# Markdown


def _cell(value: float | None, fmt: str, ci: list[float] | None = None) -> str:
    if value is None:
        return "–"
    text = format(value, fmt)
    return text + (f" [{format(ci[0], fmt)}, {format(ci[1], fmt)}]" if ci else "")


RENDERED_TABLES: tuple[tuple[str, str, str], ...] = (
    ("pa_mpjpe_17_mm", "PA-MPJPE, 17 COCO keypoints (mm; 95 % interval over clips)", ".1f"),
    ("root_aligned_mpjpe_17_mm", "MPJPE, hip-centred, one rotation per clip, 17 COCO keypoints (mm)", ".1f"),
    ("pa_mpjpe_24_mm", "PA-MPJPE, 24 SMPL joints (mm; 95 % interval over clips)", ".1f"),
    ("jitter_m_s3", "Jitter of the hip-centred 17 keypoints (m/s^3)", ".1f"),
    ("foot_skate_m_s", "Foot skating on true contact frames (m/s)", ".3f"),
    ("fidelity_pck", "2D fidelity PCK@0.25 torso against the extracted keypoints", ".3f"),
)


def rendered_markdown(report: dict) -> str:
    """Tables of the rendered suite: one per metric, methods as rows, regimes (and all) as columns."""
    cfg = report["config"]
    groups = [*cfg["regimes"], "all"]
    head = f"| method | {' | '.join(groups)} |\n|---" + "|---" * len(groups) + "|"
    n = report["methods"][VIMO]["all"]["n"]
    failed = report["methods"][VIMO]["all"]["failed"]
    lines = [
        f"Rendered test videos: {cfg['windows_per_regime']} {cfg['split']} windows x {len(cfg['regimes'])} camera "
        f"regimes, {cfg['seconds']:g} s each, {cfg['image_size'][0]}x{cfg['image_size'][1]} at {cfg['fps']:g} fps "
        f"({cfg['render_method']}), MediaPipe 2D in the loop; {n} clips scored, {failed} failed. ViMo: 1 sample, "
        f"{cfg['steps']} DDIM steps, guidance {cfg['guidance']:g}.",
    ]
    for key, title, fmt in RENDERED_TABLES:
        lines += ["", title, "", head]
        for method, per_group in report["methods"].items():
            cells = [_cell(per_group[g].get(key), fmt, per_group[g].get(key + "_ci95") if g == "all" else None)
                     for g in groups]  # fmt: skip
            lines.append(f"| {method} | {' | '.join(cells)} |")
        if key == "jitter_m_s3":
            ref = report["reference"]["ground_truth"]
            lines.append(f"| ground truth | {' | '.join(_cell(ref[g].get(key), fmt) for g in groups)} |")
    ex = report["extraction"]
    lines += ["", f"2D extraction against the projected truth (PCK@{PCK_2D_THRESHOLD:g} of the person's height; "
              "missed keypoints count as misses)", "", head.replace("method", "extraction")]  # fmt: skip
    for key, label in (("pck", "PCK"), ("detected", "keypoints detected"), ("pose_found", "frames with a pose")):
        lines.append(f"| {label} | {' | '.join(_cell(ex[g].get(key), '.3f') for g in groups)} |")
    errors = [f"- {c['name']}: {c['error']}" for c in report["clips"] if "error" in c]
    if errors:
        lines += ["", "Failed clips:", *errors]
    return "\n".join(lines) + "\n"


REAL_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("fidelity_error", "2D error (torso)", ".3f"),
    ("fidelity_pck", "2D PCK", ".3f"),
    ("jitter_m_s3", "jitter (m/s^3)", ".1f"),
    ("foot_skate_m_s", "foot skate (m/s)", ".3f"),
    ("bone_length_cv", "bone CV", ".4f"),
    ("output_frames", "frames with output", ".2f"),
)


def real_markdown(report: dict) -> str:
    """Tables of the real suite: the mean over clips, then one per clip; methods as rows."""
    if report.get("skipped"):
        return f"Real videos: skipped ({report['skipped']}).\n"
    head = "| method | " + " | ".join(c[1] for c in REAL_COLUMNS) + " |\n|---" + "|---" * len(REAL_COLUMNS) + "|"

    def table(per_method: dict) -> list[str]:
        return [head] + [f"| {m} | " + " | ".join(_cell(v.get(k), fmt) for k, _, fmt in REAL_COLUMNS) + " |"
                         for m, v in per_method.items()]  # fmt: skip

    ok = [c for c in report["clips"].values() if "error" not in c]
    lines = [f"Real videos in {report['config']['videos_dir']}: {len(ok)} of {len(report['clips'])} clips scored "
             f"(no 3D truth). ViMo: 1 sample, {report['config']['steps']} DDIM steps.", "",
             "Mean over clips", "", *table(report["summary"])]  # fmt: skip
    for name, clip in report["clips"].items():
        if "error" in clip:
            lines += ["", f"{name}: failed ({clip['error']})"]
            continue
        lines += ["", f"{name}: {clip['frames']} frames, a pose on {clip['coverage']:.0%} of them", "",
                  *table(clip["methods"])]  # fmt: skip
    lines += ["", "Notes:", *(f"- {n}" for n in report["notes"])]
    return "\n".join(lines) + "\n"
