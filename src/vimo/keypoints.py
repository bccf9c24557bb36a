"""2D keypoints: the COCO-17 joint format and the ``Keypoints2D`` data model.

Conventions (SPEC section 1): per frame and joint ``(x, y, confidence)`` with x, y in pixels of an
image of size ``(width, height)`` (origin at the top-left corner, y down) and confidence in [0, 1].
A missing joint has confidence 0 (its x, y carry no information). Our own JSON file format is
``vimo-keypoints/1``::

    {"format": "vimo-keypoints/1", "fps": 30.0, "image_size": [w, h],
     "joint_names": [17 COCO names], "frames": [[[x, y, conf] x 17], ...]}

A joint written as ``null`` is read as missing (confidence 0).

Cleaning (:func:`clean_keypoints`, :class:`CleaningConfig`) happens here, once, for every input path: the
video extraction cleans what it found, and the network's condition (:mod:`vimo.conditioning`) cleans whatever
it is given (a keypoint file, simulated training keypoints); cleaning is idempotent, so cleaned keypoints
(``keypoints.json`` of ``vimo run VIDEO``) give the network exactly what the raw ones give.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch

from vimo.errors import InputFormatError
from vimo.io.atomic import atomic_open
from vimo.skeleton import mirror_map

COCO17_NAMES: tuple[str, ...] = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
    "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip",
    "left_knee", "right_knee", "left_ankle", "right_ankle",
)  # fmt: skip


# Index map swapping left_* and right_* keypoints (the nose maps to itself).
COCO17_FLIP: tuple[int, ...] = tuple(mirror_map(COCO17_NAMES))
NUM_KEYPOINTS = len(COCO17_NAMES)
JSON_FORMAT = "vimo-keypoints/1"


@dataclass(frozen=True)
class CleaningConfig:
    """How missing keypoints are handled: one rule for every input path (videos, keypoint files, training).

    A joint below ``min_conf`` is missing (confidence 0, x = y = 0). Per joint, gaps of at most ``max_gap``
    frames between confident frames are linearly interpolated, with confidence ``gap_conf``; longer gaps stay
    missing (the model fills them). Cleaning twice with one config is cleaning once.
    """

    min_conf: float = 0.3  # below this a joint counts as missing
    max_gap: int = 8  # frames; longer gaps stay missing (0: no interpolation)
    gap_conf: float = 0.5  # confidence given to interpolated entries (>= min_conf, so they stay usable)

    def __post_init__(self) -> None:
        if not 0.0 < self.min_conf <= self.gap_conf <= 1.0 or self.max_gap < 0:
            raise ValueError(
                f"CleaningConfig: expected 0 < min_conf <= gap_conf <= 1 and max_gap >= 0, got min_conf "
                f"{self.min_conf}, gap_conf {self.gap_conf}, max_gap {self.max_gap}"
            )


@dataclass(frozen=True)
class CleanedKeypoints:
    data: torch.Tensor  # (..., T, 17, 3) [x, y, conf]: missing joints all zero, short gaps interpolated
    filled: torch.Tensor  # (..., T, 17) bool: the interpolated entries


def clean_keypoints(
    keypoints: torch.Tensor | np.ndarray, config: CleaningConfig = CleaningConfig()
) -> CleanedKeypoints:
    """Mask low-confidence joints and interpolate their short gaps (:class:`CleaningConfig`).

    keypoints: (..., T, 17, 3) ``[x_px, y_px, conf]`` (any batch dims; a numpy array is read as float32). The
    input is not modified; the result is float32 on the input's device.
    """
    kp = torch.as_tensor(keypoints).float()
    if kp.shape[-2:] != (NUM_KEYPOINTS, 3):
        raise ValueError(f"keypoints must be (..., T, {NUM_KEYPOINTS}, 3), got {tuple(kp.shape)}")
    valid = kp[..., 2] >= config.min_conf  # (..., T, 17)
    kp = torch.where(valid.unsqueeze(-1), kp, torch.zeros_like(kp))
    # Per joint: time next to channels -> (..., 17, T, 3).
    filled_kp, filled = fill_gaps(kp.transpose(-2, -3), valid.transpose(-1, -2), config.max_gap)
    filled_kp, filled = filled_kp.transpose(-2, -3), filled.transpose(-1, -2)
    conf = torch.where(filled, torch.full_like(filled_kp[..., 2], config.gap_conf), filled_kp[..., 2])
    return CleanedKeypoints(torch.cat([filled_kp[..., :2], conf.unsqueeze(-1)], dim=-1), filled)


def fill_gaps(values: torch.Tensor, valid: torch.Tensor, max_gap: int | None) -> tuple[torch.Tensor, torch.Tensor]:
    """Linear interpolation along dim -2 (time) of values (..., T, C) where ``valid`` (..., T) is False,
    for gaps of at most ``max_gap`` frames (None = any gap between two valid frames). Returns
    (values, filled mask (..., T))."""
    num = valid.shape[-1]
    ar = torch.arange(num, device=values.device).expand_as(valid)
    prev = torch.where(valid, ar, torch.full_like(ar, -1)).cummax(dim=-1).values
    nxt = torch.where(valid, ar, torch.full_like(ar, num)).flip(-1).cummin(dim=-1).values.flip(-1)
    has_both = (prev >= 0) & (nxt < num) & ~valid
    gap = nxt - prev - 1
    fill = has_both if max_gap is None else has_both & (gap <= max_gap)
    p = prev.clamp(0, num - 1)
    n = nxt.clamp(0, num - 1)
    w = ((ar - p).float() / (n - p).clamp_min(1).float()).unsqueeze(-1)
    vp = torch.gather(values, -2, p.unsqueeze(-1).expand_as(values))
    vn = torch.gather(values, -2, n.unsqueeze(-1).expand_as(values))
    out = torch.where(fill.unsqueeze(-1), vp + w * (vn - vp), values)
    return out, fill


@dataclass(frozen=True)
class Keypoints2D:
    """A sequence of COCO-17 2D keypoints.

    data: (T, 17, 3) float32 ``[x_px, y_px, confidence]``; confidence in [0, 1], 0 = missing.
    fps: frames per second (> 0).
    image_size: (width, height) in pixels, both > 0.
    """

    data: np.ndarray
    fps: float
    image_size: tuple[int, int]

    def __post_init__(self) -> None:
        data = np.asarray(self.data, dtype=np.float32)
        object.__setattr__(self, "data", data)
        if data.ndim != 3 or data.shape[1:] != (NUM_KEYPOINTS, 3):
            detail = f" ({data.shape[1]} joints)" if data.ndim == 3 and data.shape[1] != NUM_KEYPOINTS else ""
            raise InputFormatError(
                f"keypoints data: expected shape (T, {NUM_KEYPOINTS}, 3) [x, y, conf] per COCO-17 joint, "
                f"got {data.shape}{detail}"
            )
        finite = np.isfinite(data)
        if not finite.all():
            frame, joint, channel = (int(i) for i in np.argwhere(~finite)[0])
            raise InputFormatError(
                f"keypoints data: NaN/inf at frame {frame}, joint {joint} ({COCO17_NAMES[joint]}), "
                f"channel {'xyc'[channel]}; expected finite numbers (missing joints: confidence 0)"
            )
        conf = data[..., 2]
        bad = (conf < 0.0) | (conf > 1.0)
        if bad.any():
            frame, joint = (int(i) for i in np.argwhere(bad)[0])
            raise InputFormatError(
                f"keypoints data: confidence {float(conf[frame, joint]):g} at frame {frame}, joint {joint} "
                f"({COCO17_NAMES[joint]}); expected a value in [0, 1]"
            )
        try:
            fps = float(self.fps)
        except (TypeError, ValueError):
            fps = float("nan")
        if not (np.isfinite(fps) and fps > 0):
            raise InputFormatError(f"keypoints fps: expected a positive number, got {self.fps!r}")
        object.__setattr__(self, "fps", fps)
        try:
            size = tuple(float(s) for s in self.image_size)
        except (TypeError, ValueError):
            size = ()
        if len(size) != 2 or any(not np.isfinite(s) or s <= 0 or int(s) != s for s in size):
            raise InputFormatError(
                f"keypoints image_size: expected (width, height) as two positive integers, got {self.image_size!r}"
            )
        object.__setattr__(self, "image_size", (int(size[0]), int(size[1])))

    # -- basic access ---------------------------------------------------------------------------
    @property
    def num_frames(self) -> int:
        return self.data.shape[0]

    def __len__(self) -> int:
        return self.num_frames

    @property
    def xy(self) -> np.ndarray:
        """(T, 17, 2) pixel coordinates."""
        return self.data[..., :2]

    @property
    def confidence(self) -> np.ndarray:
        """(T, 17) confidences in [0, 1]."""
        return self.data[..., 2]

    def __getitem__(self, frames: slice) -> Keypoints2D:
        if not isinstance(frames, slice):
            raise TypeError("index Keypoints2D with a slice of frames, e.g. kp[10:160]")
        return replace(self, data=self.data[frames])

    # -- derived --------------------------------------------------------------------------------
    def resample(self, fps: float) -> Keypoints2D:
        """Resample to ``fps`` over the same time span (frame 0 at t = 0).

        x, y are interpolated linearly where both neighbouring source frames are confident
        (confidence > 0), with confidence = the smaller of the two; otherwise (and where an output
        frame falls on a source frame) the nearest source frame is taken as is.
        """
        if not (np.isfinite(fps) and fps > 0):
            raise ValueError(f"fps must be positive, got {fps}")
        if abs(fps - self.fps) < 1e-9 or self.num_frames < 2:
            return replace(self, fps=float(fps))
        src_t = np.arange(self.num_frames) / self.fps
        num_out = int(np.floor(src_t[-1] * fps + 1e-6)) + 1
        pos = np.minimum(np.arange(num_out) / fps * self.fps, self.num_frames - 1)  # fractional src index
        lo = np.minimum(np.floor(pos).astype(np.int64), self.num_frames - 2)
        w = (pos - lo)[:, None, None]  # (T', 1, 1)
        a, b = self.data[lo], self.data[lo + 1]  # (T', 17, 3)
        nearest = np.where(w >= 0.5, b, a)
        on_frame = (w[:, :, 0] < 1e-6) | (w[:, :, 0] > 1.0 - 1e-6)  # (T', 1) lands on a source frame
        both = (a[..., 2] > 0) & (b[..., 2] > 0) & ~on_frame  # (T', 17)
        lerp = np.concatenate([(1.0 - w) * a[..., :2] + w * b[..., :2], np.minimum(a[..., 2:], b[..., 2:])], axis=-1)
        out = np.where(both[..., None], lerp, nearest).astype(np.float32)
        return Keypoints2D(out, float(fps), self.image_size)

    # -- files ----------------------------------------------------------------------------------
    def to_json(self, path: str | os.PathLike) -> None:
        """Write the ``vimo-keypoints/1`` JSON file atomically (temp file, then os.replace)."""
        path = Path(path)
        header = {
            "format": JSON_FORMAT,
            "fps": self.fps,
            "image_size": list(self.image_size),
            "joint_names": list(COCO17_NAMES),
        }
        with atomic_open(path) as fh:
            fh.write(json.dumps(header)[:-1] + ',\n"frames": [\n')
            # One frame per line, written as it is formatted (memory does not grow with the length); str()
            # of a float32 scalar is the shortest text that reads back as the same float32.
            for k, frame in enumerate(self.data):
                line = "[" + ",".join("[" + ",".join(str(v) for v in joint) + "]" for joint in frame) + "]"
                fh.write(line + (",\n" if k + 1 < len(self.data) else "\n"))
            fh.write("]}\n")

    @classmethod
    def from_json(cls, path: str | os.PathLike) -> Keypoints2D:
        """Read a ``vimo-keypoints/1`` JSON file; errors name the file and the frame/field."""
        path = Path(path)
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise InputFormatError(f"{path}: not valid JSON ({exc})") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise InputFormatError(f"{path}: cannot read keypoints file ({exc})") from None
        if not isinstance(doc, dict):
            raise InputFormatError(f"{path}: expected a JSON object with format {JSON_FORMAT!r}")
        missing = [k for k in ("format", "fps", "image_size", "joint_names", "frames") if k not in doc]
        if missing:
            raise InputFormatError(f"{path}: missing field(s) {', '.join(missing)} ({JSON_FORMAT})")
        if doc["format"] != JSON_FORMAT:
            raise InputFormatError(f"{path}: field 'format' is {doc['format']!r}; expected {JSON_FORMAT!r}")
        names = doc["joint_names"]
        if not isinstance(names, list) or sorted(map(str, names)) != sorted(COCO17_NAMES):
            raise InputFormatError(
                f"{path}: field 'joint_names' must list the {NUM_KEYPOINTS} COCO-17 names "
                f"({', '.join(COCO17_NAMES)}); got {names!r}"
            )
        order = [names.index(n) for n in COCO17_NAMES]  # file column of each COCO-17 joint
        frames = doc["frames"]
        if not isinstance(frames, list):
            raise InputFormatError(f"{path}: field 'frames' must be a list of frames")
        data = np.zeros((len(frames), NUM_KEYPOINTS, 3), dtype=np.float32)
        for k, frame in enumerate(frames):
            if not isinstance(frame, list) or len(frame) != NUM_KEYPOINTS:
                got = f"{len(frame)} joints" if isinstance(frame, list) else type(frame).__name__
                raise InputFormatError(f"{path}: frame {k}: expected {NUM_KEYPOINTS} joints of [x, y, conf], got {got}")
            for j, col in enumerate(order):
                joint = frame[col]
                if joint is None:
                    continue  # missing joint: confidence 0
                if (
                    not isinstance(joint, list)
                    or len(joint) != 3
                    or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in joint)
                ):
                    raise InputFormatError(
                        f"{path}: frame {k}, joint {COCO17_NAMES[j]}: expected [x, y, conf] numbers, got {joint!r}"
                    )
                data[k, j] = joint
        try:
            return cls(data, doc["fps"], tuple(doc["image_size"]))
        except (InputFormatError, TypeError, ValueError) as exc:
            raise InputFormatError(f"{path}: {exc}") from None
