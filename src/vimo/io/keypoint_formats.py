"""Readers for third-party 2D keypoint files -> :class:`~vimo.keypoints.Keypoints2D` (COCO-17).

Joints are converted **by name** (:func:`convert_by_name`) from each format's joint table below; a COCO-17
joint the source lacks gets confidence 0. Formats (``format=`` names; "auto" detects them):

- ``"vimo"``: our ``vimo-keypoints/1`` JSON (:meth:`Keypoints2D.from_json`).
- ``"alphapose"``: AlphaPose ``alphapose-results.json`` (also COCO *results* lists): a list of detections
  ``{"image_id", "keypoints": [x, y, score] * K, "score", "idx" (track id, with --pose_track)}``;
  K = 17 (COCO), 26 (Halpe-26, the first 17 COCO), 133 (COCO-WholeBody) or 136 (Halpe-136). The frame
  index is the number in ``image_id`` (AlphaPose names video frames ``0.jpg``, ``1.jpg``, ...; frames
  without detections are absent from the file and read as missing); sparse numbers (COCO image ids) are
  ranked instead, and ids without numbers taken in order of appearance.
- ``"openpose"``: an OpenPose ``--write_json`` folder of per-frame ``*_keypoints.json`` files
  ``{"people": [{"person_id", "pose_keypoints_2d": [x, y, c] * 25}]}`` (BODY_25, or 18 for the COCO-18
  model); frames in the order of the number before ``_keypoints.json`` (one file per frame).
- ``"coco"``: a COCO keypoint annotation file ``{"images", "annotations", "categories"}``; frames are the
  images ordered by ``frame_id`` (PoseTrack) or ``id``; joint names from the person category. Visibility
  flags (0/1/2) become confidence 0/1/1; float scores are kept.
- ``"mmpose"``: MMPose predictions: the inferencer's ``--pred-out-dir`` JSON (a video's list of
  ``{"frame_id", "instances"}``, or one image's list of instances) or the demos' ``--save-predictions``
  JSON ``{"meta_info", "instance_info"}``; instances ``{"keypoints": [[x, y]] * K, "keypoint_scores"}``.

Several people per frame: with track ids (AlphaPose ``idx``, OpenPose ``person_id``, ``track_id``) the
track with the largest summed detection score is taken, or ``person`` (a track id). Without ids, the first
frame takes the highest-scoring detection and each later frame the detection nearest (centre of its
confident keypoints) to the previous choice among those scoring at least half the frame's best.
Confidences are clipped to [0, 1].

Image size: from the file if it has one (vimo, COCO ``images``), else the ``image_size`` argument, else the
keypoint extent (the smallest integer size containing every confident keypoint). fps: from the file (vimo),
else the ``fps`` argument, else 30. An argument that contradicts the file is an error.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vimo.errors import InputFormatError, VimoError
from vimo.io.inputs import regular_file
from vimo.keypoints import COCO17_NAMES, Keypoints2D
from vimo.motion import MAX_FPS

DEFAULT_FPS = 30.0
FORMATS: tuple[str, ...] = ("auto", "vimo", "alphapose", "openpose", "coco", "mmpose")

# -- joint tables (names are ours: lower snake_case, "left_"/"right_" prefixes) --------------------------
BODY25_NAMES: tuple[str, ...] = (
    "nose", "neck", "right_shoulder", "right_elbow", "right_wrist", "left_shoulder", "left_elbow",
    "left_wrist", "mid_hip", "right_hip", "right_knee", "right_ankle", "left_hip", "left_knee", "left_ankle",
    "right_eye", "left_eye", "right_ear", "left_ear", "left_big_toe", "left_small_toe", "left_heel",
    "right_big_toe", "right_small_toe", "right_heel",
)  # fmt: skip
OPENPOSE_COCO18_NAMES: tuple[str, ...] = tuple(n for n in BODY25_NAMES[:19] if n != "mid_hip")
HALPE26_NAMES: tuple[str, ...] = COCO17_NAMES + (
    "head", "neck", "hip", "left_big_toe", "right_big_toe", "left_small_toe", "right_small_toe",
    "left_heel", "right_heel",
)  # fmt: skip
_FACE68 = tuple(f"face_{k}" for k in range(68))
_LEFT_HAND21 = tuple(f"left_hand_{k}" for k in range(21))
_RIGHT_HAND21 = tuple(f"right_hand_{k}" for k in range(21))
HALPE136_NAMES: tuple[str, ...] = HALPE26_NAMES + _FACE68 + _LEFT_HAND21 + _RIGHT_HAND21
COCO_WHOLEBODY133_NAMES: tuple[str, ...] = (
    COCO17_NAMES
    + ("left_big_toe", "left_small_toe", "left_heel", "right_big_toe", "right_small_toe", "right_heel")
    + _FACE68
    + _LEFT_HAND21
    + _RIGHT_HAND21
)

# Joint table by keypoint count, per format (when the file does not name its joints).
JOINT_TABLES: dict[str, dict[int, tuple[str, ...]]] = {
    "alphapose": {17: COCO17_NAMES, 26: HALPE26_NAMES, 133: COCO_WHOLEBODY133_NAMES, 136: HALPE136_NAMES},
    "openpose": {25: BODY25_NAMES, 18: OPENPOSE_COCO18_NAMES},
    "coco": {17: COCO17_NAMES},
    "mmpose": {17: COCO17_NAMES, 26: HALPE26_NAMES, 133: COCO_WHOLEBODY133_NAMES},
}


def _canonical(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", str(name).strip().lower())


def convert_by_name(src_names: Sequence[str], data: np.ndarray, dst_names: Sequence[str] = COCO17_NAMES) -> np.ndarray:
    """(..., K_src, C) joints named ``src_names`` -> (..., K_dst, C) in the order of ``dst_names``.

    Names are matched case-insensitively (spaces and dashes read as underscores). A destination joint the
    source lacks is all zeros (for ``[x, y, conf]`` data: confidence 0, i.e. missing).
    """
    data = np.asarray(data)
    if data.ndim < 2 or data.shape[-2] != len(src_names):
        raise ValueError(f"data has {data.shape[-2] if data.ndim >= 2 else 0} joints, names {len(src_names)}")
    index = {_canonical(n): k for k, n in enumerate(src_names)}
    out = np.zeros((*data.shape[:-2], len(dst_names), data.shape[-1]), dtype=data.dtype)
    for j, name in enumerate(dst_names):
        k = index.get(_canonical(name))
        if k is not None:
            out[..., j, :] = data[..., k, :]
    return out


# -- parsed detections ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Detection:
    keypoints: np.ndarray  # (K, 3) [x_px, y_px, conf] in the source joint order
    score: float
    track: int | None


@dataclass(frozen=True)
class _Parsed:
    frames: list[list[_Detection]]  # per frame, every detection
    names: tuple[str, ...]  # source joint names (K)
    image_size: tuple[int, int] | None = None


def _load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputFormatError(f"{path}: not valid JSON ({exc})") from None
    except RecursionError:
        raise InputFormatError(f"{path}: JSON nested too deeply to be a keypoint file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFormatError(f"{path}: cannot read keypoints file ({exc})") from None


def _keypoint_array(values: Any, where: str, scores: Any = None) -> np.ndarray:
    """Flat ``[x, y, c] * K`` (or ``[[x, y]] * K`` with separate ``scores``) -> (K, 3) float64, finite."""
    try:
        arr = np.asarray(values, dtype=np.float64)
        if scores is not None:
            conf = np.asarray(scores, dtype=np.float64).reshape(-1, 1)
            arr = np.concatenate([arr.reshape(-1, 2), conf], axis=1)
        elif arr.ndim == 2 and arr.shape[1] == 3:
            pass
        elif arr.ndim == 1 and arr.size % 3 == 0:
            arr = arr.reshape(-1, 3)
        else:
            raise ValueError
    except (TypeError, ValueError):
        raise InputFormatError(f"{where}: keypoints are not [x, y, confidence] numbers per joint") from None
    if not np.isfinite(arr).all():
        joint = int(np.argwhere(~np.isfinite(arr))[0, 0])
        raise InputFormatError(f"{where}: NaN/inf keypoint value at joint {joint}")
    return arr


def _track_id(value: Any) -> int | None:
    """A track id from an int or a one-element list; None for absent or negative (untracked) ids."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        return None
    return int(value)


