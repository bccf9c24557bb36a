"""Video-guided motion completion (paper eq. 8): keep some frames of a motion, generate the rest.

- ``complete``: frames in ``keep`` come from the given motion (exactly); the others are generated so that
  they follow a video's (or keypoints') 2D poses — or, without a video, unconditionally (in-betweening
  from keyframes).
- ``blend_motions``: motion A until ``at - gap/2``, motion B (placed to continue where A leaves off) from
  ``at + gap/2``; the gap is generated, guided by a video if one is given (the paper's transition in the
  style of a video).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch

from vimo.conditioning import normalize_keypoints
from vimo.errors import VimoError
from vimo.generation import FPS, GenerationConfig
from vimo.keypoints import Keypoints2D
from vimo.motion import Motion, facing_yaw
from vimo.pipeline import Known, ViMo, sample_sequence
from vimo.postprocess import smooth_vectors
from vimo.representation import CONTACTS, from_vector, split, to_vector
from vimo.stitching import world_from_canonical
from vimo.viz.video import render_kept_and_generated


@dataclass
class Completion:
    motion: Motion
    kept: np.ndarray  # (T,) bool: frames copied from the input


def parse_ranges(text: str, num_frames: int, fps: float = FPS) -> np.ndarray:
    """'0-2.5,6-8' (seconds; 'f10-f40' for frames; open ends '5-') -> (T,) bool mask of kept frames."""
    mask = np.zeros(num_frames, dtype=bool)
    for part in filter(None, (p.strip() for p in text.split(","))):
        lo_s, sep, hi_s = part.partition("-")
        if not sep:
            raise VimoError(f"--keep: range {part!r} must look like START-END (seconds, or fN for frames)")

        def to_frame(v: str, default: int, part: str = part) -> int:
            v = v.strip()
            if not v:
                return default
            try:
                return int(v[1:]) if v.startswith("f") else int(round(float(v) * fps))
            except ValueError:
                raise VimoError(f"--keep: {v!r} in {part!r} is not a time in seconds or a frame fN") from None

        lo, hi = to_frame(lo_s, 0), to_frame(hi_s, num_frames)
        if hi <= lo:
            raise VimoError(f"--keep: range {part!r} is reversed or empty (its end is not after its start)")
        if not 0 <= lo < hi <= num_frames:
            raise VimoError(
                f"--keep: range {part!r} is outside the motion's {num_frames} frames ({num_frames / fps:.1f} s)"
            )
        mask[lo:hi] = True
    if not mask.any():
        raise VimoError("--keep selects no frames")
    return mask


def _condition(vimo: ViMo, keypoints: Keypoints2D | None, num_frames: int) -> torch.Tensor | None:
    if keypoints is None:
        return None
    kp = keypoints.resample(FPS) if abs(keypoints.fps - FPS) > 1e-6 else keypoints
    data = np.zeros((num_frames, 17, 3), np.float32)
    n = min(num_frames, kp.num_frames)
    data[:n] = kp.data[:n]  # frames beyond the video have no detection (the model fills them)
    return normalize_keypoints(torch.from_numpy(data), vimo.norm_config).to(vimo.device)


def smooth_joins(generated: torch.Tensor, keep: np.ndarray, width: int = 6, sigma: float = 1.5) -> torch.Tensor:
    """``generated`` (T, 151), kept frames included, smoothed in time next to each join.

    Inpainting holds the kept frames but the generated frames next to them can snap onto them within a frame
    or two (a spike of acceleration at the join). Generated frames within ``width`` frames of a kept one are
    blended with a Gaussian-smoothed copy of the sequence (``sigma`` frames; root and 6D rotations, not
    contacts; the kept frames take part as context), fully next to the join and fading linearly to the
    sampler's own frames ``width`` frames in. Kept frames are unchanged."""
    t = len(generated)
    if not keep.any() or keep.all():
        return generated
    idx = np.arange(t)
    left = np.maximum.accumulate(np.where(keep, idx, -t))  # last kept frame at or before each frame
    right = np.minimum.accumulate(np.where(keep, idx, 2 * t)[::-1])[::-1]  # first kept at or after
    dist = np.minimum(idx - left, right - idx)  # frames to the nearest kept frame, O(T)
    weight = np.where(keep, 0.0, np.clip(1 - (dist - 1) / width, 0, 1))
    smoothed = smooth_vectors(generated.double(), sigma)
    out = generated.clone()
    w = torch.from_numpy(weight)[:, None]
    motion = slice(CONTACTS.stop, None)
    out[:, motion] = ((1 - w) * generated[:, motion].double() + w * smoothed[:, motion]).to(generated.dtype)
    return out


