"""Dataset preparation: a folder tree of motion files -> a cache of canonical 150-frame windows.

Cache layout (directory ``CACHE``):
- ``meta.json``: cache key, parameters, code version, per-sequence records (source key, split,
  category, mirrored, frames) and the summary.
- ``sequences.safetensors``: ``vectors`` (N_frames, 151) float32, all sequences end to end at 30 fps
  (motion vector layout of :mod:`vimo.representation`, not yet canonicalised), ``seq_start`` and
  ``seq_length`` (S,) int64.
- ``windows.safetensors``: ``train`` / ``val`` / ``test`` (N, 2) int64 rows of (sequence, start frame).
  A window is canonicalised when it is read (:mod:`vimo.data.dataset`).
- ``normalizer.safetensors``: mean/std fitted on canonicalised training windows.

The cache key hashes the sources' contents, the code version and the parameters: any change rebuilds.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file

from vimo.data import cmu
from vimo.data.mocap import is_motion_file, load_motion
from vimo.errors import VimoError
from vimo.representation import DIM, Normalizer, canonicalize_vectors, to_vector

# Bump when anything that changes the cached numbers changes (import, retargeting, layout).
CACHE_VERSION = "1"


@dataclass(frozen=True)
class PrepareConfig:
    window: int = 150  # frames per window (30 fps)
    stride: int = 30  # frames between window starts
    fps: float = 30.0
    mirror: bool = True  # add left/right mirrored copies of every sequence (augmentation)


@dataclass
class PrepareSummary:
    minutes_by_category: dict[str, float] = field(default_factory=dict)
    minutes_by_split: dict[str, float] = field(default_factory=dict)
    windows_by_split: dict[str, int] = field(default_factory=dict)
    files: int = 0
    failed: dict[str, str] = field(default_factory=dict)
    too_short: int = 0
    up_to_date: bool = False


def find_motion_files(sources: list[Path]) -> list[Path]:
    from vimo.apps.dataset import dataset_motion_files

    files: list[Path] = []
    for src in sources:
        if not src.exists():
            raise VimoError(f"{src}: no such file or directory")
        if src.is_file():
            files.append(src)
        elif (listed := dataset_motion_files(src)) is not None:  # made by `vimo dataset build`: its manifest
            files.extend(listed)
        else:
            files.extend(p for p in src.rglob("*") if p.is_file() and is_motion_file(p))
    return sorted(set(files))


def cache_key(files: list[Path], config: PrepareConfig) -> str:
    h = hashlib.sha256()
    h.update(f"v{CACHE_VERSION}|{json.dumps(asdict(config), sort_keys=True)}".encode())
    for f in files:
        h.update(cmu.relative_key(f).encode())
        h.update(hashlib.sha1(f.read_bytes()).digest())
    return h.hexdigest()[:24]


def _load_one(path: Path) -> tuple[str, np.ndarray | None, str]:
    try:
        motion = load_motion(path)
        return str(path), to_vector(motion), ""
    except VimoError as exc:
        return str(path), None, str(exc)


def _mirror_vector(vec: np.ndarray) -> np.ndarray:
    from vimo.representation import from_vector

    return to_vector(from_vector(vec).mirror())


def prepare(
    sources: list[Path],
    out: Path,
    *,
    config: PrepareConfig = PrepareConfig(),
    workers: int = 2,
    progress=None,
) -> PrepareSummary:
    """Build (or confirm up to date) the window cache at ``out``. ``progress(done, total)`` is optional."""
    files = find_motion_files([Path(s) for s in sources])
    if not files:
        raise VimoError(f"no motion files (.bvh, .bvh.gz, .npz, .pkl) under {', '.join(map(str, sources))}")
    key = cache_key(files, config)
    meta_path = out / "meta.json"
    if meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if meta.get("cache_key") == key:
            summary = PrepareSummary(**meta["summary"])
            summary.up_to_date = True
            return summary

    summary = PrepareSummary(files=len(files))
    records: list[dict] = []
    vectors: list[np.ndarray] = []
    with ProcessPoolExecutor(max_workers=max(1, workers)) as pool:
        for done, (path_str, vec, error) in enumerate(pool.map(_load_one, files, chunksize=4), 1):
            path = Path(path_str)
            if progress is not None:
                progress(done, len(files))
            if vec is None:
                summary.failed[cmu.relative_key(path)] = error
                continue
            split, category = cmu.split_of(path), cmu.category_of(path)
            minutes = len(vec) / config.fps / 60.0
            summary.minutes_by_category[category] = summary.minutes_by_category.get(category, 0.0) + minutes
            summary.minutes_by_split[split] = summary.minutes_by_split.get(split, 0.0) + minutes
            if len(vec) < config.window:
                summary.too_short += 1
                continue
            copies = [(vec, False)]
            if config.mirror:
                copies.append((_mirror_vector(vec), True))
            for v, mirrored in copies:
                records.append(
                    {"source": cmu.relative_key(path), "split": split, "category": category,
                     "mirrored": mirrored, "frames": len(v)}
                )  # fmt: skip
                vectors.append(v.astype(np.float32))

    write_cache(out, records, vectors, config=config, key=key, summary=summary)
    return summary


def write_cache(
    out: Path,
    records: list[dict],
    vectors: list[np.ndarray],
    *,
    config: PrepareConfig = PrepareConfig(),
    key: str = "",
    summary: PrepareSummary | None = None,
) -> PrepareSummary:
    """Write sequences (each (T, 151) at config.fps, with a record holding at least ``split`` and
    ``frames``) as a window cache at ``out``, atomically (build beside it, then swap)."""
    summary = summary or PrepareSummary(files=len(records))
    lengths = np.array([len(v) for v in vectors], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    windows: dict[str, list[tuple[int, int]]] = {"train": [], "val": [], "test": []}
    for s, rec in enumerate(records):
        for start in range(0, rec["frames"] - config.window + 1, config.stride):
            windows[rec["split"]].append((s, start))
    summary.windows_by_split = {k: len(v) for k, v in windows.items()}
    all_vectors = torch.from_numpy(np.concatenate(vectors, axis=0)) if vectors else torch.zeros(0, DIM)

    # Normaliser on canonicalised training windows (every window; stride keeps this bounded).
    train_idx = torch.tensor(windows["train"] or windows["val"] or windows["test"], dtype=torch.int64)
    sample = window_tensor(all_vectors, torch.from_numpy(starts), train_idx[:20000], config.window)
    normalizer = Normalizer.fit(canonicalize_vectors(sample))

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=out.name + ".tmp-", dir=out.parent))
    try:
        save_file(
            {"vectors": all_vectors.contiguous(), "seq_start": torch.from_numpy(starts),
             "seq_length": torch.from_numpy(lengths)},
            str(tmp / "sequences.safetensors"),
        )  # fmt: skip
        save_file(
            {k: torch.tensor(v, dtype=torch.int64).reshape(-1, 2) for k, v in windows.items()},
            str(tmp / "windows.safetensors"),
        )
        normalizer.save(tmp / "normalizer.safetensors")
        meta = {"cache_key": key, "code_version": CACHE_VERSION, "config": asdict(config),
                "sequences": records, "summary": asdict(summary)}  # fmt: skip
        (tmp / "meta.json").write_text(json.dumps(meta, indent=1))
        if out.exists():
            old = out.with_name(out.name + ".old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(out, old)
            os.replace(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return summary


def window_tensor(vectors: torch.Tensor, seq_start: torch.Tensor, windows: torch.Tensor, length: int) -> torch.Tensor:
    """Gather windows: vectors (N, 151), seq_start (S,), windows (B, 2) of (seq, start) -> (B, length, 151)."""
    first = seq_start[windows[:, 0]] + windows[:, 1]  # (B,)
    idx = first[:, None] + torch.arange(length)[None, :]
    return vectors[idx]