def _score(value: Any, keypoints: np.ndarray) -> float:
    if isinstance(value, list):  # MMPose bbox_score can be a one-element list
        value = value[0] if value else None
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return float(np.clip(keypoints[:, 2], 0.0, 1.0).mean())


def _names_for(fmt: str, count: int, where: str) -> tuple[str, ...]:
    table = JOINT_TABLES[fmt]
    if count not in table:
        known = ", ".join(f"{k} ({_table_label(v)})" for k, v in table.items())
        raise InputFormatError(f"{where}: {count} keypoints per person; {fmt} files have {known}")
    return table[count]


def _table_label(names: tuple[str, ...]) -> str:
    labels = {
        COCO17_NAMES: "COCO-17",
        BODY25_NAMES: "BODY_25",
        OPENPOSE_COCO18_NAMES: "OpenPose COCO-18",
        HALPE26_NAMES: "Halpe-26",
        HALPE136_NAMES: "Halpe-136",
        COCO_WHOLEBODY133_NAMES: "COCO-WholeBody",
    }
    return labels.get(names, f"{len(names)} joints")


def _frame_number(image_id: Any) -> int | None:
    if isinstance(image_id, int) and not isinstance(image_id, bool):
        return image_id
    digits = re.findall(r"\d+", Path(str(image_id)).stem)
    return int(digits[-1]) if digits else None


