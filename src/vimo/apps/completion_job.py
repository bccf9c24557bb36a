"""One job, ``vimo complete``: read the motions and the guide, check everything, then complete or blend
(:mod:`vimo.apps.completion`) and write the motion files and the preview into a folder.

    run_completion(job, out) -> Completion
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from vimo.apps.completion import Completion, blend_motions, complete, parse_ranges, write_completion_preview
from vimo.bundle import loading
from vimo.data.mocap import load_motion
from vimo.errors import VimoError
from vimo.export import check_writable_dir, write_motion
from vimo.generation import GenerationConfig
from vimo.io.keypoint_formats import read_keypoints
from vimo.paths import VIMO_WEIGHTS
from vimo.pipeline import ViMo
from vimo.run import check_bundle
from vimo.video.decode import probe
from vimo.video.extract import extract_keypoints

PREVIEW = "preview.mp4"  # kept frames (blue) and generated ones (orange)

Stage = Callable[[str], None]  # told what the job is doing now ("extracting 2D poses...", "generating...")


@dataclass(frozen=True)
class CompletionJob:
    """Either ``motion`` with ``keep`` (completion) or ``blend`` with ``at`` (a transition); optionally guided by a
    ``video`` or by ``keypoints`` (not both)."""

    motion: Path | None = None  # the motion to complete ...
    keep: str | None = None  # ... keeping these frames: "0-2.5,6-8" seconds or "f0-f75" (parse_ranges)
    blend: tuple[Path, Path] | None = None  # or motions A then B ...
    at: float | None = None  # ... with the transition centred here (s)
    gap: float = 1.0  # ... generated over this long (s)
    video: Path | None = None  # the generated frames follow this video's performer ...
    keypoints: Path | None = None  # ... or these 2D keypoints
    weights: Path | None = None  # ViMo bundle prefix; None: the shipped one
    generation: GenerationConfig = field(default_factory=GenerationConfig)


def check_completion(job: CompletionJob) -> None:
    """The combinations and values of ``job`` that can be checked before reading anything (one-line VimoError)."""
    if (job.motion is None) == (job.blend is None):
        raise VimoError("give either --motion with --keep (completion) or --blend A B with --at (transition)")
    if job.motion is not None and job.keep is None:
        raise VimoError("--motion needs --keep RANGES (the frames to keep)")
    if job.blend is not None and job.at is None:
        raise VimoError("--blend A B needs --at SECONDS")
    if job.video is not None and job.keypoints is not None:
        raise VimoError("give --video or --keypoints, not both")
    if job.at is not None and not (math.isfinite(job.at) and job.at >= 0):
        raise VimoError(f"--at {job.at}: expected a time in seconds >= 0")
    if not (math.isfinite(job.gap) and job.gap > 0):
        raise VimoError(f"--gap {job.gap}: expected a length in seconds > 0")


def run_completion(job: CompletionJob, out: str | Path, *, stage: Stage | None = None) -> Completion:
    """Complete or blend as ``job`` says; writes OUT/motion.npz, OUT/motion.bvh and OUT/preview.mp4. Every input
    is read and checked before the output folder is made or the model loaded."""
    out, stage = Path(out), stage or (lambda label: None)
    check_completion(job)
    if job.motion is not None:
        motion = load_motion(job.motion)
        kept = parse_ranges(job.keep, motion.num_frames)
    else:
        a, b = load_motion(job.blend[0]), load_motion(job.blend[1])
    keypoints = read_keypoints(job.keypoints) if job.keypoints is not None else None
    weights = Path(job.weights or VIMO_WEIGHTS)
    check_bundle(weights)
    if job.video is not None:
        probe(job.video)
        stage("extracting 2D poses from the video...")
        keypoints = extract_keypoints(job.video).keypoints
    check_writable_dir(out)
    with loading(weights, "vimo"):
        vimo = ViMo.load(weights)
    stage("generating...")
    if job.motion is not None:
        result = complete(vimo, motion, kept, keypoints, job.generation)
    else:
        result = blend_motions(vimo, a, b, job.at, gap=job.gap, keypoints=keypoints, config=job.generation)
    write_motion(result.motion, out)
    write_completion_preview(result, out / PREVIEW)
    return result
