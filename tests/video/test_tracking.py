"""People tracking and performer selection on synthetic box sequences (no detector needed)."""

from __future__ import annotations

import numpy as np
import pytest

from vimo.errors import VimoError
from vimo.video.decode import probe
from vimo.video.tracking import (
    Track,
    TrackingConfig,
    box_iou,
    crop_path,
    link_tracks,
    nms,
    score_tracks,
    select_track,
    tile_grid,
)
from vimo.viz.tracks import write_tracks_preview

W, H = 640, 480


def boxes_along(x: np.ndarray, y: np.ndarray, height: float | np.ndarray, score: float = 0.9) -> np.ndarray:
    """(T, 5) square boxes of ``height`` centred on (x, y) per frame."""
    height = np.broadcast_to(height, x.shape)
    return np.stack([x - height / 2, y - height / 2, x + height / 2, y + height / 2, np.full_like(x, score)], -1)


def frames_of(*people: np.ndarray, missing: dict[int, set[int]] | None = None) -> list[np.ndarray]:
    """Per-frame detections from per-person (T, 5) boxes, shuffled, with some boxes missing."""
    rng = np.random.default_rng(0)
    out = []
    for k in range(len(people[0])):
        dets = [p[k] for i, p in enumerate(people) if k not in (missing or {}).get(i, set())]
        out.append(np.asarray(dets).reshape(-1, 5)[rng.permutation(len(dets))])
    return out


def scored(detections: list[np.ndarray]) -> list[Track]:
    return score_tracks(link_tracks(detections), image_size=(W, H), probed=[True] * len(detections))


def crossing_scene(T: int = 60) -> tuple[np.ndarray, np.ndarray]:
    """A: a large person walking left to right through the centre; B: a smaller one walking right
    to left behind, crossing A in the middle of the clip."""
    t = np.arange(T, dtype=np.float64)
    a = boxes_along(150 + 340 * t / (T - 1), np.full(T, 250.0), 260.0)
    b = boxes_along(500 - 360 * t / (T - 1), np.full(T, 220.0), 140.0)
    return a, b


def test_two_people_crossing_keep_their_identities() -> None:
    a, b = crossing_scene()
    occluded = set(range(20, 45))  # B is hidden behind A while they cross (longer than max_gap)
    tracks = scored(frames_of(a, b, missing={1: occluded}))
    assert len(tracks) == 2
    by_size = sorted(tracks, key=lambda t: -np.median(t.boxes[:, 3] - t.boxes[:, 1]))
    big, small = by_size
    assert np.allclose(big.boxes[:, 3] - big.boxes[:, 1], 260.0)  # no box of B ever joins A's track
    assert np.allclose(small.boxes[:, 3] - small.boxes[:, 1], 140.0)
    assert (big.first, big.last, len(big.frames)) == (0, 59, 60)
    assert (small.first, small.last, len(small.frames)) == (0, 59, 35)  # one track across the occlusion
    assert np.allclose(small.boxes_at(np.array([30]))[0, 0], 500 - 360 * 30 / 59 - 70, atol=1.0)
    assert select_track(tracks).id == big.id
    assert big.score.total > small.score.total
    assert select_track(tracks, person=small.id).id == small.id


def test_person_override_must_name_a_track() -> None:
    a, b = crossing_scene()
    tracks = scored(frames_of(a, b))
    with pytest.raises(VimoError, match=r"clip\.mp4: person=7 is not a track id; tracks: track 0: frames 0-59"):
        select_track(tracks, person=7, source="clip.mp4")
    with pytest.raises(VimoError, match="no person detected"):
        select_track([], source="clip.mp4")


def test_selection_prefers_central_then_moving_then_present() -> None:
    T = 40
    t = np.arange(T, dtype=np.float64)
    still = np.full(T, 240.0)
    # Same size, both still: the central one wins.
    central = boxes_along(np.full(T, 320.0), still, 200.0)
    edge = boxes_along(np.full(T, 90.0), still, 200.0)
    tracks = scored(frames_of(edge, central))
    assert select_track(tracks).boxes[0, 0] == pytest.approx(220.0)
    # Same size, symmetric about the centre: the moving one wins.
    left = boxes_along(np.full(T, 200.0), still, 200.0)
    right = boxes_along(440 + 60 * np.sin(t / 4), still + 20 * np.sin(t / 3), 200.0)
    tracks = scored(frames_of(left, right))
    chosen = select_track(tracks)
    assert chosen.score.motion == 1.0 and chosen.boxes[0, 0] > 300
    # Same size and place pattern, but one is there for only a quarter of the clip.
    brief = boxes_along(np.full(T, 250.0), still, 200.0)
    stays = boxes_along(np.full(T, 390.0), still, 200.0)
    tracks = scored(frames_of(brief, stays, missing={0: set(range(10, T))}))
    chosen = select_track(tracks)
    assert chosen.score.presence == 1.0 and chosen.boxes[0, 0] > 250


