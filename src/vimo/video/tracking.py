"""People in a video: detect person boxes per frame, link them into tracks, pick the performer.

Detector: MediaPipe's BlazePose person detector (``pose_detection.tflite``, shipped inside the
mediapipe wheel and run through mediapipe's own ``PoseDetectionCpu`` graph; nothing is downloaded).
Unlike the legacy single-person pose solution it reports every person it finds. For each person it
predicts the hips' midpoint and a circle that encloses the whole body; our box is the square
around that circle. It sees the frame at 224 x 224, so people shorter than about a third of the
frame are missed on the full frame; ``PersonDetector`` also looks at overlapping square tiles of
the frame (on every ``tile_every``-th frame, it is slower) and merges the boxes.

Tracks: boxes are linked frame to frame by IoU with each track's constant-velocity prediction
(Hungarian assignment, IoU >= ``min_iou``); a track survives up to ``max_gap`` frames without a
box (occlusion, a missed detection, frames the detector skipped) and its boxes are interpolated
over such gaps. Tracks with fewer than ``min_detections`` boxes are dropped (false positives).
After a longer occlusion (up to ``reconnect_gap`` frames) a track that reappears near where its
motion would have taken it, with a similar size, is joined to its earlier part.
Track ids count from 0 in order of first appearance.

Choosing the performer: each track gets four scores in [0, 1] and their weighted sum
(``SelectionWeights``; defaults in brackets):
- size [0.35]: the track's median box height over the largest median box height of all tracks;
- presence [0.30]: frames the person was detected on / frames the detector ran on (how long and
  how continuously the person is in the video; for people only the tiles find, of the frames
  with tiles);
- centrality [0.20]: 1 - the median distance of the box centre from the image centre, in half
  image diagonals;
- motion [0.15]: the track's motion energy over the largest of all tracks (0 when everybody
  stands still); energy = mean speed of the smoothed box centre plus the rate of change of its
  height, in box heights per second.
The highest total wins; ``person=<track id>`` overrides it. ``vimo.viz.tracks.write_tracks_preview`` draws every
track with its id and scores so a user can pick.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.ndimage import uniform_filter1d
from scipy.optimize import linear_sum_assignment

from vimo.errors import VimoError
from vimo.video.pose import CropBox

# --------------------------------------------------------------------------------------------
# Detection


class PersonDetector:
    """Person boxes in an image with MediaPipe's BlazePose detector (see the module docstring).

    min_score: detection score threshold in [0, 1]. tile_fraction: tile side / the frame's shorter
    side (tiles overlap by at least a quarter). Boxes come as (N, 5) float ``[x0, y0, x1, y1, score]``
    in pixels of the given image.
    """

    def __init__(self, *, min_score: float = 0.5, tile_fraction: float = 0.6, nms_iou: float = 0.4) -> None:
        from google.protobuf import text_format
        from mediapipe.framework import calculator_pb2
        from mediapipe.python.solution_base import SolutionBase

        graph = text_format.Parse(
            'input_stream: "image" output_stream: "detections" node { calculator: "PoseDetectionCpu" '
            'input_stream: "IMAGE:image" output_stream: "DETECTIONS:detections" }',
            calculator_pb2.CalculatorGraphConfig(),
        )
        self._graph = SolutionBase(
            graph_config=graph,
            outputs=["detections"],
            calculator_params={"posedetectioncpu__TensorsToDetectionsCalculator.min_score_thresh": float(min_score)},
        )
        self.tile_fraction = float(tile_fraction)
        self.nms_iou = float(nms_iou)

    def __call__(self, image: np.ndarray, *, tiles: bool = False) -> np.ndarray:
        """(N, 5) person boxes ``[x0, y0, x1, y1, score]`` in ``image`` (H, W, 3) uint8 RGB pixels."""
        found = [self._detect(image, 0, 0)]
        if tiles:
            for x0, y0, side in tile_grid(image.shape[1], image.shape[0], self.tile_fraction):
                found.append(self._detect(image[y0 : y0 + side, x0 : x0 + side], x0, y0))
        boxes = np.concatenate(found, axis=0)
        return boxes[nms(boxes, self.nms_iou)] if len(found) > 1 else boxes

    def _detect(self, image: np.ndarray, dx: int, dy: int) -> np.ndarray:
        h, w = image.shape[:2]
        result = self._graph.process({"image": np.ascontiguousarray(image)})
        out = []
        for det in result.detections or []:  # type: ignore[attr-defined]
            kp = det.location_data.relative_keypoints  # 0: hips' midpoint, 1: a point on the body circle
            cx, cy = kp[0].x * w, kp[0].y * h
            radius = float(np.hypot(kp[1].x * w - cx, kp[1].y * h - cy))
            if radius < 2:
                continue
            out.append((cx - radius + dx, cy - radius + dy, cx + radius + dx, cy + radius + dy, float(det.score[0])))
        return np.asarray(out, np.float64).reshape(-1, 5)

    def close(self) -> None:
        self._graph.close()

    def __enter__(self) -> PersonDetector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def tile_grid(width: int, height: int, fraction: float = 0.6) -> list[tuple[int, int, int]]:
    """Square tiles (x0, y0, side) of side ``fraction`` x the shorter side, covering the frame with
    at least a quarter of overlap between neighbours."""
    side = max(16, int(round(fraction * min(width, height))))

    def starts(extent: int) -> list[int]:
        if extent <= side:
            return [0]
        count = int(np.ceil((extent - side) / (0.75 * side))) + 1
        return [int(round(v)) for v in np.linspace(0, extent - side, count)]

    return [(x, y, side) for y in starts(height) for x in starts(width)]


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of boxes a (N, >=4) and b (M, >=4) ``[x0, y0, x1, y1, ...]`` -> (N, M)."""
    a, b = np.asarray(a, np.float64)[:, None, :4], np.asarray(b, np.float64)[None, :, :4]
    iw = np.clip(np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]), 0, None)
    ih = np.clip(np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]), 0, None)
    inter = iw * ih
    area = lambda x: (x[..., 2] - x[..., 0]) * (x[..., 3] - x[..., 1])  # noqa: E731
    return inter / np.maximum(area(a) + area(b) - inter, 1e-9)


