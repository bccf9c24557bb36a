"""Decoding: containers, frame-rate resampling by timestamps, rotation, ranges, damaged inputs."""

from __future__ import annotations

import types
from pathlib import Path

import numpy as np
import pytest

from vimo.errors import InputFormatError, VimoError
from vimo.video.decode import (
    DisplayTransform,
    VideoReader,
    apply_display_transform,
    display_transform,
    is_video,
    iter_frames,
    probe,
)


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("videos")


@pytest.mark.parametrize("suffix", [".mp4", ".webm", ".avi", ".mkv"])
def test_containers_decode_every_frame_in_order(videos: Path, suffix: str, make_video, square_index) -> None:
    path = make_video(videos / f"square{suffix}", frames=20, fps=30)
    info = probe(path)
    assert (info.width, info.height, info.rotation) == (128, 64, 0)
    assert info.fps == pytest.approx(30.0)
    assert info.num_frames == 20
    assert info.duration == pytest.approx(20 / 30, abs=0.01)
    frames = list(iter_frames(path))
    assert [f.index for f in frames] == list(range(20))
    assert [square_index(f.image) for f in frames] == list(range(20))
    assert np.allclose([f.time for f in frames], np.arange(20) / 30, atol=1e-3)
    assert all(f.image.shape == (64, 128, 3) and f.image.dtype == np.uint8 for f in frames)


def test_iter_frames_is_lazy(videos: Path, make_video, square_index) -> None:
    path = make_video(videos / "lazy.mp4", frames=20)
    frames = iter_frames(path)
    assert isinstance(frames, types.GeneratorType) or hasattr(frames, "__next__")
    first = next(frames)
    assert first.index == 0 and square_index(first.image) == 0
    frames.close()


