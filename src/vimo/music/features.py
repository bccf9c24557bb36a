"""Music features for dance generation (SPEC section 4: EDGE's 35-dim "baseline" features at 30 fps).

Audio is analysed at sr = 15360 Hz with a hop of 512 samples, so one analysis hop is one motion frame at
30 fps. Per frame: onset strength envelope (1), MFCC (20), chroma CENS (12), onset peaks one-hot (1), beats
one-hot (1) = 35 channels, in that order (:data:`FEATURE_SLICES`).

Audio comes from audio files (anything libsndfile/audioread reads: wav, flac, ogg, mp3) or from the audio
track of a video (PyAV). Features are cached by the audio's content hash (:func:`cached_music_features`).
"""

from __future__ import annotations

import hashlib
import warnings
from pathlib import Path

import numpy as np

from vimo.errors import InputFormatError
from vimo.io.atomic import atomic_path
from vimo.video.decode import is_video

FPS = 30
HOP = 512
SR = FPS * HOP  # 15360 Hz: one hop per motion frame
FEATURE_DIM = 35
FEATURE_SLICES = {
    "envelope": slice(0, 1),
    "mfcc": slice(1, 21),
    "chroma": slice(21, 33),
    "peaks": slice(33, 34),
    "beats": slice(34, 35),
}
FEATURES_VERSION = 1  # bump when the features change; part of the cache key


def load_audio(path: str | Path, sr: int = SR) -> np.ndarray:
    """Mono float32 waveform at ``sr`` from an audio file or a video's first audio stream."""
    path = Path(path)
    if not path.is_file():
        raise InputFormatError(f"{path}: no such audio or video file")
    if is_video(path):
        return _video_audio(path, sr)
    import librosa

    try:
        with warnings.catch_warnings():  # librosa warns as it falls back between decoders: the error says it all
            warnings.simplefilter("ignore")
            y, _ = librosa.load(str(path), sr=sr, mono=True)
    except Exception as e:  # noqa: BLE001 - decoders raise many types; report one line
        why = f"{type(e).__name__}: {e}" if str(e).strip() else type(e).__name__
        raise InputFormatError(f"{path}: cannot decode audio ({why}); expected a sound file or a video") from None
    if len(y) < HOP:
        raise InputFormatError(f"{path}: audio is shorter than one frame ({len(y)} samples at {sr} Hz)")
    return y.astype(np.float32)


def _video_audio(path: Path, sr: int) -> np.ndarray:
    import av

    try:
        container = av.open(str(path))
    except Exception as e:  # noqa: BLE001
        raise InputFormatError(f"{path}: cannot open ({type(e).__name__})") from None
    with container:
        if not container.streams.audio:
            raise InputFormatError(f"{path}: the video has no audio track; pass --music with a song")
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="flt", layout="mono", rate=sr)
        chunks = []
        try:
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().reshape(-1))
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1))
        except av.error.InvalidDataError:
            pass  # a damaged tail: keep what decoded
    y = np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)
    if len(y) < HOP:
        raise InputFormatError(f"{path}: the audio track is empty")
    return y


def music_features(y: np.ndarray, sr: int = SR) -> np.ndarray:
    """Mono waveform (S,) at ``sr`` (must be :data:`SR`) -> (T, 35) float32 at 30 fps, T = S // 512 + 1 (centred)."""
    import librosa

    if sr != SR:
        raise ValueError(f"music_features: expected audio at {SR} Hz (one hop per 30 fps frame), got {sr}")
    y = np.asarray(y, dtype=np.float32)
    if y.ndim != 1 or len(y) < HOP:
        raise ValueError(f"music_features: expected a mono waveform of at least {HOP} samples, got {y.shape}")
    envelope = librosa.onset.onset_strength(y=y, sr=SR, hop_length=HOP)  # (T,)
    mfcc = librosa.feature.mfcc(y=y, sr=SR, n_mfcc=20, hop_length=HOP).T  # (T, 20)
    chroma = librosa.feature.chroma_cens(y=y, sr=SR, hop_length=HOP, n_chroma=12).T  # (T, 12)
    peaks = librosa.onset.onset_detect(onset_envelope=envelope, sr=SR, hop_length=HOP)
    tempo = librosa.feature.tempo(onset_envelope=envelope, sr=SR, hop_length=HOP)[0]
    _, beats = librosa.beat.beat_track(
        onset_envelope=envelope, sr=SR, hop_length=HOP, start_bpm=float(tempo), tightness=100
    )
    frames = min(len(envelope), len(mfcc), len(chroma))
    peak_onehot = np.zeros(frames, np.float32)
    peak_onehot[peaks[peaks < frames]] = 1.0
    beat_onehot = np.zeros(frames, np.float32)
    beat_onehot[beats[beats < frames]] = 1.0
    out = np.concatenate(
        [envelope[:frames, None], mfcc[:frames], chroma[:frames], peak_onehot[:, None], beat_onehot[:, None]], axis=1
    )
    return out.astype(np.float32)


def beat_frames(features: np.ndarray) -> np.ndarray:
    """Frame indices of the beats marked in a (T, 35) feature array."""
    return np.flatnonzero(np.asarray(features)[:, FEATURE_SLICES["beats"]].reshape(-1) > 0.5)


def audio_hash(y: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(y, dtype=np.float32).tobytes()).hexdigest()[:24]


def cached_music_features(path: str | Path, cache_dir: str | Path | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(features (T, 35), waveform at :data:`SR`) of an audio/video file, features cached by content hash.

    The cache key is the hash of the decoded waveform and :data:`FEATURES_VERSION`, so renamed or copied
    files hit the cache and changed audio never does. ``cache_dir`` defaults to ~/.cache/vimo/music.
    """
    y = load_audio(path)
    cache = Path(cache_dir) if cache_dir is not None else Path.home() / ".cache" / "vimo" / "music"
    file = cache / f"{audio_hash(y)}-v{FEATURES_VERSION}.npy"
    if file.exists():
        try:
            feats = np.load(file, allow_pickle=False)
            if feats.ndim == 2 and feats.shape[1] == FEATURE_DIM:
                return feats, y
        except (OSError, ValueError):
            pass  # a damaged cache entry: recompute
    feats = music_features(y)
    cache.mkdir(parents=True, exist_ok=True)
    with atomic_path(file) as tmp:
        np.save(tmp, feats, allow_pickle=False)
    return feats, y
