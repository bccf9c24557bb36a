"""The rendered video suite: held-out test motions filmed by the mannequin renderer, so the 3D truth is known.

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
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from vimo.data.camera_sim import CASUAL_SIM_CONFIG, Regime, SimConfig, SimResult, simulate
from vimo.data.dataset import WindowCache
from vimo.data.markers import motion_markers
from vimo.eval.fidelity import reprojection_fidelity
from vimo.eval.metrics import foot_skating, jitter, mpjpe, pa_mpjpe
from vimo.eval.videos.common import (
    FPS,
    MIN_CONF,
    PEER,
    VIMO,
    ClipExtraction,
    Prediction,
    Progress,
    aggregate,
    cache_key,
    cell,
    extract_clip,
    hip_centred,
    load_cached,
    models_by_name,
    predict_methods,
    work_dir_for,
)
from vimo.geometry.camera import project
from vimo.keypoints import Keypoints2D
from vimo.motion import Motion
from vimo.numeric import finite_or_none
from vimo.representation import from_vector
from vimo.training.validation import evaluation_indices
from vimo.video.writer import write_video
from vimo.viz.cameras import HasCameras
from vimo.viz.scene import render_frames

log = logging.getLogger(__name__)

RENDER_SIZE = (640, 480)  # (width, height) pixels of the rendered test videos
# The casual suite's cameras (training framing), at the rendered videos' size; only the cameras are used.
RENDERED_SIM_CONFIG = replace(CASUAL_SIM_CONFIG, image_size_choices=(RENDER_SIZE,))
PCK_2D_THRESHOLD = 0.05  # extraction PCK: fraction of the person's projected height


def rotation_aligned(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """pred (T, K, 3) turned about the origin by the one rotation (for all frames) that best fits gt (T, K, 3) in
    the least-squares sense (Kabsch; no scale, no reflection)."""
    u, _, vt = np.linalg.svd(pred.reshape(-1, 3).T @ gt.reshape(-1, 3))
    fix = np.diag([1.0, 1.0, np.sign(np.linalg.det(u @ vt))])
    return pred @ (u @ fix @ vt)


def score_against_truth(pred: Prediction, truth: Motion, keypoints: Keypoints2D) -> dict[str, float | None]:
    """The rendered suite's metrics of one method on one clip (see the module docstring)."""
    gt_markers = motion_markers(truth).astype(np.float64)
    n = min(len(pred.markers), len(gt_markers))
    p17, g17 = pred.markers[:n], gt_markers[:n]
    pc, gc = hip_centred(p17), hip_centred(g17)
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
    return {k: finite_or_none(v) for k, v in out.items()}


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
        "pck": finite_or_none((detected & (err < PCK_2D_THRESHOLD)).sum() / total if total else None),
        "detected": finite_or_none(detected.sum() / total if total else None),
        "error": finite_or_none(err[detected].mean() if detected.any() else None),
    }


def _rendered_extraction(truth: Motion, cameras: SimResult, name: str, work: Path, render_method: str
                         ) -> tuple[ClipExtraction, bool, float]:  # fmt: skip
    """(extraction, whether it came from the cache, seconds spent rendering) for one rendered clip."""
    key = cache_key(name, render_method, list(cameras.image_size), FPS,
                     arrays=(truth.rotations, truth.root_position, cameras.R, cameras.t, cameras.focal,
                             cameras.principal))  # fmt: skip
    cache_file = work / f"{name}-{key}.npz"
    cached = load_cached(cache_file)
    if cached is not None:
        return cached, True, 0.0
    t0 = time.perf_counter()
    video = write_video(render_frames(truth, cameras, method=render_method), work / f"{name}-{key}.mp4", FPS)
    render_s = time.perf_counter() - t0
    extraction = extract_clip(video)
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
    models = models_by_name(vimo, baseline)
    clips: list[dict] = []
    timings = {"render_s": 0.0, "extract_s": 0.0} | {f"{m}_s": 0.0 for m in models}
    total = len(regimes) * len(truths)
    with work_dir_for(work_dir) as work:
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
                    gc = hip_centred(markers)
                    entry |= {
                        "cached": cached,
                        "frames": extraction.keypoints.num_frames,
                        "pose_found": extraction.detected,
                        "extraction": extraction_pck(extraction.keypoints, markers, cameras),
                        "truth_jitter_m_s3": finite_or_none(jitter(gc)),
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
            out_methods[m][group] = aggregate([c["methods"][m] for c in ok], np.random.default_rng([seed, g, 7]),
                                               ci_keys=("pa_mpjpe_17_mm", "pa_mpjpe_24_mm"))  # fmt: skip
            out_methods[m][group]["failed"] = len(rows) - len(ok)
        extraction_scores[group] = aggregate([c["extraction"] | {"pose_found": c["pose_found"]} for c in ok],
                                              np.random.default_rng(0))  # fmt: skip
        reference[group] = aggregate([{"jitter_m_s3": c["truth_jitter_m_s3"]} for c in ok], np.random.default_rng(0))
    config = {"split": split, "windows_per_regime": len(truths), "regimes": [r.value for r in regimes],
              "seconds": frames / FPS, "frames": frames, "seed": seed, "steps": steps,
              "guidance": float(vimo.guidance), "render_method": render_method, "image_size": list(RENDER_SIZE),
              "fps": FPS, "pck_2d_threshold_height": PCK_2D_THRESHOLD, "baseline": baseline is not None}  # fmt: skip
    return {"suite": "rendered", "config": config, "methods": out_methods, "reference": {"ground_truth": reference},
            "extraction": extraction_scores, "clips": clips, "timings_s": timings}  # fmt: skip


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
            cells = [cell(per_group[g].get(key), fmt, per_group[g].get(key + "_ci95") if g == "all" else None)
                     for g in groups]  # fmt: skip
            lines.append(f"| {method} | {' | '.join(cells)} |")
        if key == "jitter_m_s3":
            ref = report["reference"]["ground_truth"]
            lines.append(f"| ground truth | {' | '.join(cell(ref[g].get(key), fmt) for g in groups)} |")
    ex = report["extraction"]
    lines += ["", f"2D extraction against the projected truth (PCK@{PCK_2D_THRESHOLD:g} of the person's height; "
              "missed keypoints count as misses)", "", head.replace("method", "extraction")]  # fmt: skip
    for key, label in (("pck", "PCK"), ("detected", "keypoints detected"), ("pose_found", "frames with a pose")):
        lines.append(f"| {label} | {' | '.join(cell(ex[g].get(key), '.3f') for g in groups)} |")
    errors = [f"- {c['name']}: {c['error']}" for c in report["clips"] if "error" in c]
    if errors:
        lines += ["", "Failed clips:", *errors]
    return "\n".join(lines) + "\n"
