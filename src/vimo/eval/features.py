"""Motion features for distribution metrics (FID_k / FID_m, Div_k / Div_m; SPEC section 4).

Two hand-crafted feature sets, as used by AIST++/FACT, Bailando and EDGE:

- :func:`kinetic_features` (72 = 24 joints x 3): per joint, the mean horizontal and vertical kinetic
  energy of a windowed (+-2 frames) average velocity and the mean "energy expenditure" (norm of a
  windowed average acceleration).
- :func:`manual_features` (32): Mueller-style boolean geometric features (the AIST++ API ``manual.py``
  list, written out in ``shared/features-manual.md``), each averaged over frames.

Both take joints ``(T, 24, 3)`` in metres, SMPL order, Y up (our convention, and the reference's).
Reference quirks are reproduced on purpose so that numbers can be compared with published ones; each is
named where it happens ("Reference quirk").
"""

from __future__ import annotations

import numpy as np

from vimo.skeleton import JOINT_NAMES

KINETIC_WINDOW = 2  # frames either side of the centre frame (reference ``sliding_window``)
KINETIC_COMPONENTS = ("kinetic_horizontal", "kinetic_vertical", "energy_expenditure")
KINETIC_FEATURE_NAMES: tuple[str, ...] = tuple(f"{j}.{c}" for j in JOINT_NAMES for c in KINETIC_COMPONENTS)


def relative_to_first_root(joints: np.ndarray) -> np.ndarray:
    """Subtract the root (pelvis) position of the first frame from every joint: (T, J, 3) -> (T, J, 3).

    Bailando (and EDGE, which reuses its metric code) applies this before computing both feature sets. With
    ``compat=True`` kinetic features depend on absolute position, so apply it too when comparing with their
    numbers.
    """
    return joints - joints[:1, :1]


def _window_mean(values: np.ndarray, first: int, centres: np.ndarray, half: int) -> np.ndarray:
    """Mean of ``values`` (N, ...) -- indexed k = first .. first+N-1 -- over k in [c - half, c + half] for each
    centre c, skipping indices outside the range (the reference's shrinking windows at the clip ends)."""
    n = len(values)
    csum = np.concatenate([np.zeros_like(values[:1]), np.cumsum(values, axis=0)])  # (N+1, ...)
    lo = np.clip(centres - half - first, 0, n)
    hi = np.clip(centres + half - first + 1, 0, n)
    count = (hi - lo).reshape(-1, *([1] * (values.ndim - 1)))
    assert (count > 0).all(), "every window holds at least one sample when T >= 3"
    return (csum[hi] - csum[lo]) / count


def kinetic_features(
    joints: np.ndarray, *, frame_time: float = 1 / 60, up_axis: int = 1, compat: bool = True
) -> np.ndarray:
    """Kinetic features (72,) of joints (T, J=24, 3) in metres; T >= 3.

    Layout: for each joint in SMPL order, ``[horizontal kinetic energy, vertical kinetic energy, energy
    expenditure]`` (names in :data:`KINETIC_FEATURE_NAMES`). For each frame i = 1..T-1:

    - velocity v_i = mean of (p[k] - p[k-1]) / frame_time over k in [i-2, i+2] within [1, T-1];
      kinetic energies = mean over i of |v_i|^2 over the horizontal axes / over ``up_axis`` (no factor 1/2,
      unit mass; m^2/s^2).
    - acceleration a_i = mean of (v2_k - v1_k) / frame_time over k in [i-2, i+2] within [1, T-2], with
      v2_k = (p[k+1] - p[k]) / frame_time; energy expenditure = mean over i of |a_i|.

    ``compat=True`` (default, for comparing with published numbers) reproduces the reference's operator
    precedence bug ``v1_k = p[k] - p[k-1] / frame_time``: the term then mostly encodes absolute position (a
    static joint at distance d from the origin gives (1/dt - 1)/dt * d = 3540 d at 1/60 s). ``compat=False``
    uses ``v1_k = (p[k] - p[k-1]) / frame_time`` (m/s^2; 0 for a static pose, translation invariant).

    ``frame_time``: the reference (fairmotion -> AIST++ API -> Bailando, and EDGE on its 30 fps output) uses
    1/60 s whatever the data's rate, so that is the default, used for every published-number comparison. Our
    data is 30 fps; pass ``frame_time=1/30`` for physical units. ``up_axis`` is 1 (Y up, ours and the
    reference's); the horizontal axes are the other two.
    """
    p = np.asarray(joints, dtype=np.float64)
    if p.ndim != 3 or p.shape[-1] != 3 or p.shape[0] < 3:
        raise ValueError(f"kinetic_features: expected joints (T>=3, J, 3), got {p.shape}")
    if up_axis not in (0, 1, 2):
        raise ValueError(f"kinetic_features: up_axis must be 0, 1 or 2, got {up_axis}")
    t = len(p)
    centres = np.arange(1, t)  # (T-1,) the reference's frames i = 1..T-1
    disp = p[1:] - p[:-1]  # (T-1, J, 3) p[k] - p[k-1], k = 1..T-1
    vel = _window_mean(disp, 1, centres, KINETIC_WINDOW) / frame_time  # (T-1, J, 3)
    horizontal = [a for a in range(3) if a != up_axis]
    ke_h = (vel[..., horizontal] ** 2).sum(-1).mean(0)  # (J,)
    ke_v = (vel[..., up_axis] ** 2).mean(0)  # (J,)

    v2 = (p[2:] - p[1:-1]) / frame_time  # (T-2, J, 3) k = 1..T-2
    if compat:
        v1 = p[1:-1] - p[:-2] / frame_time  # Reference quirk: operator precedence bug, kept
    else:
        v1 = (p[1:-1] - p[:-2]) / frame_time
    acc = _window_mean((v2 - v1) / frame_time, 1, centres, KINETIC_WINDOW)  # (T-1, J, 3)
    energy = np.linalg.norm(acc, axis=-1).mean(0)  # (J,)
    return np.stack([ke_h, ke_v, energy], axis=-1).reshape(-1)  # (J*3,)


