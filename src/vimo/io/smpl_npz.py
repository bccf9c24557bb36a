"""SMPL-parameter motion files: our ``motion.npz``, AMASS ``.npz`` and AIST++ ``.pkl`` / ``.npz``.

Conventions (keys; all rotations axis-angle in radians, joint-major ``[j0x, j0y, j0z, j1x, ...]``):

- ``"vimo"`` (what ``vimo run`` writes): ``joints`` (T, 24, 3) world positions, ``rotations``
  (T, 24, 3, 3) local, ``root_pos`` (T, 3) pelvis, ``contacts`` (T, 4), ``fps``, plus ``poses`` (T, 72),
  ``trans`` (T, 3), ``betas`` (10,), ``gender`` and ``joint_names`` for SMPL tools. Metres, Y up.
- ``"amass"``: ``poses`` (T, 156) SMPL-H (22 body joints, then 30 hand joints), (T, 72) SMPL or (T, 165)
  SMPL-X (22 body joints, then jaw, eyes, hands), ``trans`` (T, 3), ``mocap_framerate`` (or SMPL-X's
  ``mocap_frame_rate``), ``betas``, ``gender``. Metres, **Z up** (converted to/from our Y up by
  :data:`~vimo.io.bvh.Y_TO_Z_UP`). SMPL-H/SMPL-X have no SMPL hand joints (22, 23): they read as identity
  and are not written (their rotations move no SMPL joint position).
- ``"aist"`` (AIST++): ``smpl_poses`` (T, 72), ``smpl_trans`` (T, 3), ``smpl_scaling`` (1,); Y up, 60 fps.
  Metres = ``smpl_trans / smpl_scaling`` (as the AIST++ API passes it to SMPL). We write scaling 1.

SMPL's ``trans`` is not the pelvis position: the model rotates the body about its rest pelvis joint, so
``pelvis = trans + PELVIS_REST[gender]`` in the model's own frame (for AMASS that frame is the Z-up world).
Body shape (``betas``) is ignored: the pelvis offset and the skeleton are those of the mean shape.

``.npz`` files are read with ``allow_pickle=False``; AIST++ ``.pkl`` files through an unpickler that only
rebuilds numpy arrays and refuses every other global (a pickle can otherwise run arbitrary code).
"""

from __future__ import annotations

import importlib
import pickle
import zipfile
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch

from vimo.errors import InputFormatError
from vimo.geometry.kinematics import frame_chunks
from vimo.geometry.rotations import axis_angle_to_matrix, matrix_to_axis_angle
from vimo.io.atomic import atomic_open
from vimo.io.bvh import Y_TO_Z_UP
from vimo.motion import MAX_FPS, Motion
from vimo.skeleton import SMPL

Convention = Literal["vimo", "amass", "aist"]
CONVENTIONS: tuple[str, ...] = ("vimo", "amass", "aist")

# The SMPL template's rest pelvis joint (J_regressor @ v_template, betas = 0) in the model frame (Y up,
# metres), per model gender, as published in many open-source SMPL/AMASS loaders for the SMPL 1.0 / SMPL-H
# models. The male template is the one our skeleton uses: vimo.skeleton.REST_OFFSETS are the male
# template's joint differences (male J1 - J0 = (0.05858135, -0.08228004, -0.01766408) = REST_OFFSETS[1]),
# so male is what we write and the default where a file names no gender (AIST++ fits use the male model).
PELVIS_REST: dict[str, tuple[float, float, float]] = {
    "male": (-0.00217368, -0.24078917, 0.02858379),
    "female": (-0.00087631, -0.21141872, 0.02782112),
    "neutral": (-0.00179506, -0.22333345, 0.02821913),
}
# SMPL-X mean-shape pelvis, as used for AMASS SMPL-X files by public loaders (one value for all genders:
# approximate to about a centimetre).
SMPLX_PELVIS_REST = (0.00312326, -0.35140747, 0.01203655)
WRITE_GENDER = "male"
AIST_FPS = 60.0
NUM_BODY_JOINTS_SMPLH = 22  # SMPL-H / SMPL-X body joints (SMPL's 24 minus the two hand joints)
_POSE_WIDTHS = {72: "SMPL", 156: "SMPL-H", 165: "SMPL-X"}


