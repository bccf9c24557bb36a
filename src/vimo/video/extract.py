"""Video -> cleaned COCO-17 keypoints of the performer (the API behind ``vimo extract``).

Two passes over the video, each streaming (memory does not grow with its length):
1. people: the person detector runs on every ``detect_every``-th frame (and on tiles of every
   ``tile_every``-th frame, for small people); boxes are linked into tracks and the performer is
   chosen (``vimo.video.tracking``: the rule, and ``person=`` to override it);
2. pose: MediaPipe BlazePose runs on a smoothed square crop that follows the performer's track,
   so only that person is in view (``vimo.video.pose``). Without any track (the detector found
   nobody) it runs on the full frame.

Cleaning: :func:`vimo.keypoints.clean_keypoints` with ``config.cleaning``, the rule every input path
shares: joints with confidence < ``min_conf`` are masked (confidence 0, x = y = 0); per joint, gaps of at
most ``max_gap`` frames between confident frames are linearly interpolated -- this also bridges short runs
of frames where no pose was found -- with confidence ``gap_conf``; longer gaps stay masked (the model fills
them). ``Coverage`` reports what was found and what is missing.

Coordinates: pixels of the video as displayed (rotation applied, full resolution), whatever the
decoding sizes used for speed.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from vimo.errors import VimoError
from vimo.keypoints import COCO17_NAMES, NUM_KEYPOINTS, CleaningConfig, Keypoints2D, clean_keypoints
from vimo.memory import release_freed_memory
from vimo.video.decode import VideoInfo, VideoReader
from vimo.video.pose import CropBox, MediaPipePose
from vimo.video.tracking import (
    PersonDetector,
    Track,
    TrackingConfig,
    crop_path,
    link_tracks,
    score_tracks,
    select_track,
)
from vimo.viz.tracks import write_tracks_preview

ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True)
class ExtractionConfig:
    cleaning: CleaningConfig = CleaningConfig()  # masking and gap bridging (bridges missed frames too)
    detect_every: int = 3  # run the person detector on every n-th frame
    tile_every: int = 15  # ... and on tiles of every n-th frame, to find small people (0: never)
    detect_max_side: int = 960  # pixels: frames are decoded at most this large for detection
    pose_max_side: int = 1280  # pixels: ... and for pose (crops are resized to crop_size anyway)
    crop_expand: float = 1.25  # crop side / the track box's side
    crop_size: int = 256  # pixels of the square crop BlazePose sees
    min_detection_score: float = 0.5
    smooth_landmarks: bool = True  # MediaPipe's landmark filter across frames
    ambiguity_margin: float = 0.1  # warn when the runner-up track scores within this of the winner
    tracking: TrackingConfig = field(default_factory=TrackingConfig)

    @property
    def min_conf(self) -> float:
        """Keypoints at or above this confidence count as detected (the cleaning's threshold)."""
        return self.cleaning.min_conf

    def __post_init__(self) -> None:
        if self.detect_every < 1 or self.tile_every < 0:
            raise ValueError(f"ExtractionConfig: detect_every must be >= 1 and tile_every >= 0, got "
                             f"{self.detect_every}, {self.tile_every}")  # fmt: skip
        if max(self.detect_every, self.tile_every) > self.tracking.max_gap + 1:
            raise ValueError(
                f"ExtractionConfig: tracking.max_gap ({self.tracking.max_gap}) must cover the frames between "
                f"detector runs (detect_every {self.detect_every}, tile_every {self.tile_every})"
            )


@dataclass(frozen=True)
class Coverage:
    """What the extraction found. Fractions are of all frames.

    detected: frames with a pose; per_joint: frames on which each COCO-17 joint is usable after
    cleaning (confidence >= min_conf, interpolated frames included); longest_gap: the longest run
    of frames without a pose (frames, seconds) before bridging; bridged_frames: frames without a
    pose filled by interpolation; masked_frames: frames left with no joint at all.
    """

    detected: float
    per_joint: dict[str, float]
    longest_gap: int
    longest_gap_s: float
    bridged_frames: int
    masked_frames: int

    def describe(self) -> str:
        worst = sorted(self.per_joint.items(), key=lambda kv: kv[1])[:3]
        return (
            f"pose found on {self.detected:.0%} of frames; longest gap {self.longest_gap} frames "
            f"({self.longest_gap_s:.2f} s); {self.bridged_frames} frames bridged, {self.masked_frames} left missing; "
            "least covered joints: " + ", ".join(f"{n} {v:.0%}" for n, v in worst)
        )


@dataclass(frozen=True)
class Extraction:
    """The result of ``extract_keypoints``.

    keypoints: the performer's cleaned COCO-17 keypoints at the requested fps, frame 0 at
    ``start_time`` seconds into the video; raw: the same before cleaning; world_landmarks:
    (T, 33, 3) MediaPipe world landmarks (metres, hip-centred, x right, y down, z away from the
    camera; NaN on frames without a pose); tracks: everybody the detector tracked, with scores
    (boxes in video pixels); person: the chosen track id (None: no track, full frames used);
    crops: (T, 3) ``[x0, y0, side]`` of the crop BlazePose saw per frame (video pixels), or None.
    """

    keypoints: Keypoints2D
    raw: Keypoints2D
    world_landmarks: np.ndarray | None
    tracks: tuple[Track, ...]
    person: int | None
    crops: np.ndarray | None
    coverage: Coverage
    warnings: tuple[str, ...]
    video: VideoInfo
    start_time: float

    def summary(self) -> str:
        """A few lines for a terminal: frames, people, coverage, warnings."""
        kp = self.keypoints
        lines = [f"{self.video.path}: {kp.num_frames} frames at {kp.fps:g} fps, {kp.image_size[0]}x{kp.image_size[1]}"]
        for t in self.tracks:
            lines.append(("* " if t.id == self.person else "  ") + t.describe())
        if not self.tracks:
            lines.append("  no person tracks (pose ran on the full frame)")
        lines.append("coverage: " + self.coverage.describe())
        lines += [f"warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def extract_keypoints(
    path: str | os.PathLike,
    *,
    fps: float = 30.0,
    start: float | None = None,
    end: float | None = None,
    person: int | None = None,
    progress: ProgressCallback | None = None,
    config: ExtractionConfig = ExtractionConfig(),
    on_frame: Callable[[int, np.ndarray, float], None] | None = None,
) -> Extraction:
    """The performer's 2D keypoints in a video (see the module docstring).

    start, end: seconds (end exclusive); person: a track id to use instead of the automatic choice
    (ids are listed in ``Extraction.tracks`` / ``summary()``); progress(done, total): called after
    every frame of both passes, counting frame-passes (total = 2 x the frame count, an estimate
    until pass 1 ends; video frames per second = half the rate of ``done``); on_frame(index, image,
    scale): called with every frame the pose pass decodes (RGB, ``scale`` decoded pixels per video pixel),
    so callers can keep what they need without decoding the video again.

    Raises ``VimoError`` naming the file when it cannot be read, ``person`` is not a track id, or
    no person is found on any frame.
    """
    path = Path(path)
    report = progress or (lambda done, total: None)
    detect_reader = VideoReader(path, fps=fps, start=start, end=end, max_side=config.detect_max_side)
    info = detect_reader.info
    total = 2 * max(detect_reader.estimated_frames(), 1)

    # Pass 1: people.
    det_scale = detect_reader.output_size()[0] / info.width  # decoded pixels per video pixel
    detections: list[np.ndarray | None] = []
    start_time = 0.0
    with PersonDetector(min_score=config.min_detection_score) as detector:
        for frame in detect_reader:
            k = frame.index
            if k == 0:
                start_time = frame.time
            tiles = config.tile_every > 0 and k % config.tile_every == 0
            if tiles or k % max(config.detect_every, 1) == 0:
                boxes = detector(frame.image, tiles=tiles)
                boxes[:, :4] /= det_scale
                detections.append(boxes)
            else:
                detections.append(None)
            report(k + 1, max(total, k + 2))
    num = len(detections)
    total = 2 * num
    tracks = score_tracks(
        link_tracks(detections, config.tracking),
        image_size=(info.width, info.height),
        probed=[d is not None for d in detections],
        thorough=[config.tile_every > 0 and k % config.tile_every == 0 for k in range(num)],
        fps=fps,
        config=config.tracking,
    )
    warnings = list(detect_reader.warnings)
    crops: list[CropBox] | None = None
    chosen: Track | None = None
    if tracks:
        chosen = select_track(tracks, person, source=path)
        crops = crop_path(chosen, num, expand=config.crop_expand, fps=fps, smoothing_s=config.tracking.smoothing_s)
        totals = sorted(((t.score.total if t.score else 0.0), t.id) for t in tracks)[::-1]
        if person is None and len(totals) > 1 and totals[0][0] - totals[1][0] < config.ambiguity_margin:
            (a, ia), (b, ib) = totals[:2]
            warnings.append(
                f"two people score alike (track {ia}: {a:.2f}, track {ib}: {b:.2f}); pass person=<id> to choose another"
            )
    elif person is not None:
        raise VimoError(f"{path}: person={person} given, but the person detector found nobody to choose from")
    else:
        warnings.append("the person detector found nobody; pose ran on the full frames")

    release_freed_memory()  # the detection pass's temporaries (a long video's peak is one pass, not both)

    # Pass 2: pose on the performer's crop.
    raw = np.zeros((num, NUM_KEYPOINTS, 3), np.float32)
    world = np.full((num, 33, 3), np.nan, np.float32)
    pose_reader = VideoReader(path, fps=fps, start=start, end=end, max_side=config.pose_max_side)
    pose_scale = pose_reader.output_size()[0] / info.width
    decoded = 0
    with MediaPipePose(crop_size=config.crop_size, smooth=config.smooth_landmarks) as pose:
        for frame in pose_reader:
            k = frame.index
            if k >= num:
                break
            if on_frame is not None:
                on_frame(k, frame.image, pose_scale)
            crop = None if crops is None else crops[k].scaled(pose_scale)
            est = pose(frame.image, crop)
            if est.found:
                raw[k, :, :2] = est.keypoints[:, :2] / pose_scale
                raw[k, :, 2] = est.keypoints[:, 2]
                world[k] = est.world
            decoded = k + 1
            report(num + k + 1, total)
    if decoded < num:
        warnings.append(f"the second pass decoded {decoded} of {num} frames; the rest are missing")
    warnings += [w for w in pose_reader.warnings if w not in warnings]

    found = world[:, 0, 0] == world[:, 0, 0]  # not NaN: a pose on this frame
    if not found.any():
        span = f"{start_time:.2f}-{start_time + num / fps:.2f} s"
        raise VimoError(
            f"{path}: no person detected in {num} frames ({span}); the performer must be visible "
            "(try another time range with start/end)"
        )
    clean = clean_keypoints(raw, config.cleaning)
    cleaned, filled = clean.data.numpy(), clean.filled.numpy()
    coverage = _coverage(found, cleaned, filled, fps, config.cleaning.min_conf)
    if coverage.detected < 0.8:
        warnings.append(f"a pose was found on only {coverage.detected:.0%} of the frames")
    if coverage.longest_gap > config.cleaning.max_gap:
        warnings.append(
            f"the longest stretch without a pose is {coverage.longest_gap} frames ({coverage.longest_gap_s:.2f} s); "
            f"gaps over {config.cleaning.max_gap} frames are left missing (confidence 0)"
        )
    size = (info.width, info.height)
    return Extraction(
        keypoints=Keypoints2D(cleaned, fps, size),
        raw=Keypoints2D(raw, fps, size),
        world_landmarks=world,
        tracks=tuple(tracks),
        person=None if chosen is None else chosen.id,
        crops=None if crops is None else np.array([(c.x0, c.y0, c.side) for c in crops], np.int64),
        coverage=coverage,
        warnings=tuple(warnings),
        video=info,
        start_time=start_time,
    )


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) of the runs of True in a 1D bool array."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist()))


