"""SMPL-parameter files (vimo / AMASS / AIST++): round trips, conventions, safe unpickling, bad inputs."""

from __future__ import annotations

import os
import pickle

import numpy as np
import pytest

from vimo.data.mocap import load_motion
from vimo.errors import InputFormatError
from vimo.io.bvh import Y_TO_Z_UP
from vimo.io.smpl_npz import PELVIS_REST, read_aist_pkl, read_smpl_npz, write_smpl_npz
from vimo.skeleton import SMPL

TOL_M = 1e-4
MALE_PELVIS = np.array(PELVIS_REST["male"])


@pytest.mark.parametrize("convention", ["vimo", "amass", "aist"])
def test_round_trip(tmp_path, make_motion, convention):
    motion = make_motion(seed=20 + len(convention))
    path = tmp_path / "m.npz"
    write_smpl_npz(motion, path, convention=convention)
    back = read_smpl_npz(path)
    got = back.joints()
    if convention == "aist":  # AIST++ is 60 fps: written resampled, every other frame is an original
        assert back.fps == 60.0 and len(back) == 2 * len(motion) - 1
        got = got[::2]
    else:
        assert back.fps == motion.fps and len(back) == len(motion)
    np.testing.assert_allclose(got, motion.joints(), atol=TOL_M)


def test_vimo_keys(tmp_path, make_motion):
    motion = make_motion(seed=30).with_contacts()
    path = tmp_path / "motion.npz"
    write_smpl_npz(motion, path)
    with np.load(path, allow_pickle=False) as npz:
        assert npz["joints"].shape == (len(motion), 24, 3) and npz["joints"].dtype == np.float32
        np.testing.assert_allclose(npz["joints"], motion.joints(), atol=1e-6)
        np.testing.assert_array_equal(npz["rotations"], motion.rotations)
        np.testing.assert_array_equal(npz["contacts"], motion.contacts)
        assert float(npz["fps"]) == motion.fps
        assert npz["poses"].shape == (len(motion), 72)
        # SMPL's trans is the pelvis minus the template's rest pelvis joint.
        np.testing.assert_allclose(npz["trans"] + MALE_PELVIS, motion.root_position, atol=1e-6)
        assert tuple(npz["joint_names"]) == SMPL.names
    back = read_smpl_npz(path)
    np.testing.assert_array_equal(back.rotations, motion.rotations)
    np.testing.assert_array_equal(back.contacts, motion.contacts)


def test_amass_is_z_up_with_pelvis_offset(tmp_path, make_motion):
    motion = make_motion(seed=31)
    path = tmp_path / "amass.npz"
    write_smpl_npz(motion, path, convention="amass")
    with np.load(path) as npz:
        assert npz["poses"].shape == (len(motion), 156)
        assert float(npz["mocap_framerate"]) == motion.fps
        pelvis_z_up = npz["trans"] + MALE_PELVIS  # the body frame is the Z-up world frame
    np.testing.assert_allclose(pelvis_z_up, motion.root_position @ Y_TO_Z_UP.T, atol=1e-6)
    np.testing.assert_allclose(pelvis_z_up[:, 2], motion.root_position[:, 1], atol=1e-6)  # height is Z


def test_amass_smpl_72_and_gender(tmp_path, make_motion):
    """An SMPL (T, 72) AMASS-style file with a female body uses all 24 joints and the female pelvis."""
    motion = make_motion(seed=32)
    write_smpl_npz(motion, tmp_path / "a.npz", convention="amass")
    with np.load(tmp_path / "a.npz") as npz:
        fields = dict(npz)
    poses = np.zeros((len(motion), 72))
    poses[:, :66] = fields["poses"][:, :66]
    fields.update(poses=poses, gender=np.array("female"))
    fields["trans"] = fields["trans"] + MALE_PELVIS - np.array(PELVIS_REST["female"])
    np.savez(tmp_path / "b.npz", **fields)
    np.testing.assert_allclose(read_smpl_npz(tmp_path / "b.npz").joints(), motion.joints(), atol=TOL_M)