# --- manual (geometric) features ---------------------------------------------------------------------------

# AIST++ shorthand for the SMPL joints, in SMPL order (features-manual.md).
MANUAL_JOINT_NAMES: tuple[str, ...] = (
    "root", "lhip", "rhip", "belly", "lknee", "rknee", "spine", "lankle", "rankle", "chest", "ltoes", "rtoes",
    "neck", "linshoulder", "rinshoulder", "head", "lshoulder", "rshoulder", "lelbow", "relbow", "lwrist",
    "rwrist", "lhand", "rhand",
)  # fmt: skip
# Points that are not joints; y_min = (0, lowest joint height of the frame, 0).
_SPECIAL_POINTS = ("zero", "y_unit", "minus_y_unit", "y_min")
_POINT_INDEX = {name: i for i, name in enumerate(MANUAL_JOINT_NAMES + _SPECIAL_POINTS)}

# Body constants (metres): distances between the reference's hard-coded SMPL template joints (equal to our
# skeleton's rest pose to 1e-8): left shoulder-elbow, left-right shoulder, left-right hip.
HUMERUS_LENGTH = 0.2568381092
SHOULDER_WIDTH = 0.3908483581
HIP_WIDTH = 0.1192470659
MANUAL_FRAME_TIME = 1 / 120  # Reference quirk: velocities use 1/120 s per frame whatever the data's rate

_HL, _SW, _HW = HUMERUS_LENGTH, SHOULDER_WIDTH, HIP_WIDTH
# (kind, points, threshold): thresholds are "> thr", ranges are (lo, hi) degrees, open at both ends.
MANUAL_FEATURES: tuple[tuple[str, tuple[str, ...], float | tuple[float, float]], ...] = (
    ("nmove", ("neck", "rhip", "lhip", "rwrist"), 1.8 * _HL),
    ("nmove", ("neck", "lhip", "rhip", "lwrist"), 1.8 * _HL),
    ("nplane", ("chest", "neck", "neck", "rwrist"), 0.2 * _HL),
    ("nplane", ("chest", "neck", "neck", "lwrist"), 0.2 * _HL),
    ("move", ("belly", "chest", "chest", "rwrist"), 1.8 * _HL),
    ("move", ("belly", "chest", "chest", "lwrist"), 1.8 * _HL),
    ("angle", ("relbow", "rshoulder", "relbow", "rwrist"), (0.0, 110.0)),
    ("angle", ("lelbow", "lshoulder", "lelbow", "lwrist"), (0.0, 110.0)),
    ("nplane", ("lshoulder", "rshoulder", "lwrist", "rwrist"), 2.5 * _SW),
    ("move", ("lwrist", "rwrist", "rwrist", "lwrist"), 1.4 * _HL),
    ("move", ("rwrist", "root", "lwrist", "root"), 1.4 * _HL),
    ("move", ("lwrist", "root", "rwrist", "root"), 1.4 * _HL),
    ("fast", ("rwrist",), 2.5 * _HL),
    ("fast", ("lwrist",), 2.5 * _HL),
    ("plane", ("root", "lhip", "ltoes", "rankle"), 0.38 * _HL),
    ("plane", ("root", "rhip", "rtoes", "lankle"), 0.38 * _HL),
    ("nplane", ("zero", "y_unit", "y_min", "rankle"), 1.2 * _HL),
    ("nplane", ("zero", "y_unit", "y_min", "lankle"), 1.2 * _HL),
    ("nplane", ("lhip", "rhip", "lankle", "rankle"), 2.1 * _HW),
    ("angle", ("rknee", "rhip", "rknee", "rankle"), (0.0, 110.0)),
    ("angle", ("lknee", "lhip", "lknee", "lankle"), (0.0, 110.0)),
    ("fast", ("rankle",), 2.5 * _HL),
    ("fast", ("lankle",), 2.5 * _HL),
    ("angle", ("neck", "root", "rshoulder", "relbow"), (25.0, 180.0)),
    ("angle", ("neck", "root", "lshoulder", "lelbow"), (25.0, 180.0)),
    ("angle", ("neck", "root", "rhip", "rknee"), (50.0, 180.0)),
    ("angle", ("neck", "root", "lhip", "lknee"), (50.0, 180.0)),
    ("plane", ("rankle", "neck", "lankle", "root"), 0.5 * _HL),
    ("angle", ("neck", "root", "zero", "y_unit"), (70.0, 110.0)),
    ("nplane", ("zero", "minus_y_unit", "y_min", "rwrist"), -1.2 * _HL),
    ("nplane", ("zero", "minus_y_unit", "y_min", "lwrist"), -1.2 * _HL),
    ("fast", ("root",), 2.3 * _HL),
)
MANUAL_FEATURE_NAMES: tuple[str, ...] = tuple(f"{kind}({', '.join(pts)})" for kind, pts, _ in MANUAL_FEATURES)


