"""Importing the CMU collection in ../shared (skipped when absent) and generic retargeting."""

import gzip

import numpy as np
import pytest

from vimo.data import cmu
from vimo.data.mocap import load_motion
from vimo.data.retarget import JOINT_MAPS, detect_convention
from vimo.errors import InputFormatError
from vimo.skeleton import SMPL

# One file per category/folder of ../shared/data/mocap/cmu.
SPOT_CHECKS = [
    "atelier_01-09/02/02_01",  # walk
    "atelier_01-09/05/05_02",  # modern dance
    "atelier_10-14/11/11_01",  # soccer kick
    "acrnn_dance/salsa/01",  # salsa (60 fps, header 120)
    "acrnn_dance/martial/03",  # karate
    "hugefbx_alieninvasion/13/13_02",  # everyday
    "hugefbx_topdownshooter/49/49_01",  # modern dance / gymnastics
    "hugefbx_masterthesiscups/118/118_01",  # general
]


def _path(mocap_dir, key):
    path = mocap_dir / f"{key}.bvh.gz"
    if not path.exists():
        pytest.skip(f"{path} not in this copy of ../shared")
    return path


@pytest.mark.parametrize("key", SPOT_CHECKS)
def test_cmu_import_is_plausible(mocap_dir, key):
    motion = load_motion(_path(mocap_dir, key))
    assert motion.fps == 30.0
    joints = motion.joints()
    # Feet on the floor: the lowest joint is within 5 cm of y = 0 most of the time.
    lowest = joints[:, :, 1].min(axis=1)
    assert np.mean(np.abs(lowest) < 0.05) > 0.6, np.percentile(lowest, [10, 50, 90])
    # Rigid bones: no bone-length drift.
    bones = np.linalg.norm(joints[:, 1:] - joints[:, list(SMPL.parents[1:])], axis=-1)
    assert bones.std(axis=0).max() < 1e-4
    # Upright: the head is above the pelvis on most frames.
    assert np.mean(joints[:, SMPL.index("head"), 1] > joints[:, 0, 1]) > 0.8
    # Left is left: seen from behind the body (pelvis frame), the left hip is on the body's +X side.
    rel = joints[:, SMPL.index("left_hip")] - joints[:, SMPL.index("right_hip")]
    local = np.einsum("tji,tj->ti", motion.rotations[:, 0], rel)  # into the pelvis frame
    assert np.mean(local[:, 0] > 0) > 0.99
    assert motion.contacts is not None and motion.contacts.shape == (len(motion), 4)


def test_frame_rate_corrections_follow_the_readme(mocap_dir):
    salsa = _path(mocap_dir, "acrnn_dance/salsa/01")
    assert cmu.true_fps(salsa, 120.0) == 60.0
    assert cmu.true_fps(mocap_dir / "atelier_01-09/02/02_01.bvh.gz", 120.0) == 120.0
    # hugefbx rows marked 60 / 60? in hugefbx_files.csv are doubled.
    import csv

    rows = list(csv.DictReader(open(mocap_dir / "hugefbx_files.csv")))
    sixty = next(r for r in rows if r["likely_capture_fps"].startswith("60"))
    normal = next(r for r in rows if r["likely_capture_fps"] == "120")
    root = mocap_dir.parent
    assert cmu.true_fps(root / (sixty["file"] + ".gz"), 24.0) == 12.0
    assert cmu.true_fps(root / (normal["file"] + ".gz"), 24.0) == 24.0


def test_test_split_matches_the_readme(mocap_dir):
    files = sorted(mocap_dir.rglob("*.bvh.gz"))
    test = {cmu.relative_key(f) for f in files if cmu.split_of(f) == "test"}
    assert len(test) == 27
    assert {"atelier_01-09/05/05_16", "acrnn_dance/salsa/30", "hugefbx_masterthesiscups/144/144_34"} <= test
    # Validation never overlaps test, and holds whole subjects for the hugefbx folders.
    val = [f for f in files if cmu.split_of(f) == "val"]
    assert val and not test & {cmu.relative_key(f) for f in val}


def test_reference_pose_and_blend_are_dropped(mocap_dir):
    from vimo.io.bvh import read_bvh

    bvh = read_bvh(_path(mocap_dir, "atelier_01-09/02/02_01"))
    dropped = cmu.drop_reference_frame(bvh)
    assert dropped.num_frames == bvh.num_frames - 13  # 1 + 0.1 s at 120 fps
    motion = load_motion(mocap_dir / "atelier_01-09/02/02_01.bvh.gz")
    wrist_y = motion.joints()[0, SMPL.index("left_wrist"), 1]
    shoulder_y = motion.joints()[0, SMPL.index("left_shoulder"), 1]
    assert wrist_y < shoulder_y - 0.2  # arms down, not the T-pose