def complete(
    vimo: ViMo,
    motion: Motion,
    keep: np.ndarray,
    keypoints: Keypoints2D | None = None,
    config: GenerationConfig = GenerationConfig(),
) -> Completion:
    """Generate the frames of ``motion`` (resampled to 30 fps) outside ``keep`` (T,) bool."""
    motion = motion.resample(FPS)
    if keep.shape != (motion.num_frames,):
        raise VimoError(f"keep mask has {keep.shape[0]} frames, the motion {motion.num_frames}")
    values = torch.from_numpy(to_vector(motion))
    known = Known(torch.from_numpy(keep), values)
    cfg = replace(config, samples=1, foot_lock=False)
    cond = _condition(vimo, keypoints, motion.num_frames)
    out = sample_sequence(vimo.model, vimo.normalizer, cond, motion.num_frames, cfg, default_guidance=vimo.guidance,
                          known=known)  # fmt: skip
    result = from_vector(smooth_joins(out[0], keep), fps=FPS)
    kept_rows = torch.from_numpy(keep)
    # Rotations/root of kept frames are copied bit-exactly from the input.
    rots, root = result.rotations.copy(), result.root_position.copy()
    rots[keep], root[keep] = motion.rotations[keep], motion.root_position[keep]
    contacts = result.contacts.copy()
    contacts[keep] = values[kept_rows][:, :4].numpy()
    return Completion(Motion(rots, root, FPS, contacts), keep)


def blend_motions(
    vimo: ViMo,
    a: Motion,
    b: Motion,
    at: float,
    *,
    gap: float = 1.0,
    keypoints: Keypoints2D | None = None,
    config: GenerationConfig = GenerationConfig(),
) -> Completion:
    """A until ``at - gap/2`` s, a generated transition, then B (its start placed where A's kept part ends)."""
    a, b = a.resample(FPS), b.resample(FPS)
    cut_a = int(round((at - gap / 2) * FPS))
    span = int(round(gap * FPS))
    if not 0 < cut_a < a.num_frames:
        raise VimoError(f"--at {at} s with a {gap} s gap is outside the first motion ({a.duration:.1f} s)")
    b_start = cut_a + span  # in B's own time: play B from the same moment
    if b_start >= b.num_frames:
        raise VimoError(f"--at {at} s: the second motion ({b.duration:.1f} s) ends before the transition does")
    head = torch.from_numpy(to_vector(a[:cut_a]))
    tail = torch.from_numpy(to_vector(b[b_start:]))
    # Place B's tail so its first frame has the heading and ground position of A's last kept frame.
    a_last, b_first = split(head[-1:]), split(tail[:1])
    turn = facing_yaw(a_last.rotations[:, 0]) - facing_yaw(b_first.rotations[:, 0])
    tail = world_from_canonical(tail[None], turn, torch.zeros(1, 3))[0]
    shift = (a_last.root_position - split(tail[:1]).root_position)[0] * torch.tensor([1.0, 0.0, 1.0])
    tail[:, 4:7] += shift
    total = cut_a + span + len(tail)
    values = torch.zeros(total, head.shape[-1])
    values[:cut_a], values[cut_a + span :] = head, tail
    values[cut_a : cut_a + span] = head[-1]  # placeholder: generated, never kept
    keep = np.ones(total, dtype=bool)
    keep[cut_a : cut_a + span] = False
    placeholder = from_vector(values, fps=FPS)
    return complete(vimo, placeholder, keep, keypoints, config)


def write_completion_preview(result: Completion, path: Path, *, size: int = 360) -> Path:
    """A follow-camera video of the completed motion: kept frames in blue, generated frames in orange."""
    return render_kept_and_generated(result.motion, result.kept, path, size=size)