def _coverage(found: np.ndarray, cleaned: np.ndarray, filled: np.ndarray, fps: float, min_conf: float) -> Coverage:
    usable = cleaned[..., 2] >= min_conf
    gaps = _runs(~found)
    longest = max((b - a for a, b in gaps), default=0)
    return Coverage(
        detected=float(found.mean()),
        per_joint={name: float(usable[:, j].mean()) for j, name in enumerate(COCO17_NAMES)},
        longest_gap=int(longest),
        longest_gap_s=float(longest / fps),
        bridged_frames=int((~found & filled.any(axis=1)).sum()),
        masked_frames=int((~usable.any(axis=1)).sum()),
    )


def write_preview(extraction: Extraction, path: str | os.PathLike, *, max_side: int = 640) -> Path:
    """Draw the tracks (ids, scores; the performer marked "chosen") on the extracted part of the video:
    an .mp4/.gif of every frame or a .png/.jpg of the frame with the most people."""
    kp = extraction.keypoints
    reader = VideoReader(
        extraction.video.path,
        fps=kp.fps,
        start=extraction.start_time if extraction.start_time > 0 else None,
        end=extraction.start_time + kp.num_frames / kp.fps,
        max_side=max_side,
    )
    scale = reader.output_size()[0] / extraction.video.width
    frames = (f.image for f in reader)
    return write_tracks_preview(frames, extraction.tracks, path, chosen=extraction.person, fps=kp.fps, scale=scale)