# -- writing -------------------------------------------------------------------------------------------
def _pelvis_rest(gender: str = WRITE_GENDER) -> np.ndarray:
    return np.asarray(PELVIS_REST[gender], dtype=np.float64)


def _axis_angles(rotations: np.ndarray) -> np.ndarray:
    """(T, J, 3, 3) -> (T, J * 3) axis-angle, radians, float64 (converted piecewise over frames)."""
    out = np.empty((len(rotations), rotations.shape[1] * 3), dtype=np.float64)
    for sl in frame_chunks(len(rotations)):
        rotvec = matrix_to_axis_angle(torch.from_numpy(rotations[sl].astype(np.float64))).numpy()
        out[sl] = rotvec.reshape(len(rotvec), -1)
    return out


def write_smpl_npz(motion: Motion, path: str | Path, *, convention: Convention = "vimo") -> None:
    """Write ``motion`` as an SMPL-parameter ``.npz`` in ``convention`` (atomic: temp file, then rename).

    "aist" resamples to 60 fps (the AIST++ rate, which the format does not store).
    """
    if convention not in CONVENTIONS:
        raise ValueError(f"convention must be one of {', '.join(CONVENTIONS)}, got {convention!r}")
    pelvis = motion.root_position.astype(np.float64)  # (T, 3) Y up
    arrays: dict[str, np.ndarray]
    if convention == "vimo":
        contacts = motion.contacts if motion.contacts is not None else motion.with_contacts().contacts
        arrays = {
            "joints": motion.joints().astype(np.float32),
            "rotations": np.asarray(motion.rotations, dtype=np.float32),
            "root_pos": np.asarray(motion.root_position, dtype=np.float32),
            "contacts": np.asarray(contacts, dtype=np.float32),
            "fps": np.float64(motion.fps),
            "poses": _axis_angles(motion.rotations).astype(np.float32),
            "trans": (pelvis - _pelvis_rest()).astype(np.float32),
            "betas": np.zeros(10, dtype=np.float32),
            "gender": np.array(WRITE_GENDER),
            "joint_names": np.array(SMPL.names),
        }
    elif convention == "amass":
        rots = motion.rotations.astype(np.float64).copy()
        rots[:, 0] = Y_TO_Z_UP @ rots[:, 0]  # the world turns; the body model frame does not
        poses = np.zeros((motion.num_frames, 156))
        poses[:, : NUM_BODY_JOINTS_SMPLH * 3] = _axis_angles(rots[:, :NUM_BODY_JOINTS_SMPLH])
        arrays = {
            "poses": poses,
            "trans": pelvis @ Y_TO_Z_UP.T - _pelvis_rest(),
            "mocap_framerate": np.float64(motion.fps),
            "betas": np.zeros(16),
            "gender": np.array(WRITE_GENDER),
        }
    else:
        motion = motion.resample(AIST_FPS)
        arrays = {
            "smpl_poses": _axis_angles(motion.rotations),
            "smpl_trans": motion.root_position.astype(np.float64) - _pelvis_rest(),
            "smpl_scaling": np.ones(1),
        }
    with atomic_open(path, "wb") as fh:
        np.savez(fh, **arrays)


# -- reading -------------------------------------------------------------------------------------------
def detect_convention(keys: set[str] | list[str], source: str | Path = "") -> str:
    """The convention of a file from its keys (raises InputFormatError naming ``source`` if none fits)."""
    keys = set(keys)
    if {"rotations", "root_pos"} <= keys:
        return "vimo"
    if {"smpl_poses", "smpl_trans"} <= keys:
        return "aist"
    if {"poses", "trans"} <= keys:
        return "amass"
    raise InputFormatError(
        f"{source}: unknown SMPL motion file (keys {', '.join(sorted(keys)) or 'none'}); expected "
        "rotations + root_pos (vimo), poses + trans (AMASS) or smpl_poses + smpl_trans (AIST++)"
    )


