"""BVH reading (any skeleton, plain or .bvh.gz) and writing (the SMPL skeleton).

The reader returns the file's own skeleton and channels (:class:`BvhData`); retargeting to SMPL-24 is
in :mod:`vimo.data.retarget`; files of the SMPL skeleton itself are read directly by :func:`read_smpl_bvh`.
Rotation channels are applied as an intrinsic sequence in the order they are listed
(``Zrotation Xrotation Yrotation`` -> ``R = Rz @ Rx @ Ry``), angles in degrees.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import torch

from vimo.errors import InputFormatError
from vimo.geometry.kinematics import FKResult, forward_kinematics, frame_chunks
from vimo.geometry.rotations import euler_to_matrix, matrix_to_euler
from vimo.io.atomic import atomic_open
from vimo.motion import MAX_FPS, Motion
from vimo.skeleton import SMPL

_AXES = {"X": 0, "Y": 1, "Z": 2}


@dataclass(frozen=True)
class BvhData:
    """A BVH file's contents in its own units and skeleton.

    names/parents/offsets: J joints (End Sites excluded), offsets (J, 3) parent-relative.
    end_sites: joint index -> End Site offset (3,), for joints that have one.
    channels: per joint, the channel names in file order (e.g. ("Xposition", ..., "Zrotation")).
    values: (F, C) all channel values per frame, in file order.
    frame_time: seconds per frame as written in the header.
    """

    names: tuple[str, ...]
    parents: tuple[int, ...]
    offsets: np.ndarray
    end_sites: dict[int, np.ndarray]
    channels: tuple[tuple[str, ...], ...]
    values: np.ndarray
    frame_time: float
    source: str = ""

    @property
    def num_frames(self) -> int:
        return self.values.shape[0]

    @property
    def fps(self) -> float:
        return 1.0 / self.frame_time

    def _channel_slices(self) -> list[slice]:
        out, start = [], 0
        for ch in self.channels:
            out.append(slice(start, start + len(ch)))
            start += len(ch)
        return out

    def local_rotations(self) -> np.ndarray:
        """(F, J, 3, 3) parent-relative rotations from the rotation channels."""
        rots = np.tile(np.eye(3, dtype=np.float64), (self.num_frames, len(self.names), 1, 1))
        for j, (ch, sl) in enumerate(zip(self.channels, self._channel_slices())):
            rot_idx = [k for k, c in enumerate(ch) if c.lower().endswith("rotation")]
            if not rot_idx:
                continue
            order = "".join(ch[k][0].upper() for k in rot_idx)
            angles = torch.from_numpy(self.values[:, sl][:, rot_idx].astype(np.float64))
            rots[:, j] = euler_to_matrix(angles, order, degrees=True).numpy()
        return rots

    def local_translations(self) -> np.ndarray:
        """(F, J, 3) parent-relative translations: the offsets, or position channels where present."""
        trans = np.tile(self.offsets.astype(np.float64), (self.num_frames, 1, 1))
        for j, (ch, sl) in enumerate(zip(self.channels, self._channel_slices())):
            for k, c in enumerate(ch):
                if c.lower().endswith("position"):
                    trans[:, j, _AXES[c[0].upper()]] = self.values[:, sl][:, k]
        return trans

    def forward_kinematics(self) -> FKResult:
        """World positions (F, J, 3) in file units and joint-to-world rotations (F, J, 3, 3)."""
        trans = torch.from_numpy(self.local_translations())
        return forward_kinematics(torch.from_numpy(self.local_rotations()), trans[:, 0], trans, self.parents)

    def rest_positions(self) -> np.ndarray:
        pos = np.zeros_like(self.offsets, dtype=np.float64)
        for j, p in enumerate(self.parents):
            if p >= 0:
                pos[j] = pos[p] + self.offsets[j]
        return pos


def _open_text(path: Path) -> str:
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rt", encoding="utf-8", errors="replace") as fh:
                return fh.read()
        return path.read_text(encoding="utf-8", errors="replace")
    except (OSError, EOFError) as exc:
        raise InputFormatError(f"{path}: cannot read BVH ({exc})") from None


def read_bvh(path: str | Path) -> BvhData:
    """Parse a BVH file (``.bvh`` or ``.bvh.gz``). Raises InputFormatError naming the file and problem."""
    path = Path(path)
    text = _open_text(path)
    head, sep, motion = text.partition("MOTION")
    if not sep:
        raise InputFormatError(f"{path}: not a BVH file (no MOTION section)")
    tokens = head.split()
    if not tokens or tokens[0] != "HIERARCHY":
        raise InputFormatError(f"{path}: not a BVH file (does not start with HIERARCHY)")

    names: list[str] = []
    parents: list[int] = []
    offsets: list[list[float]] = []
    channels: list[tuple[str, ...]] = []
    end_sites: dict[int, np.ndarray] = {}
    stack: list[int] = []  # joint indices; -2 marks an End Site block
    i = 1
    try:
        while i < len(tokens):
            tok = tokens[i]
            if tok in ("ROOT", "JOINT"):
                names.append(tokens[i + 1])
                parents.append(stack[-1] if stack else -1)
                offsets.append([0.0, 0.0, 0.0])
                channels.append(())
                i += 2
            elif tok == "End":
                stack.append(-2)
                i += 2  # "End Site"
                if tokens[i] != "{":
                    raise ValueError("expected '{' after End Site")
                i += 1
                continue
            elif tok == "{":
                stack.append(len(names) - 1)
                i += 1
            elif tok == "}":
                stack.pop()
                i += 1
            elif tok == "OFFSET":
                vals = [float(v) for v in tokens[i + 1 : i + 4]]
                if stack and stack[-1] == -2:
                    end_sites[[s for s in stack if s >= 0][-1]] = np.array(vals)
                else:
                    offsets[-1] = vals
                i += 4
            elif tok == "CHANNELS":
                count = int(tokens[i + 1])
                channels[-1] = tuple(tokens[i + 2 : i + 2 + count])
                i += 2 + count
            else:
                raise ValueError(f"unexpected token {tok!r}")
    except (IndexError, ValueError) as exc:
        raise InputFormatError(f"{path}: malformed BVH hierarchy ({exc})") from None
    if not names:
        raise InputFormatError(f"{path}: BVH hierarchy has no joints")

    lines = motion.strip().splitlines()
    try:
        num_frames = int(lines[0].split(":")[1])
        frame_time = float(lines[1].split(":")[1])
    except (IndexError, ValueError):
        raise InputFormatError(f"{path}: malformed MOTION header (expected 'Frames:' and 'Frame Time:')") from None
    if not frame_time >= 1.0 / MAX_FPS:
        raise InputFormatError(
            f"{path}: Frame Time {frame_time:g} s ({1.0 / frame_time if frame_time > 0 else 0:g} fps); expected at "
            f"least {1.0 / MAX_FPS:g} s (at most {MAX_FPS:g} fps)"
        )
    if num_frames < 1:
        raise InputFormatError(f"{path}: the BVH has no frames (Frames: {num_frames})")
    num_channels = sum(len(c) for c in channels)
    rows = [ln for ln in lines[2:] if ln.strip()]
    if len(rows) < num_frames:
        raise InputFormatError(f"{path}: truncated BVH: header says {num_frames} frames, file has {len(rows)}")
    try:
        values = np.array([np.array(r.split(), dtype=np.float64) for r in rows[:num_frames]])
    except ValueError:
        raise InputFormatError(f"{path}: truncated or non-numeric BVH frame data") from None
    if values.ndim != 2 or values.shape[1] != num_channels:
        bad = next((k for k, r in enumerate(rows[:num_frames]) if len(r.split()) != num_channels), 0)
        raise InputFormatError(
            f"{path}: frame {bad} has {len(rows[bad].split())} values, expected {num_channels} channels"
        )
    if not np.isfinite(values).all():
        bad = int(np.argwhere(~np.isfinite(values))[0, 0])
        raise InputFormatError(f"{path}: NaN/inf channel value at frame {bad}")
    return BvhData(
        names=tuple(names),
        parents=tuple(parents),
        offsets=np.array(offsets, dtype=np.float64),
        end_sites=end_sites,
        channels=tuple(channels),
        values=values,
        frame_time=frame_time,
        source=str(path),
    )


# -- the SMPL skeleton: writing, and reading our own (or any SMPL-named) files directly -----------------

# Y-up -> Z-up: +90 degrees about X (world +Y becomes +Z, +Z becomes -Y), the same turn as Blender's BVH
# importer applies with its default axes (forward -Z, up Y).
Y_TO_Z_UP = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
_WRITE_UNITS = {"m": 1.0, "cm": 100.0}  # file units per metre
BVH_UNITS = tuple(_WRITE_UNITS)  # what write_bvh writes; metres by default (Blender's importer scale 1)
_READ_UNITS = {"m": 1.0, "dm": 10.0, "cm": 100.0, "mm": 1000.0, "in": 1.0 / 0.0254}  # recognised on reading
_LEG_CHAINS = (("left_knee", "left_ankle"), ("right_knee", "right_ankle"))
_UP_PROBES = ("head", "neck", "spine3", "spine2", "spine1")  # first present defines "up" in the rest pose
_REST_MAX_ANGLE_DEG = 35.0  # an SMPL-named file whose rest bones deviate more than this is retargeted instead


def _fmt(values: np.ndarray) -> str:
    return " ".join(f"{v:.6f}" for v in values)


def _smpl_hierarchy(offsets: np.ndarray, rotation_channels: str) -> tuple[list[str], list[int]]:
    """HIERARCHY lines for SMPL with the given (J, 3) offsets, and the joints in file (depth-first) order.

    Leaf joints get an End Site continuing their incoming bone by half its length (cosmetic: it only sets
    the length of the last bone in viewers).
    """
    lines = ["HIERARCHY"]
    order: list[int] = []

    def emit(j: int, depth: int) -> None:
        pad = "  " * depth
        order.append(j)
        if SMPL.parents[j] < 0:
            lines.extend([f"{pad}ROOT {SMPL.names[j]}", f"{pad}{{", f"{pad}  OFFSET {_fmt(np.zeros(3))}"])
            lines.append(f"{pad}  CHANNELS 6 Xposition Yposition Zposition {rotation_channels}")
        else:
            lines.extend([f"{pad}JOINT {SMPL.names[j]}", f"{pad}{{", f"{pad}  OFFSET {_fmt(offsets[j])}"])
            lines.append(f"{pad}  CHANNELS 3 {rotation_channels}")
        children = SMPL.children(j)
        for c in children:
            emit(c, depth + 1)
        if not children:
            end = 0.5 * offsets[j]
            lines.extend([f"{pad}  End Site", f"{pad}  {{", f"{pad}    OFFSET {_fmt(end)}", f"{pad}  }}"])
        lines.append(f"{pad}}}")

    emit(0, 0)
    return lines, order


def write_bvh(
    motion: Motion,
    path: str | Path,
    *,
    units: Literal["m", "cm"] = "m",
    up: Literal["y", "z"] = "y",
    rotation_order: str = "ZXY",
) -> None:
    """Write ``motion`` as a BVH of the SMPL skeleton (atomic: temp file, then rename).

    Joint names are SMPL's; offsets are SMPL's rest offsets in ``units``; the root (pelvis) has 6 channels
    (position, then rotation), every other joint 3 rotation channels in ``rotation_order`` (an intrinsic
    sequence, e.g. "ZXY" -> ``Zrotation Xrotation Yrotation`` -> ``R = Rz @ Rx @ Ry``), angles in degrees,
    unwrapped over time. Frame Time = 1 / fps.

    up="z" turns the whole scene by :data:`Y_TO_Z_UP`: offsets and root positions are rotated, and every
    joint rotation ``R`` is written as ``A @ R @ A.T`` (the joints' rest frames turn with the offsets), so
    world joint positions are exactly ``A @ motion.joints()``.
    """
    if units not in _WRITE_UNITS:
        raise ValueError(f"units must be one of {sorted(_WRITE_UNITS)}, got {units!r}")
    if up not in ("y", "z"):
        raise ValueError(f"up must be 'y' or 'z', got {up!r}")
    order = rotation_order.upper()
    if sorted(order) != ["X", "Y", "Z"]:
        raise ValueError(f"rotation_order must be a permutation of XYZ (e.g. 'ZXY'), got {rotation_order!r}")
    scale = _WRITE_UNITS[units]
    turn = Y_TO_Z_UP if up == "z" else np.eye(3)

    offsets = SMPL.offsets.astype(np.float64) @ turn.T * scale  # (J, 3) file units
    channels = " ".join(f"{axis}rotation" for axis in order)
    lines, joint_order = _smpl_hierarchy(offsets, channels)
    lines.extend(["MOTION", f"Frames: {motion.num_frames}", f"Frame Time: {1.0 / motion.fps:.10f}"])
    with atomic_open(path, "w") as fh:
        fh.write("\n".join(lines) + "\n")
        # Frames are converted and written piecewise (memory does not grow with the motion's length); the
        # angles are unwrapped across pieces by carrying the previous piece's last row.
        last = None
        for sl in frame_chunks(motion.num_frames):
            rots = turn @ motion.rotations[sl][:, joint_order].astype(np.float64) @ turn.T  # (t, J, 3, 3)
            euler = matrix_to_euler(torch.from_numpy(rots), order, degrees=True).numpy().reshape(len(rots), -1)
            if last is not None:
                euler = np.unwrap(np.concatenate([last, euler]), period=360.0, axis=0)[1:]
            elif len(euler) > 1:
                euler = np.unwrap(euler, period=360.0, axis=0)
            last = euler[-1:]
            root = motion.root_position[sl].astype(np.float64) @ turn.T * scale  # (t, 3)
            np.savetxt(fh, np.concatenate([root, euler], axis=1), fmt="%.6f", delimiter=" ")


@dataclass(frozen=True)
class _SmplLayout:
    joint_of: dict[int, int]  # SMPL joint index -> file joint index
    metres_per_unit: float
    z_up: bool


def _smpl_layout(bvh: BvhData) -> _SmplLayout | str:
    """How an SMPL-named BVH maps onto SMPL, or the reason (a string) it is not one we can read directly."""
    names = [n.split(":")[-1] for n in bvh.names]
    unknown = [n for n in names if n not in SMPL.names]
    if unknown:
        return f"joint names {', '.join(unknown[:5])} are not SMPL names"
    if len(set(names)) != len(names):
        return "repeated joint names"
    joint_of = {SMPL.index(n): k for k, n in enumerate(names)}
    missing = [n for chain in _LEG_CHAINS for n in (SMPL.names[0], *chain) if SMPL.index(n) not in joint_of]
    if missing:
        return f"missing SMPL joints {', '.join(dict.fromkeys(missing))}"
    for k, name in enumerate(names):
        want = SMPL.parents[SMPL.index(name)]
        got = bvh.parents[k]
        if (want < 0) != (got < 0) or (got >= 0 and names[got] != SMPL.names[want]):
            have = names[got] if got >= 0 else "none (root)"
            expected = SMPL.names[want] if want >= 0 else "none (root)"
            return f"joint {name} has parent {have}, SMPL's is {expected}"

    rest = bvh.rest_positions()
    probe = next((SMPL.index(n) for n in _UP_PROBES if SMPL.index(n) in joint_of), None)
    if probe is None:
        return "no head/neck/spine joint to tell the up axis"
    up = rest[joint_of[probe]] - rest[joint_of[0]]
    axis = int(np.argmax(np.abs(up)))
    if axis == 0 or up[axis] <= 0:
        up_text = np.round(up, 3).tolist()
        return f"rest pose is neither Y-up nor Z-up ({SMPL.names[probe]} - pelvis = {up_text})"
    z_up = axis == 2

    def leg_length(offsets: np.ndarray, index: dict[int, int]) -> float:
        """Mean over both legs of |knee offset| + |ankle offset| (thigh + shin)."""
        lengths = [sum(np.linalg.norm(offsets[index[SMPL.index(n)]]) for n in c) for c in _LEG_CHAINS]
        return float(np.mean(lengths))

    identity = {j: j for j in range(SMPL.num_joints)}
    ratio = leg_length(bvh.offsets, joint_of) / leg_length(SMPL.offsets, identity)
    if not ratio > 0:
        return "zero-length legs in the rest pose"
    units_per_metre = min(_READ_UNITS.values(), key=lambda u: abs(np.log(ratio / u)))

    offsets = bvh.offsets * (1.0 / units_per_metre)
    if z_up:
        offsets = offsets @ Y_TO_Z_UP  # rows: A.T @ offset
    for j, k in joint_of.items():
        a, b = offsets[k], SMPL.offsets[j].astype(np.float64)
        if j == 0 or min(np.linalg.norm(a), np.linalg.norm(b)) < 0.01:
            continue
        angle = np.degrees(np.arccos(np.clip(a @ b / np.linalg.norm(a) / np.linalg.norm(b), -1.0, 1.0)))
        if angle > _REST_MAX_ANGLE_DEG:
            return f"rest pose differs from SMPL's at joint {SMPL.names[j]} ({angle:.0f} degrees)"
    return _SmplLayout(joint_of=joint_of, metres_per_unit=1.0 / units_per_metre, z_up=z_up)


def is_smpl_bvh(bvh: BvhData) -> bool:
    """True when :func:`read_smpl_bvh` can read ``bvh`` directly (SMPL names, hierarchy and rest pose)."""
    return isinstance(_smpl_layout(bvh), _SmplLayout)


def read_smpl_bvh(bvh: BvhData) -> Motion:
    """A BVH whose joints are SMPL's (e.g. written by :func:`write_bvh`) -> Motion, without retargeting.

    Local rotations are taken as they are; the pelvis's position channels become ``root_position``.
    Units (m, dm, cm, mm, inches) are detected from the rest leg length against SMPL's, Z-up from the rest
    pose (head above the pelvis along Z; undone as in :func:`write_bvh`). No resampling, no grounding.
    SMPL joints absent from the file (only whole subtrees, e.g. the hands) get identity rotations; position
    channels of non-root joints are ignored. Raises InputFormatError if the file is not an SMPL skeleton.
    """
    layout = _smpl_layout(bvh)
    if isinstance(layout, str):
        raise InputFormatError(f"{bvh.source}: not an SMPL-skeleton BVH: {layout}")
    file_rots = bvh.local_rotations()  # (F, Jf, 3, 3)
    rots = np.tile(np.eye(3), (bvh.num_frames, SMPL.num_joints, 1, 1))
    for j, k in layout.joint_of.items():
        rots[:, j] = file_rots[:, k]
    root = bvh.local_translations()[:, layout.joint_of[0]] * layout.metres_per_unit  # (F, 3)
    if layout.z_up:
        rots = Y_TO_Z_UP.T @ rots @ Y_TO_Z_UP
        root = root @ Y_TO_Z_UP  # rows: A.T @ position
    fps = bvh.fps
    if abs(fps - round(fps)) < 1e-5 * fps:  # Frame Time is written rounded (0.033333333 s -> 30 fps)
        fps = float(round(fps))
    return Motion(rots.astype(np.float32), root.astype(np.float32), fps)
