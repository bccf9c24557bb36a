import numpy as np
import pygltflib as gl
import torch

from vimo.data.synthetic import random_motion
from vimo.geometry.kinematics import forward_kinematics
from vimo.geometry.rotations import quat_to_matrix
from vimo.io.gltf import write_glb
from vimo.skeleton import SMPL


def _accessor(gltf, blob, index, width):
    acc = gltf.accessors[index]
    view = gltf.bufferViews[acc.bufferView]
    dtype = np.float32 if acc.componentType == 5126 else np.uint16
    data = np.frombuffer(blob[view.byteOffset : view.byteOffset + view.byteLength], dtype=dtype)
    return data.reshape(acc.count, width) if width > 1 else data


def test_glb_round_trips_the_animation_through_a_gltf_reader(tmp_path):
    motion = random_motion(25)
    path = write_glb(motion, tmp_path / "m.glb")
    gltf = gl.GLTF2().load(str(path))
    blob = gltf.binary_blob()
    names = [n.name for n in gltf.nodes[:24]]
    assert names == list(SMPL.names)
    anim = gltf.animations[0]
    rot = np.zeros((25, 24, 4), np.float32)
    root = None
    for ch in anim.channels:
        sampler = anim.samplers[ch.sampler]
        if ch.target.path == "rotation":
            rot[:, ch.target.node] = _accessor(gltf, blob, sampler.output, 4).copy()
        else:
            root = _accessor(gltf, blob, sampler.output, 3).copy()
    times = _accessor(gltf, blob, anim.samplers[0].input, 1)
    assert np.allclose(np.diff(times), 1 / 30, atol=1e-6)
    # Forward kinematics on what a glTF reader sees (node translations + animated TRS) = our joints.
    offsets = np.array([n.translation for n in gltf.nodes[:24]], np.float32)
    fk = forward_kinematics(quat_to_matrix(torch.from_numpy(rot)), torch.from_numpy(root),
                            torch.from_numpy(offsets), SMPL.parents)  # fmt: skip
    assert np.abs(fk.positions.numpy() - motion.joints()).max() < 1e-4
    # A skinned mesh bound to the joints.
    skin = gltf.skins[0]
    assert skin.joints == list(range(24)) and gltf.meshes[0].primitives[0].attributes.JOINTS_0 is not None