def _field(arrays: dict[str, Any], key: str, source: str | Path, shape: tuple[int | None, ...]) -> np.ndarray:
    """``arrays[key]`` as float64 with ``shape`` (None = any size), finite; errors name file and field."""
    if key not in arrays:
        raise InputFormatError(f"{source}: missing field {key!r}")
    try:
        arr = np.asarray(arrays[key], dtype=np.float64)
    except (TypeError, ValueError):
        raise InputFormatError(f"{source}: field {key!r} is not numeric") from None
    if arr.ndim != len(shape) or any(s is not None and s != a for s, a in zip(shape, arr.shape, strict=True)):
        want = "(" + ", ".join("T" if s is None else str(s) for s in shape) + ")"
        raise InputFormatError(f"{source}: field {key!r} has shape {arr.shape}, expected {want}")
    if not np.isfinite(arr).all():
        where = np.argwhere(~np.isfinite(arr))[0]
        at = f" at frame {int(where[0])}" if arr.ndim >= 2 else ""
        raise InputFormatError(f"{source}: field {key!r} has NaN/inf{at}")
    return arr


def _scalar(arrays: dict[str, Any], keys: tuple[str, ...], source: str | Path) -> float | None:
    """The first of ``keys`` present, as a positive float (None if none present)."""
    for key in keys:
        if key in arrays:
            try:
                value = float(np.asarray(arrays[key], dtype=np.float64).reshape(-1)[0])
            except (TypeError, ValueError, IndexError):
                value = float("nan")
            if not (np.isfinite(value) and value > 0):
                raise InputFormatError(f"{source}: field {key!r} must be a positive number, got {arrays[key]!r}")
            return value
    return None


def _text(arrays: dict[str, Any], key: str) -> str | None:
    if key not in arrays:
        return None
    value = np.asarray(arrays[key]).reshape(-1)
    if value.size != 1:
        return None
    item = value[0]
    return (item.decode("utf-8", "replace") if isinstance(item, bytes) else str(item)).strip().lower()


def _frame_rate(file_fps: float | None, fps: float | None, source: str | Path, default: float | None) -> float:
    if file_fps is not None and fps is not None and abs(file_fps - fps) > 1e-6:
        raise InputFormatError(f"{source}: the file says {file_fps:g} fps but fps={fps:g} was given; omit fps")
    rate = file_fps if file_fps is not None else fps if fps is not None else default
    if rate is None:
        raise InputFormatError(f"{source}: the file has no frame rate (mocap_framerate); pass fps=")
    if not 0 < rate <= MAX_FPS:
        raise InputFormatError(f"{source}: frame rate {rate:g} fps; expected a positive rate up to {MAX_FPS:g}")
    return float(rate)


def _pose_rotations(poses: np.ndarray, num_joints: int) -> np.ndarray:
    """(T, >= num_joints * 3) axis-angle -> (T, 24, 3, 3); SMPL joints past ``num_joints`` are identity."""
    rots = np.tile(np.eye(3), (len(poses), SMPL.num_joints, 1, 1))
    rotvec = poses[:, : num_joints * 3].reshape(len(poses), num_joints, 3)
    rots[:, :num_joints] = axis_angle_to_matrix(torch.from_numpy(rotvec)).numpy()
    return rots


def _build(rots: np.ndarray, root: np.ndarray, fps: float, source: str | Path, contacts: Any = None) -> Motion:
    if len(rots) == 0:
        raise InputFormatError(f"{source}: the motion has no frames")
    try:
        return Motion(rots.astype(np.float32), root.astype(np.float32), fps, contacts)
    except ValueError as exc:
        raise InputFormatError(f"{source}: {exc}") from None


