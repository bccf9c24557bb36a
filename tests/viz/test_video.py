"""Preview videos of kept and generated frames (vimo complete): right size and length, segments coloured apart."""

import numpy as np

from vimo.data.synthetic import walking_motion
from vimo.video.decode import iter_frames, probe
from vimo.viz.video import render_kept_and_generated


def test_kept_and_generated_frames_are_drawn_in_their_own_colours(tmp_path):
    motion = walking_motion(12)
    kept = np.arange(12) < 6
    path = render_kept_and_generated(motion, kept, tmp_path / "preview.mp4", size=96)
    info = probe(path)
    assert (info.width, info.height, info.num_frames) == (96, 96, 12)
    frames = [f.image.astype(int) for f in iter_frames(path)]
    assert all(f.std() > 5 for f in frames)  # a figure over the floor, not a blank image
    orange = [((f[..., 0] - f[..., 2]) > 80).sum() for f in frames]  # the generated frames' shirt
    assert max(orange[:6]) < min(orange[6:])
