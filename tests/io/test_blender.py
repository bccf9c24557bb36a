"""Our SMPL BVH imported by Blender (background mode) lands every joint where Motion.joints() says.

Skipped when ``blender`` is not on PATH (Debian: ``apt-get install --no-install-recommends blender``).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import textwrap

import numpy as np
import pytest

from vimo.io.bvh import Y_TO_Z_UP, write_bvh
from vimo.skeleton import SMPL

BLENDER = shutil.which("blender")
pytestmark = pytest.mark.skipif(BLENDER is None, reason="blender is not installed")

# Imports the BVH, then writes each pose bone's head in world space for the requested frames.
# Blender is Z-up: a Y-up file is imported with forward -Z / up Y (turned by +90 degrees about X, the same
# turn as our up="z" export); a Z-up file with forward Y / up Z (no turn). Either way Blender's world
# positions are Y_TO_Z_UP @ joints, times global_scale (0.01 for centimetres).
SCRIPT = textwrap.dedent(
    """
    import builtins
    import json
    import sys

    import bpy
    from io_anim_bvh import import_bvh

    # Debian's Blender 3.4 runs on Python 3.11, where the importer's open(path, "rU") fails: drop the "U".
    def _open(file, mode="r", *args, **kwargs):
        return builtins.open(file, mode.replace("U", ""), *args, **kwargs)

    import_bvh.open = _open

    bvh_path, out_path, up, scale, frames = sys.argv[sys.argv.index("--") + 1 :]
    axes = {"axis_forward": "-Z", "axis_up": "Y"} if up == "y" else {"axis_forward": "Y", "axis_up": "Z"}
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.ops.import_anim.bvh(
        filepath=bvh_path, global_scale=float(scale), frame_start=1, rotate_mode="NATIVE",
        update_scene_fps=True, update_scene_duration=True, **axes,
    )
    armature = next(o for o in bpy.context.scene.objects if o.type == "ARMATURE")
    result = {"fps": bpy.context.scene.render.fps / bpy.context.scene.render.fps_base, "frames": {}}
    for f in json.loads(frames):
        bpy.context.scene.frame_set(1 + f)
        result["frames"][f] = {b.name: list(armature.matrix_world @ b.head) for b in armature.pose.bones}
    with open(out_path, "w") as fh:
        json.dump(result, fh)
    """
)


@pytest.mark.slow
@pytest.mark.parametrize(("units", "up", "order"), [("cm", "y", "ZXY"), ("m", "z", "XYZ")])
def test_blender_imports_our_bvh(tmp_path, make_motion, units, up, order):
    motion = make_motion(seed=50, num_frames=30)
    bvh_path = tmp_path / "motion.bvh"
    write_bvh(motion, bvh_path, units=units, up=up, rotation_order=order)
    script = tmp_path / "import_bvh.py"
    script.write_text(SCRIPT)
    out = tmp_path / "heads.json"
    frames = [0, 11, len(motion) - 1]
    scale = 0.01 if units == "cm" else 1.0
    cmd = [BLENDER, "-b", "--factory-startup", "--python-exit-code", "1", "--python", str(script), "--"]
    proc = subprocess.run(
        [*cmd, str(bvh_path), str(out), up, str(scale), json.dumps(frames)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0 and out.exists(), proc.stdout[-3000:] + proc.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result["fps"] == pytest.approx(motion.fps, rel=1e-3)
    joints = motion.joints() @ Y_TO_Z_UP.T  # (T, 24, 3) in Blender's Z-up world, metres
    for f in frames:
        heads = result["frames"][str(f)]
        assert set(heads) == set(SMPL.names)
        got = np.array([heads[name] for name in SMPL.names])
        np.testing.assert_allclose(got, joints[f], atol=1e-4)
