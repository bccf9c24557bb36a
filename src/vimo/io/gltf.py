"""GLB (binary glTF 2.0) export: the SMPL skeleton as a node hierarchy, a simple skinned mesh (a box per
bone, rigidly bound to its joint) and the motion as an animation (joint rotations, root translation).

glTF's conventions match ours (metres, Y up, right-handed, +Z forward), so no axis change is needed.
Quaternions are XYZW in glTF as in roma.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pygltflib as gl
import torch

from vimo.geometry.rotations import matrix_to_quat
from vimo.io.atomic import atomic_path
from vimo.motion import Motion
from vimo.skeleton import SMPL

_FLOAT, _USHORT = 5126, 5123
_ARRAY_BUFFER, _ELEMENT_ARRAY_BUFFER = 34962, 34963


def _bone_boxes(half_width: float = 0.03) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rest-pose mesh: one box per bone (parent -> child), vertices bound to the parent joint.
    Returns positions (V, 3), joint indices (V,), triangle indices (F, 3)."""
    rest = SMPL.rest_positions()
    verts, joints, faces = [], [], []
    cube = np.array([[x, y, z] for x in (0, 1) for y in (0, 1) for z in (0, 1)], dtype=np.float64)
    quads = [(0, 1, 3, 2), (4, 6, 7, 5), (0, 4, 5, 1), (2, 3, 7, 6), (0, 2, 6, 4), (1, 5, 7, 3)]
    for child, parent in enumerate(SMPL.parents):
        if parent < 0:
            continue
        a, b = rest[parent], rest[child]
        axis = b - a
        length = np.linalg.norm(axis)
        if length < 1e-6:
            continue
        u = axis / length
        tmp = np.array([1.0, 0, 0]) if abs(u[0]) < 0.9 else np.array([0, 1.0, 0])
        v = np.cross(u, tmp)
        v /= np.linalg.norm(v)
        w = np.cross(u, v)
        base = len(verts)
        for cx, cy, cz in cube:
            verts.append(a + cx * axis + (cy * 2 - 1) * half_width * v + (cz * 2 - 1) * half_width * w)
            joints.append(parent)
        for q in quads:
            faces += [(base + q[0], base + q[1], base + q[2]), (base + q[0], base + q[2], base + q[3])]
    return np.array(verts, np.float32), np.array(joints, np.uint16), np.array(faces, np.uint16)


def write_glb(motion: Motion, path: str | Path) -> Path:
    """Write ``motion`` as a GLB file that glTF viewers play (skinned boxes on the SMPL skeleton)."""
    path = Path(path)
    num = motion.num_frames
    quats = matrix_to_quat(torch.from_numpy(motion.rotations).double()).float().numpy()  # (T, 24, 4) XYZW
    times = (np.arange(num) / motion.fps).astype(np.float32)
    positions, joint_ids, faces = _bone_boxes()
    rest = SMPL.rest_positions().astype(np.float32)
    inverse_bind = np.zeros((SMPL.num_joints, 4, 4), np.float32)
    for j in range(SMPL.num_joints):
        m = np.eye(4, dtype=np.float32)
        m[:3, 3] = -rest[j]
        inverse_bind[j] = m.T  # glTF matrices are column-major

    blobs: list[bytes] = []
    views: list[gl.BufferView] = []
    accessors: list[gl.Accessor] = []

    def add(data: np.ndarray, acc_type: str, component: int, target: int | None = None, minmax: bool = False) -> int:
        raw = np.ascontiguousarray(data).tobytes()
        offset = sum(len(b) for b in blobs)
        blobs.append(raw + b"\x00" * (-len(raw) % 4))
        views.append(gl.BufferView(buffer=0, byteOffset=offset, byteLength=len(raw), target=target))
        count = data.shape[0]
        acc = gl.Accessor(bufferView=len(views) - 1, componentType=component, count=count, type=acc_type)
        if minmax:
            flat = data.reshape(count, -1)
            acc.min, acc.max = flat.min(0).tolist(), flat.max(0).tolist()
        accessors.append(acc)
        return len(accessors) - 1

    pos_acc = add(positions, "VEC3", _FLOAT, _ARRAY_BUFFER, minmax=True)
    joints4 = np.zeros((len(joint_ids), 4), np.uint16)
    joints4[:, 0] = joint_ids
    weights4 = np.zeros((len(joint_ids), 4), np.float32)
    weights4[:, 0] = 1.0
    jnt_acc = add(joints4, "VEC4", _USHORT, _ARRAY_BUFFER)
    wgt_acc = add(weights4, "VEC4", _FLOAT, _ARRAY_BUFFER)
    idx_acc = add(faces.reshape(-1), "SCALAR", _USHORT, _ELEMENT_ARRAY_BUFFER)
    ibm_acc = add(inverse_bind, "MAT4", _FLOAT)
    time_acc = add(times, "SCALAR", _FLOAT, minmax=True)

    nodes = []
    for j, name in enumerate(SMPL.names):
        children = SMPL.children(j)
        translation = motion.root_position[0].tolist() if j == 0 else SMPL.offsets[j].tolist()
        nodes.append(gl.Node(name=name, translation=translation, rotation=quats[0, j].tolist(), children=children))
    mesh_node = len(nodes)
    nodes.append(gl.Node(name="mannequin", mesh=0, skin=0))
    samplers, channels = [], []
    for j in range(SMPL.num_joints):
        acc = add(quats[:, j], "VEC4", _FLOAT)
        samplers.append(gl.AnimationSampler(input=time_acc, output=acc, interpolation="LINEAR"))
        channels.append(
            gl.AnimationChannel(sampler=len(samplers) - 1, target=gl.AnimationChannelTarget(node=j, path="rotation"))
        )
    root_acc = add(motion.root_position.astype(np.float32), "VEC3", _FLOAT)
    samplers.append(gl.AnimationSampler(input=time_acc, output=root_acc, interpolation="LINEAR"))
    channels.append(
        gl.AnimationChannel(sampler=len(samplers) - 1, target=gl.AnimationChannelTarget(node=0, path="translation"))
    )

    gltf = gl.GLTF2(
        asset=gl.Asset(generator="vimo", version="2.0"),
        scene=0,
        scenes=[gl.Scene(nodes=[0, mesh_node])],
        nodes=nodes,
        meshes=[gl.Mesh(primitives=[gl.Primitive(
            attributes=gl.Attributes(POSITION=pos_acc, JOINTS_0=jnt_acc, WEIGHTS_0=wgt_acc), indices=idx_acc)])],
        skins=[gl.Skin(joints=list(range(SMPL.num_joints)), inverseBindMatrices=ibm_acc, skeleton=0)],
        animations=[gl.Animation(name="motion", samplers=samplers, channels=channels)],
        accessors=accessors,
        bufferViews=views,
        buffers=[gl.Buffer(byteLength=sum(len(b) for b in blobs))],
    )  # fmt: skip
    gltf.set_binary_blob(b"".join(blobs))
    with atomic_path(path) as tmp:
        gltf.save_binary(str(tmp))
    return path