def test_resampling_to_other_rates(videos: Path, make_video, square_index) -> None:
    path = make_video(videos / "rates.mp4", frames=20, fps=30)
    at10 = list(iter_frames(path, fps=10))
    assert [square_index(f.image) for f in at10] == [0, 3, 6, 9, 12, 15, 18]
    at60 = list(iter_frames(path, fps=60))
    assert len(at60) == 40
    assert [square_index(f.image) for f in at60] == [k // 2 for k in range(40)]


@pytest.mark.parametrize("suffix", [".mkv", ".mp4"])
def test_variable_frame_rate_uses_timestamps(videos: Path, suffix: str, make_video, square_index) -> None:
    times = [0.0, 0.02, 0.09, 0.1, 0.2, 0.21, 0.22, 0.4, 0.41, 0.45]
    path = make_video(videos / f"vfr{suffix}", frames=len(times), times=times)
    frames = list(iter_frames(path, fps=30))
    # Output k shows the latest source frame at or before k/30 (a quarter frame of tolerance).
    expected = [max(i for i, t in enumerate(times) if t <= k / 30 + 0.25 / 30) for k in range(len(frames))]
    assert [square_index(f.image) for f in frames] == expected
    assert len(frames) >= 14  # 0.45 s + the last frame's duration
    assert expected[:8] == [0, 1, 1, 3, 3, 3, 4, 6]


def test_start_end_and_downscale(videos: Path, make_video, square_index) -> None:
    path = make_video(videos / "range.mp4", frames=20)
    frames = list(iter_frames(path, start=0.2, end=0.4))
    assert [square_index(f.image) for f in frames] == [6, 7, 8, 9, 10, 11]
    assert [f.index for f in frames] == list(range(6))
    assert np.allclose([f.time for f in frames], 0.2 + np.arange(6) / 30, atol=1e-6)
    small = VideoReader(path, max_side=64)
    assert small.output_size() == (64, 32)
    assert next(iter(small)).image.shape == (32, 64, 3)


@pytest.mark.parametrize(("rotation", "hflip"), [(90, False), (180, False), (270, False), (-90, False), (90, True)])
def test_display_rotation_is_applied(videos: Path, rotation: int, hflip: bool, make_video, square_image) -> None:
    path = make_video(videos / f"rot{rotation}{hflip}.mp4", frames=4, rotation=rotation, hflip=hflip)
    info = probe(path)
    assert info.rotation == rotation % 360
    expected = np.rot90(square_image(0), k=(rotation // 90) % 4)
    if hflip:
        expected = expected[:, ::-1]
    assert (info.height, info.width) == expected.shape[:2]
    image = next(iter_frames(path)).image
    assert image.shape == expected.shape
    assert np.abs(image.astype(int) - expected).mean() < 3  # lossy codec


def test_display_matrix_parsing() -> None:
    def matrix(degrees: float, mirror: bool = False) -> list[int]:
        c, s = np.cos(np.deg2rad(degrees)), np.sin(np.deg2rad(degrees))
        m = [c, -s, 0, s, c, 0, 0, 0, 0]
        if mirror:  # av_display_matrix_flip negates the first column
            m[0], m[3] = -m[0], -m[3]
        return [int(round(v * 65536)) for v in m[:8]] + [1 << 30]

    for degrees in (0, 90, 180, 270, -90):
        assert display_transform(matrix(degrees)) == DisplayTransform(degrees % 360, False)
        assert display_transform(matrix(degrees, True)) == DisplayTransform(degrees % 360, True)
    raw = np.array(matrix(90), "<i4").tobytes()
    assert display_transform(raw) == DisplayTransform(90, False)
    image = np.arange(6).reshape(2, 3)
    assert np.array_equal(apply_display_transform(image, DisplayTransform(90)), np.rot90(image))  # CCW
    assert np.array_equal(apply_display_transform(image, DisplayTransform(0, True)), image[:, ::-1])


# -- bad inputs ---------------------------------------------------------------------------------


def test_text_file_renamed_mp4(videos: Path) -> None:
    path = videos / "notes.mp4"
    path.write_text("this is not a video\n" * 20)
    with pytest.raises(InputFormatError, match=r"notes\.mp4: cannot open as a video"):
        probe(path)


def test_empty_file(videos: Path) -> None:
    path = videos / "empty.mp4"
    path.write_bytes(b"")
    with pytest.raises(InputFormatError, match=r"empty\.mp4: empty file \(0 bytes\)"):
        iter_frames(path)


def test_missing_file(videos: Path) -> None:
    with pytest.raises(InputFormatError, match=r"missing\.mp4: no such file"):
        iter_frames(videos / "missing.mp4")


def test_single_frame_video(videos: Path, make_video) -> None:
    path = make_video(videos / "one.mp4", frames=1)
    with pytest.raises(InputFormatError, match=r"one\.mp4: the video has a single frame"):
        list(iter_frames(path))


def test_audio_only_file(videos: Path) -> None:
    import av

    path = videos / "sound.m4a"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("aac", rate=16000)
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
        frame.sample_rate = 16000
        for packet in [*stream.encode(frame), *stream.encode()]:
            container.mux(packet)
    with pytest.raises(InputFormatError, match=r"sound\.m4a: no video stream \(streams found: audio\)"):
        probe(path)


def test_truncated_mp4_without_index(videos: Path, make_video) -> None:
    """An .mp4 whose index (moov) sits at the end cannot be read once cut: a clear error."""
    data = make_video(videos / "whole.mp4", frames=30, noise=True).read_bytes()
    path = videos / "cut.mp4"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputFormatError, match=r"cut\.mp4: cannot open as a video .*truncated"):
        list(iter_frames(path))


@pytest.mark.parametrize(("suffix", "options"), [(".mkv", None), (".mp4", {"movflags": "faststart"})])
def test_truncated_file_decodes_what_it_can(
    videos: Path, suffix: str, options: dict | None, make_video, square_index
) -> None:
    data = make_video(videos / f"whole{suffix}", frames=30, noise=True, options=options).read_bytes()
    path = videos / f"half{suffix}"
    path.write_bytes(data[: len(data) // 2])
    reader = VideoReader(path)
    frames = list(reader)
    assert 5 <= len(frames) < 25
    indices = [square_index(f.image) for f in frames]
    assert indices[0] == 0 and indices == sorted(indices)
    assert any("truncated" in w for w in reader.warnings)


def test_bad_time_ranges(videos: Path, make_video) -> None:
    path = make_video(videos / "short.mp4", frames=20)
    with pytest.raises(VimoError, match=r"start \(0\.5 s\) must be before end \(0\.2 s\)"):
        iter_frames(path, start=0.5, end=0.2)
    with pytest.raises(VimoError, match=r"beyond the end of the video \(0\.67 s\)"):
        iter_frames(path, start=3.0)
    with pytest.raises(VimoError, match="fps must be a positive number"):
        iter_frames(path, fps=0)


def test_one_definition_of_video_files_serves_every_caller() -> None:
    from vimo.music import features

    assert is_video(Path("clip.MP4")) and is_video(Path("a/b/phone.mov")) and is_video(Path("x.3gp"))
    assert not is_video(Path("song.wav")) and not is_video(Path("keypoints.json")) and not is_video(Path("mp4"))
    assert not hasattr(features, "VIDEO_SUFFIXES")  # music reads videos' audio by the same rule