def _dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(-1)


def _unit_projection(v: np.ndarray, direction: np.ndarray) -> np.ndarray:
    """v . direction / |direction|; NaN (so every comparison is False, as in the reference) where |d| = 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return _dot(v, direction) / np.linalg.norm(direction, axis=-1)


def _manual_feature(
    kind: str, cur: list[np.ndarray], prev: list[np.ndarray], thr: float | tuple[float, float]
) -> np.ndarray:
    """One boolean feature per frame (T-1,) from the points' current and previous positions (T-1, 3) each."""
    if kind == "move":  # velocity of j3 relative to j1 along j1 -> j2; Reference quirk: j4 ignored
        (j1, j2, j3, _), (j1p, _, j3p, _) = cur, prev
        value = _unit_projection((j3 - j1) - (j3p - j1p), j2 - j1) / MANUAL_FRAME_TIME
    elif kind == "nmove":  # velocity of j4 relative to j1 along the normal (j3 - j1) x (j2 - j1)
        (j1, j2, j3, j4), (j1p, _, _, j4p) = cur, prev
        value = _unit_projection((j4 - j1) - (j4p - j1p), np.cross(j3 - j1, j2 - j1)) / MANUAL_FRAME_TIME
    elif kind == "plane":  # signed distance of p from the plane through a, b, c, normal (c - a) x (b - a)
        a, b, c, p = cur
        value = _unit_projection(p - a, np.cross(c - a, b - a))
    elif kind == "nplane":  # signed distance of p from a along n1 -> n2
        n1, n2, a, p = cur
        value = _unit_projection(p - a, n2 - n1)
    elif kind == "angle":  # angle between j1 -> j2 and k1 -> k2, in (lo, hi) degrees
        j1, j2, k1, k2 = cur
        cos = _unit_projection(j2 - j1, k2 - k1) / np.linalg.norm(j2 - j1, axis=-1)
        angle = np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))
        lo, hi = thr
        return (angle > lo) & (angle < hi)
    elif kind == "fast":  # |displacement| / (1/120 s)
        value = np.linalg.norm(cur[0] - prev[0], axis=-1) / MANUAL_FRAME_TIME
    else:
        raise ValueError(f"unknown manual feature kind {kind!r}; expected move, nmove, plane, nplane, angle, fast")
    return value > thr


def manual_features(joints: np.ndarray) -> np.ndarray:
    """The 32 manual (geometric) features (32,) of joints (T, 24, 3) metres, Y up, SMPL order; T >= 2.

    Each is a boolean per frame t = 1..T-1 (velocities from frames t-1, t), averaged over frames: a fraction
    in [0, 1]. Order and thresholds as in ``features-manual.md`` (:data:`MANUAL_FEATURES`,
    :data:`MANUAL_FEATURE_NAMES`). Reference quirks kept: velocities are per-frame displacement x 120
    whatever the data's rate; ``move`` ignores its fourth joint (features 5-6 test the chest, not the
    wrist); a degenerate direction (zero length) makes the feature False.
    """
    p = np.asarray(joints, dtype=np.float64)
    if p.ndim != 3 or p.shape[1:] != (len(MANUAL_JOINT_NAMES), 3) or p.shape[0] < 2:
        raise ValueError(f"manual_features: expected joints (T>=2, {len(MANUAL_JOINT_NAMES)}, 3), got {p.shape}")
    cur, prev = p[1:], p[:-1]  # (T-1, 24, 3)
    n = len(cur)
    y_min = np.zeros((n, 3))
    y_min[:, 1] = cur[..., 1].min(-1)
    special = np.stack(
        [np.zeros((n, 3)), np.tile([0.0, 1.0, 0.0], (n, 1)), np.tile([0.0, -1.0, 0.0], (n, 1)), y_min], axis=1
    )  # (T-1, 4, 3) in _SPECIAL_POINTS order
    cur_all = np.concatenate([cur, special], axis=1)
    prev_all = np.concatenate([prev, np.full_like(special, np.nan)], axis=1)  # special points have no velocity
    out = np.empty(len(MANUAL_FEATURES))
    for f, (kind, names, thr) in enumerate(MANUAL_FEATURES):
        idx = [_POINT_INDEX[name] for name in names]
        on = _manual_feature(kind, [cur_all[:, i] for i in idx], [prev_all[:, i] for i in idx], thr)
        out[f] = on.mean()
    return out
