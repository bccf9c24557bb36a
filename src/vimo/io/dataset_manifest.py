"""Reading the manifest of a dataset made by ``vimo dataset build`` (``vimo.apps.dataset``).

``DATASET/manifest.jsonl`` holds one JSON object per kept motion; its paths are relative to ``DATASET``
(the schema is in docs/dataset.md).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from vimo.errors import VimoError

MANIFEST = "manifest.jsonl"


def read_manifest(dataset: str | os.PathLike) -> list[dict]:
    """The manifest's lines (one dict per kept motion)."""
    path = Path(dataset) / MANIFEST
    if not path.exists():
        raise VimoError(f"{dataset}: no {MANIFEST} (not a dataset made by `vimo dataset build`)")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def dataset_motion_files(folder: str | os.PathLike) -> list[Path] | None:
    """The motion files a dataset's manifest lists (``vimo data prepare`` reads these), or None when
    ``folder`` is not a dataset."""
    folder = Path(folder)
    if not (folder / MANIFEST).is_file():
        return None
    return [folder / doc["motion"] for doc in read_manifest(folder)]
