"""Contact sheets: one row per motion, the poses drawn (not a blank page), the documented size."""

import numpy as np
from PIL import Image

from vimo.data.synthetic import walking_motion
from vimo.viz.contact_sheet import contact_sheet


def test_one_row_per_motion_of_the_documented_size_with_the_poses_drawn(tmp_path):
    items = [("walk", walking_motion(30)), ("fast walk", walking_motion(45, speed=1.5))]
    path = contact_sheet(items, tmp_path / "sub" / "sheet.png", frames=4)
    image = np.asarray(Image.open(path).convert("RGB"))
    assert image.shape == (176 * 2, 128 * 4, 3)
    coloured = (np.abs(image.astype(int) - image.mean(-1, keepdims=True)).max(-1) > 40).mean(axis=1)
    assert coloured[:176].sum() > 0 and coloured[176:].sum() > 0  # blue/red limbs in both rows
