"""Music features (EDGE's 35 at 30 fps), audio from videos, the feature cache, and beat-matched soundtracks."""

from __future__ import annotations

import numpy as np
import pytest

from vimo.errors import InputFormatError
from vimo.music import features as mf
from vimo.music.features import FEATURE_DIM, HOP, SR, beat_frames, cached_music_features, load_audio, music_features
from vimo.music.pairing import Loop, beat_grid, beat_matched_track, extend_grid, matched_soundtracks, stretch


def click_track(seconds: float, bpm: float, offset: float = 0.25) -> np.ndarray:
    """Short decaying noise bursts on a regular beat."""
    y = np.zeros(int(seconds * SR), np.float32)
    burst = (np.random.default_rng(0).standard_normal(800) * np.exp(-np.arange(800) / 120)).astype(np.float32)
    for t in np.arange(offset, seconds - 0.1, 60.0 / bpm):
        i = int(t * SR)
        y[i : i + len(burst)] += burst[: len(y) - i]
    return y


def test_features_have_35_channels_at_30_fps_and_find_the_beat():
    y = click_track(8.0, bpm=120)
    f = music_features(y)
    assert f.shape == (len(y) // HOP + 1, FEATURE_DIM) and f.dtype == np.float32
    assert np.isfinite(f).all()
    beats = beat_frames(f)
    assert len(beats) >= 10
    assert np.median(np.diff(beats)) == pytest.approx(15, abs=1)  # 120 BPM at 30 fps
    clicks = np.round((0.25 + np.arange(16) * 0.5) * 30)
    assert np.abs(beats[:, None] - clicks[None]).min(1).max() <= 2  # every beat is on a click
    peaks = np.flatnonzero(f[:, mf.FEATURE_SLICES["peaks"]].reshape(-1) > 0.5)
    assert np.abs(peaks[:, None] - clicks[None]).min(1).max() <= 2


def test_features_reject_wrong_rate_and_short_audio():
    with pytest.raises(ValueError, match="15360"):
        music_features(np.zeros(SR, np.float32), sr=22050)
    with pytest.raises(ValueError, match="at least"):
        music_features(np.zeros(10, np.float32))


def _write_wav(path, y):
    import soundfile

    soundfile.write(str(path), y, SR)


def _write_video(path, with_audio: bool, seconds: float = 2.0):
    import av

    with av.open(str(path), "w") as out:
        v = out.add_stream("mpeg4", rate=30)
        v.width, v.height, v.pix_fmt = 64, 48, "yuv420p"
        a = out.add_stream("aac", rate=44100) if with_audio else None
        if a is not None:
            a.layout = "mono"
        for i in range(int(seconds * 30)):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), i * 3 % 255, np.uint8), format="rgb24")
            for p in v.encode(frame):
                out.mux(p)
        for p in v.encode():
            out.mux(p)
        if a is not None:
            t = np.arange(int(seconds * 44100)) / 44100
            tone = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[None]
            frame = av.AudioFrame.from_ndarray(tone, format="flt", layout="mono")
            frame.sample_rate = 44100
            for p in a.encode(frame):
                out.mux(p)
            for p in a.encode():
                out.mux(p)