def _same_length(source: str | Path, **fields: np.ndarray) -> None:
    lengths = {k: len(v) for k, v in fields.items()}
    if len(set(lengths.values())) > 1:
        got = ", ".join(f"{k} {n}" for k, n in lengths.items())
        raise InputFormatError(f"{source}: fields disagree on the number of frames ({got})")


def _gender(arrays: dict[str, Any], source: str | Path) -> str:
    gender = _text(arrays, "gender") or WRITE_GENDER
    if gender not in PELVIS_REST:
        raise InputFormatError(f"{source}: field 'gender' is {gender!r}; expected one of {', '.join(PELVIS_REST)}")
    return gender


def _motion_from_arrays(arrays: dict[str, Any], source: str | Path, fps: float | None) -> Motion:
    convention = detect_convention(arrays.keys(), source)
    if convention == "vimo":
        rots = _field(arrays, "rotations", source, (None, SMPL.num_joints, 3, 3))
        root = _field(arrays, "root_pos", source, (None, 3))
        contacts = _field(arrays, "contacts", source, (None, 4)) if "contacts" in arrays else None
        _same_length(source, rotations=rots, root_pos=root)
        if contacts is not None:
            _same_length(source, rotations=rots, contacts=contacts)
        rate = _frame_rate(_scalar(arrays, ("fps",), source), fps, source, None)
        return _build(rots, root, rate, source, contacts)

    if convention == "aist":
        poses = _field(arrays, "smpl_poses", source, (None, 72))
        trans = _field(arrays, "smpl_trans", source, (None, 3))
        scaling = _field(arrays, "smpl_scaling", source, (1,)) if "smpl_scaling" in arrays else np.ones(1)
        if not scaling[0] > 0:
            raise InputFormatError(f"{source}: field 'smpl_scaling' must be positive, got {scaling[0]:g}")
        _same_length(source, smpl_poses=poses, smpl_trans=trans)
        root = trans / scaling[0] + _pelvis_rest(_gender(arrays, source))
        rate = _frame_rate(_scalar(arrays, ("fps",), source), fps, source, AIST_FPS)
        return _build(_pose_rotations(poses, SMPL.num_joints), root, rate, source)

    # AMASS: Z-up world, the body model's own frame is the world frame.
    poses = np.asarray(arrays["poses"])
    width = poses.shape[-1] if poses.ndim == 2 else -1
    if width not in _POSE_WIDTHS:
        raise InputFormatError(
            f"{source}: field 'poses' has shape {poses.shape}, expected (T, 72) SMPL, (T, 156) SMPL-H "
            "or (T, 165) SMPL-X"
        )
    poses = _field(arrays, "poses", source, (None, width))
    trans = _field(arrays, "trans", source, (None, 3))
    _same_length(source, poses=poses, trans=trans)
    smplx = width == 165 or _text(arrays, "surface_model_type") == "smplx"
    pelvis_rest = np.asarray(SMPLX_PELVIS_REST) if smplx else _pelvis_rest(_gender(arrays, source))
    rots = _pose_rotations(poses, SMPL.num_joints if width == 72 else NUM_BODY_JOINTS_SMPLH)
    rots[:, 0] = Y_TO_Z_UP.T @ rots[:, 0]
    root = (trans + pelvis_rest) @ Y_TO_Z_UP  # rows: A.T @ (trans + pelvis_rest)
    rate = _frame_rate(_scalar(arrays, ("mocap_framerate", "mocap_frame_rate", "fps"), source), fps, source, None)
    return _build(rots, root, rate, source)


