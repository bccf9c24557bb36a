"""Engines run the two stages of a build (``vimo.apps.dataset.stages``) and feed the results to the
``DatasetBuilder``, the dataset's only writer. Seeds do not depend on the order of work, so every engine
writes the same dataset.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from vimo.apps.dataset.builder import DatasetBuilder


class Engine(Protocol):
    """Per video: ``builder.begin``; stage 1 when ``job.extracted`` is None, then ``builder.on_extracted``;
    stage 2 on the clip jobs that returns, each result to ``builder.on_clip``; then ``builder.finish``, or
    ``builder.fail`` when any of it raises (a failing video never stops the batch)."""

    def run(self, builder: DatasetBuilder, videos: list[Path]) -> None: ...
