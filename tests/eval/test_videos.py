"""The rendered and real video suites: end to end with tiny models, caching, the MediaPipe peer's axes."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from vimo.bundle import load_generator
from vimo.data.dataset import WindowCache
from vimo.data.markers import coco_markers
from vimo.data.prepare import PrepareConfig, write_cache
from vimo.data.synthetic import walking_motion
from vimo.eval.videos import (
    BASELINE,
    PEER,
    VIMO,
    common,
    extraction_pck,
    fill_missing_frames,
    find_clips,
    mediapipe_coco17,
    real_markdown,
    real_report,
    rendered,
    rendered_markdown,
    rendered_report,
    rotation_aligned,
)
from vimo.keypoints import COCO17_NAMES, Keypoints2D
from vimo.lifter import Lifter
from vimo.models.motionbert import CONFIGS as LIFTER_CONFIGS
from vimo.models.motionbert import DSTformer
from vimo.pipeline import ViMo
from vimo.representation import to_vector
from vimo.skeleton import SMPL
from vimo.video.pose import BLAZEPOSE33_NAMES
from vimo.viz.cameras import CameraPath

VIDEOS = Path(__file__).resolve().parents[3] / "shared" / "data" / "videos"


@pytest.fixture(scope="module")
def walk_cache(tmp_path_factory) -> WindowCache:
    """Two walks (MediaPipe finds the mannequin walking reliably): one train, one test; 45-frame windows."""
    out = tmp_path_factory.mktemp("walks") / "cache"
    vectors = [to_vector(walking_motion(60, speed=s).with_contacts()) for s in (1.0, 1.3)]
    records = [{"source": f"walk/{i}", "split": split, "frames": 60} for i, split in enumerate(("train", "test"))]
    write_cache(out, records, vectors, config=PrepareConfig(window=45, stride=15))
    return WindowCache.load(out)


@pytest.fixture(scope="module")
def tiny_lifter(tmp_path_factory, walk_cache) -> Lifter:
    """An untrained tiny baseline, saved and loaded as a bundle (as `vimo baseline export` writes them)."""
    torch.manual_seed(0)
    prefix = tmp_path_factory.mktemp("lifter") / "lifter-tiny"
    Lifter(DSTformer(LIFTER_CONFIGS["tiny"]).eval(), walk_cache.normalizer).save(prefix)
    return load_generator(prefix)


@pytest.fixture(scope="module")
def rendered_run(tmp_path_factory, tiny_bundle, walk_cache, tiny_lifter):
    work = tmp_path_factory.mktemp("rendered")
    kw = dict(baseline=tiny_lifter, windows_per_regime=1, regimes=["moving"], seconds=1.5, steps=2,
              render_method="raster", work_dir=work)  # fmt: skip
    return rendered_report(ViMo.load(tiny_bundle), walk_cache, **kw), work, kw


def test_rendered_suite_scores_every_method_end_to_end(rendered_run):
    report, work, _ = rendered_run
    assert set(report["methods"]) == {VIMO, BASELINE, PEER}
    (clip,) = report["clips"]
    assert "error" not in clip, clip.get("error")
    assert clip["frames"] == 45 and not clip["cached"] and clip["pose_found"] > 0.8
    assert list(work.glob("*.mp4")) and list(work.glob("*.npz"))
    for method, per_group in report["methods"].items():
        assert set(per_group) == {"moving", "all"}
        m = per_group["all"]
        assert m["n"] == 1 and m["failed"] == 0
        for key in ("pa_mpjpe_17_mm", "root_aligned_mpjpe_17_mm", "jitter_m_s3", "fidelity_pck"):
            assert m[key] is not None and np.isfinite(m[key]) and m[key] >= 0, (method, key)
        low, high = m["pa_mpjpe_17_mm_ci95"]
        assert low <= m["pa_mpjpe_17_mm"] <= high
        smpl = method != PEER
        assert (m["pa_mpjpe_24_mm"] is not None) == smpl and (m["foot_skate_m_s"] is not None) == smpl
    # a real detector's 3D on a clean walk beats untrained tiny models by far, and is human-sized (< 20 cm)
    peer = report["methods"][PEER]["all"]["pa_mpjpe_17_mm"]
    assert peer < 200 and peer < report["methods"][VIMO]["all"]["pa_mpjpe_17_mm"]
    ex = report["extraction"]["all"]
    assert 0.5 < ex["pck"] <= 1 and ex["pose_found"] > 0.8
    assert report["reference"]["ground_truth"]["all"]["jitter_m_s3"] > 0
    json.dumps(report, allow_nan=False)
    text = rendered_markdown(report)
    assert "| mediapipe_world |" in text and "| baseline_motionbert |" in text and "| ground truth |" in text


def test_rendered_rerun_reads_the_cache_and_repeats_the_numbers(rendered_run, tiny_bundle, walk_cache, monkeypatch):
    first, work, kw = rendered_run

    def refuse(*args, **kwargs):
        raise AssertionError("rendered or extracted again")

    monkeypatch.setattr(common, "extract_keypoints", refuse)
    monkeypatch.setattr(rendered, "render_frames", refuse)
    again = rendered_report(ViMo.load(tiny_bundle), walk_cache, **kw)
    (clip,) = again["clips"]
    assert "error" not in clip, clip.get("error")
    assert clip["cached"]
    assert clip["methods"] == first["clips"][0]["methods"]


def test_rendered_suite_checks_its_options(tiny_bundle, walk_cache):
    with pytest.raises(ValueError, match="window"):
        rendered_report(ViMo.load(tiny_bundle), walk_cache, seconds=5.0)
    with pytest.raises(ValueError, match="render_method"):
        rendered_report(ViMo.load(tiny_bundle), walk_cache, seconds=1.0, render_method="pathtrace")


def test_real_suite_scores_clips_and_reports_a_broken_one(rendered_run, tiny_bundle, tiny_lifter, tmp_path,
                                                          monkeypatch):  # fmt: skip
    _, work, _ = rendered_run
    (tmp_path / "videos" / "walks").mkdir(parents=True)
    shutil.copy(next(work.glob("*.mp4")), tmp_path / "videos" / "walks" / "walk.mp4")
    (tmp_path / "videos" / "broken.mp4").write_bytes(b"not a video at all")
    (tmp_path / "videos" / "README.md").write_text("not a clip")
    vimo = ViMo.load(tiny_bundle)
    kw = dict(baseline=tiny_lifter, steps=2, work_dir=tmp_path / "work")
    report = real_report(vimo, tmp_path / "videos", **kw)
    assert report["skipped"] is None
    assert set(report["clips"]) == {"broken.mp4", "walks/walk.mp4"}
    assert "broken.mp4" in report["clips"]["broken.mp4"]["error"]
    clip = report["clips"]["walks/walk.mp4"]
    assert clip["frames"] == 45 and clip["coverage"] > 0.8 and not clip["cached"]
    for method, m in clip["methods"].items():
        for key in ("fidelity_error", "fidelity_pck", "jitter_m_s3", "bone_length_cv"):
            assert m[key] is not None and np.isfinite(m[key]), (method, key)
        if method == PEER:
            assert m["foot_skate_m_s"] is None  # hip-centred landmarks: no world motion to skate with
    assert clip["methods"][VIMO]["bone_length_cv"] < 1e-4  # SMPL bones are rigid
    assert clip["methods"][PEER]["bone_length_cv"] > 1e-3  # BlazePose's are not
    assert report["summary"][VIMO]["n"] == 1 and report["summary"][VIMO]["failed"] == 1
    json.dumps(report, allow_nan=False)
    text = real_markdown(report)
    assert "| mediapipe_world |" in text and "broken.mp4: failed" in text

    calls = []
    monkeypatch.setattr(common, "extract_keypoints", lambda path, **k: calls.append(Path(path).name) or 1 / 0)
    again = real_report(vimo, tmp_path / "videos", **kw)
    assert calls == ["broken.mp4"]  # failures are not cached: only the broken file is tried again
    assert again["clips"]["walks/walk.mp4"]["cached"]
    assert again["clips"]["walks/walk.mp4"]["methods"] == clip["methods"]


def test_real_suite_skips_a_missing_folder(tiny_bundle, tmp_path):
    report = real_report(ViMo.load(tiny_bundle), tmp_path / "absent")
    assert "absent" in report["skipped"] and not report["clips"]
    assert "skipped" in real_markdown(report)


@pytest.mark.shared
def test_real_suite_finds_the_shared_clips():
    if not VIDEOS.exists():
        pytest.skip(f"needs ../shared/data/videos at {VIDEOS} (absent on this machine)")
    names = {p.relative_to(VIDEOS).as_posix() for p in find_clips(VIDEOS)}
    assert {"davis/dance-twirl.mp4", "sports2d/jumping_jacks_flip.mp4", "pose2sim/cam01.mp4"} <= names
    assert not any(n.endswith((".md", ".txt")) for n in names)


def test_mediapipe_landmarks_map_to_coco_in_our_axes():
    """A hand-made BlazePose person facing the camera (MediaPipe: x right, y down, z away from the camera)
    comes out facing +Z with its left side at +X and its head up, as SMPL's rest pose."""
    mp = np.full((33, 3), np.nan)
    place = {"nose": (0.0, -0.6, -0.1), "left_shoulder": (0.2, -0.45, 0.0), "right_shoulder": (-0.2, -0.45, 0.0),
             "left_hip": (0.1, 0.0, 0.0), "right_hip": (-0.1, 0.0, 0.0), "left_ankle": (0.1, 0.85, 0.02),
             "left_wrist": (0.3, 0.0, -0.2)}  # fmt: skip
    for name, xyz in place.items():
        mp[BLAZEPOSE33_NAMES.index(name)] = xyz
    mp[BLAZEPOSE33_NAMES.index("left_pinky")] = (9.0, 9.0, 9.0)  # not a COCO point: dropped
    ours = mediapipe_coco17(mp[None])[0]
    k = COCO17_NAMES.index
    np.testing.assert_allclose(ours[k("left_shoulder")], (0.2, 0.45, 0.0))
    np.testing.assert_allclose(ours[k("left_ankle")], (0.1, -0.85, -0.02))
    np.testing.assert_allclose(ours[k("left_wrist")], (0.3, 0.0, 0.2))  # reaching towards the camera: forward
    assert ours[k("nose")][2] > 0 and ours[k("nose")][1] > ours[k("left_hip")][1]
    assert np.isnan(ours[k("right_ankle")]).all() and np.isfinite(ours).sum() == 3 * len(place)

    # The whole rest pose round trip: SMPL rest markers filmed from the front, in MediaPipe's axes, come back.
    rest = coco_markers(SMPL.rest_positions().astype(np.float64), np.broadcast_to(np.eye(3), (24, 3, 3)))
    mp = np.zeros((33, 3))
    for c, name in enumerate(COCO17_NAMES):
        mp[BLAZEPOSE33_NAMES.index(name)] = rest[c] * (1.0, -1.0, -1.0)
    np.testing.assert_allclose(mediapipe_coco17(mp), rest, atol=1e-12)


