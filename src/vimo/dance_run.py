"""One job, ``vimo dance``: a song in; K dances, a preview with the music and ``report.json`` out.

    dance_to_music(music, out, config) -> DanceReport

The song's features (:func:`vimo.music.features.cached_music_features`) condition the dance bundle
(:class:`vimo.dance.DanceModel`, or a style made by ``vimo stylize``); every dance is written by
:func:`vimo.export.write_motion` (the first as OUT/motion.*, the others as OUT/sample_k/motion.*) and the first one
is previewed with the music (:func:`vimo.dance.write_dance_preview`). Like ``vimo run`` (:mod:`vimo.run`), the job
owns its output folder: report.json lists every file written, and the next job into the folder removes what this
one wrote and it does not write again, nothing else.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from vimo import __version__
from vimo.apps.stylize import style_bundle
from vimo.bundle import loading
from vimo.dance import DanceModel, Music, write_dance_preview
from vimo.errors import VimoError
from vimo.export import DEFAULT_FORMATS, check_formats, check_writable_dir, previous_outputs, write_motion
from vimo.generation import GenerationConfig
from vimo.memory import release_freed_memory
from vimo.music.features import FPS, SR, cached_music_features
from vimo.options import BvhUnits, NpzLayout
from vimo.paths import DANCE_WEIGHTS
from vimo.run import PREVIEW, REPORT, check_bundle, check_generation, commit_report, weights_identity

Progress = Callable[[int, int], None]  # (done, total)


@dataclass(frozen=True)
class DanceRunConfig:
    model: Path = DANCE_WEIGHTS  # dance bundle prefix
    style: Path | None = None  # a style folder made by `vimo stylize` (used instead of ``model``)
    seconds: float | None = None  # dance this long; None: the whole song
    generation: GenerationConfig = field(default_factory=GenerationConfig)
    formats: tuple[str, ...] = DEFAULT_FORMATS  # of vimo.export.FORMATS
    npz: NpzLayout = NpzLayout.VIMO  # motion.npz's key layout
    bvh_units: BvhUnits = BvhUnits.M  # motion.bvh's length unit
    preview: bool = True  # write preview.mp4 (the first dance, with the music)

    @property
    def bundle(self) -> Path:
        """The dance bundle prefix: ``model``, or the style folder's (one-line VimoError if it is not one)."""
        return self.model if self.style is None else style_bundle(self.style)


@dataclass
class DanceReport:
    """What a dance folder's ``report.json`` holds."""

    input: str  # the song
    vimo_version: str
    weights: dict  # name, sha256 (of PREFIX.safetensors), run (training run) or None
    style: str | None  # the style folder, when one was used
    seed: int
    steps: int
    guidance: float  # the weight used (the bundle's default unless given)
    smooth: float  # temporal smoothing sigma used, frames
    frames: int  # of each dance, at ``fps``
    fps: float
    samples: int  # dances written (the first in the folder itself, the others in sample_k/)
    timings_s: dict[str, float]  # load_s (music features and model), generate_s, preview_s
    files: list[str]  # every file this job wrote, relative to the output folder (report.json last)

    def to_dict(self) -> dict:
        return asdict(self)


def check_dance(config: DanceRunConfig) -> None:
    """Every option of ``config`` that can be checked before any work (one-line VimoError)."""
    check_formats(config.formats, npz=NpzLayout(config.npz).value, bvh_units=BvhUnits(config.bvh_units).value)
    if config.seconds is not None and not (math.isfinite(config.seconds) and config.seconds > 0):
        raise VimoError(f"--seconds {config.seconds}: expected a length > 0")
    check_generation(config.generation)
    check_bundle(config.bundle)


def dance_to_music(
    music: str | Path, out: str | Path, config: DanceRunConfig = DanceRunConfig(), *, progress: Progress | None = None
) -> DanceReport:
    """Dance to the song ``music`` (an audio file, or a video with a soundtrack) into the folder ``out``; the report
    is also written to OUT/report.json. ``progress(done, total)`` counts the windows sampled."""
    music, out = Path(music), Path(out)
    check_dance(config)
    t0 = time.perf_counter()
    features, audio = cached_music_features(music)  # a bad song fails here, before any output
    with loading(config.bundle, "dance"):
        dancer = DanceModel.load(config.bundle)
    check_writable_dir(out)  # made by the first file written: a failure before leaves no folder
    previous = previous_outputs(out, REPORT)
    timings = {"load_s": time.perf_counter() - t0}
    frames = len(features) if config.seconds is None else min(len(features), int(round(config.seconds * FPS)))
    t0 = time.perf_counter()
    motions = dancer.generate(Music(features, frames), config.generation, progress).motions
    release_freed_memory()
    timings["generate_s"] = time.perf_counter() - t0
    npz, bvh_units = NpzLayout(config.npz).value, BvhUnits(config.bvh_units).value
    written: list[Path] = []
    for k, motion in enumerate(motions):
        folder = out if k == 0 else out / f"sample_{k}"
        written += write_motion(motion, folder, config.formats, npz=npz, bvh_units=bvh_units)
    if config.preview:
        t0 = time.perf_counter()
        written.append(write_dance_preview(motions[0], audio[: int(frames / FPS * SR)], out / PREVIEW))
        timings["preview_s"] = time.perf_counter() - t0
    gen = config.generation
    report = DanceReport(
        input=str(music),
        vimo_version=__version__,
        weights=weights_identity(config.bundle, dancer.info),
        style=None if config.style is None else str(config.style),
        seed=gen.seed,
        steps=gen.steps,
        guidance=gen.guidance_weight(dancer.guidance),
        smooth=gen.smoothing(dancer.smooth),
        frames=motions[0].num_frames,
        fps=motions[0].fps,
        samples=len(motions),
        timings_s={k: round(v, 2) for k, v in timings.items()},
        files=[p.relative_to(out).as_posix() for p in [*written, out / REPORT]],
    )
    commit_report(out, previous, report.to_dict())
    return report
