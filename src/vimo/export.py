"""Writing a run's outputs: motion.npz / motion.bvh (the best sample), sample_k/ folders, and the ownership of
the output folder (what an earlier run wrote there, listed in its report, and nothing else, is replaced)."""

from __future__ import annotations

import json
from pathlib import Path

from vimo.errors import VimoError
from vimo.generation import Generated
from vimo.io.atomic import check_writable_dir
from vimo.io.bvh import BVH_UNITS, write_bvh
from vimo.io.gltf import write_glb
from vimo.io.smpl_npz import CONVENTIONS, write_smpl_npz
from vimo.motion import Motion
from vimo.numeric import finite_or_none

FORMATS = ("npz", "bvh", "glb")
DEFAULT_FORMATS = ("npz", "bvh")
REPORT_DIGITS = 4  # decimals of the scores in report.json


def ensure_writable_dir(path: Path) -> Path:
    """Create ``path`` if needed and check it is a writable directory (one-line VimoError otherwise)."""
    check_writable_dir(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".vimo-write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise VimoError(f"{path}: output directory is not writable ({exc.strerror or exc})") from None
    return path


def check_formats(formats: tuple[str, ...], *, npz: str = "vimo", bvh_units: str = "m") -> None:
    """One-line VimoError naming the option unless every one of ``formats`` is one of :data:`FORMATS` (and there
    is one), ``npz`` a layout of :data:`~vimo.io.smpl_npz.CONVENTIONS` and ``bvh_units`` one of
    :data:`~vimo.io.bvh.BVH_UNITS`."""
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise VimoError(f"--formats {','.join(formats)}: choose one or more of {', '.join(FORMATS)}")
    if npz not in CONVENTIONS:
        raise VimoError(f"--npz {npz}: choose one of {', '.join(CONVENTIONS)}")
    if bvh_units not in BVH_UNITS:
        raise VimoError(f"--bvh-units {bvh_units}: choose one of {', '.join(BVH_UNITS)}")


def write_motion(
    motion: Motion,
    folder: Path,
    formats: tuple[str, ...] = DEFAULT_FORMATS,
    *,
    npz: str = "vimo",
    bvh_units: str = "m",
) -> list[Path]:
    """``motion`` as FOLDER/motion.{npz,bvh,glb} (those in ``formats``): the npz in layout ``npz`` (vimo, amass
    or aist; see :mod:`vimo.io.smpl_npz`), the BVH in ``bvh_units`` (m or cm)."""
    check_formats(formats, npz=npz, bvh_units=bvh_units)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    if "npz" in formats:
        write_smpl_npz(motion, folder / "motion.npz", convention=npz)
        written.append(folder / "motion.npz")
    if "bvh" in formats:
        write_bvh(motion, folder / "motion.bvh", units=bvh_units)
        written.append(folder / "motion.bvh")
    if "glb" in formats:
        written.append(write_glb(motion, folder / "motion.glb"))
    return written


def write_generated(
    out: Path,
    generated: Generated,
    *,
    formats: tuple[str, ...] = DEFAULT_FORMATS,
    npz: str = "vimo",
    bvh_units: str = "m",
) -> list[Path]:
    """The best sample as OUT/motion.*, every sample as OUT/sample_k/motion.* when K > 1; the files written
    (``npz`` and ``bvh_units`` as in :func:`write_motion`)."""
    written = write_motion(generated.motions[generated.best], out, formats, npz=npz, bvh_units=bvh_units)
    if len(generated.motions) > 1:
        for k, motion in enumerate(generated.motions):
            written += write_motion(motion, out / f"sample_{k}", formats, npz=npz, bvh_units=bvh_units)
    return written


def run_report(generated: Generated, extra: dict | None = None) -> dict:
    """``extra`` plus per-sample fidelity, the best sample, frames and fps."""
    rep = dict(extra or {})
    rep["samples"] = [
        {
            "index": k,
            "fidelity_pck": finite_or_none(f.pck, digits=REPORT_DIGITS),
            "reprojection_error_torso": finite_or_none(f.error, digits=REPORT_DIGITS),
            "frames_fitted": f.frames,
        }
        for k, f in enumerate(generated.fidelity)
    ]
    for k, (before, after) in enumerate(generated.foot_skate):
        rep["samples"][k]["foot_skate_m_s"] = {"before_lock": round(before, REPORT_DIGITS),
                                              "after_lock": round(after, REPORT_DIGITS)}  # fmt: skip
    rep["best_sample"] = generated.best
    rep["frames"] = generated.motions[0].num_frames
    rep["fps"] = generated.motions[0].fps
    return rep


def previous_outputs(out: Path, report_name: str) -> list[str]:
    """The files an earlier run wrote in ``out``: the ``files`` of its report (paths relative to ``out``).
    Empty when there is no such report or it cannot be read (then nothing is ours to replace)."""
    try:
        files = json.loads((out / report_name).read_text()).get("files")
    except (OSError, UnicodeDecodeError, ValueError, AttributeError, RecursionError):
        return []
    return [f for f in files if isinstance(f, str)] if isinstance(files, list) else []


def remove_stale_outputs(out: Path, previous: list[str], *, keep: list[str]) -> list[Path]:
    """Remove the files of ``previous`` (an earlier run's, relative to ``out``) that are not in ``keep`` (this
    run's), then the folders of theirs left empty. Only paths inside ``out`` are touched (a report naming
    ``../x``, an absolute path or a path through a link out of ``out`` is ignored); a folder holding anything
    else stays. Returns the files removed."""
    root = out.resolve()
    removed, folders = [], set()
    for name in sorted(set(previous) - set(keep)):
        path = out / name
        if Path(name).is_absolute() or ".." in Path(name).parts or not path.parent.resolve().is_relative_to(root):
            continue
        if path.is_file() or path.is_symlink():
            path.unlink()
            removed.append(path)
        folders.update(p for p in path.parents if p.resolve() != root and p.resolve().is_relative_to(root))
    for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):  # deepest first
        try:
            folder.rmdir()
        except OSError:  # not empty (a user's file), or gone
            pass
    return removed
