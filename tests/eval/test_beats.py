from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile

from vimo.eval.beats import beat_align_score, motion_beats, music_beats, pfc, pfc_dataset
from vimo.skeleton import SMPL

REST = SMPL.rest_positions().astype(np.float64)


def _pulsing_motion(t_len: int = 120, period: int = 15) -> np.ndarray:
    """Whole body moving along x with speed 0.01 (1.1 - cos(2 pi t / period)) m/frame: slowest at t = k period."""
    t = np.arange(t_len)
    speed = 0.01 * (1.1 - np.cos(2 * np.pi * t / period))
    x = np.concatenate([[0.0], np.cumsum(speed[1:])])  # p[t] - p[t-1] = speed[t]
    return REST[None] + x[:, None, None] * np.array([1.0, 0.0, 0.0])


# --- beat alignment -----------------------------------------------------------------------------------------


def test_motion_beats_fact_are_speed_minima() -> None:
    beats = motion_beats(_pulsing_motion(), 30.0)
    np.testing.assert_array_equal(beats, np.arange(15, 120, 15))  # first and last frames never count


def test_motion_beats_bailando_smoothed_and_half_frame_earlier() -> None:
    beats = motion_beats(_pulsing_motion(), 30.0, variant="bailando")
    interior = beats[(beats > 10) & (beats < 105)]
    np.testing.assert_array_equal(interior, np.arange(15, 106, 15) - 1)  # index k = speed from k to k+1
    with pytest.raises(ValueError, match="variant"):
        motion_beats(_pulsing_motion(), 30.0, variant="edge")  # type: ignore[arg-type]


def test_motion_beats_static_pose_has_none() -> None:
    assert len(motion_beats(np.repeat(REST[None], 30, 0), 30.0)) == 0


@pytest.mark.parametrize("direction", ["motion_to_music", "music_to_motion"])
def test_beat_align_perfect_and_offset(direction: str) -> None:
    beats = np.arange(10, 300, 20)
    assert beat_align_score(beats, beats, direction=direction) == pytest.approx(1.0)
    for k in (1, 2, 3, 5):
        expected = np.exp(-(k**2) / (2 * 3.0**2))
        assert beat_align_score(beats + k, beats, direction=direction) == pytest.approx(expected)
    assert beat_align_score(beats + 2, beats, sigma=1.0, direction=direction) == pytest.approx(np.exp(-2.0))


def test_beat_align_direction_matters() -> None:
    motion, music = np.array([10]), np.array([10, 40])
    assert beat_align_score(motion, music, direction="motion_to_music") == pytest.approx(1.0)
    assert beat_align_score(motion, music, direction="music_to_motion") == pytest.approx(0.5, abs=1e-12)
    assert beat_align_score(music, motion, direction="music_to_motion") == pytest.approx(1.0)


def test_beat_align_empty_and_unknown_direction() -> None:
    assert beat_align_score(np.array([], dtype=int), np.array([3, 5])) == 0.0
    assert beat_align_score(np.array([3]), np.array([], dtype=int), direction="music_to_motion") == 0.0
    with pytest.raises(ValueError, match="music_to_motion"):
        beat_align_score(np.array([1]), np.array([1]), direction="both")  # type: ignore[arg-type]


@pytest.mark.filterwarnings("ignore:'(aifc|audioop|sunau)' is deprecated:DeprecationWarning")  # audioread import
def test_music_beats_click_track_120_bpm(tmp_path: Path) -> None:
    sr = 15360  # 30 fps x hop 512
    y = np.zeros(sr * 10, dtype=np.float32)
    for onset in np.arange(0.5, 10.0, 0.5):  # 120 BPM
        i = int(onset * sr)
        y[i : i + 20] = 1.0
    beats = music_beats(y, sr, fps=30)
    assert len(beats) >= 15
    assert np.all(np.abs(np.diff(beats) - 15) <= 1), beats
    assert np.all(np.abs((beats - 15 + 7) % 15 - 7) <= 2), beats  # on the clicks (librosa lag: +1 frame)
    with pytest.raises(ValueError, match="sr"):
        music_beats(y)
    wav = tmp_path / "clicks.wav"
    soundfile.write(wav, y, sr)
    np.testing.assert_array_equal(music_beats(wav, sr=sr, fps=30), beats)


# --- PFC ----------------------------------------------------------------------------------------------------


def _moving(x: np.ndarray, feet_follow: bool = True) -> np.ndarray:
    """Rest pose translated by x (T,) along the horizontal x axis; feet planted at 0 when not following."""
    p = REST[None] + x[:, None, None] * np.array([1.0, 0.0, 0.0])
    if not feet_follow:
        for j in ("left_ankle", "left_foot"):
            p[:, SMPL.index(j)] = REST[SMPL.index(j)]
    return p


def test_pfc_zero_without_root_acceleration() -> None:
    assert pfc(np.repeat(REST[None], 30, 0), 30.0) == 0.0
    assert pfc(_moving(0.02 * np.arange(30)), 30.0) == 0.0  # sliding feet, constant root velocity


def test_pfc_sliding_feet_under_constant_acceleration() -> None:
    t_len, a = 40, 0.001  # m / frame^2
    t = np.arange(t_len)
    p = _moving(0.5 * a * t**2)
    step = a * (t[1:-1] + 0.5)  # horizontal foot displacement from frame t to t+1, t = 1..T-2
    expected = np.mean(step * step * 1.0)  # both feet slide; normalised acceleration 1 everywhere
    assert pfc(p, 30.0) == pytest.approx(expected, rel=1e-9)
    assert pfc(p, 60.0) == pytest.approx(expected, rel=1e-9)  # fps cancels in the normalisation
    assert pfc(_moving(0.5 * a * t**2, feet_follow=False), 30.0) == pytest.approx(0.0, abs=1e-15)  # left planted
    assert pfc_dataset([p, np.repeat(REST[None], 40, 0)], 30.0) == pytest.approx(expected / 2 * 10_000)


def test_pfc_ignores_downward_root_acceleration() -> None:
    t = np.arange(30)
    p = REST[None] + (-0.5 * 0.002 * t**2)[:, None, None] * np.array([0.0, 1.0, 0.0])  # falling
    p[..., 0] += 0.01 * t[:, None]  # feet slide horizontally too
    assert pfc(p, 30.0) == 0.0
    p_up = REST[None] + (0.5 * 0.002 * t**2)[:, None, None] * np.array([0.0, 1.0, 0.0])
    p_up[..., 0] += 0.01 * t[:, None]
    assert pfc(p_up, 30.0) > 0.0
