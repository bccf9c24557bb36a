"""The local engine: both stages in this process, one video after the other."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from vimo.apps.dataset.builder import DatasetBuilder
from vimo.apps.dataset.stages import extract_video, generate_clips
from vimo.pipeline import ViMo


@dataclass(frozen=True)
class LocalEngine:
    """Runs the stages here; the model (``weights``: a bundle prefix) is loaded once there is a clip to generate."""

    weights: str | os.PathLike

    def run(self, builder: DatasetBuilder, videos: list[Path]) -> None:
        vimo: ViMo | None = None
        for source in videos:
            job = builder.begin(source)
            if job is not None:
                try:
                    work = builder.on_extracted(job, job.extracted or extract_video(source))
                    if work and vimo is None:
                        vimo = ViMo.load(self.weights)
                    for result in generate_clips(vimo, work, builder.settings) if work else ():
                        builder.on_clip(job, result)
                except Exception as exc:  # noqa: BLE001 - a failing video is recorded and never stops the batch
                    builder.fail(job, exc)
                else:
                    builder.finish(job)
