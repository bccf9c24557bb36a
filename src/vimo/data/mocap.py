"""Load any supported motion file into a :class:`~vimo.motion.Motion` (SMPL-24, 30 fps by default).

Supported: BVH of any mapped skeleton (``.bvh``, ``.bvh.gz``; CMU files get the README's frame-rate
corrections and lose the Daz reference pose; files of the SMPL skeleton itself, e.g. our own exports, are
read directly without retargeting or grounding), AIST++ ``.pkl`` and AMASS-style / our SMPL ``.npz``.
"""

from __future__ import annotations

from pathlib import Path

from vimo.errors import InputFormatError
from vimo.io.inputs import regular_file
from vimo.motion import Motion

MOTION_SUFFIXES = (".bvh", ".bvh.gz", ".npz", ".pkl")


def is_motion_file(path: Path) -> bool:
    name = path.name.lower()
    return any(name.endswith(s) for s in MOTION_SUFFIXES)


def load_motion(path: str | Path, *, target_fps: float = 30.0) -> Motion:
    """Read, retarget to SMPL-24 if needed, resample to ``target_fps``; contacts included."""
    from vimo.data import cmu
    from vimo.data.retarget import retarget_bvh
    from vimo.io.bvh import is_smpl_bvh, read_bvh, read_smpl_bvh

    path = regular_file(path, f"a motion file ({', '.join(MOTION_SUFFIXES)})")
    name = path.name.lower()
    if name.endswith(".bvh") or name.endswith(".bvh.gz"):
        bvh = read_bvh(path)
        if is_smpl_bvh(bvh):  # our own export (or any SMPL skeleton): exact, no retargeting or grounding
            return read_smpl_bvh(bvh).resample(target_fps).with_contacts()
        fps = None
        if "/cmu/" in path.resolve().as_posix():
            bvh = cmu.drop_reference_frame(bvh)
            fps = cmu.true_fps(path, bvh.fps)
        try:
            return retarget_bvh(bvh, fps=fps, target_fps=target_fps)
        except InputFormatError as exc:
            raise InputFormatError(str(exc) if str(path) in str(exc) else f"{path}: {exc}") from None
    if name.endswith(".npz"):
        from vimo.io.smpl_npz import read_smpl_npz

        motion = read_smpl_npz(path)
    elif name.endswith(".pkl"):
        from vimo.io.smpl_npz import read_aist_pkl

        motion = read_aist_pkl(path)
    else:
        raise InputFormatError(f"{path}: unsupported motion file (expected one of {', '.join(MOTION_SUFFIXES)})")
    motion = motion.resample(target_fps)
    return motion.with_contacts() if motion.contacts is None else motion