def test_audio_from_a_video_track(tmp_path):
    _write_video(tmp_path / "a.mp4", with_audio=True)
    y = load_audio(tmp_path / "a.mp4")
    assert abs(len(y) / SR - 2.0) < 0.1
    spectrum = np.abs(np.fft.rfft(y[SR // 2 : SR]))
    assert abs(np.argmax(spectrum) * SR / (SR // 2) - 440) < 5  # the 440 Hz tone survived resampling


def test_video_without_audio_and_bad_files_are_clear_errors(tmp_path):
    _write_video(tmp_path / "silent.mp4", with_audio=False)
    with pytest.raises(InputFormatError, match="no audio track"):
        load_audio(tmp_path / "silent.mp4")
    (tmp_path / "x.wav").write_text("not audio")
    with pytest.raises(InputFormatError, match="x.wav"):
        load_audio(tmp_path / "x.wav")
    with pytest.raises(InputFormatError, match="no such"):
        load_audio(tmp_path / "missing.ogg")


def test_feature_cache_is_keyed_by_content(tmp_path, monkeypatch):
    y = click_track(3.0, bpm=100)
    _write_wav(tmp_path / "a.wav", y)
    _write_wav(tmp_path / "copy.wav", y)
    _write_wav(tmp_path / "other.wav", click_track(3.0, bpm=140))
    calls = []
    real = mf.music_features
    monkeypatch.setattr(mf, "music_features", lambda w: calls.append(1) or real(w))
    f1, _ = cached_music_features(tmp_path / "a.wav", tmp_path / "cache")
    f2, _ = cached_music_features(tmp_path / "copy.wav", tmp_path / "cache")
    assert len(calls) == 1 and np.array_equal(f1, f2)
    cached_music_features(tmp_path / "other.wav", tmp_path / "cache")
    assert len(calls) == 2


def test_beat_grid_is_a_steady_pulse_on_the_motions_beats():
    from vimo.eval.beats import motion_beats

    t = np.arange(300) / 30.0
    # A joint bouncing with speed minima twice a second, then still: the pulse carries on through the stillness.
    y = np.where(t < 7, np.abs(np.sin(np.pi * 2 * t)), 0.0)
    joints = np.zeros((300, 2, 3))
    joints[:, 0, 1] = y
    grid = beat_grid(joints)
    assert grid[0] <= 0 and grid[-1] >= 300
    assert np.median(np.diff(grid)) == pytest.approx(15, abs=1)  # the motion's own tempo
    assert np.diff(grid).max() <= 17  # steady, also where the motion stops
    beats = motion_beats(joints, variant="bailando")
    beats = beats[beats < 200]
    assert np.abs(beats[:, None] - grid[None]).min(1).max() <= 1  # the motion's beats are on the grid


def test_soundtrack_beats_land_on_the_grid():
    import librosa

    loop = click_track(2.0, bpm=120, offset=0.0)
    beats = (np.arange(4) * 0.5 * SR).astype(int)
    loops = [Loop("clicks", loop, beats)]
    grid = np.array([-8, 12, 30, 41, 60, 75, 95, 110, 130, 155])
    y = beat_matched_track(grid, 150, loops, np.random.default_rng(0), layers=1)
    assert len(y) == 150 * HOP and np.abs(y).max() <= 0.91
    onsets = librosa.onset.onset_detect(y=y, sr=SR, hop_length=HOP)
    assert len(onsets) >= 7
    assert np.abs(onsets[:, None] - grid[None]).min(1).max() <= 2
    with pytest.raises(ValueError, match="covering"):
        beat_matched_track(np.array([5, 100]), 150, loops, np.random.default_rng(0))


def test_extend_grid_continues_the_pulse_around_the_window():
    grid = np.array([-7, 10, 27, 44, 61, 78, 95, 112, 129, 146, 163])
    out = extend_grid(grid, 150, 60)
    assert out[0] <= -60 and out[-1] >= 210 and set(grid) <= set(out.tolist())
    assert np.abs(np.diff(out) - 17).max() <= 1


def _bouncing(frames: int = 150, period: float = 15.0, phase: float = 4.0) -> np.ndarray:
    t = np.arange(frames)
    joints = np.zeros((frames, 2, 3))
    joints[:, 0, 1] = np.abs(np.sin(np.pi * (t - phase) / period))  # speed minima at the tops, every 15 frames
    return joints


def test_matched_soundtracks_keep_the_candidates_whose_detected_beats_fit_the_motion():
    from vimo.eval.beats import beat_align_score, motion_beats

    loops = []
    for seed in range(3):  # a strong beat and a faint off-beat; cut at the off-beats, the strong hit falls between
        y = np.zeros(SR * 2, np.float32)
        burst = (np.random.default_rng(seed).standard_normal(700) * np.exp(-np.arange(700) / 110)).astype(np.float32)
        beats = (np.arange(8) * 0.25 * SR).astype(int)
        for k, b in enumerate(beats):
            y[b : b + 700] += burst * (1.0 if k % 2 == 0 else 0.1)
        loops += [Loop(f"on{seed}", y, beats[::2]), Loop(f"off{seed}", y, beats[1::2])]
    joints = _bouncing()
    kept = matched_soundtracks(joints, loops, np.random.default_rng(0), keep=2, candidates=6)
    assert len(kept) == 2 and kept[0][1] >= kept[1][1]
    motion = motion_beats(joints, variant="bailando")
    for feats, fit in kept:
        assert feats.shape == (150, FEATURE_DIM) and np.isfinite(feats).all()
        assert fit == pytest.approx(beat_align_score(motion, beat_frames(feats), direction="music_to_motion"))
    # the kept ones are the best of the candidates: the same random stream, all six kept
    every = matched_soundtracks(joints, loops, np.random.default_rng(0), keep=6, candidates=6)
    assert [f for _, f in kept] == [f for _, f in every[:2]]
    assert kept[1][1] > 0.8 and every[-1][1] < 0.3  # detected beats on the motion's beats; some candidates miss


def test_stretch_preserves_ends_and_length():
    x = np.linspace(0, 1, 100).astype(np.float32)
    s = stretch(x, 37)
    assert len(s) == 37 and s[0] == 0 and s[-1] == pytest.approx(1)