def read_smpl_npz(path: str | Path, *, fps: float | None = None) -> Motion:
    """Read an SMPL-parameter ``.npz`` (vimo, AMASS or AIST++ keys, detected) at the file's own frame rate.

    fps: the frame rate when the file has none (an error if it has one that differs).
    Raises InputFormatError naming the file and the field for truncated files, wrong shapes or NaNs.
    """
    path = Path(path)
    arrays: dict[str, Any] = {}
    try:
        if not zipfile.is_zipfile(path):  # np.load would read anything else as a .npy or a pickle
            raise InputFormatError(
                f"{path}: not an .npz file (an .npz is a zip archive of arrays; this is {_kind(path)})"
            )
        with np.load(path, allow_pickle=False) as npz:
            for key in npz.files:
                try:
                    arrays[key] = npz[key]
                except ValueError:  # an object array (pickled): not needed, never unpickled
                    continue
    except (OSError, EOFError, ValueError, zipfile.BadZipFile) as exc:
        raise InputFormatError(f"{path}: cannot read as .npz ({exc})") from None
    return _motion_from_arrays(arrays, path, fps)


def _kind(path: Path) -> str:
    """What a file that should have been an .npz looks like, from its first bytes, for error messages."""
    with open(path, "rb") as fh:
        head = fh.read(512)
    if not head:
        return "empty"
    if head.startswith(b"\x93NUMPY"):
        return "a single .npy array"
    if head[:1] == b"\x80":
        return "a pickle"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the end of the sample
            return "binary data of another kind"
    return "a text file"


# -- AIST++ pickles ------------------------------------------------------------------------------------
# The only globals a pickle of numpy arrays needs (numpy 1.x and numpy 2 module paths; _frombuffer is
# pickle protocol 5's; _codecs.encode turns text into bytes in protocol 2 pickles). Everything else
# (os.system, builtins.eval, ...) is refused.
_NUMPY_GLOBALS = frozenset(
    (module, name)
    for core in ("numpy.core", "numpy._core")
    for module, name in (
        (f"{core}.multiarray", "_reconstruct"),
        (f"{core}.multiarray", "scalar"),
        (f"{core}.numeric", "_frombuffer"),
    )
) | {("numpy", "ndarray"), ("numpy", "dtype"), ("_codecs", "encode")}


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickler that rebuilds numpy arrays and plain containers, and refuses any other global."""

    def __init__(self, file: Any, source: str | Path) -> None:
        super().__init__(file)
        self._source = source

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _NUMPY_GLOBALS:
            raise InputFormatError(
                f"{self._source}: refusing to unpickle {module}.{name} (only numpy arrays are allowed)"
            )
        for candidate in dict.fromkeys((module, module.replace("numpy._core", "numpy.core"))):
            try:
                return getattr(importlib.import_module(candidate), name)
            except (ImportError, AttributeError):
                continue
        raise InputFormatError(f"{self._source}: cannot rebuild {module}.{name} with this numpy")


def read_aist_pkl(path: str | Path, *, fps: float | None = None) -> Motion:
    """Read an AIST++ motion ``.pkl`` (``smpl_poses``, ``smpl_trans``, ``smpl_scaling``; 60 fps, Y up).

    Only numpy arrays are unpickled (see :class:`_NumpyOnlyUnpickler`); anything else is refused.
    """
    path = Path(path)
    try:
        with path.open("rb") as fh:
            doc = _NumpyOnlyUnpickler(fh, path).load()
    except InputFormatError:
        raise
    except Exception as exc:  # noqa: BLE001 - any unpickling failure is a malformed file
        raise InputFormatError(f"{path}: cannot read as an AIST++ pickle ({type(exc).__name__}: {exc})") from None
    if not isinstance(doc, dict) or not all(isinstance(k, str) for k in doc):
        raise InputFormatError(f"{path}: expected a dict of arrays (smpl_poses, smpl_trans, smpl_scaling)")
    if "smpl_poses" not in doc or "smpl_trans" not in doc:
        raise InputFormatError(f"{path}: missing field(s) smpl_poses / smpl_trans (keys: {', '.join(doc)})")
    return _motion_from_arrays(doc, path, fps)
