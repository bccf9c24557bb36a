"""The Ray engine of ``vimo dataset build``: the local engine's two stages as Ray tasks.

Per video, stage 1 (2D extraction, ``extract_video``) is one task and stage 2 (generation of the clips
that need it, ``generate_clips``) is one streaming task that yields each clip's result when it is done,
so the stages can be placed on different workers (``RayConfig``: CPUs, GPUs and custom resources per
stage). This process, the driver, stays the only writer of the dataset: it hashes the videos, decides
what to compute (``DatasetBuilder``) and commits each result as it arrives, exactly as the local engine
does; seeds do not depend on the order of work, so both engines write the same dataset.

Workers need ``vimo`` installed and the input videos readable at the same paths (shared storage); the
model bundle travels through the object store. See docs/dataset.md for clusters.
"""

from __future__ import annotations

import copy
import signal
import tempfile
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from vimo.apps.dataset.builder import DatasetBuilder
from vimo.apps.dataset.records import VideoJob
from vimo.apps.dataset.stages import (
    ClipJob,
    ClipResult,
    ExtractedVideo,
    GenerationSettings,
    ModelFiles,
    extract_video,
    generate_clips,
)
from vimo.errors import VimoError
from vimo.pipeline import ViMo

_MODELS: dict[str, ViMo] = {}  # per worker process: the last bundle loaded, by hash


@dataclass(frozen=True)
class RayConfig:
    """Where the Ray engine runs and how its two stages are placed (see docs/dataset.md)."""

    address: str | None = None  # a cluster ("auto", "ray://head:10001"); None: a local instance
    workers: int | None = None  # videos in flight at once (local instance: its CPUs); None: the cluster's CPUs
    extract_cpus: float = 1.0  # per 2D-extraction task
    generate_cpus: float = 1.0  # per generation task
    generate_gpus: float = 0.0  # per generation task (> 0: the model runs on the task's GPU)
    extract_resources: dict[str, float] = field(default_factory=dict)  # custom resources, e.g. {"video": 1}
    generate_resources: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class RayEngine:
    """Runs the stages as Ray tasks (``config``); ``model`` travels to the workers through the object store."""

    model: ModelFiles
    config: RayConfig = field(default_factory=RayConfig)

    def run(self, builder: DatasetBuilder, videos: list[Path]) -> None:
        run_ray(builder, videos, self.model, self.config)


def _model(files: ModelFiles, device: str) -> ViMo:
    key = f"{files.sha256}@{device}"
    if key not in _MODELS:
        with tempfile.TemporaryDirectory() as tmp:
            prefix = Path(tmp) / files.name
            prefix.with_suffix(".json").write_bytes(files.config_json)
            prefix.with_suffix(".safetensors").write_bytes(files.weights)
            _MODELS.clear()
            _MODELS[key] = ViMo.load(prefix, device=device)
    return _MODELS[key]


def _generate_task(files: ModelFiles, jobs: list[ClipJob], settings: GenerationSettings) -> Iterator[ClipResult]:
    import ray

    device = "cuda" if ray.get_gpu_ids() else "cpu"
    yield from generate_clips(_model(files, device), jobs, settings)


def _cause(exc: BaseException) -> BaseException:
    """The task's own exception inside a Ray error (a VimoError stays one: remembered as final)."""
    cause = getattr(exc, "cause", None)
    return cause if isinstance(cause, BaseException) else exc


def run_ray(builder: DatasetBuilder, videos: list[Path], model: ModelFiles, config: RayConfig) -> None:
    """Process ``videos`` with Ray: the running instance if this process has one, else ``config.address``
    (None: a new local instance with ``config.workers`` CPUs, shut down at the end). Ray starts only
    once there is something to compute."""
    try:
        import ray
    except ImportError:
        raise VimoError("--engine ray needs Ray: pip install 'ray>=2.30'") from None
    stages = _Stages(ray, model, config)
    try:
        _drive(ray, stages, builder, videos)
    finally:
        stages.close()