def nms(boxes: np.ndarray, iou: float) -> np.ndarray:
    """Indices of the boxes (N, 5) kept by greedy non-maximum suppression, best score first."""
    order = np.argsort(-boxes[:, 4], kind="stable")
    keep: list[int] = []
    for i in order:
        if not keep or box_iou(boxes[i : i + 1], boxes[keep]).max() < iou:
            keep.append(int(i))
    return np.asarray(keep, np.int64)


# --------------------------------------------------------------------------------------------
# Tracks


@dataclass(frozen=True)
class SelectionWeights:
    """Weights of the performer score (see the module docstring); they need not sum to 1."""

    size: float = 0.35
    presence: float = 0.30
    centrality: float = 0.20
    motion: float = 0.15


@dataclass(frozen=True)
class TrackingConfig:
    min_iou: float = 0.2  # a box continues a track if it overlaps the track's prediction this much
    max_gap: int = 15  # frames a track survives without a box
    min_detections: int = 3  # shorter tracks are dropped as false detections
    reconnect_gap: int = 90  # frames: a track may resume after a longer occlusion, up to this long ...
    reconnect_distance: float = 1.0  # ... if it reappears within this many box heights of its extrapolation
    smoothing_s: float = 0.25  # window of the motion-energy and crop smoothing
    weights: SelectionWeights = field(default_factory=SelectionWeights)


@dataclass(frozen=True)
class TrackScore:
    """The performer score of a track and its parts (each in [0, 1])."""

    size: float
    presence: float
    centrality: float
    motion: float
    total: float


@dataclass(frozen=True)
class Track:
    """One person over time. frames: (N,) increasing frame indices with a box; boxes: (N, 4)
    ``[x0, y0, x1, y1]`` pixels; scores: (N,) detector scores; score: the performer score."""

    id: int
    frames: np.ndarray
    boxes: np.ndarray
    scores: np.ndarray
    score: TrackScore | None = None

    @property
    def first(self) -> int:
        return int(self.frames[0])

    @property
    def last(self) -> int:
        return int(self.frames[-1])

    def boxes_at(self, frames: np.ndarray) -> np.ndarray:
        """Boxes (len(frames), 4) at any frames: interpolated between detections, held constant
        before the first and after the last."""
        frames = np.asarray(frames, np.float64)
        return np.stack([np.interp(frames, self.frames, self.boxes[:, c]) for c in range(4)], axis=-1)

    def describe(self) -> str:
        s = self.score
        parts = "" if s is None else (
            f" score {s.total:.2f} (size {s.size:.2f}, presence {s.presence:.2f}, "
            f"centrality {s.centrality:.2f}, motion {s.motion:.2f})"
        )  # fmt: skip
        return f"track {self.id}: frames {self.first}-{self.last}, {len(self.frames)} boxes{parts}"