def _aist_fields(motion, tmp_path, scaling=93.5):
    write_smpl_npz(motion, tmp_path / "aist.npz", convention="aist")
    with np.load(tmp_path / "aist.npz") as npz:
        fields = dict(npz)
    # As in AIST++: trans in the file's units, scaling turns it into metres.
    fields["smpl_trans"] = fields["smpl_trans"] * scaling
    fields["smpl_scaling"] = np.array([scaling])
    fields["smpl_loss"] = np.float64(2.5)
    return fields


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_read_aist_pkl(tmp_path, make_motion, protocol):
    motion = make_motion(seed=33)
    path = tmp_path / "gBR_sBM_cAll_d04_mBR0_ch01.pkl"
    with path.open("wb") as fh:
        pickle.dump(_aist_fields(motion, tmp_path), fh, protocol=protocol)
    back = read_aist_pkl(path)
    assert back.fps == 60.0
    np.testing.assert_allclose(back.joints()[::2], motion.joints(), atol=TOL_M)
    loaded = load_motion(path, target_fps=30.0)
    np.testing.assert_allclose(loaded.joints(), motion.joints(), atol=TOL_M)


def test_read_aist_pkl_written_by_numpy2(tmp_path, make_motion):
    """numpy 2 pickles name numpy._core.* modules; they must load under numpy 1.x too."""
    motion = make_motion(seed=34, num_frames=5)
    raw = pickle.dumps(_aist_fields(motion, tmp_path), protocol=0)  # text opcodes: names are plain lines
    assert b"numpy.core.multiarray" in raw
    path = tmp_path / "np2.pkl"
    path.write_bytes(raw.replace(b"numpy.core.multiarray", b"numpy._core.multiarray"))
    np.testing.assert_allclose(read_aist_pkl(path).joints()[::2], motion.joints(), atol=TOL_M)


class _Exploit:
    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


class _EvalExploit:
    def __reduce__(self):
        return (eval, ("__import__('os').getcwd()",))


@pytest.mark.parametrize("payload", ["os.system", "eval"])
def test_malicious_pickle_is_refused(tmp_path, payload):
    marker = tmp_path / "pwned"
    evil = _Exploit(f"touch {marker}") if payload == "os.system" else _EvalExploit()
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps({"smpl_poses": evil, "smpl_trans": np.zeros((1, 3))}))
    with pytest.raises(InputFormatError, match=r"evil\.pkl: refusing to unpickle"):
        read_aist_pkl(path)
    with pytest.raises(InputFormatError, match=r"evil\.pkl"):
        load_motion(path)
    assert not marker.exists()


def test_truncated_files_raise_with_file_name(tmp_path, make_motion):
    motion = make_motion(seed=35, num_frames=10)
    npz_path = tmp_path / "short.npz"
    write_smpl_npz(motion, npz_path, convention="amass")
    npz_path.write_bytes(npz_path.read_bytes()[:500])
    with pytest.raises(InputFormatError, match=r"short\.npz"):
        read_smpl_npz(npz_path)
    pkl_path = tmp_path / "short.pkl"
    pkl_path.write_bytes(pickle.dumps(_aist_fields(motion, tmp_path))[:300])
    with pytest.raises(InputFormatError, match=r"short\.pkl"):
        read_aist_pkl(pkl_path)


def test_bad_fields_raise_with_file_and_field(tmp_path, make_motion):
    motion = make_motion(seed=36, num_frames=6)
    write_smpl_npz(motion, tmp_path / "good.npz", convention="amass")
    with np.load(tmp_path / "good.npz") as npz:
        good = dict(npz)

    def check(name, pattern, **changes):
        fields = {**good, **changes}
        for key in [k for k, v in changes.items() if v is None]:
            del fields[key]
        np.savez(tmp_path / name, **fields)
        with pytest.raises(InputFormatError, match=pattern):
            read_smpl_npz(tmp_path / name)

    poses = good["poses"].copy()
    poses[3, 7] = np.nan
    check("nan.npz", r"nan\.npz: field 'poses' has NaN/inf at frame 3", poses=poses)
    check("width.npz", r"width\.npz: field 'poses' has shape \(6, 70\)", poses=good["poses"][:, :70])
    check("frames.npz", r"frames\.npz: fields disagree", trans=good["trans"][:4])
    check("rate.npz", r"rate\.npz: the file has no frame rate", mocap_framerate=None)
    check("keys.npz", r"keys\.npz: unknown SMPL motion file", poses=None)
    check("gender.npz", r"gender\.npz: field 'gender'", gender=np.array("robot"))


def test_bad_convention(tmp_path, make_motion):
    with pytest.raises(ValueError, match="convention"):
        write_smpl_npz(make_motion(seed=37, num_frames=2), tmp_path / "x.npz", convention="smplx")