def test_gaps_short_bridge_long_split_and_false_positives_drop() -> None:
    T = 80
    x = np.linspace(100, 500, T)
    person = boxes_along(x, np.full(T, 240.0), 200.0)
    config = TrackingConfig(max_gap=15, min_detections=3)
    short = link_tracks(frames_of(person, missing={0: set(range(20, 30))}), config)
    assert len(short) == 1 and len(short[0].frames) == T - 10
    hidden = {0: set(range(20, 40))}
    no_reconnect = TrackingConfig(max_gap=15, min_detections=3, reconnect_gap=0)
    assert [(t.first, t.last) for t in link_tracks(frames_of(person, missing=hidden), no_reconnect)] == [
        (0, 19),
        (40, 79),
    ]
    rejoined = link_tracks(frames_of(person, missing=hidden), config)  # reappears where it was heading
    assert [(t.first, t.last, len(t.frames)) for t in rejoined] == [(0, 79, 60)]
    elsewhere = person.copy()
    elsewhere[40:, [0, 2]] -= 300  # someone else appears far from the extrapolation
    assert len(link_tracks(frames_of(elsewhere, missing=hidden), config)) == 2
    dets = frames_of(person)
    dets[5] = np.vstack([dets[5], [600, 10, 630, 40, 0.6]])  # a one-frame false positive
    assert len(link_tracks(dets, config)) == 1


def test_frames_without_detector_runs_are_skipped() -> None:
    T = 30
    person = boxes_along(np.linspace(100, 400, T), np.full(T, 240.0), 200.0)
    dets: list[np.ndarray | None] = [d if k % 3 == 0 else None for k, d in enumerate(frames_of(person))]
    tracks = score_tracks(link_tracks(dets), image_size=(W, H), probed=[d is not None for d in dets])
    assert len(tracks) == 1 and tracks[0].score.presence == 1.0
    small = boxes_along(np.linspace(500, 440, T), np.full(T, 200.0), 80.0)  # only the tiles (every 9th) find it
    thorough = [k % 9 == 0 for k in range(T)]
    dets = [np.vstack([d, small[k]]) if thorough[k] else d for k, d in enumerate(dets)]
    both = score_tracks(link_tracks(dets), image_size=(W, H), probed=[d is not None for d in dets], thorough=thorough)
    assert [t.score.presence for t in both] == [1.0, 1.0]
    boxes = tracks[0].boxes_at(np.arange(T))
    assert np.allclose(boxes[:28, 0], person[:28, 0], atol=1e-6)  # interpolated between runs (linear motion)
    assert np.allclose(boxes[28:, 0], person[27, 0])  # held after the last run


def test_crop_path_follows_the_track_and_holds_at_the_ends() -> None:
    T = 40
    x = np.linspace(200, 400, T)
    track = link_tracks(frames_of(boxes_along(x, np.full(T, 240.0), 200.0), missing={0: set(range(30, T))}))[0]
    crops = crop_path(track, T, expand=1.25, smoothing_s=0.0)
    assert len(crops) == T
    assert all(c.side == 250 for c in crops)
    centres = np.array([c.x0 + c.side / 2 for c in crops])
    assert np.allclose(centres[:30], x[:30], atol=1.0)
    assert np.allclose(centres[30:], x[29], atol=1.0)  # held after the last detection


def test_box_helpers() -> None:
    a = np.array([[0, 0, 10, 10]])
    assert box_iou(a, np.array([[0, 0, 10, 10], [5, 0, 15, 10], [20, 20, 30, 30]])) == pytest.approx(
        np.array([[1.0, 1 / 3, 0.0]])
    )
    boxes = np.array([[0, 0, 10, 10, 0.5], [1, 1, 11, 11, 0.9], [50, 50, 60, 60, 0.7]])
    assert nms(boxes, 0.4).tolist() == [1, 2]
    tiles = tile_grid(640, 480, 0.6)
    assert len(tiles) == 6
    covered = np.zeros((480, 640), bool)
    for x0, y0, side in tiles:
        covered[y0 : y0 + side, x0 : x0 + side] = True
        assert side == 288 and x0 + side <= 640 and y0 + side <= 480
    assert covered.all()


def test_tracks_preview_image_and_video(tmp_path) -> None:  # noqa: ANN001
    a, b = crossing_scene(12)
    tracks = scored(frames_of(a, b))
    frames = [np.full((H, W, 3), 200, np.uint8) for _ in range(12)]
    png = write_tracks_preview(iter(frames), tracks, tmp_path / "tracks.png", chosen=0)
    import cv2

    image = cv2.imread(str(png))
    assert image.shape == (H, W, 3) and (image != 200).any(axis=2).sum() > 500  # boxes and labels drawn
    mp4 = write_tracks_preview(frames, tracks, tmp_path / "tracks.mp4", chosen=0, scale=0.5)
    assert probe(mp4).num_frames == 12
