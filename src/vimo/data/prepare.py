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
from vimo.io.atomic import check_writable_dir, registered, swap_dirs
from vimo.io.atomic import umask as _umask
from vimo.representation import DIM, Normalizer, canonicalize_vectors, to_vector

# Bump when anything that changes the cached numbers changes (import, retargeting, layout).
CACHE_VERSION = "1"
# meta.json's "kind": marks a folder as a cache this module wrote (and may replace), with "files" its manifest.
CACHE_KIND = "vimo-window-cache"
CACHE_FILES = ("meta.json", "sequences.safetensors", "windows.safetensors", "normalizer.safetensors")


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
    from vimo.io.dataset_manifest import dataset_motion_files

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


def check_cache_dir(out: Path) -> None:
    """Refuse (VimoError) an output ``out`` that a cache may not replace: a file, or a folder holding anything
    but a cache this module wrote (meta.json with its kind, or the keys of caches written before the kind
    existed, and only the files of its manifest). A missing or empty folder is fine."""
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise VimoError(f"{out}: exists and is not a folder; give -o a new or empty folder (or an earlier cache)")
    if not out.exists():
        check_writable_dir(out)
        return
    entries = sorted(p.name for p in out.iterdir())
    if not entries:
        return
    meta = _read_meta(out / "meta.json")
    ours = meta is not None and (meta.get("kind") == CACHE_KIND or {"cache_key", "code_version"} <= meta.keys())
    manifest = meta.get("files", CACHE_FILES) if ours else ()
    foreign = [name for name in entries if name not in manifest]
    if foreign:
        shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
        raise VimoError(
            f"{out}: holds files that are not a vimo cache ({shown}); give -o a new or empty folder (or an earlier "
            "cache)"
        )


def _read_meta(path: Path) -> dict | None:
    """meta.json's contents, or None where it is missing or not a JSON object."""
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return None
    return meta if isinstance(meta, dict) else None


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
    out = Path(out)
    check_cache_dir(out)
    files = find_motion_files([Path(s) for s in sources])
    if not files:
        raise VimoError(f"no motion files (.bvh, .bvh.gz, .npz, .pkl) under {', '.join(map(str, sources))}")
    key = cache_key(files, config)
    meta_path = out / "meta.json"
    if (meta := _read_meta(meta_path)) is not None:
        if meta.get("cache_key") == key:
            summary = PrepareSummary(**meta["summary"])
            summary.up_to_date = True
            return summary

    summary = PrepareSummary(files=len(files))
    records: list[dict] = []
    vectors: list[np.ndarray] = []
    # never more processes than files or cores (a --workers 100000 must not start 100000 processes)
    with ProcessPoolExecutor(max_workers=max(1, min(workers, len(files), os.cpu_count() or 1))) as pool:
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

    if not vectors:
        first = next(iter(summary.failed.items()), None)
        why = f"; first failure: {first[1]}" if first else ""
        raise VimoError(
            f"no motion of at least {config.window} frames ({config.window / config.fps:g} s) under "
            f"{', '.join(map(str, sources))}: {summary.too_short} shorter, {len(summary.failed)} failed{why}"
        )
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
    ``frames``) as a window cache at ``out``, atomically (build beside it, then swap). ``out`` must be
    missing, empty or a cache (see :func:`check_cache_dir`); the sequences must give at least one window."""
    check_cache_dir(out)
    if not any(rec["frames"] >= config.window for rec in records):
        raise VimoError(f"{out}: no sequence of at least {config.window} frames; nothing to cache")
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
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        with registered(tmp):  # removed on SIGTERM too
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
            meta = {"kind": CACHE_KIND, "files": list(CACHE_FILES), "cache_key": key, "code_version": CACHE_VERSION,
                    "config": asdict(config), "sequences": records, "summary": asdict(summary)}  # fmt: skip
            (tmp / "meta.json").write_text(json.dumps(meta, indent=1))
            os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes 0700; a cache is a folder like any other
            check_cache_dir(out)  # still ours (or missing, or empty) after the minutes this took
            if out.exists() and any(out.iterdir()):
                swap_dirs(tmp, out)  # readers see the old cache or the new one, never none
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
