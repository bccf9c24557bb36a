"""The dataset's published files: a manifest line per kept motion (with its provenance) and the choice of
motions the contact sheet shows. Reading a manifest is ``vimo.io.dataset_manifest``.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import numpy as np

from vimo.apps.dataset.plan import GENERATE_VERSION
from vimo.apps.dataset.records import ClipRecord, SampleRecord, VideoJob
from vimo.apps.dataset.stages import ExtractedVideo, GenerationSettings, ModelFiles
from vimo.generation import FPS
from vimo.io.dataset_manifest import MANIFEST, dataset_motion_files, read_manifest

__all__ = ["MANIFEST", "contact_sheet_picks", "dataset_motion_files", "line_files", "manifest_line", "read_manifest"]


def manifest_line(
    job: VideoJob,
    extracted: ExtractedVideo,
    record: ClipRecord,
    sample: SampleRecord,
    model: ModelFiles,
    settings: GenerationSettings,
) -> dict:
    """One kept motion with its provenance (the schema is in docs/dataset.md)."""
    start_s = extracted.start_time + record.start / FPS
    s = settings
    return {
        "id": f"{job.id}/{record.clip}/{sample.index}",
        "video": job.id,
        "motion": sample.files[0],
        "bvh": sample.files[1] if len(sample.files) > 1 else None,
        "keypoints": record.keypoints,
        "source": {"path": Path(job.source).as_posix(), "sha256": job.sha256, "person_track": extracted.person},
        "clip": {
            "name": record.clip,
            "start_frame": record.start,
            "frames": record.frames,
            "fps": FPS,
            "start_s": round(start_s, 4),
            "end_s": round(start_s + record.frames / FPS, 4),
            "coverage": round(record.coverage, 4),
        },
        "sample": sample.index,
        "seed": sample.seed,
        "model": {"name": model.name, "sha256": model.sha256},
        "generation": {"steps": s.steps, "guidance": s.guidance, "foot_lock": s.foot_lock, "version": GENERATE_VERSION},
        "scores": asdict(sample.scores),
    }


def line_files(doc: dict) -> list[str]:
    """The files a manifest line names (relative to the dataset)."""
    return [doc[k] for k in ("motion", "bvh", "keypoints") if doc.get(k)]


def contact_sheet_picks(lines: list[str], rows: int) -> dict[str, str]:
    """The motions a contact sheet shows, motion file -> title: the best kept sample (highest fidelity) of
    up to ``rows`` clips spread evenly over the manifest's ``lines``; {} when it lists nothing."""
    best: dict[tuple[str, str], dict] = {}
    for line in lines:
        doc = json.loads(line)
        k = (doc["video"], doc["clip"]["name"])
        if k not in best or (doc["scores"]["fidelity_pck"] or 0) > (best[k]["scores"]["fidelity_pck"] or 0):
            best[k] = doc
    if not best:
        return {}
    clips = [best[k] for k in sorted(best)]
    picks = [clips[i] for i in sorted(set(np.linspace(0, len(clips) - 1, min(rows, len(clips))).round().astype(int)))]
    return {d["motion"]: f"{Path(d['source']['path']).name} {d['clip']['start_s']:.1f}s #{d['sample']}" for d in picks}
