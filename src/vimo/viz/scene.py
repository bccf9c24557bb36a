"""Mannequin renderer: shaded figures over a gridded floor, ray-cast on the CPU with numpy (or rasterised, a
fast preview with the same camera model, colours and floor).

The figure (``vimo.viz.mannequin``) is ray-cast per pixel against a depth buffer, so occlusion is exact (no
painter's-order artefacts). Shading is Lambert with a light fixed to the camera (a "head light" from the upper
left) plus ambient. The ground is the plane y = ``floor_y`` with a grid of ``grid_step`` metres; above the
horizon a plain background.

The figure is deliberately human-like enough for 2D pose detectors: MediaPipe BlazePose finds it
(tests/viz/test_render.py checks the detected COCO keypoints against the projected truth).

Shapes: images (H, W, 3) uint8 RGB.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from vimo.motion import Motion
from vimo.viz.cameras import CameraPath, HasCameras
from vimo.viz.mannequin import BYSTANDER_STYLE, Figure, MannequinStyle, primitives, unit

_LIGHT = unit(np.array([-0.35, -0.55, -0.76]))  # camera coordinates: towards the light (upper left, behind the camera)
_AMBIENT = 0.38
_SKY = np.array([0.86, 0.88, 0.9])
_FLOOR = np.array([0.74, 0.73, 0.7])
_GRID = np.array([0.52, 0.52, 0.52])


@dataclass(frozen=True)
class SceneStyle:
    """Ground and background. floor_y: the ground's height (metres; None = the feet's lowest level)."""

    floor_y: float | None = None
    grid_step: float = 0.5  # metres between grid lines
    grid_width: float = 0.012  # metres
    supersample: int = 1  # render at this factor and downscale (anti-aliasing)


def render_frames(
    figures: Motion | np.ndarray | Figure | Sequence[Motion | np.ndarray | Figure],
    cameras: HasCameras,
    *,
    scene: SceneStyle = SceneStyle(),
    method: str = "raycast",
) -> Iterator[np.ndarray]:
    """Render one or more figures (a Motion, joints (T, 24, 3) or a Figure, or a list of them, all
    of T frames) under per-frame cameras; yields T images (H, W, 3) uint8 RGB.

    method: "raycast" (per-pixel shaded capsules: what the demo films, MediaPipe detects it) or "raster"
    (the same capsules drawn back to front as anti-aliased OpenCV strokes: ~10x faster, for previews).

    Figures after the first get ``BYSTANDER_STYLE`` unless given as a ``Figure`` with a style.
    """
    cams = CameraPath.from_cameras(cameras)
    figs = _figures(figures)
    num = len(figs[0])
    if any(len(f) != num for f in figs) or len(cams) != num:
        raise ValueError(
            f"render_frames: figures have {[len(f) for f in figs]} frames and cameras {len(cams)}; expected equal"
        )
    floor_y = scene.floor_y
    if floor_y is None:
        floor_y = float(min(np.percentile(f.joints[:, :, 1].min(axis=1), 5) for f in figs)) - 0.05
    if method not in ("raycast", "raster"):
        raise ValueError(f"render_frames: method must be 'raycast' or 'raster', got {method!r}")
    renderer = (_Renderer if method == "raycast" else _Rasterizer)(cams.image_size, floor_y, scene)
    for k in range(num):
        prims = [p for f in figs for p in primitives(f, k)]
        yield renderer(prims, cams.R[k], cams.t[k], cams.focal[k], cams.principal[k])


def render_frame(
    figures: Motion | np.ndarray | Figure | Sequence[Motion | np.ndarray | Figure],
    cameras: HasCameras,
    frame: int = 0,
    *,
    scene: SceneStyle = SceneStyle(),
) -> np.ndarray:
    """One frame of ``render_frames`` (H, W, 3) uint8."""
    figs = [_slice(f, frame) for f in _figures(figures)]
    cams = CameraPath.from_cameras(cameras)
    one = CameraPath(cams.R[frame : frame + 1], cams.t[frame : frame + 1], cams.focal[frame : frame + 1],
                     cams.principal[frame : frame + 1], cams.image_size)  # fmt: skip
    if scene.floor_y is None:
        full = _figures(figures)
        floor = float(min(np.percentile(f.joints[:, :, 1].min(axis=1), 5) for f in full)) - 0.05
        scene = SceneStyle(floor, scene.grid_step, scene.grid_width, scene.supersample)
    return next(render_frames(figs, one, scene=scene))


def _slice(fig: Figure, k: int) -> Figure:
    return Figure(fig.joints[k : k + 1], fig.head_rotations[k : k + 1], fig.style)


def _figures(figures: object) -> list[Figure]:
    if isinstance(figures, (Motion, Figure)) or (isinstance(figures, np.ndarray) and figures.ndim == 3):
        figures = [figures]
    out = []
    for i, f in enumerate(figures):  # type: ignore[union-attr]
        style = None if isinstance(f, Figure) else (MannequinStyle() if i == 0 else BYSTANDER_STYLE)
        out.append(Figure.of(f, style))
    if not out:
        raise ValueError("render: no figures given")
    return out


class _Renderer:
    """Ray-casts frames; keeps the pixel rays and the ground image of the last camera (a static
    camera re-renders only the figures)."""

    def __init__(self, image_size: tuple[int, int], floor_y: float, scene: SceneStyle) -> None:
        self.scale = max(1, int(scene.supersample))
        self.image_size = image_size
        self.floor_y = floor_y
        self.scene = scene
        self._rays_key: tuple[float, ...] | None = None
        self._ground_key: bytes | None = None
        self._ground_xz: tuple[float, float] | None = None

    def _rays(self, f: float, cx: float, cy: float) -> np.ndarray:
        """Unit ray directions (H, W, 3) in camera coordinates through the pixel centres."""
        key = (f, cx, cy)
        if key != self._rays_key:
            w, h = self.image_size[0] * self.scale, self.image_size[1] * self.scale
            u = (np.arange(w) + 0.5 - cx) / f
            v = (np.arange(h) + 0.5 - cy) / f
            dirs = np.stack(np.broadcast_arrays(u[None, :], v[:, None], np.ones((1, 1))), axis=-1)
            self.dirs = dirs / np.linalg.norm(dirs, axis=-1, keepdims=True)
            self._rays_key = key
        return self.dirs

    def __call__(
        self,
        prims: list[tuple[np.ndarray, np.ndarray, float, np.ndarray]],
        R: np.ndarray,
        t: np.ndarray,
        focal: float,
        principal: np.ndarray,
    ) -> np.ndarray:
        s = self.scale
        f, cx, cy = focal * s, principal[0] * s, principal[1] * s
        dirs = self._rays(f, cx, cy)
        h, w = dirs.shape[:2]
        centre = -(R.T @ t)  # camera centre in the world
        key = np.round(np.concatenate([R.ravel(), [centre[1], f, cx, cy]]), 6).tobytes()  # rounded: float noise
        if key != self._ground_key:  # new orientation, height or intrinsics: new floor geometry
            self.floor = _floor_geometry(dirs, R, centre[1] - self.floor_y)
            self._ground_key, self._ground_xz = key, None
        xz = (float(centre[0]), float(centre[2]))
        if xz != self._ground_xz:  # a camera moving parallel to the floor only slides the grid
            self.ground = _floor_image(self.floor, xz, self.scene)
            self._ground_xz = xz
        image, depth = self.ground[0].copy(), self.floor.depth.copy()
        for a, b, radius, colour in prims:
            a_c, b_c = R @ a + t, R @ b + t
            box = _screen_box(a_c, b_c, radius, f, cx, cy, w, h)
            if box is None:
                continue
            x0, y0, x1, y1 = box
            d = dirs[y0:y1, x0:x1]
            dist, normal = _ray_capsule(d, a_c, b_c, radius)
            hit = dist < depth[y0:y1, x0:x1]
            if not hit.any():
                continue
            shade = _AMBIENT + (1.0 - _AMBIENT) * np.clip(normal @ _LIGHT, 0.0, 1.0)
            depth[y0:y1, x0:x1] = np.where(hit, dist, depth[y0:y1, x0:x1])
            image[y0:y1, x0:x1] = np.where(hit[..., None], shade[..., None] * colour, image[y0:y1, x0:x1])
        out = np.clip(image * 255.0 + 0.5, 0, 255).astype(np.uint8)
        if s > 1:
            out = cv2.resize(out, self.image_size, interpolation=cv2.INTER_AREA)
        return out


@dataclass
class _FloorGeometry:
    """Where each pixel's ray meets the floor, for one camera orientation, height and intrinsics."""

    depth: np.ndarray  # (H, W) ray length to the floor (inf: sky)
    mask: np.ndarray  # (H, W) bool: the pixel sees the floor
    offset_xz: np.ndarray  # (N, 2) float32 world x/z of those floor points relative to the camera centre
    floor_colour: np.ndarray  # (N, 3) float32 floor colour after distance fog
    grid_colour: np.ndarray  # (N, 3) float32 grid-line colour after distance fog