def _frame_indices(keys: list[Any], numbers: list[int | None]) -> list[int]:
    """Frame index per detection: its frame number where every key has one and the numbering is not
    absurdly sparse (e.g. COCO image ids); else the rank of the number, or the order of first appearance."""
    if all(n is not None and n >= 0 for n in numbers):
        valid = [int(n) for n in numbers if n is not None]
        if max(valid) < 10 * len(set(valid)) + 1000:
            return valid
        rank = {n: i for i, n in enumerate(sorted(set(valid)))}
        return [rank[n] for n in valid]
    first_seen = {key: i for i, key in enumerate(dict.fromkeys(map(str, keys)))}
    return [first_seen[str(key)] for key in keys]


def _consistent_names(counts: set[int], fmt: str, where: str) -> tuple[str, ...]:
    if len(counts) != 1:
        raise InputFormatError(f"{where}: detections have different keypoint counts {sorted(counts)}")
    return _names_for(fmt, counts.pop(), where)


# -- per-format parsers ---------------------------------------------------------------------------------
def _parse_alphapose(doc: Any, path: Path) -> _Parsed:
    if not isinstance(doc, list):
        raise InputFormatError(f"{path}: expected a list of detections (AlphaPose results)")
    keys: list[Any] = []
    dets: list[_Detection] = []
    for k, item in enumerate(doc):
        if not isinstance(item, dict) or "keypoints" not in item or "image_id" not in item:
            raise InputFormatError(f"{path}: detection {k}: expected an object with image_id and keypoints")
        kp = _keypoint_array(item["keypoints"], f"{path}: detection {k} (image {item['image_id']})")
        track = _track_id(item.get("idx", item.get("track_id")))
        dets.append(_Detection(kp, _score(item.get("score"), kp), track))
        keys.append(item["image_id"])
    if not dets:
        raise InputFormatError(f"{path}: no detections")
    names = _consistent_names({len(d.keypoints) for d in dets}, "alphapose", str(path))
    index = _frame_indices(keys, [_frame_number(key) for key in keys])
    frames: list[list[_Detection]] = [[] for _ in range(max(index) + 1)]
    for i, det in zip(index, dets, strict=True):
        frames[i].append(det)
    return _Parsed(frames, names)


