"""Qualisys camera calibrations (``*.qca.txt``, the XML that Qualisys Track Manager writes; Pose2Sim ships one).

Each ``<camera serial=...>`` holds:

- ``<transform r11..r33 x y z>``: the camera's pose, millimetres: ``r`` (rows r1., r2., r3.) is the world-to-camera
  rotation into the Qualisys camera axes (x right, y up, z backwards) and ``(x, y, z)`` is the camera's centre in
  the world. The OpenCV extrinsics (:mod:`vimo.geometry.camera`: x right, y down, z forward) are therefore
  ``R = F @ r`` and ``t = -R @ c``, with ``F = diag(1, -1, -1)`` flipping y and z and ``c`` the centre in metres.
  Checked on the Pose2Sim clip in ``../shared`` (:mod:`vimo.eval.fourview`) by triangulating the four views'
  MediaPipe keypoints and reprojecting them: this reading gives a median reprojection error of ~18 px (1080x1920
  frames); every other reading tried (``r`` transposed, i.e. the inverse; no flip; ``(x, y, z)`` as the
  translation ``t`` instead of the centre; the flip on the right) gives 99 px or more, most with the subject
  behind some cameras. Two of the four videos are 1080 px wide where the calibration says 1088; shifting or
  scaling their principal point for that made the error slightly worse (18.3 px), so the calibration is used as is.
  Distortion is not applied (the coefficients are small: k1 ~ -0.05).
- ``<intrinsic>``: focal lengths and principal point in sensor sub-pixels; pixels = value x (video field of
  view in pixels / sensor extent in sub-pixels), per axis (``fov_video`` right-left+1 over ``sensorMaxU -
  sensorMinU``; 1088 px over 69568 = 1/64 on the Pose2Sim cameras). Distortion coefficients (radial k1..k3,
  tangential p1, p2) are read and kept, in the OpenCV model's normalised coordinates.
- ``<fov_video left right top bottom>``: the image (inclusive pixel bounds) -> ``image_size``.

:func:`read_qca` raises ``VimoError`` naming the file and the camera/field when a field is missing or not a number.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vimo.errors import VimoError

MM_PER_M = 1000.0
# Qualisys camera axes (y up, z backwards) -> OpenCV's (y down, z forward): flip y and z.
FLIP_YZ = np.diag([1.0, -1.0, -1.0])


@dataclass(frozen=True)
class CalibratedCamera:
    """One calibrated camera, OpenCV conventions (:mod:`vimo.geometry.camera`), world in metres.

    R (3, 3), t (3,): world-to-camera ``x_cam = R @ x_world + t``; focal (2,) = (fx, fy) pixels; principal (2,)
    = (cx, cy) pixels; distortion (5,) = (k1, k2, p1, p2, k3) (OpenCV order, normalised coordinates);
    image_size = (width, height) pixels.
    """

    name: str
    R: np.ndarray
    t: np.ndarray
    focal: np.ndarray
    principal: np.ndarray
    distortion: np.ndarray
    image_size: tuple[int, int]

    @property
    def intrinsic_matrix(self) -> np.ndarray:
        """K (3, 3)."""
        return np.array([[self.focal[0], 0.0, self.principal[0]], [0.0, self.focal[1], self.principal[1]],
                         [0.0, 0.0, 1.0]])  # fmt: skip

    @property
    def projection_matrix(self) -> np.ndarray:
        """P = K [R | t] (3, 4): homogeneous world point (metres) -> homogeneous pixel."""
        return self.intrinsic_matrix @ np.concatenate([self.R, self.t[:, None]], axis=1)

    @property
    def center(self) -> np.ndarray:
        """The camera centre in the world (3,), metres."""
        return -self.R.T @ self.t


def _number(element: ET.Element, field: str, source: str) -> float:
    value = element.get(field)
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise VimoError(f"{source}: field {element.tag}.{field} is {value!r}, not a number") from None


def _child(camera: ET.Element, tag: str, source: str) -> ET.Element:
    element = camera.find(tag)
    if element is None:
        raise VimoError(f"{source}: no <{tag}>")
    return element


def camera_from_qualisys(rotation: np.ndarray, position_mm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A Qualisys transform (world-to-camera rotation r (3, 3) into y-up/z-backwards camera axes, camera centre (3,)
    mm) -> OpenCV extrinsics (R, t in metres)."""
    R = FLIP_YZ @ np.asarray(rotation, np.float64)
    return R, -R @ (np.asarray(position_mm, np.float64) / MM_PER_M)


def read_qca(path: str | os.PathLike) -> tuple[CalibratedCamera, ...]:
    """The cameras of a Qualisys calibration file, in file order (see the module docstring)."""
    path = Path(path)
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as exc:
        raise VimoError(f"{path}: not a readable Qualisys calibration ({exc})") from None
    cameras = []
    for index, cam in enumerate(root.iter("camera")):
        name = cam.get("serial") or f"camera {index}"
        source = f"{path}: camera {name}"
        tr = _child(cam, "transform", source)
        rotation = np.array([[_number(tr, f"r{i}{j}", source) for j in (1, 2, 3)] for i in (1, 2, 3)])
        position = np.array([_number(tr, axis, source) for axis in "xyz"])
        R, t = camera_from_qualisys(rotation, position)
        fov = _child(cam, "fov_video", source)
        width = int(_number(fov, "right", source) - _number(fov, "left", source)) + 1
        height = int(_number(fov, "bottom", source) - _number(fov, "top", source)) + 1
        k = _child(cam, "intrinsic", source)
        sensor_u = _number(k, "sensorMaxU", source) - _number(k, "sensorMinU", source)
        sensor_v = _number(k, "sensorMaxV", source) - _number(k, "sensorMinV", source)
        if sensor_u <= 0 or sensor_v <= 0:
            raise VimoError(f"{source}: empty sensor extent ({sensor_u} x {sensor_v} sub-pixels)")
        scale = np.array([width / sensor_u, height / sensor_v])
        focal = np.array([_number(k, "focalLengthU", source), _number(k, "focalLengthV", source)]) * scale
        principal = np.array([_number(k, "centerPointU", source), _number(k, "centerPointV", source)]) * scale
        distortion = np.array([_number(k, f, source) for f in ("radialDistortion1", "radialDistortion2",
                               "tangentalDistortion1", "tangentalDistortion2", "radialDistortion3")])  # fmt: skip
        cameras.append(CalibratedCamera(name, R, t, focal, principal, distortion, (width, height)))
    if not cameras:
        raise VimoError(f"{path}: no <camera> in this Qualisys calibration")
    return tuple(cameras)