def test_missing_frames_are_interpolated_and_held():
    points = np.arange(6, dtype=np.float64)[:, None, None] * np.ones((6, 2, 3))
    points[[0, 2, 3]] = np.nan
    filled, found = fill_missing_frames(points)
    np.testing.assert_array_equal(found, [False, True, False, False, True, True])
    np.testing.assert_allclose(filled[:, 0, 0], [1, 1, 2, 3, 4, 5])


def test_rotation_alignment_undoes_one_turn_for_all_frames():
    rng = np.random.default_rng(0)
    gt = rng.normal(size=(10, 17, 3))
    q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    turn = q * np.sign(np.linalg.det(q))  # a rotation
    np.testing.assert_allclose(rotation_aligned(gt @ turn.T, gt), gt, atol=1e-9)
    mirrored = gt * (-1.0, 1.0, 1.0)  # a reflection is not undone
    assert np.abs(rotation_aligned(mirrored, gt) - gt).max() > 0.1


def test_extraction_pck_counts_misses_and_far_points():
    markers = coco_markers(SMPL.rest_positions().astype(np.float64), np.broadcast_to(np.eye(3), (24, 3, 3)))
    markers = np.broadcast_to(markers, (4, 17, 3))
    cams = CameraPath.static((0.0, 1.0, 4.0), (0.0, 0.9, 0.0), frames=4)
    from vimo.geometry.camera import project

    px = project(markers, cams.R[:, None], cams.t[:, None], cams.focal[:, None], cams.principal[:, None]).pixels
    data = np.concatenate([px, np.ones((4, 17, 1))], -1).astype(np.float32)
    data[0, :, 2] = 0  # frame 0 missed
    data[1, :, :2] += 500  # frame 1 far off
    score = extraction_pck(Keypoints2D(data, 30.0, cams.image_size), markers, cams)
    assert score["pck"] == pytest.approx(0.5) and score["detected"] == pytest.approx(0.75)