def _openpose_people(doc: Any, where: str) -> list[_Detection]:
    if not isinstance(doc, dict) or not isinstance(doc.get("people"), list):
        raise InputFormatError(f"{where}: expected an OpenPose object with a 'people' list")
    out = []
    for k, person in enumerate(doc["people"]):
        if not isinstance(person, dict) or "pose_keypoints_2d" not in person:
            raise InputFormatError(f"{where}: person {k}: missing 'pose_keypoints_2d'")
        kp = _keypoint_array(person["pose_keypoints_2d"], f"{where}: person {k}")
        if len(kp) == 0:
            continue
        out.append(_Detection(kp, _score(None, kp), _track_id(person.get("person_id"))))
    return out


def _parse_openpose(path: Path, doc: Any = None) -> _Parsed:
    if path.is_dir():
        files = sorted(path.glob("*_keypoints.json"))
        if not files:
            raise InputFormatError(f"{path}: no OpenPose *_keypoints.json files in this folder")
        numbers = [re.search(r"(\d+)_keypoints\.json$", f.name) for f in files]
        if all(numbers):
            files = [f for _, f in sorted(zip([int(m.group(1)) for m in numbers], files, strict=True))]
        frames = [_openpose_people(_load_json(f), str(f)) for f in files]
    else:
        frames = [_openpose_people(doc if doc is not None else _load_json(path), str(path))]
    counts = {len(d.keypoints) for f in frames for d in f}
    if not counts:
        raise InputFormatError(f"{path}: no person detected in any frame")
    return _Parsed(frames, _consistent_names(counts, "openpose", str(path)))


def _parse_coco(doc: Any, path: Path) -> _Parsed:
    if not isinstance(doc, dict) or not isinstance(doc.get("images"), list):
        raise InputFormatError(f"{path}: expected a COCO object with 'images' and 'annotations'")
    images = doc["images"]
    anns = doc.get("annotations", [])
    if not isinstance(anns, list):
        raise InputFormatError(f"{path}: field 'annotations' must be a list")
    try:
        order = sorted(images, key=lambda im: (im.get("frame_id", im["id"]), im["id"]))
        row = {im["id"]: k for k, im in enumerate(order)}
    except (KeyError, TypeError, AttributeError):
        raise InputFormatError(f"{path}: every image needs an 'id'") from None
    names: tuple[str, ...] | None = None
    for cat in doc.get("categories", []) or []:
        if names is None and isinstance(cat, dict) and isinstance(cat.get("keypoints"), list):
            names = tuple(map(str, cat["keypoints"]))
    frames: list[list[_Detection]] = [[] for _ in order]
    raw: list[tuple[int, np.ndarray, Any, Any]] = []
    for k, ann in enumerate(anns):
        if not isinstance(ann, dict) or "keypoints" not in ann or ann.get("image_id") not in row:
            raise InputFormatError(f"{path}: annotation {k}: expected keypoints and a known image_id")
        kp = _keypoint_array(ann["keypoints"], f"{path}: annotation {k} (image {ann['image_id']})")
        raw.append((row[ann["image_id"]], kp, ann.get("score"), ann.get("track_id")))
    if not raw:
        raise InputFormatError(f"{path}: no keypoint annotations")
    third = np.concatenate([kp[:, 2] for _, kp, _, _ in raw])
    flags = bool(np.isin(third, (0.0, 1.0, 2.0)).all() and (third == 2.0).any())  # GT visibility flags
    for frame, kp, score, track in raw:
        if flags:
            kp = kp.copy()
            kp[:, 2] = kp[:, 2] > 0
        frames[frame].append(_Detection(kp, _score(score, kp), _track_id(track)))
    counts = {len(kp) for _, kp, _, _ in raw}
    if names is None:
        names = _consistent_names(counts, "coco", str(path))
    elif counts != {len(names)}:
        raise InputFormatError(f"{path}: annotations have {sorted(counts)} keypoints, category names {len(names)}")
    size = None
    sized = [im for im in order if isinstance(im.get("width"), int) and isinstance(im.get("height"), int)]
    if sized:
        size = (sized[0]["width"], sized[0]["height"])
    return _Parsed(frames, names, size)


