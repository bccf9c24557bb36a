"""Atomic file writing: write beside the target, then rename over it (readers never see half a file).

Files get the mode any other tool would give them (0666 less the user's umask), not ``mkstemp``'s 0600.

Temp files are removed on every signal that can be caught: SIGINT raises KeyboardInterrupt; for the signals
that would otherwise end the process on the spot (SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2) the first
atomic write from the main thread installs a handler (where none is installed) that removes the live temp
files and raises SystemExit(128 + signal), so every ``finally`` and ``with`` also runs on the way out.
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Literal

from vimo.errors import VimoError

# Signals whose default action ends the process without running any cleanup.
EXIT_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2") if hasattr(signal, name)
)
_live: set[Path] = set()  # temp files and folders being written, removed on a signal


def _remove_live() -> None:
    for path in list(_live):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    _live.clear()


def _exit_on_signal(signum: int, frame) -> None:
    _remove_live()
    raise SystemExit(128 + signum)


def install_signal_cleanup() -> None:
    """On SIGTERM and the other :data:`EXIT_SIGNALS` left at their default: remove live temp files and raise
    SystemExit(128 + signal) so that the process unwinds (a no-op outside the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in EXIT_SIGNALS:
        if signal.getsignal(sig) == signal.SIG_DFL:
            signal.signal(sig, _exit_on_signal)


@contextmanager
def registered(path: str | os.PathLike) -> Iterator[Path]:
    """Mark ``path`` (a temp file or folder this process is writing) for removal on a signal while the block runs."""
    path = Path(path)
    install_signal_cleanup()
    _live.add(path)
    try:
        yield path
    finally:
        _live.discard(path)


def umask() -> int:
    """The process's umask (read from /proc where it can be, so that it is never changed, even briefly)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _mkstemp(path: Path, prefix: str, suffix: str) -> tuple[int, str]:
    """A temp file beside ``path``, with the umask's mode for a new file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=prefix, suffix=suffix)
    os.fchmod(fd, 0o666 & ~umask())
    return fd, tmp


@contextmanager
def atomic_open(path: str | os.PathLike, mode: Literal["w", "wb"] = "w") -> Iterator[IO]:
    """Open a temp file beside ``path`` for writing; on success rename it over ``path``.

    On an exception the temp file is removed and ``path`` is left untouched. Parent folders are created.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _mkstemp(path, f".{path.name}.", ".tmp")
    try:
        with registered(tmp), os.fdopen(fd, mode, **({"encoding": "utf-8"} if mode == "w" else {})) as fh:
            yield fh
            fh.close()
            os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """A temp path beside ``path`` (same suffix) for writers that need a file name; renamed over ``path``
    when the block succeeds, removed when it fails."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _mkstemp(path, f".{path.stem}.", ".tmp" + path.suffix)
    os.close(fd)
    try:
        with registered(tmp):
            yield Path(tmp)
            os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def check_writable_dir(path: Path) -> Path:
    """Check, creating nothing, that ``path`` is a writable folder or can be made one (its nearest existing
    ancestor is a writable folder); one-line VimoError otherwise. The folder is then made by the first file
    written into it, so a job that fails before writing leaves no empty folder behind."""
    path = Path(path)
    if not path.name and not path.parts:
        raise VimoError("the output folder is an empty path")
    probe = path
    while not probe.exists() and probe.parent != probe:
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        why = "it exists and is not a folder" if probe == path else f"{probe} is a file, not a folder"
        raise VimoError(f"{path}: output directory is not writable ({why})")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise VimoError(f"{path}: output directory is not writable ({probe}: permission denied)")
    return path


# renameat2(2) flag: exchange the two paths atomically (Linux 3.15+, glibc 2.28+).
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def swap_dirs(new: str | os.PathLike, target: str | os.PathLike) -> None:
    """Put the folder ``new`` at ``target`` and the old ``target`` at ``new``, as one atomic step where the
    system offers one (Linux ``renameat2(RENAME_EXCHANGE)``): a reader sees the old folder or the new one,
    never none. Elsewhere two renames through a unique name beside them. The caller removes ``new`` after."""
    import ctypes

    new, target = Path(new), Path(target)
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        renameat2 = None
    if renameat2 is not None:
        rc = renameat2(_AT_FDCWD, os.fsencode(new), _AT_FDCWD, os.fsencode(target), _RENAME_EXCHANGE)
        if rc == 0:
            return
        err = ctypes.get_errno()
        if err not in (22, 38, 95):  # EINVAL, ENOSYS, EOPNOTSUPP: no exchange here; anything else is real
            raise OSError(err, os.strerror(err), str(target))
    aside = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.old-"))
    os.replace(target, aside / "x")  # two renames: the old folder moves aside, the new one takes its name
    try:
        os.replace(new, target)
    except BaseException:
        os.replace(aside / "x", target)
        aside.rmdir()
        raise
    os.replace(aside / "x", new)
    aside.rmdir()