class _Stages:
    """The two stages as Ray tasks, with Ray started (or joined) on first use."""

    def __init__(self, ray, model: ModelFiles, config: RayConfig) -> None:  # noqa: ANN001
        self.ray, self.model, self.config = ray, model, config
        self.started = False  # this object started Ray (and shuts it down)
        self._tasks = None

    def _ready(self):  # noqa: ANN202
        if self._tasks is None:
            ray, cfg = self.ray, self.config
            if not ray.is_initialized():
                handlers = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
                ray.init(address=cfg.address, num_cpus=cfg.workers if cfg.address is None else None,
                         include_dashboard=False, log_to_driver=False)  # fmt: skip
                self.started = True
                if threading.current_thread() is threading.main_thread():  # keep the caller's (Ray sets its own)
                    for sig, handler in handlers.items():
                        if callable(handler):
                            signal.signal(sig, handler)
            extract = ray.remote(extract_video).options(num_cpus=cfg.extract_cpus,
                                                        resources=cfg.extract_resources or None)  # fmt: skip
            generate = ray.remote(_generate_task).options(
                num_returns="streaming", num_cpus=cfg.generate_cpus, num_gpus=cfg.generate_gpus,
                resources=cfg.generate_resources or None,
            )  # fmt: skip
            self._tasks = (extract, generate, ray.put(self.model))
        return self._tasks

    @property
    def limit(self) -> int:
        """Videos in flight at once."""
        if self.config.workers:
            return self.config.workers
        return max(1, int(self.ray.cluster_resources().get("CPU", 1))) if self._tasks else 1

    def extract(self, source: Path):  # noqa: ANN201 - an ObjectRef of ExtractedVideo
        return self._ready()[0].remote(str(source))

    def generate(self, jobs: list[ClipJob], settings: GenerationSettings):  # noqa: ANN201 - an ObjectRefGenerator
        _, generate, model_ref = self._ready()
        return generate.remote(model_ref, jobs, settings)

    def close(self) -> None:
        if self.started:
            self.ray.shutdown()


def _drive(ray, stages: _Stages, builder: DatasetBuilder, videos: list[Path]) -> None:  # noqa: ANN001
    queue, active = deque(videos), {}  # waitable (stage 1 ref or stage 2 generator) -> its video

    def close(job: VideoJob, exc: BaseException | None = None) -> None:
        if exc is not None:
            builder.fail(job, exc)
        else:
            builder.finish(job)

    def start_generation(job: VideoJob, extracted: ExtractedVideo) -> None:
        work = builder.on_extracted(job, extracted)
        if work:
            active[stages.generate(work, builder.settings)] = job
        else:
            close(job)

    while queue or active:
        while queue and len(active) < stages.limit:
            job = builder.begin(queue.popleft())
            if job is None:
                continue
            if job.extracted is None:
                active[stages.extract(job.source)] = job
            else:
                try:
                    start_generation(job, job.extracted)
                except Exception as exc:  # noqa: BLE001 - recorded; the batch goes on
                    close(job, exc)
        if not active:
            continue
        [waitable], _ = ray.wait(list(active), num_returns=1)
        job = active[waitable]
        try:
            if isinstance(waitable, ray.ObjectRefGenerator):
                try:
                    ref = next(waitable)
                except StopIteration:
                    del active[waitable]
                    close(job)
                    continue
                builder.on_clip(job, copy.deepcopy(ray.get(ref)))  # writable arrays (Ray's are read-only)
            else:
                del active[waitable]
                start_generation(job, copy.deepcopy(ray.get(waitable)))
        except Exception as exc:  # noqa: BLE001 - recorded; the batch goes on
            if active.pop(waitable, None) is not None and isinstance(waitable, ray.ObjectRefGenerator):
                ray.cancel(waitable)
            close(job, _cause(exc))