def _mmpose_instances(instances: Any, where: str) -> list[_Detection]:
    if not isinstance(instances, list):
        raise InputFormatError(f"{where}: expected a list of instances")
    out = []
    for k, inst in enumerate(instances):
        if not isinstance(inst, dict) or "keypoints" not in inst:
            raise InputFormatError(f"{where}: instance {k}: missing 'keypoints'")
        kp = _keypoint_array(inst["keypoints"], f"{where}: instance {k}", inst.get("keypoint_scores"))
        out.append(_Detection(kp, _score(inst.get("bbox_score"), kp), _track_id(inst.get("track_id"))))
    return out


def _parse_mmpose(doc: Any, path: Path) -> _Parsed:
    names: tuple[str, ...] | None = None
    if isinstance(doc, dict):
        meta = doc.get("meta_info") or {}
        id2name = meta.get("keypoint_id2name") if isinstance(meta, dict) else None
        if isinstance(id2name, dict) and id2name:
            try:
                names = tuple(str(n) for _, n in sorted((int(k), n) for k, n in id2name.items()))
            except (TypeError, ValueError):
                raise InputFormatError(f"{path}: meta_info.keypoint_id2name must map indices to names") from None
        if "instance_info" not in doc:
            raise InputFormatError(f"{path}: expected MMPose predictions with 'instance_info'")
        doc = doc["instance_info"]
    if not isinstance(doc, list):
        raise InputFormatError(f"{path}: expected a list of MMPose frames or instances")
    if doc and all(isinstance(f, dict) and "instances" in f for f in doc):  # a video
        try:
            ids = [int(f.get("frame_id", k)) for k, f in enumerate(doc)]
        except (TypeError, ValueError):
            raise InputFormatError(f"{path}: 'frame_id' must be an integer") from None
        index = _frame_indices(ids, list(ids))
        frames: list[list[_Detection]] = [[] for _ in range(max(index) + 1)]
        for i, frame_id, f in zip(index, ids, doc, strict=True):
            frames[i].extend(_mmpose_instances(f["instances"], f"{path}: frame {frame_id}"))
    else:  # one image
        frames = [_mmpose_instances(doc, str(path))]
    counts = {len(d.keypoints) for f in frames for d in f}
    if not counts:
        raise InputFormatError(f"{path}: no person detected in any frame")
    if names is None:
        names = _consistent_names(counts, "mmpose", str(path))
    elif counts != {len(names)}:
        raise InputFormatError(f"{path}: instances have {sorted(counts)} keypoints, meta_info names {len(names)}")
    return _Parsed(frames, names)


def detect_format(path: str | Path, doc: Any = None) -> str:
    """The keypoint format of ``path`` (a folder is OpenPose); ``doc``: its parsed JSON, if loaded."""
    path = Path(path)
    if path.is_dir():
        return "openpose"
    doc = _load_json(path) if doc is None else doc
    if isinstance(doc, dict):
        if str(doc.get("format", "")).startswith("vimo-keypoints"):
            return "vimo"
        if "images" in doc and "annotations" in doc:
            return "coco"
        if "instance_info" in doc:
            return "mmpose"
        if "people" in doc:
            return "openpose"
    elif isinstance(doc, list) and doc and isinstance(doc[0], dict):
        if "instances" in doc[0] or "keypoint_scores" in doc[0]:
            return "mmpose"
        if "image_id" in doc[0] and "keypoints" in doc[0]:
            return "alphapose"
    raise InputFormatError(
        f"{path}: unrecognised keypoint file; expected one of {', '.join(FORMATS[1:])} "
        "(vimo JSON, AlphaPose results, OpenPose folder, COCO annotations, MMPose predictions)"
    )