def _floor_geometry(dirs: np.ndarray, R: np.ndarray, height: float) -> _FloorGeometry:
    h, w = dirs.shape[:2]
    along = dirs @ R[:, 1]  # (H, W) rate of height change along each ray (R[:, 1]: world +Y in camera frame)
    with np.errstate(divide="ignore", invalid="ignore"):
        depth = np.where(along < -1e-6, height / -along, np.inf)
    if height <= 0:
        depth = np.full((h, w), np.inf)
    mask = np.isfinite(depth)
    offsets = (dirs[mask] * depth[mask][:, None]) @ R  # camera-frame ray vectors -> world (R.T @ v row-wise)
    fade = np.exp(-depth[mask] / 25.0)[:, None]  # the floor fades into the background far away
    sky = np.asarray(_SKY)
    return _FloorGeometry(depth, mask, offsets[:, [0, 2]].astype(np.float32),
                          (fade * _FLOOR + (1 - fade) * sky).astype(np.float32),
                          (fade * _GRID + (1 - fade) * sky).astype(np.float32))  # fmt: skip


def _floor_image(floor: _FloorGeometry, centre_xz: tuple[float, float], scene: SceneStyle) -> tuple[np.ndarray, None]:
    """Background colours (H, W, 3) in [0, 1]: sky, and the gridded floor seen from a camera at ``centre_xz``."""
    h, w = floor.mask.shape
    image = np.empty((h, w, 3), np.float32)
    image[:] = _SKY
    if floor.mask.any():
        g = (floor.offset_xz + np.asarray(centre_xz, np.float32)) / np.float32(scene.grid_step)
        line = np.abs(g - np.round(g)).min(1) * scene.grid_step
        image[floor.mask] = np.where((line < scene.grid_width)[:, None], floor.grid_colour, floor.floor_colour)
    return image, None