@dataclass
class _Active:
    frames: list[int]
    boxes: list[np.ndarray]
    scores: list[float]
    velocity: np.ndarray  # (4,) box change per frame

    def predict(self, frame: int) -> np.ndarray:
        dt = min(frame - self.frames[-1], 10)  # do not extrapolate far into a gap
        return self.boxes[-1] + self.velocity * dt


def link_tracks(detections: Sequence[np.ndarray | None], config: TrackingConfig = TrackingConfig()) -> list[Track]:
    """Link per-frame boxes into tracks.

    detections: per frame, (N, >=4) boxes ``[x0, y0, x1, y1, (score)]`` in pixels, or None for a frame
    the detector did not run on. Returns tracks with ids 0, 1, ... in order of first appearance
    (ties: left to right).
    """
    active: list[_Active] = []
    done: list[_Active] = []
    for k, dets in enumerate(detections):
        if dets is None:
            continue
        dets = np.asarray(dets, np.float64)
        if dets.size == 0:
            dets = np.zeros((0, 5))
        alive = [a for a in active if k - a.frames[-1] <= config.max_gap + 1]
        done += [a for a in active if k - a.frames[-1] > config.max_gap + 1]
        active = alive
        matched_det: set[int] = set()
        if active and len(dets):
            preds = np.stack([a.predict(k) for a in active])
            iou = box_iou(preds, dets)
            rows, cols = linear_sum_assignment(-iou)
            for r, c in zip(rows, cols):
                if iou[r, c] < config.min_iou:
                    continue
                a = active[r]
                box = dets[c, :4]
                step = (box - a.boxes[-1]) / (k - a.frames[-1])
                a.velocity = step if len(a.frames) == 1 else 0.5 * a.velocity + 0.5 * step
                a.frames.append(k)
                a.boxes.append(box)
                a.scores.append(float(dets[c, 4]) if dets.shape[1] > 4 else 1.0)
                matched_det.add(int(c))
        for c in range(len(dets)):
            if c not in matched_det:
                score = float(dets[c, 4]) if dets.shape[1] > 4 else 1.0
                active.append(_Active([k], [dets[c, :4].copy()], [score], np.zeros(4)))
    kept = [a for a in done + active if len(a.frames) >= config.min_detections]
    pieces = [(np.asarray(a.frames, np.int64), np.stack(a.boxes), np.asarray(a.scores, np.float64)) for a in kept]
    pieces = _reconnect(pieces, config)
    pieces.sort(key=lambda p: (p[0][0], p[1][0, 0]))
    return [Track(i, *p) for i, p in enumerate(pieces)]


_Piece = tuple[np.ndarray, np.ndarray, np.ndarray]  # frames (N,), boxes (N, 4), scores (N,)