# -- selection and assembly -----------------------------------------------------------------------------
def _centre(det: _Detection) -> np.ndarray:
    conf = det.keypoints[:, 2] > 0
    pts = det.keypoints[conf, :2] if conf.any() else det.keypoints[:, :2]
    return pts.mean(axis=0)


def _select_person(frames: list[list[_Detection]], person: int | None, source: str | Path) -> list[_Detection | None]:
    """One detection (or None) per frame: a track (``person``, else the highest summed score) or, without
    track ids, the first frame's best detection followed frame to frame (see the module docstring)."""
    tracks = {d.track for f in frames for d in f if d.track is not None}
    if person is not None or tracks:
        if person is None:
            totals: dict[int, float] = defaultdict(float)
            for f in frames:
                for d in f:
                    if d.track is not None:
                        totals[d.track] += d.score
            person = max(sorted(totals), key=lambda t: totals[t])
        elif person not in tracks:
            have = f"track ids {sorted(tracks)[:20]}" if tracks else "no track ids"
            raise InputFormatError(f"{source}: person={person} not found; the file has {have}")
        return [max((d for d in f if d.track == person), key=lambda d: d.score, default=None) for f in frames]
    chosen: list[_Detection | None] = []
    prev: _Detection | None = None
    for f in frames:
        if not f:
            chosen.append(None)
            continue
        if prev is None:
            pick = max(f, key=lambda d: d.score)
        else:
            top = max(d.score for d in f)
            ref = _centre(prev)
            candidates = [d for d in f if d.score >= 0.5 * top]
            pick = min(candidates, key=lambda d: float(np.linalg.norm(_centre(d) - ref)))
        chosen.append(pick)
        prev = pick
    return chosen


def _resolve(file_value: Any, arg: Any, name: str, source: str | Path) -> Any:
    """The file's value, else the argument; an error if both are given and differ."""
    if file_value is not None and arg is not None and np.ravel(file_value).tolist() != np.ravel(arg).tolist():
        raise InputFormatError(f"{source}: the file says {name} {file_value}, the argument {arg}; omit {name}")
    return file_value if file_value is not None else arg


def _assemble(
    parsed: _Parsed,
    source: Path,
    *,
    fps: float | None,
    image_size: tuple[int, int] | None,
    person: int | None,
) -> Keypoints2D:
    picks = _select_person(parsed.frames, person, source)
    src = np.zeros((len(picks), len(parsed.names), 3))
    for t, det in enumerate(picks):
        if det is not None:
            src[t] = det.keypoints
    data = convert_by_name(parsed.names, src, COCO17_NAMES)  # (T, 17, 3)
    data[..., 2] = np.clip(data[..., 2], 0.0, 1.0)
    confident = data[..., 2] > 0
    if not confident.any():
        raise InputFormatError(f"{source}: no COCO-17 keypoint with confidence > 0 in any frame")
    size = _resolve(parsed.image_size, None if image_size is None else tuple(image_size), "image_size", source)
    if size is None:
        xy = data[confident][:, :2]
        size = (max(1, math.ceil(xy[:, 0].max())), max(1, math.ceil(xy[:, 1].max())))
    try:
        return Keypoints2D(data.astype(np.float32), DEFAULT_FPS if fps is None else fps, tuple(size))
    except InputFormatError as exc:
        raise InputFormatError(f"{source}: {exc}") from None


def read_keypoints(
    path: str | Path,
    *,
    format: str = "auto",
    fps: float | None = None,
    image_size: tuple[int, int] | None = None,
    person: int | None = None,
) -> Keypoints2D:
    """Read a 2D keypoint file (or OpenPose folder) in any supported format as COCO-17 Keypoints2D.

    format: "auto" or one of "vimo", "alphapose", "openpose", "coco", "mmpose" (see the module docstring).
    fps: frames per second when the file does not say (default 30). image_size: (width, height) in pixels
    when the file does not say (default: the keypoint extent). person: the track id to read when the file
    has several tracked people. Raises InputFormatError naming the file (and frame/field where known).
    """
    with np.errstate(over="ignore", invalid="ignore"):  # values too large for float32 are named as such below
        return _read_keypoints(Path(path), format=format, fps=fps, image_size=image_size, person=person)