class _Rasterizer:
    """Draws capsules as thick anti-aliased strokes, back to front (painter's algorithm), over a flat floor
    with grid lines: a fast preview renderer with the ray caster's camera model, colours and floor."""

    NEAR = 0.1  # metres: geometry closer to the camera than this is clipped

    def __init__(self, image_size: tuple[int, int], floor_y: float, scene: SceneStyle) -> None:
        self.image_size = image_size
        self.floor_y = floor_y
        self.scene = scene

    def _project(self, p: np.ndarray, f: float, principal: np.ndarray) -> np.ndarray:
        """Camera-frame points (N, 3) with z > 0 -> pixel coordinates (N, 2) in 1/16 px fixed point."""
        return np.round((f * p[:, :2] / p[:, 2:3] + principal) * 16).astype(np.int32)

    def _clip(self, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Segments a-b (N, 3) in the camera frame clipped to z >= NEAR: (a, b, visible (N,))."""
        za, zb = a[:, 2], b[:, 2]
        visible = (za >= self.NEAR) | (zb >= self.NEAR)
        with np.errstate(divide="ignore", invalid="ignore"):
            s = np.clip((self.NEAR - za) / (zb - za), 0.0, 1.0)[:, None]
        cut = a + s * (b - a)
        return np.where((za < self.NEAR)[:, None], cut, a), np.where((zb < self.NEAR)[:, None], cut, b), visible

    def _floor(self, img: np.ndarray, R: np.ndarray, t: np.ndarray, f: float, principal: np.ndarray) -> None:
        centre = -(R.T @ t)
        if centre[1] <= self.floor_y:
            return
        step, extent = self.scene.grid_step, 12.0
        x0, z0 = np.round(centre[[0, 2]] / step) * step
        # The floor: a large quad around the camera, clipped to the near plane, filled.
        quad = np.array([[x0 - extent, z0 - extent], [x0 + extent, z0 - extent], [x0 + extent, z0 + extent],
                         [x0 - extent, z0 + extent]])  # fmt: skip
        world = np.column_stack([quad[:, 0], np.full(4, self.floor_y), quad[:, 1]])
        cam = world @ R.T + t
        poly = []
        for i in range(4):
            a, b = cam[i], cam[(i + 1) % 4]
            if a[2] >= self.NEAR:
                poly.append(a)
            if (a[2] >= self.NEAR) != (b[2] >= self.NEAR):
                poly.append(a + (self.NEAR - a[2]) / (b[2] - a[2]) * (b - a))
        if len(poly) >= 3:
            pts = self._project(np.asarray(poly), f, principal)
            cv2.fillPoly(img, [pts], tuple(float(c) * 255 for c in _FLOOR), cv2.LINE_AA, shift=4)
        grid_colour = tuple(float(c) * 255 for c in _GRID)
        # All grid lines at once: (L, 2, 3) world endpoints -> camera frame, clipped to z >= NEAR.
        v = np.arange(-extent, extent + 1e-9, step)
        n = len(v)
        ends = np.empty((2 * n, 2, 3))
        ends[:, :, 1] = self.floor_y
        ends[:n, :, 0], ends[:n, 0, 2], ends[:n, 1, 2] = (x0 + v)[:, None], z0 - extent, z0 + extent
        ends[n:, :, 2], ends[n:, 0, 0], ends[n:, 1, 0] = (z0 + v)[:, None], x0 - extent, x0 + extent
        cam = ends @ R.T + t
        a, b, keep = self._clip(cam[:, 0], cam[:, 1])
        pa = self._project(a[keep], f, principal)
        pb = self._project(b[keep], f, principal)
        for p, q in zip(pa, pb):
            cv2.line(img, (int(p[0]), int(p[1])), (int(q[0]), int(q[1])), grid_colour, 1, cv2.LINE_AA, shift=4)

    def __call__(
        self,
        prims: list[tuple[np.ndarray, np.ndarray, float, np.ndarray]],
        R: np.ndarray,
        t: np.ndarray,
        focal: float,
        principal: np.ndarray,
    ) -> np.ndarray:
        w, h = self.image_size
        img = np.empty((h, w, 3), np.uint8)
        img[:] = np.round(_SKY * 255).astype(np.uint8)
        self._floor(img, R, t, focal, principal)
        if not prims:
            return img
        # Every capsule at once: camera-frame ends, near-plane clipping, depth order, projection, shading;
        # only the drawing calls loop.
        ends = np.stack([np.stack([a, b]) for a, b, _, _ in prims]) @ R.T + t  # (P, 2, 3)
        radii = np.array([p[2] for p in prims])
        colours = np.array([p[3] for p in prims], dtype=np.float64)
        a, b = ends[:, 0], ends[:, 1]
        order = np.argsort(-(a[:, 2] + b[:, 2]), kind="stable")  # far to near
        a, b, visible = self._clip(a, b)
        z = 0.5 * (a[:, 2] + b[:, 2])
        safe_z = np.maximum(z, self.NEAR)
        widths = np.maximum(1, np.round(2 * focal * radii / safe_z)).astype(int)
        r16 = np.maximum(16, np.round(16 * focal * radii / safe_z)).astype(int)
        pa = self._project(np.where(visible[:, None], a, 1.0), focal, principal)
        pb = self._project(np.where(visible[:, None], b, 1.0), focal, principal)
        # Shade by how much the bone faces the light, as the ray caster's ambient + diffuse.
        axis = b - a
        length = np.linalg.norm(axis, axis=1, keepdims=True)
        axis = np.where(length > 1e-9, axis / np.maximum(length, 1e-12), 0.0)
        facing = np.sqrt(np.maximum(0.0, 1.0 - (axis @ _LIGHT) ** 2))
        shade = (_AMBIENT + (1.0 - _AMBIENT) * facing)[:, None] * colours * 255
        for i in order:
            if not visible[i]:
                continue
            p, q = (int(pa[i, 0]), int(pa[i, 1])), (int(pb[i, 0]), int(pb[i, 1]))
            fill, edge = tuple(shade[i]), tuple(shade[i] * 0.6)
            if p == q:
                cv2.circle(img, p, int(r16[i]) + 16, edge, -1, cv2.LINE_AA, shift=4)
                cv2.circle(img, p, int(r16[i]), fill, -1, cv2.LINE_AA, shift=4)
            else:
                cv2.line(img, p, q, edge, int(widths[i]) + 2, cv2.LINE_AA, shift=4)
                cv2.line(img, p, q, fill, int(widths[i]), cv2.LINE_AA, shift=4)
        return img


def _screen_box(
    a: np.ndarray, b: np.ndarray, radius: float, f: float, cx: float, cy: float, w: int, h: int
) -> tuple[int, int, int, int] | None:
    """Conservative pixel box (x0, y0, x1, y1) of a capsule in camera coordinates; None if off screen."""
    near = min(a[2], b[2]) - radius
    if max(a[2], b[2]) + radius <= 1e-3:
        return None
    if near <= 1e-3:  # reaches behind the camera: test the whole image
        return 0, 0, w, h
    pts = np.stack([a, b])
    px = f * pts[:, :2] / pts[:, 2:3] + [cx, cy]
    pad = f * radius / near * 1.05 + 2
    x0, y0 = np.floor(px.min(0) - pad).astype(int)
    x1, y1 = np.ceil(px.max(0) + pad).astype(int)
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    if x0 >= x1 or y0 >= y1:
        return None
    return int(x0), int(y0), int(x1), int(y1)


def _ray_capsule(d: np.ndarray, a: np.ndarray, b: np.ndarray, radius: float) -> tuple[np.ndarray, np.ndarray]:
    """Rays from the origin along unit directions d (..., 3) against the capsule of segment a-b and
    ``radius``: distance to the first hit (inf where missed) and the unit normal there (..., 3).

    The capsule is the union of a finite cylinder and two end spheres; the first hit on the union is
    the nearest of the first hits on the three parts.
    """
    axis = b - a
    length = float(np.linalg.norm(axis))
    best = np.full(d.shape[:-1], np.inf)
    for centre in (a, b) if length > 1e-9 else (a,):  # end spheres: |t d - c|^2 = r^2
        dc = d @ centre
        disc = dc**2 - (centre @ centre - radius**2)
        hit_t = dc - np.sqrt(np.maximum(disc, 0.0))
        best = np.where((disc >= 0) & (hit_t > 0) & (hit_t < best), hit_t, best)
    if length > 1e-9:  # cylinder: the distance from the axis is r
        u = axis / length
        oa = -a  # ray origin relative to a
        w = oa - (oa @ u) * u
        dv = d - (d @ u)[..., None] * u
        qa = (dv * dv).sum(-1)
        qb = dv @ w
        qc = w @ w - radius**2
        disc = qb**2 - qa * qc
        with np.errstate(divide="ignore", invalid="ignore"):
            hit_t = (-qb - np.sqrt(np.maximum(disc, 0.0))) / qa
        along = oa @ u + hit_t * (d @ u)
        ok = (disc >= 0) & (qa > 1e-12) & (hit_t > 0) & (along >= 0) & (along <= length) & (hit_t < best)
        best = np.where(ok, hit_t, best)
    point = d * np.where(np.isfinite(best), best, 0.0)[..., None]
    if length > 1e-9:
        s = np.clip((point - a) @ (axis / length), 0.0, length)
        closest = a + s[..., None] * (axis / length)
    else:
        closest = a
    normal = (point - closest) / radius
    return best, normal
