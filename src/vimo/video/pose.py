"""2D pose backend: MediaPipe BlazePose (legacy ``mp.solutions.pose``), run on a crop of the frame.

BlazePose finds one person per image and returns 33 landmarks (normalised image coordinates plus a
visibility in [0, 1]) and the same 33 points in 3D ("world landmarks": metres, origin between the
hips, x right, y down, z away from the camera, as MediaPipe defines them). We keep the 17 COCO
joints by name (SPEC section 1: BlazePose indices 0, 2, 5, 7, 8, 11-16, 23-28) with the visibility
as confidence, in pixels of the *full* frame.

Crops: ``CropBox`` is a square region of the frame (it may extend past the borders, which are
padded with black, as MediaPipe pads itself). The crop is resized to ``crop_size`` pixels, BlazePose
runs on it, and the landmarks are mapped back to frame pixels. Running on a crop that follows the
chosen person (see ``vimo.video.tracking``) keeps bystanders from stealing the detection.

Only the "full" landmark model (``model_complexity=1``) ships inside the mediapipe wheel; 0 and 2
would be downloaded at run time, so they are refused unless their file is already installed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from vimo.errors import VimoError
from vimo.keypoints import COCO17_NAMES

# BlazePose's 33 landmarks, in MediaPipe's order (mp.solutions.pose.PoseLandmark).
BLAZEPOSE33_NAMES: tuple[str, ...] = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
    "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right", "left_shoulder",
    "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_pinky",
    "right_pinky", "left_index", "right_index", "left_thumb", "right_thumb", "left_hip", "right_hip",
    "left_knee", "right_knee", "left_ankle", "right_ankle", "left_heel", "right_heel",
    "left_foot_index", "right_foot_index",
)  # fmt: skip

# COCO-17 joint -> the BlazePose landmark that stands for it.
COCO17_FROM_BLAZEPOSE: dict[str, str] = {
    "nose": "nose",
    "left_eye": "left_eye",
    "right_eye": "right_eye",
    "left_ear": "left_ear",
    "right_ear": "right_ear",
    "left_shoulder": "left_shoulder",
    "right_shoulder": "right_shoulder",
    "left_elbow": "left_elbow",
    "right_elbow": "right_elbow",
    "left_wrist": "left_wrist",
    "right_wrist": "right_wrist",
    "left_hip": "left_hip",
    "right_hip": "right_hip",
    "left_knee": "left_knee",
    "right_knee": "right_knee",
    "left_ankle": "left_ankle",
    "right_ankle": "right_ankle",
}
# BlazePose index of each COCO-17 joint, in COCO order.
BLAZEPOSE_INDEX_OF_COCO17: tuple[int, ...] = tuple(
    BLAZEPOSE33_NAMES.index(COCO17_FROM_BLAZEPOSE[name]) for name in COCO17_NAMES
)

_LANDMARK_MODELS = {0: "pose_landmark_lite.tflite", 1: "pose_landmark_full.tflite", 2: "pose_landmark_heavy.tflite"}


@dataclass(frozen=True)
class CropBox:
    """A square region of a frame: top-left corner (x0, y0) and side, in whole frame pixels.

    It may reach past the frame's borders (that part is black in the crop).
    """

    x0: int
    y0: int
    side: int

    @classmethod
    def around(cls, box: np.ndarray | tuple[float, float, float, float], *, expand: float = 1.0) -> CropBox:
        """The square centred on ``box`` (x0, y0, x1, y1) with side ``expand`` times its longer side."""
        x0, y0, x1, y1 = (float(v) for v in box)
        side = max(2.0, expand * max(x1 - x0, y1 - y0))
        cx, cy = (x0 + x1) / 2.0, (y0 + y1) / 2.0
        return cls(int(round(cx - side / 2.0)), int(round(cy - side / 2.0)), int(round(side)))

    @property
    def box(self) -> tuple[int, int, int, int]:
        """(x0, y0, x1, y1) in frame pixels."""
        return self.x0, self.y0, self.x0 + self.side, self.y0 + self.side

    def scaled(self, factor: float) -> CropBox:
        """The same region in an image scaled by ``factor`` (e.g. a downscaled decode)."""
        return CropBox(
            int(round(self.x0 * factor)), int(round(self.y0 * factor)), max(2, int(round(self.side * factor)))
        )

    def crop(self, image: np.ndarray, size: int) -> np.ndarray:
        """(size, size, 3) uint8: this region of ``image`` (H, W, 3), resized."""
        h, w = image.shape[:2]
        x0, y0, x1, y1 = self.box
        ix0, iy0, ix1, iy1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
        if ix0 >= ix1 or iy0 >= iy1:
            return np.zeros((size, size, 3), np.uint8)
        region = image[iy0:iy1, ix0:ix1]
        if (ix0, iy0, ix1, iy1) != (x0, y0, x1, y1):
            region = cv2.copyMakeBorder(
                region, iy0 - y0, y1 - iy1, ix0 - x0, x1 - ix1, cv2.BORDER_CONSTANT, value=(0, 0, 0)
            )
        interpolation = cv2.INTER_AREA if self.side > size else cv2.INTER_LINEAR
        return cv2.resize(region, (size, size), interpolation=interpolation)

    def to_frame(self, xy: np.ndarray, size: int) -> np.ndarray:
        """Crop pixel coordinates (..., 2) of a ``size`` x ``size`` crop -> frame pixel coordinates."""
        return np.asarray(xy, np.float64) * (self.side / size) + [self.x0, self.y0]


@dataclass(frozen=True)
class PoseEstimate:
    """One frame's pose. keypoints: (17, 3) COCO-17 ``[x_px, y_px, confidence]`` in frame pixels
    (all zeros when no person was found); landmarks: (33, 3) BlazePose ``[x_px, y_px, visibility]``
    in frame pixels; world: (33, 3) BlazePose world landmarks (metres, origin between the hips,
    x right, y down, z away from the camera) or None when no person was found."""

    keypoints: np.ndarray
    landmarks: np.ndarray
    world: np.ndarray | None

    @property
    def found(self) -> bool:
        return self.world is not None


def _missing() -> PoseEstimate:
    return PoseEstimate(np.zeros((len(COCO17_NAMES), 3), np.float32), np.zeros((33, 3), np.float32), None)


def _check_model(model_complexity: int) -> None:
    import mediapipe as mp

    name = _LANDMARK_MODELS.get(model_complexity)
    if name is None:
        raise VimoError(f"model_complexity must be 0, 1 or 2, got {model_complexity!r}")
    path = Path(mp.__file__).parent / "modules" / "pose_landmark" / name
    if not path.exists():
        raise VimoError(
            f"MediaPipe pose model_complexity={model_complexity} needs {name}, which the mediapipe wheel does "
            f"not ship and would be downloaded at run time; use model_complexity=1 (bundled)"
        )


class MediaPipePose:
    """MediaPipe BlazePose on video frames (tracking mode: frames must come in order, one video at a
    time; make a new instance per video).

    crop_size: pixels of the square image BlazePose sees when a ``CropBox`` is given.
    smooth: MediaPipe's landmark smoothing across frames.
    """

    def __init__(
        self,
        *,
        model_complexity: int = 1,
        crop_size: int = 256,
        smooth: bool = True,
        min_detection_confidence: float = 0.5,
        min_tracking_confidence: float = 0.5,
    ) -> None:
        import mediapipe as mp

        _check_model(model_complexity)
        self.crop_size = int(crop_size)
        self._pose = mp.solutions.pose.Pose(
            static_image_mode=False,
            model_complexity=model_complexity,
            smooth_landmarks=smooth,
            min_detection_confidence=min_detection_confidence,
            min_tracking_confidence=min_tracking_confidence,
        )

    def __call__(self, image: np.ndarray, crop: CropBox | None = None) -> PoseEstimate:
        """Pose of the most prominent person in ``image`` (H, W, 3) uint8 RGB, or in its ``crop``."""
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ValueError(f"MediaPipePose: image must be (H, W, 3) uint8 RGB, got {image.shape} {image.dtype}")
        view = np.ascontiguousarray(image if crop is None else crop.crop(image, self.crop_size))
        result = self._pose.process(view)
        if result.pose_landmarks is None:
            return _missing()
        h, w = view.shape[:2]
        marks = np.array([(p.x * w, p.y * h, p.visibility) for p in result.pose_landmarks.landmark], np.float64)
        if crop is not None:
            marks[:, :2] = crop.to_frame(marks[:, :2], self.crop_size)
        marks[:, 2] = np.clip(marks[:, 2], 0.0, 1.0)
        world = None
        if result.pose_world_landmarks is not None:
            world = np.array([(p.x, p.y, p.z) for p in result.pose_world_landmarks.landmark], np.float32)
        else:
            world = np.full((33, 3), np.nan, np.float32)
        landmarks = marks.astype(np.float32)
        return PoseEstimate(landmarks[list(BLAZEPOSE_INDEX_OF_COCO17)], landmarks, world)

    def close(self) -> None:
        self._pose.close()

    def __enter__(self) -> MediaPipePose:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