def _read_keypoints(
    path: Path, *, format: str, fps: float | None, image_size: tuple[int, int] | None, person: int | None
) -> Keypoints2D:
    path = Path(path)
    if format not in FORMATS:
        close = difflib.get_close_matches(str(format), FORMATS, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise VimoError(f"unknown keypoint format {format!r}; expected one of {', '.join(FORMATS)}{hint}")
    if not path.exists():
        raise InputFormatError(f"{path}: no such file or folder")
    doc = None if path.is_dir() else _load_json(regular_file(path, "a keypoint file (JSON) or an OpenPose folder"))
    fmt = detect_format(path, doc) if format == "auto" else format
    if fmt == "vimo":
        kp = Keypoints2D.from_json(path)
        if person is not None:
            raise InputFormatError(f"{path}: a vimo keypoint file holds one person; omit person")
        rate = _resolve(kp.fps, fps, "fps", path)
        size = _resolve(kp.image_size, None if image_size is None else tuple(image_size), "image_size", path)
        return _usable(Keypoints2D(kp.data, rate, size), path)
    if fmt == "openpose":
        parsed = _parse_openpose(path, doc)
    elif path.is_dir():
        raise InputFormatError(f"{path}: a folder is read as OpenPose output; {fmt} needs a JSON file")
    elif fmt == "alphapose":
        parsed = _parse_alphapose(doc, path)
    elif fmt == "coco":
        parsed = _parse_coco(doc, path)
    else:
        parsed = _parse_mmpose(doc, path)
    return _usable(_assemble(parsed, path, fps=fps, image_size=image_size, person=person), path)


MIN_FRAMES = 2  # the fewest frames a motion is generated from (vimo.pipeline)
# A keypoint this many image sizes outside the image is not a pixel coordinate (a unit or scale mistake).
FAR_OUTSIDE_IMAGES = 10.0
# Below this share of frames with a seen keypoint, most of the motion is guessed, not followed.
LOW_COVERAGE = 0.5


def keypoint_warnings(kp: Keypoints2D) -> list[str]:
    """What a run from ``kp`` should warn about (one line each): coordinates far outside the image, and few
    frames with any keypoint seen."""
    out = []
    seen = kp.data[..., 2] > 0  # (T, 17)
    if seen.any():
        extent = float(np.abs(kp.data[..., :2][seen]).max())
        if extent > FAR_OUTSIDE_IMAGES * max(kp.image_size):
            out.append(f"keypoints reach {extent:.3g} px, far outside the {kp.image_size[0]:g}x{kp.image_size[1]:g} "
                       "image: check their units (pixels expected)")  # fmt: skip
    share = float(seen.any(axis=1).mean()) if kp.num_frames else 0.0
    if share < LOW_COVERAGE:
        out.append(f"a pose is seen on {share:.0%} of the {kp.num_frames} frames: the rest is guessed")
    return out


def _usable(kp: Keypoints2D, path: Path) -> Keypoints2D:
    """``kp`` when a motion can follow it; InputFormatError naming ``path`` for a frame rate no video has (so
    that seconds would shrink to one frame) or a file in which no keypoint was seen (confidence 0 throughout)."""
    if kp.num_frames < MIN_FRAMES:
        raise InputFormatError(f"{path}: {kp.num_frames} frame(s); a motion needs at least {MIN_FRAMES}")
    if kp.fps > MAX_FPS:
        raise InputFormatError(f"{path}: fps {kp.fps:g} is not a video frame rate (expected at most {MAX_FPS:g})")
    if kp.num_frames and not (kp.data[..., 2] > 0).any():
        raise InputFormatError(
            f"{path}: every keypoint has confidence 0 in all {kp.num_frames} frames: there is no pose to follow"
        )
    return kp