MIXAMO_NAMES = ["mixamorig:Hips", "mixamorig:Spine", "mixamorig:Spine1", "mixamorig:Spine2", "mixamorig:Neck",
                "mixamorig:Head", "mixamorig:LeftUpLeg", "mixamorig:LeftLeg", "mixamorig:LeftFoot",
                "mixamorig:RightUpLeg", "mixamorig:RightLeg", "mixamorig:RightFoot"]  # fmt: skip


def test_convention_detection():
    assert detect_convention(MIXAMO_NAMES) == "mixamo"
    assert detect_convention(list(JOINT_MAPS["cmu_daz"].values()) + ["lButtock"]) == "cmu_daz"
    with pytest.raises(InputFormatError, match="unknown joint names"):
        detect_convention(["a", "b", "c"])


def _write_mixamo_bvh(path, frames=40):
    """A Mixamo-named T-pose skeleton in centimetres (Z offsets 0) with the legs swinging."""
    lines = ["HIERARCHY", "ROOT mixamorig:Hips", "{", "OFFSET 0 0 0",
             "CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation"]  # fmt: skip
    chain = [("mixamorig:Spine", (0, 10, 0)), ("mixamorig:Spine1", (0, 12, 0)), ("mixamorig:Spine2", (0, 12, 0)),
             ("mixamorig:Neck", (0, 15, 0)), ("mixamorig:Head", (0, 10, 0))]  # fmt: skip
    for name, off in chain:
        lines += [
            f"JOINT {name}",
            "{",
            "OFFSET {} {} {}".format(*off),
            "CHANNELS 3 Zrotation Xrotation Yrotation",
        ]
    lines += ["End Site", "{", "OFFSET 0 15 0", "}"] + ["}"] * len(chain)
    for side, x in (("Left", 9), ("Right", -9)):
        lines += [f"JOINT mixamorig:{side}UpLeg", "{", f"OFFSET {x} -6 0", "CHANNELS 3 Zrotation Xrotation Yrotation",
                  f"JOINT mixamorig:{side}Leg", "{", "OFFSET 0 -42 0", "CHANNELS 3 Zrotation Xrotation Yrotation",
                  f"JOINT mixamorig:{side}Foot", "{", "OFFSET 0 -40 0", "CHANNELS 3 Zrotation Xrotation Yrotation",
                  "End Site", "{", "OFFSET 0 -6 12", "}", "}", "}", "}"]  # fmt: skip
    lines += ["}", "MOTION", f"Frames: {frames}", "Frame Time: 0.0333333"]
    for f in range(frames):
        swing = 25 * np.sin(f / 5)
        vals = [0, 94, f * 2.0, 0, 0, 0] + [0, 0, 0] * 5 + [0, swing, 0, 0, 0, 0, 0, 0, 0] + [0, -swing, 0] + [0] * 6
        lines.append(" ".join(f"{v:.4f}" for v in vals))
    path.write_text("\n".join(lines) + "\n")


def test_mixamo_bvh_retargets_to_smpl(tmp_path):
    path = tmp_path / "walk.bvh"
    _write_mixamo_bvh(path)
    motion = load_motion(path)
    joints = motion.joints()
    assert len(motion) == 40
    lowest = joints[:, :, 1].min(axis=1)
    assert np.abs(np.median(lowest)) < 0.05
    # Left leg swings forward (+Z) when the channel's X rotation is negative... just check antiphase.
    lz = joints[:, SMPL.index("left_ankle"), 2] - joints[:, 0, 2]
    rz = joints[:, SMPL.index("right_ankle"), 2] - joints[:, 0, 2]
    assert np.corrcoef(lz, rz)[0, 1] < -0.9


def test_truncated_gz_and_unknown_names_fail_with_the_file_name(tmp_path):
    path = tmp_path / "walk.bvh"
    _write_mixamo_bvh(path)
    gz = tmp_path / "cut.bvh.gz"
    gz.write_bytes(gzip.compress(path.read_bytes())[:300])
    with pytest.raises(InputFormatError, match="cut.bvh.gz"):
        load_motion(gz)
    unknown = tmp_path / "odd.bvh"
    unknown.write_text(path.read_text().replace("mixamorig:", "zz_"))
    with pytest.raises(InputFormatError, match="odd.bvh"):
        load_motion(unknown)
