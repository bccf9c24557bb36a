"""What the dataset tests share: short settings that keep every sample, the expected clip count, file listings."""

from __future__ import annotations

import shutil
from pathlib import Path

from typer.testing import CliRunner

from vimo.apps.dataset import DatasetConfig, read_manifest

runner = CliRunner()

LOOSE = DatasetConfig(samples=2, clip_seconds=2.0, min_clip_seconds=0.5, steps=2, min_pck=0.0, max_foot_skate=1e9,
                      max_jitter=1e9, bvh=True)  # fmt: skip

CLI_FLAGS = ["--samples", "2", "--clip-seconds", "2", "--min-clip-seconds", "0.5", "--steps", "2", "--min-pck", "0",
             "--max-foot-skate", "1e9", "--max-jitter", "1e9", "--bvh"]  # fmt: skip

CLIPS = 5  # 75 frames: [0, 60) + [15, 75); 90: [0, 60) + [30, 90); 60: [0, 60)


def copy(src: Path, dst: Path) -> Path:
    """A copy of the dataset ``src`` at ``dst``."""
    shutil.copytree(src, dst)
    return dst


def files(root: Path) -> dict[str, int]:
    """Every file under ``root`` (relative posix path) with its modification time (ns)."""
    return {p.relative_to(root).as_posix(): p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()}


def listed(root: Path) -> set[str]:
    """The files the manifest of ``root`` names."""
    return {rel for line in read_manifest(root) for rel in (line["motion"], line["bvh"], line["keypoints"]) if rel}