def _reconnect(pieces: list[_Piece], config: TrackingConfig) -> list[_Piece]:
    """Join a track that ends to one that starts within ``reconnect_gap`` frames after it, where
    the first extrapolates (its velocity over its last ``max_gap`` frames, for at most half the gap)
    to within ``reconnect_distance`` box heights of the second's first box, with a similar height
    (ratio < 1.5). Best matches first; each track joins at most one before and one after."""

    def centre(box: np.ndarray) -> np.ndarray:
        return (box[:2] + box[2:4]) / 2.0

    def height(box: np.ndarray) -> float:
        return float(box[3] - box[1])

    candidates = []
    for i, (fa, ba, _) in enumerate(pieces):
        recent = fa >= fa[-1] - config.max_gap
        span = max(int(fa[-1] - fa[recent][0]), 1)
        velocity = (centre(ba[-1]) - centre(ba[recent][0])) / span
        for j, (fb, bb, _) in enumerate(pieces):
            gap = int(fb[0] - fa[-1])
            if i == j or gap <= 0 or gap > config.reconnect_gap:
                continue
            ratio = height(bb[0]) / max(height(ba[-1]), 1e-6)
            if not 1 / 1.5 < ratio < 1.5:
                continue
            guess = centre(ba[-1]) + velocity * min(gap, max(span, gap // 2))
            cost = float(np.linalg.norm(guess - centre(bb[0]))) / max(height(ba[-1]), 1e-6)
            if cost < config.reconnect_distance:
                candidates.append((cost, i, j))
    after: dict[int, int] = {}
    before: dict[int, int] = {}
    for _, i, j in sorted(candidates):
        if i not in after and j not in before:
            after[i], before[j] = j, i
    out = []
    for i in range(len(pieces)):
        if i in before:
            continue
        chain = [pieces[i]]
        while i in after:
            i = after[i]
            chain.append(pieces[i])
        out.append(tuple(np.concatenate(parts) for parts in zip(*chain)))
    return out  # type: ignore[return-value]


def score_tracks(
    tracks: Sequence[Track],
    *,
    image_size: tuple[int, int],
    probed: Sequence[bool] | np.ndarray,
    thorough: Sequence[bool] | np.ndarray | None = None,
    fps: float = 30.0,
    config: TrackingConfig = TrackingConfig(),
) -> list[Track]:
    """The tracks with their performer scores filled in (see the module docstring).

    probed: (T,) the frames the detector ran on; thorough: (T,) those where it also searched
    tiles. Presence is the larger of the fractions of either set on which the track was found, so
    a small person whom only the tiles find is not penalised for the frames without tiles.
    """
    if not tracks:
        return []
    probed = np.asarray(probed, bool)
    thorough = np.zeros_like(probed) if thorough is None else np.asarray(thorough, bool)
    w, h = image_size
    half_diag = 0.5 * float(np.hypot(w, h))
    heights = np.array([np.median(t.boxes[:, 3] - t.boxes[:, 1]) for t in tracks])
    energy = np.array([_motion_energy(t, fps, config.smoothing_s) for t in tracks])
    top_energy = energy.max()
    out = []
    wts = config.weights
    for t, height, e in zip(tracks, heights, energy):
        centres = (t.boxes[:, :2] + t.boxes[:, 2:4]) / 2.0
        centrality = 1.0 - float(np.median(np.linalg.norm(centres - [w / 2.0, h / 2.0], axis=1))) / half_diag
        size = float(height / heights.max())
        presence = max(
            float(probed[t.frames].sum() / max(probed.sum(), 1)),
            float(thorough[t.frames].sum() / thorough.sum()) if thorough.any() else 0.0,
        )
        motion = float(e / top_energy) if top_energy > 0.05 else 0.0
        centrality = float(np.clip(centrality, 0.0, 1.0))
        total = wts.size * size + wts.presence * presence + wts.centrality * centrality + wts.motion * motion
        out.append(Track(t.id, t.frames, t.boxes, t.scores, TrackScore(size, presence, centrality, motion, total)))
    return out


def _motion_energy(track: Track, fps: float, smoothing_s: float) -> float:
    """Mean speed of the smoothed box centre plus |d height / dt|, in box heights per second."""
    frames = np.arange(track.first, track.last + 1)
    if len(frames) < 3:
        return 0.0
    boxes = _moving_average(track.boxes_at(frames), smoothing_s, fps)
    centre = (boxes[:, :2] + boxes[:, 2:]) / 2.0
    height = np.maximum(boxes[:, 3] - boxes[:, 1], 1e-6)
    speed = np.linalg.norm(np.diff(centre, axis=0), axis=1) + np.abs(np.diff(height))
    return float(np.mean(speed / height[1:]) * fps)


def _moving_average(x: np.ndarray, seconds: float, fps: float) -> np.ndarray:
    """Centred moving average of (T, D) over ``seconds`` (the ends repeat the first/last values)."""
    window = 2 * int(round(seconds * fps / 2)) + 1
    return uniform_filter1d(x, window, axis=0, mode="nearest") if window > 1 else x


def select_track(tracks: Sequence[Track], person: int | None = None, *, source: str | os.PathLike = "video") -> Track:
    """The performer: the best-scoring track, or the track with id ``person``.

    Raises ``VimoError`` (naming ``source``) if there are no tracks or ``person`` is not a track id.
    """
    if not tracks:
        raise VimoError(f"{source}: no person detected")
    if person is not None:
        for t in tracks:
            if t.id == person:
                return t
        listing = "; ".join(t.describe() for t in tracks)
        raise VimoError(f"{source}: person={person} is not a track id; tracks: {listing}")
    return max(tracks, key=lambda t: (t.score.total if t.score else 0.0, -t.id))


def crop_path(
    track: Track,
    num_frames: int,
    *,
    expand: float = 1.25,
    fps: float = 30.0,
    smoothing_s: float = 0.25,
) -> list[CropBox]:
    """A square crop per frame that follows ``track``: its boxes interpolated over gaps (held
    before its first and after its last detection), smoothed over ``smoothing_s`` seconds,
    ``expand`` times the box's longer side."""
    boxes = _moving_average(track.boxes_at(np.arange(num_frames)), smoothing_s, fps)
    return [CropBox.around(b, expand=expand) for b in boxes]
