"""The Motion dataclass: the currency between stages (SMPL-24 local rotations, root, contacts, fps)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

import numpy as np
import torch
from scipy.spatial.transform import Rotation, Slerp

from vimo.geometry.kinematics import FKResult, forward_kinematics, frame_chunks
from vimo.geometry.rotations import rotation_about_y
from vimo.skeleton import CONTACT_JOINTS, NUM_JOINTS, SMPL

# The highest frame rate a motion or keypoint file may declare (high-speed capture reaches ~1000 fps); a larger
# one is a unit mistake (e.g. fps written as a frame time) that would make seconds of data a single frame.
MAX_FPS = 1000.0
# EDGE's rule: a foot is in contact when its joint moves less than 1 cm per frame at 30 fps.
CONTACT_SPEED_M_PER_S = 0.01 * 30.0


@dataclass(frozen=True)
class Motion:
    """A motion on the SMPL-24 skeleton (metres, Y up).

    rotations: (T, 24, 3, 3) float32 parent-relative joint rotations (the pelvis's is world-relative).
    root_position: (T, 3) float32 world position of the pelvis joint.
    fps: frames per second.
    contacts: (T, 4) float32 in [0, 1] for left_ankle, right_ankle, left_foot, right_foot, or None.
    """

    rotations: np.ndarray
    root_position: np.ndarray
    fps: float
    contacts: np.ndarray | None = None

    def __post_init__(self) -> None:
        rot = np.asarray(self.rotations, dtype=np.float32)
        root = np.asarray(self.root_position, dtype=np.float32)
        object.__setattr__(self, "rotations", rot)
        object.__setattr__(self, "root_position", root)
        if rot.ndim != 4 or rot.shape[1:] != (NUM_JOINTS, 3, 3):
            raise ValueError(f"motion rotations must be (T, {NUM_JOINTS}, 3, 3), got {rot.shape}")
        num_frames = rot.shape[0]
        if root.shape != (num_frames, 3):
            raise ValueError(f"motion root_position must be ({num_frames}, 3), got {root.shape}")
        if self.contacts is not None:
            con = np.asarray(self.contacts, dtype=np.float32)
            object.__setattr__(self, "contacts", con)
            if con.shape != (num_frames, 4):
                raise ValueError(f"motion contacts must be ({num_frames}, 4), got {con.shape}")
        if not (self.fps > 0 and np.isfinite(self.fps)):
            raise ValueError(f"motion fps must be positive, got {self.fps}")
        for name, arr in (("rotations", rot), ("root_position", root)):
            if not np.isfinite(arr).all():
                bad = int(np.argwhere(~np.isfinite(arr.reshape(num_frames, -1)))[0, 0])
                raise ValueError(f"motion {name} has NaN/inf at frame {bad}")
        if num_frames:
            err = np.abs(rot @ np.swapaxes(rot, -1, -2) - np.eye(3, dtype=np.float32)).max()
            if err > 1e-3:
                raise ValueError(f"motion rotations are not orthonormal (max error {err:.2e})")

    # -- basic access ---------------------------------------------------------------------------
    @property
    def num_frames(self) -> int:
        return self.rotations.shape[0]

    def __len__(self) -> int:
        return self.num_frames

    @property
    def duration(self) -> float:
        return self.num_frames / self.fps

    def __getitem__(self, frames: slice) -> Motion:
        if not isinstance(frames, slice):
            raise TypeError("index a Motion with a slice of frames, e.g. motion[10:160]")
        return replace(
            self,
            rotations=self.rotations[frames],
            root_position=self.root_position[frames],
            contacts=None if self.contacts is None else self.contacts[frames],
        )

    def joints(self) -> np.ndarray:
        """World joint positions (T, 24, 3), metres (computed piecewise: memory does not grow with T beyond
        the result)."""
        out = np.empty((self.num_frames, NUM_JOINTS, 3), dtype=np.result_type(self.rotations, self.root_position))
        for sl, fk in self.fk_pieces():
            out[sl] = fk.positions.numpy()
        return out

    def fk_pieces(self, dtype: torch.dtype | None = None) -> Iterator[tuple[slice, FKResult]]:
        """Forward kinematics piece by piece (:func:`frame_chunks`): (frames, result) pairs, in ``dtype``
        (default: the motion's own), so whole-sequence work never holds several (T, 24, 3, 3) temporaries."""
        rotations, root = torch.from_numpy(self.rotations), torch.from_numpy(self.root_position)
        offsets = torch.from_numpy(SMPL.offsets)
        for sl in frame_chunks(self.num_frames):
            rot, pos = (rotations[sl], root[sl]) if dtype is None else (rotations[sl].to(dtype), root[sl].to(dtype))
            yield sl, forward_kinematics(rot, pos, offsets, SMPL.parents)

    # -- derived motions ------------------------------------------------------------------------
    def resample(self, fps: float) -> Motion:
        """Resample to ``fps``: slerp for rotations, linear for the root, nearest for contacts."""
        if fps <= 0:
            raise ValueError(f"fps must be positive, got {fps}")
        if abs(fps - self.fps) < 1e-4 * fps or self.num_frames < 2:  # rounding in BVH Frame Time
            return replace(self, fps=float(fps))
        src_t = np.arange(self.num_frames) / self.fps
        num_out = int(np.floor(src_t[-1] * fps + 1e-6)) + 1
        dst_t = np.minimum(np.arange(num_out) / fps, src_t[-1])
        rots = np.empty((num_out, NUM_JOINTS, 3, 3), dtype=np.float32)
        for j in range(NUM_JOINTS):
            slerp = Slerp(src_t, Rotation.from_matrix(self.rotations[:, j].astype(np.float64)))
            rots[:, j] = slerp(dst_t).as_matrix()
        root = np.stack([np.interp(dst_t, src_t, self.root_position[:, k]) for k in range(3)], axis=-1)
        contacts = None
        if self.contacts is not None:
            nearest = np.clip(np.rint(dst_t * self.fps).astype(int), 0, self.num_frames - 1)
            contacts = self.contacts[nearest]
        return Motion(rots, root, float(fps), contacts)

    def mirror(self) -> Motion:
        """Swap left and right: reflect through the YZ plane (x -> -x) and swap left/right joints."""
        reflect = np.diag([-1.0, 1.0, 1.0]).astype(np.float32)
        rots = reflect @ self.rotations[:, SMPL.mirror_indices] @ reflect
        root = self.root_position * np.array([-1.0, 1.0, 1.0], dtype=np.float32)
        contacts = None if self.contacts is None else self.contacts[:, [1, 0, 3, 2]]
        return Motion(rots, root, self.fps, contacts)

    def canonicalize(self) -> Motion:
        """Pelvis at x = z = 0 and facing +Z on the first frame (pelvis height kept)."""
        rot, root = canonicalize_root(torch.from_numpy(self.rotations[:, 0]), torch.from_numpy(self.root_position))
        rots = self.rotations.copy()
        rots[:, 0] = rot.numpy()
        return replace(self, rotations=rots, root_position=root.numpy())

    def with_contacts(self) -> Motion:
        """Foot contacts from joint speeds (EDGE's rule, scaled to this motion's fps)."""
        return replace(self, contacts=foot_contacts(self.joints(), self.fps))

    def grounded(self) -> Motion:
        """Shift vertically so the feet rest on y = 0 (median lowest-joint height on contact frames)."""
        joints = self.joints()
        lowest = joints[:, :, 1].min(axis=1)  # (T,)
        contact = foot_contacts(joints, self.fps).max(axis=1) > 0.5
        floor = np.median(lowest[contact]) if contact.sum() >= max(3, 0.1 * len(lowest)) else np.percentile(lowest, 5)
        return replace(self, root_position=self.root_position - np.array([0.0, floor, 0.0], dtype=np.float32))


def foot_contacts(joints: np.ndarray, fps: float) -> np.ndarray:
    """(T, 24, 3) world joints -> (T, 4) {0, 1} contacts for ankles and feet (EDGE's speed rule)."""
    feet = joints[:, list(CONTACT_JOINTS)]  # (T, 4, 3)
    if len(feet) < 2:
        return np.ones((len(feet), 4), dtype=np.float32)
    step = np.linalg.norm(np.diff(feet, axis=0), axis=-1)  # (T-1, 4)
    step = np.concatenate([step, step[-1:]], axis=0)
    return (step < CONTACT_SPEED_M_PER_S / fps).astype(np.float32)


def facing_yaw(root_rotation: torch.Tensor) -> torch.Tensor:
    """(..., 3, 3) pelvis rotations -> (...,) yaw (radians) of the pelvis's forward (+Z) axis."""
    forward = root_rotation[..., :, 2]
    return torch.atan2(forward[..., 0], forward[..., 2])


def canonicalize_root(root_rotation: torch.Tensor, root_position: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Rotate about Y and translate so frame 0 has the pelvis at x = z = 0 facing +Z.

    root_rotation: (..., T, 3, 3); root_position: (..., T, 3). Returns both, transformed.
    """
    yaw = facing_yaw(root_rotation[..., 0, :, :])  # (...,)
    undo = rotation_about_y(-yaw)[..., None, :, :]  # (..., 1, 3, 3)
    origin = root_position[..., :1, :] * torch.tensor([1.0, 0.0, 1.0], dtype=root_position.dtype)
    new_pos = ((root_position - origin)[..., None, :] @ undo.transpose(-1, -2))[..., 0, :]
    return undo @ root_rotation, new_pos
