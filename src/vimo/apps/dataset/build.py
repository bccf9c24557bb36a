"""``build_dataset``: the API behind ``vimo dataset build`` (the rules are in the package docstring)."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from vimo.apps.dataset.builder import DatasetBuilder, DatasetSummary, ProgressCallback, locked
from vimo.apps.dataset.engines import Engine
from vimo.apps.dataset.engines.local import LocalEngine
from vimo.apps.dataset.engines.ray import RayConfig, RayEngine
from vimo.apps.dataset.plan import DatasetConfig, find_videos
from vimo.apps.dataset.stages import ModelFiles
from vimo.errors import VimoError
from vimo.paths import VIMO_WEIGHTS
from vimo.video.decode import VIDEO_SUFFIXES

EngineName = Literal["local", "ray"]


@dataclass
class BuildReport:
    dataset: Path
    summary: DatasetSummary
    videos_computed: int  # videos with any new work this run
    clips_computed: int  # clips generated this run (any sample)
    samples_generated: int
    seconds: dict[str, float]  # extract / generate (summed over tasks) and total (wall clock)

    @property
    def up_to_date(self) -> bool:
        return self.videos_computed == 0


def build_dataset(
    inputs: Sequence[str | os.PathLike],
    out: str | os.PathLike,
    *,
    weights: str | os.PathLike = VIMO_WEIGHTS,
    config: DatasetConfig = DatasetConfig(),
    engine: EngineName | Engine = "local",
    ray: RayConfig | None = None,
    force: bool = False,
    progress: ProgressCallback | None = None,
) -> BuildReport:
    """Build (or bring up to date) the dataset at ``out`` from ``inputs`` (see the package docstring).

    engine: "local" runs everything in this process, one video after the other; "ray" runs the same
    stages as Ray tasks (``vimo.apps.dataset.engines.ray``; settings in ``ray``); or any ``Engine``.
    progress(done, total): videos, called after every clip and video; it may raise (KeyboardInterrupt) to
    stop between two commits.
    """
    if isinstance(engine, str) and engine not in ("local", "ray"):
        raise VimoError(f"unknown engine {engine!r}; choose local or ray")
    if engine == "local" and ray is not None and (ray.address or ray.workers):
        raise VimoError("--address and --workers are for --engine ray (a local Ray instance without --address)")
    videos = find_videos(inputs)
    if not videos:
        raise VimoError(f"no videos ({', '.join(VIDEO_SUFFIXES)}) in {', '.join(map(str, inputs))}")
    root = Path(out)
    if root.exists() and not root.is_dir():
        raise VimoError(f"{root}: exists and is not a folder")
    model = ModelFiles.read(weights)
    t0 = time.perf_counter()
    runner: Engine = (
        engine
        if not isinstance(engine, str)
        else (RayEngine(model, ray or RayConfig()) if engine == "ray" else LocalEngine(weights))
    )
    with locked(root):
        builder = DatasetBuilder(root, model, config, force=force, videos=len(videos), progress=progress)
        runner.run(builder, videos)
        summary = builder.close()
    computed = [j for j in builder.done.values() if j.clips_computed or not j.from_cache]
    return BuildReport(root, summary, len(computed), sum(j.clips_computed for j in builder.done.values()),
                       builder.samples_generated,
                       {**{k: round(v, 2) for k, v in builder.seconds.items()},
                        "total": round(time.perf_counter() - t0, 2)})  # fmt: skip
