"""The video benchmark suites, with MediaPipe 2D extraction in the loop (the path ``vimo run`` takes).

- ``rendered``: held-out test motions (the casual suite's windows) filmed by the mannequin renderer, so the 3D
  truth is known;
- ``real``: the real clips in ``../shared/data/videos``, without 3D truth.

Methods, all given the same extracted keypoints (:func:`vimo.video.extract.extract_keypoints`, 30 fps):

- ``vimo``: one sample (:func:`vimo.generation.generate_any`: the bundle's guidance, foot locking on, as ``vimo run``);
- ``baseline_motionbert``: the deterministic lifter (:mod:`vimo.lifter`), when one is given;
- ``mediapipe_world``: BlazePose's own 3D world landmarks from the same extraction (SPEC section 3), the 17 COCO
  ones (:func:`mediapipe_coco17`). Frames where BlazePose found no pose are filled by linear interpolation between
  the nearest found frames (held at the ends); ``pose_found`` reports how many were found.

Accuracy, jitter and fidelity score every method on the same 17 points: ``motion_markers`` (the virtual COCO
markers) for the SMPL methods.

Modules: ``common`` (the cached extraction, the methods, scoring helpers), ``peer`` (the MediaPipe peer),
``rendered`` and ``real`` (one per suite: its report and its Markdown tables).
"""

from vimo.eval.videos.common import BASELINE, FPS, PEER, VIMO, ClipExtraction, Prediction, predict_methods
from vimo.eval.videos.peer import fill_missing_frames, mediapipe_coco17
from vimo.eval.videos.real import find_clips, real_markdown, real_report, score_real
from vimo.eval.videos.rendered import (
    RENDER_SIZE,
    extraction_pck,
    rendered_markdown,
    rendered_report,
    rotation_aligned,
    score_against_truth,
)

__all__ = [
    "BASELINE",
    "FPS",
    "PEER",
    "RENDER_SIZE",
    "VIMO",
    "ClipExtraction",
    "Prediction",
    "extraction_pck",
    "fill_missing_frames",
    "find_clips",
    "mediapipe_coco17",
    "predict_methods",
    "real_markdown",
    "real_report",
    "rendered_markdown",
    "rendered_report",
    "rotation_aligned",
    "score_against_truth",
    "score_real",
]
