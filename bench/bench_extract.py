"""Benchmark ``extract_keypoints`` against bare MediaPipe on the same frames.

Renders a 640x480, 30 fps clip (default 5 s) of a mannequin walking towards the camera with a
smaller one crossing behind, then measures, in this run:
- extract_keypoints (decode twice, person detection + tracking, pose on the performer's crop,
  cleaning), frames per second of video;
- bare MediaPipe Pose (model_complexity=1, video mode) on the full decoded frames, already in memory;
and prints the ratio (the extraction's overhead over bare MediaPipe). Needs no data files.

    .venv/bin/python bench/bench_extract.py [--seconds 5] [--width 640 --height 480]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy.spatial.transform import Rotation

from vimo.data.synthetic import walking_motion
from vimo.motion import Motion
from vimo.video.decode import iter_frames
from vimo.video.extract import extract_keypoints
from vimo.video.pose import MediaPipePose
from vimo.viz.cameras import CameraPath
from vimo.viz.video import render_video


def clip(path: Path, seconds: float, size: tuple[int, int]) -> Path:
    frames = int(round(seconds * 30))
    performer = walking_motion(frames, speed=0.8)
    walk = walking_motion(frames, speed=1.0)
    turn = Rotation.from_euler("y", -90, degrees=True).as_matrix().astype(np.float32)
    rots = walk.rotations.copy()
    rots[:, 0] = turn @ rots[:, 0]
    bystander = Motion(rots, walk.root_position @ turn.T + np.array([2.5, 0.0, -3.0], np.float32), 30.0)
    cams = CameraPath.static([0.3, 1.4, 7.5], [0.0, 0.9, 1.5], frames=frames, image_size=size)
    return render_video([performer, bystander], cams, path, 30.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--height", type=int, default=480)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = clip(Path(tmp) / "clip.mp4", args.seconds, (args.width, args.height))

        start = time.perf_counter()
        result = extract_keypoints(path)
        extract_s = time.perf_counter() - start
        num = result.keypoints.num_frames

        frames = [f.image for f in iter_frames(path)]
        with MediaPipePose() as pose:
            pose(frames[0])  # warm-up (graph start)
            start = time.perf_counter()
            found = sum(pose(image).found for image in frames)
            bare_s = time.perf_counter() - start

    size = f"{args.width}x{args.height}"
    print(f"clip: {num} frames, {size} at 30 fps; {len(result.tracks)} tracks, performer #{result.person}")
    print(f"extract_keypoints: {num / extract_s:6.1f} frames/s  ({1000 * extract_s / num:.1f} ms/frame, "
          f"pose on {result.coverage.detected:.0%} of frames)")  # fmt: skip
    print(f"bare MediaPipe:    {len(frames) / bare_s:6.1f} frames/s  ({1000 * bare_s / len(frames):.1f} ms/frame, "
          f"pose on {found / len(frames):.0%} of frames)")  # fmt: skip
    print(f"extraction / bare MediaPipe time: {extract_s / bare_s * len(frames) / num:.2f}x")


if __name__ == "__main__":
    main()
