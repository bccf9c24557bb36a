"""The real video suite: the real clips in ``../shared/data/videos``, without 3D truth.

Real suite, per clip and method: 2D fidelity (error in torso lengths and PCK@0.25 torso, against the extracted
keypoints); jitter (as above); foot skating (toe speed on frames where the toe is within 5 cm of the floor; SMPL
methods only: the peer's landmarks are hip-centred, without world motion, so their skating is not measurable);
bone-length stability (coefficient of variation over time of the 8 limb bones, mean over bones, on frames with
output, on each method's own skeleton: SMPL joints, rigid by construction, so ~0; the peer's landmarks, whose
bones stretch). The peer's fidelity is measured against keypoints from the same BlazePose run, so
it is favoured there.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np

from vimo.eval.fidelity import reprojection_fidelity
from vimo.eval.metrics import COCO17_LIMBS, SMPL_LIMBS, bone_length_cv, foot_skating_near_ground, jitter
from vimo.eval.videos.common import (
    FPS,
    PEER,
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
from vimo.io.hashing import file_sha256
from vimo.keypoints import Keypoints2D
from vimo.numeric import finite_or_none
from vimo.video.decode import is_video

log = logging.getLogger(__name__)

REAL_NOTES = (
    "fidelity: 2D error (torso lengths) and PCK@0.25 torso after a per-frame weak-perspective fit to the extracted "
    "keypoints; mediapipe_world is favoured (its 3D and those keypoints come from the same BlazePose run)",
    "jitter: third difference of the hip-centred 17 keypoints x fps^3 (m/s^3)",
    "foot skating: toe speed (m/s) on frames with the toe within 5 cm of the floor; not measurable for "
    "mediapipe_world (hip-centred landmarks: no world motion)",
    "bone CV: coefficient of variation of the 8 limb bone lengths over frames with output, mean over bones, on each "
    "method's own skeleton (SMPL joints: rigid by construction; mediapipe_world: its landmarks)",
)


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
        "jitter_m_s3": jitter(hip_centred(pred.markers)),
        "foot_skate_m_s": None if pred.joints is None else foot_skating_near_ground(pred.joints),
        "bone_length_cv": bones,
        "frames": float(len(pred.markers)),
        "output_frames": float(pred.found.mean()),
    }
    return {k: finite_or_none(v) for k, v in out.items()}


def _real_extraction(path: Path, name: str, work: Path) -> tuple[ClipExtraction, bool]:
    key = cache_key(name, FPS, file_sha256(path))
    cache_file = work / f"{name.replace('/', '__')}-{key}.npz"
    cached = load_cached(cache_file)
    if cached is not None:
        return cached, True
    extraction = extract_clip(path)
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
    models = models_by_name(vimo, baseline)
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
    with work_dir_for(work_dir) as work:
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
        report["summary"][m] = aggregate([c["methods"][m] for c in ok], np.random.default_rng(0))
        report["summary"][m]["failed"] = len(report["clips"]) - len(ok)
    return report


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
        return [head] + [f"| {m} | " + " | ".join(cell(v.get(k), fmt) for k, _, fmt in REAL_COLUMNS) + " |"
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
