"""Facts about the CMU mocap collection in ../shared/data/mocap (see its README).

Frame-rate corrections, the Daz reference frame, the reserved test split and our validation split.
"""

from __future__ import annotations

import csv
import re
from functools import lru_cache
from pathlib import Path

import numpy as np

from vimo.io.bvh import BvhData

# Files reserved for testing (README "Reserved test split"), as path stems relative to cmu/.
TEST_PATTERNS: tuple[str, ...] = (
    r"atelier_01-09/05/05_(16|17|18|19|20)",
    r"acrnn_dance/salsa/(25|26|27|28|29|30)",
    r"acrnn_dance/martial/10",
    r"atelier_01-09/02/02_10", r"atelier_01-09/06/06_15", r"atelier_01-09/08/08_11", r"atelier_01-09/09/09_12",
    r"atelier_10-14/10/10_06", r"atelier_10-14/13/13_42", r"atelier_10-14/14/14_30",
    r"hugefbx_topdownshooter/49/49_(20|21|22)", r"hugefbx_topdownshooter/63/63_30",
    r"hugefbx_topdownshooter/85/85_15",
    r"hugefbx_masterthesiscups/120/120_22", r"hugefbx_masterthesiscups/124/124_13",
    r"hugefbx_masterthesiscups/144/144_34",
)  # fmt: skip
# Validation: whole subjects (all their takes), chosen once and fixed: a mix of everyday, walks,
# sports, dance and martial arts, none of them holding a test file. Salsa couples 60/61 files
# 21-24 (acrnn numbering) validate the dance genre without touching the test takes.
VAL_PATTERNS: tuple[str, ...] = (
    r"hugefbx_alieninvasion/(16|27|35)/",
    r"hugefbx_topdownshooter/(55|77|86)/",
    r"hugefbx_masterthesiscups/(106|118|132|140)/",
    r"atelier_10-14/12/",
    r"acrnn_dance/salsa/(21|22|23|24)$",
    r"acrnn_dance/martial/0?9$",
)
_TEST = [re.compile(p + r"$") if not p.endswith("/") else re.compile(p) for p in TEST_PATTERNS]
_VAL = [re.compile(p) for p in VAL_PATTERNS]


def relative_key(path: Path) -> str:
    """'atelier_01-09/05/05_16' for .../cmu/atelier_01-09/05/05_16.bvh.gz (or the stem path if no cmu/)."""
    parts = Path(path).as_posix().split("/")
    stem = parts[-1].split(".")[0]
    if "cmu" in parts:
        return "/".join(parts[parts.index("cmu") + 1 : -1] + [stem])
    return "/".join(parts[-3:-1] + [stem])


def split_of(path: Path) -> str:
    key = relative_key(path)
    if any(p.search(key) for p in _TEST):
        return "test"
    if any(p.search(key) for p in _VAL):
        return "val"
    return "train"


@lru_cache(maxsize=4)
def _hugefbx_table(csv_path: str) -> dict[str, dict[str, str]]:
    with open(csv_path, newline="") as fh:
        return {row["file"].removesuffix(".bvh"): row for row in csv.DictReader(fh)}


def true_fps(path: Path, header_fps: float) -> float:
    """The capture rate, applying the README's corrections (salsa at 60; hugefbx rows marked 60/60?)."""
    key = relative_key(path)
    if key.startswith("acrnn_dance/salsa/"):
        return header_fps / 2.0
    if key.startswith("hugefbx_"):
        root = Path(path).as_posix().split("/cmu/")[0] + "/cmu/hugefbx_files.csv"
        if Path(root).exists():
            row = _hugefbx_table(root).get("cmu/" + key)
            if row and row["likely_capture_fps"].startswith("60"):
                return header_fps / 2.0
    return header_fps


def category_of(path: Path) -> str:
    """A rough category for summaries: the hugefbx CSV's, else a guess from the folder."""
    key = relative_key(path)
    if key.startswith("hugefbx_"):
        root = Path(path).as_posix().split("/cmu/")[0] + "/cmu/hugefbx_files.csv"
        if Path(root).exists():
            row = _hugefbx_table(root).get("cmu/" + key)
            if row:
                return row["category"]
    if key.startswith("acrnn_dance/salsa") or key.startswith("atelier_01-09/05/"):
        return "dance"
    if key.startswith("acrnn_dance/martial"):
        return "martial arts / fighting"
    return "mixed (atelier)"


def drop_reference_frame(bvh: BvhData) -> BvhData:
    """Drop the Daz conversion's leading reference T-pose (root rotation exactly zero, then a jump) and
    the blend out of it that follows (the converter eases from the T-pose over ~4 frames at 120 fps;
    we drop 0.1 s)."""
    if bvh.num_frames < 3:
        return bvh
    rot_cols = [k for k, c in enumerate(bvh.channels[0]) if c.lower().endswith("rotation")]
    first, second = bvh.values[0, rot_cols], bvh.values[1, rot_cols]
    if np.all(first == 0.0) and np.abs(second).max() > 1.0:
        from dataclasses import replace

        skip = 1 + int(round(0.1 * bvh.fps))
        return replace(bvh, values=bvh.values[skip:])
    return bvh
