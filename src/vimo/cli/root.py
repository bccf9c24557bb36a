"""The root ``vimo`` typer app and what every command group shares: one-line user errors, progress bars, the
common options and the one signal handler (:func:`stop_on_signals`)."""

from __future__ import annotations

import functools
import logging
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
import typer.core
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from vimo.errors import VimoError
from vimo.options import Split

# Markup off: what is printed holds user-supplied text (paths like "[red]clip.mp4", messages like "[x, y, conf]")
# that must print as it is; styles are given as Text spans (see error_line).
console = Console(stderr=True, markup=False)


class OneLineErrors(typer.core.TyperGroup):
    """The root command group: a command-line mistake that click finds (an unknown option, a value of the wrong
    type or out of range) prints as one line, ``error: MESSAGE (see 'vimo CMD --help')``, like every other
    user error, instead of a usage block and a boxed panel; exit status 2 as before."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except typer.TyperException as exc:  # click's ClickException (typer vendors click)
            if type(exc).__name__ == "NoArgsIsHelpError":  # `vimo data`: its help, as click shows it
                exc.show()
            else:
                ctx = getattr(exc, "ctx", None)
                hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
                console.print(error_line(exc.format_message() + hint), highlight=False, soft_wrap=True)
            sys.exit(getattr(exc, "exit_code", 2))
        except typer.Abort:
            console.print("Aborted!")
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


app = typer.Typer(
    cls=OneLineErrors,
    help="ViMo: plausible 3D character motion from casual videos.\n\n"
    "Examples:\n\n"
    "  vimo data prepare ../shared/data/mocap -o data/cache\n\n"
    "  vimo train --config small --data data/cache --out runs/small\n\n"
    "  vimo run keypoints.json -o out/",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def user_errors(fn):
    """Turn VimoError (and OSError on user paths) into a one-line message and exit status 2."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (VimoError, OSError) as exc:
            console.print(error_line(exc), highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None

    return wrapper


def error_line(exc: BaseException | str) -> Text:
    """``error: MESSAGE`` on one line ("error:" in red), the message as it is (no markup, newlines folded)."""
    return Text.assemble(("error:", "red"), " ", " ".join(str(exc).split()))


def check_suffix(path: Path, option: str, suffixes: tuple[str, ...]) -> None:
    """One-line VimoError naming ``option`` unless ``path`` ends in one of ``suffixes`` (checked before any work)."""
    if path.suffix.lower() not in suffixes:
        raise VimoError(f"{option} {path}: unsupported suffix {path.suffix!r}; use one of {', '.join(suffixes)}")


def warn(message: str) -> None:
    """Print ``warning: MESSAGE`` on the console (stderr), the message as it is."""
    console.print(Text.assemble(("warning:", "yellow"), " ", message), highlight=False, soft_wrap=True)


class Bars(Progress):
    """Progress bars that appear with their first task: a job that fails before its first stage prints its
    one-line error and nothing else."""

    def __enter__(self) -> Bars:
        return self  # started by the first add_task

    def add_task(
        self, description: str, start: bool = True, total: float | None = 100.0, completed: int = 0,
        visible: bool = True,
    ) -> TaskID:  # fmt: skip
        if not self.live.is_started:
            self.start()
        return super().add_task(description, start=start, total=total, completed=completed, visible=visible)

    def stop(self) -> None:
        if self.live.is_started:  # Progress.stop prints a blank line even when nothing was shown
            super().stop()


def progress_bar(*, transient: bool = False) -> Bars:
    """Bars on the console; ``transient``: removed when done (what the job prints after them, its summary or the
    one-line error of a job that fails after its work, then stands alone in a terminal)."""
    return Bars(
        TextColumn("{task.description}", markup=False), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        TimeRemainingColumn(), console=console, transient=transient,
    )  # fmt: skip


EXTRACTING = "extracting 2D poses"
GENERATING = "generating 3D motion (windows)"


def task_progress(bar: Progress, label: str):
    """A ``progress(done, total)`` callback that adds ``label``'s task to ``bar`` on its first call (so a job
    that fails before this stage shows no bar for it) and then moves it."""
    task: list = []

    def update(done: int, total: int) -> None:
        if not task:
            task.append(bar.add_task(label, total=total))
        bar.update(task[0], completed=done, total=total)

    return update


@contextmanager
def status_stages() -> Iterator[Callable[[str], None]]:
    """A ``stage(label)`` callback: a spinner with the label of the job's current stage, shown from the first stage
    on (a job that fails before it prints its one-line error alone)."""
    status = console.status("")

    def stage(label: str) -> None:
        status.update(Text(label))  # as it is, never as markup
        status.start()

    try:
        yield stage
    finally:
        status.stop()


def stage_progress(bar: Progress) -> Callable[[str, int, int], None]:
    """A ``progress(stage, done, total)`` callback: a bar per stage label, added on the stage's first call."""
    tasks: dict[str, TaskID] = {}

    def update(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = bar.add_task(stage, total=total)
        bar.update(tasks[stage], completed=done, total=total)

    return update


# Options shared by the training commands (vimo train, vimo baseline train, vimo dance train).
CacheOpt = Annotated[Path, typer.Option(help="Cache made by `vimo data prepare`.")]
RunDirOpt = Annotated[Path, typer.Option(help="Run directory (checkpoints, logs).")]
ResumeOpt = Annotated[bool, typer.Option(help="Continue the run in --out from its last checkpoint.")]
MaxMinutesOpt = Annotated[float | None, typer.Option(min=0.0, help="Stop after this many minutes.")]
ThreadsOpt = Annotated[int, typer.Option(min=0, help="Torch CPU threads (0: torch's default).")]
# ... and for the commands that sample or evaluate models
StepsOpt = Annotated[int, typer.Option(min=1, help="DDIM steps.")]
MAX_SEED = 2**63 - 1  # --seed: what every generator we seed (numpy, torch) takes; dataset sample seeds reach it
WeightsOpt = Annotated[Path | None, typer.Option(help="Model prefix.")]
BaselineOpt = Annotated[
    Path | None, typer.Option(help="Baseline lifter prefix (default: the shipped one, if present).")
]
GuidanceOpt = Annotated[float | None, typer.Option(help="Guidance (default: the model's).")]
SplitOpt = Annotated[Split, typer.Option(help="Motions from the test or val split.")]


class Stop:
    """Whether SIGTERM / SIGINT arrived (see :func:`stop_on_signals`)."""

    def __init__(self) -> None:
        self.signals: list[int] = []

    def check(self) -> None:
        """Raise KeyboardInterrupt if a signal arrived: for loops whose C code (numpy, PyAV) swallowed the
        handler's own KeyboardInterrupt."""
        if self.signals:
            raise KeyboardInterrupt


@contextmanager
def stop_on_signals(message: str) -> Iterator[Stop]:
    """The one way commands stop on a signal: SIGTERM and SIGINT (also when started in the background, where
    SIGINT is ignored) raise KeyboardInterrupt in the block; the block's own cleanup runs (checkpoints, temp
    files), then ``message`` is printed and the command exits with status 130. The previous handlers come back
    when the block ends."""
    stop = Stop()

    def handler(signum: int, frame) -> None:
        stop.signals.append(signum)
        raise KeyboardInterrupt

    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    for sig in previous:
        signal.signal(sig, handler)
    try:
        yield stop
    except KeyboardInterrupt:
        console.print(message, highlight=False)
        raise typer.Exit(130) from None
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def run_training(out: Path, threads: int, fit_run: Callable[[], object]):
    """Run a training loop (``fit_run()`` -> final state) the way every `... train` command does: INFO logs,
    ``threads`` torch threads (0: torch's default), a checkpoint and exit 130 on SIGTERM / SIGINT. Returns the
    final state (step, wall_seconds, ...)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if threads:
        import torch

        torch.set_num_threads(threads)
    with stop_on_signals(f"{out}: stopped; the last step is checkpointed (continue with --resume)"):
        state = fit_run()
    console.print(f"{out}: step {state.step}, {state.samples} samples, {state.wall_seconds / 3600:.2f} h of training")
    return state
