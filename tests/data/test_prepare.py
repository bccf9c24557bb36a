import json

import numpy as np
import pytest
import torch

from vimo.data.dataset import WindowCache
from vimo.data.prepare import PrepareConfig, prepare
from vimo.data.synthetic import random_motion, walking_motion
from vimo.io.bvh import write_bvh
from vimo.representation import CONTACTS, ROOT, split


@pytest.fixture
def motion_tree(tmp_path):
    src = tmp_path / "src"
    (src / "a").mkdir(parents=True)
    (src / "b").mkdir()
    write_bvh(walking_motion(200), src / "a" / "walk.bvh")
    write_bvh(random_motion(180, seed=1, amplitude=0.3).with_contacts(), src / "a" / "wiggle.bvh")
    write_bvh(random_motion(100, seed=2), src / "b" / "short.bvh")  # shorter than a window
    (src / "b" / "notes.txt").write_text("not a motion")
    return src


def test_prepare_builds_canonical_windows_with_mirrors(motion_tree, tmp_path):
    out = tmp_path / "cache"
    cfg = PrepareConfig(window=150, stride=25)
    summary = prepare([motion_tree], out, config=cfg, workers=1)
    assert summary.files == 3 and summary.too_short == 1 and not summary.failed
    # walk: 200 frames -> starts 0, 25, 50 (3 windows), wiggle 180 -> 0, 25 (2); x2 for mirrors.
    assert sum(summary.windows_by_split.values()) == 2 * (3 + 2)
    cache = WindowCache.load(out)
    meta = json.loads((out / "meta.json").read_text())
    assert sum(r["mirrored"] for r in meta["sequences"]) == 2
    split_name = next(k for k, v in summary.windows_by_split.items() if v)
    batch = cache.batch(split_name, torch.arange(cache.num_windows(split_name)))
    assert batch.shape[1:] == (150, 151)
    parts = split(batch)
    assert torch.allclose(parts.root_position[:, 0, 0], torch.zeros(len(batch)), atol=1e-5)
    assert torch.allclose(parts.root_position[:, 0, 2], torch.zeros(len(batch)), atol=1e-5)
    forward = parts.rotations[:, 0, 0, :, 2]
    assert torch.all(forward[:, 2] > 0) and torch.allclose(forward[:, 0], torch.zeros(len(batch)), atol=1e-5)
    assert set(np.unique(batch[..., CONTACTS].numpy())) <= {0.0, 1.0}
    # The normaliser was fitted on these windows.
    z = cache.normalizer.encode(batch)
    assert float(z[..., ROOT].std()) < 5


def test_cache_is_keyed_on_content_code_and_parameters(motion_tree, tmp_path):
    out = tmp_path / "cache"
    cfg = PrepareConfig(window=150, stride=25)
    prepare([motion_tree], out, config=cfg, workers=1)
    assert prepare([motion_tree], out, config=cfg, workers=1).up_to_date
    # A parameter change rebuilds.
    again = prepare([motion_tree], out, config=PrepareConfig(window=150, stride=50), workers=1)
    assert not again.up_to_date and sum(again.windows_by_split.values()) == 2 * (2 + 1)
    # A content change rebuilds (same file name, different motion).
    write_bvh(walking_motion(260), motion_tree / "a" / "walk.bvh")
    changed = prepare([motion_tree], out, config=PrepareConfig(window=150, stride=50), workers=1)
    assert not changed.up_to_date and sum(changed.windows_by_split.values()) == 2 * (3 + 1)
    # A code-version change rebuilds.
    import vimo.data.prepare as prep

    old = prep.CACHE_VERSION
    try:
        prep.CACHE_VERSION = old + "-test"
        assert not prepare([motion_tree], out, config=PrepareConfig(window=150, stride=50), workers=1).up_to_date
    finally:
        prep.CACHE_VERSION = old


def test_failures_are_reported_not_fatal(motion_tree, tmp_path):
    (motion_tree / "b" / "broken.bvh").write_text("HIERARCHY\nROOT hip\n{\n")
    summary = prepare([motion_tree], tmp_path / "cache", config=PrepareConfig(stride=50), workers=1)
    assert any("broken" in k for k in summary.failed)
    assert summary.files == 4


def test_missing_source_is_a_clear_error(tmp_path):
    from vimo.errors import VimoError

    with pytest.raises(VimoError, match="no such file"):
        prepare([tmp_path / "nope"], tmp_path / "cache")
    (tmp_path / "empty").mkdir()
    with pytest.raises(VimoError, match="no motion files"):
        prepare([tmp_path / "empty"], tmp_path / "cache")


def test_windows_sampled_at_fractional_times_interpolate_within_their_sequence(tiny_cache):
    from vimo.representation import canonicalize_vectors, split

    cache = WindowCache.load(tiny_cache)
    # integer times are the captured frames, canonicalised on the first one
    times = torch.tensor([[5.0, 6.0, 7.0, 8.0], [40.0, 41.0, 42.0, 43.0]], dtype=torch.float64)
    got = cache.batch_at_times(torch.tensor([1, 3]), times)
    for b, (seq, t0) in enumerate([(1, 5), (3, 40)]):
        first = int(cache.seq_start[seq]) + t0
        assert torch.allclose(got[b], canonicalize_vectors(cache.vectors[first : first + 4]), atol=1e-5)
    # half a frame lies between its neighbours (root height is untouched by canonicalisation); contacts stay 0/1
    half = cache.batch_at_times(torch.tensor([0]), torch.tensor([[10.0, 10.5, 11.0]], dtype=torch.float64))
    y = split(half).root_position[0, :, 1]
    assert float(y[1]) == pytest.approx(float(y[0] + y[2]) / 2, abs=1e-6)
    assert set(split(half).contacts.unique().tolist()) <= {0.0, 1.0}
    # times past either end of the sequence read its first / last frame, never the next sequence's
    edge = cache.batch_at_times(torch.tensor([0, 0]), torch.tensor([[-3.0, 0.0], [59.0, 75.0]], dtype=torch.float64))
    assert torch.allclose(edge[0, 0], edge[0, 1], atol=1e-6) and torch.allclose(edge[1, 0], edge[1, 1], atol=1e-6)


def test_windows_replayed_at_a_rate_resample_the_captured_frames(tiny_cache):
    from vimo.representation import canonicalize_vectors

    cache = WindowCache.load(tiny_cache)
    assert cache.window == 30 and cache.sequence_lengths().tolist() == [60, 60, 60, 60]
    rows = torch.tensor([[0, 0], [1, 10], [2, 30]])
    same = cache.batch_rows_at_rates(rows, torch.ones(3))
    assert torch.allclose(same, cache.batch_rows(rows), atol=1e-5)

    # rate 59/30 spans 59 captured frames: window frame k is captured frame 2k, from the row's start, or moved
    # back so that the span ends with the sequence (start 30 -> 1) and no frame of the next sequence is read
    fast = cache.batch_rows_at_rates(rows, torch.full((3,), 59 / 30))
    for b, (seq, start) in enumerate(rows.tolist()):
        first = int(cache.seq_start[seq]) + min(start, 1)
        expected = canonicalize_vectors(cache.vectors[first + 2 * torch.arange(30)])
        assert torch.allclose(fast[b], expected, atol=1e-5), (seq, start)

    # slowed down, the pelvis travels about half as far over the window
    slow = cache.batch_rows_at_rates(rows[:1], torch.tensor([0.5]))
    travel = lambda x: float((x[0, -1, ROOT] - x[0, 0, ROOT])[[0, 2]].norm())  # noqa: E731
    assert travel(slow) == pytest.approx(travel(cache.batch_rows(rows[:1])) * 14.5 / 29, rel=0.35)
    # a span longer than the sequence plays it whole
    whole = cache.batch_rows_at_rates(rows[:1], torch.tensor([3.0]))
    assert torch.allclose(whole[0, -1], canonicalize_vectors(cache.vectors[:60])[-1], atol=1e-5)


# -- issue 18.1: the output folder is the user's until it is a cache of ours ------------------------------
def test_a_folder_holding_anything_else_is_refused_and_left_untouched(motion_tree, tmp_path):
    from vimo.errors import VimoError

    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.tex").write_text("years of work")
    with pytest.raises(VimoError, match=r"mine: holds files that are not a vimo cache \(thesis.tex\)"):
        prepare([motion_tree], out, config=PrepareConfig(stride=50), workers=1)
    assert sorted(p.name for p in out.iterdir()) == ["thesis.tex"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine", "src"]  # no temp or .old folders


def test_an_existing_file_as_output_is_refused_never_renamed(motion_tree, tmp_path):
    from vimo.errors import VimoError

    out = tmp_path / "notes.txt"
    out.write_text("keep me")
    with pytest.raises(VimoError, match="notes.txt: exists and is not a folder"):
        prepare([motion_tree], out, config=PrepareConfig(stride=50), workers=1)
    assert out.read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "src"]


def test_our_cache_is_swapped_for_the_new_one_and_nothing_beside_it_is_touched(motion_tree, tmp_path, monkeypatch):
    import vimo.data.prepare as prep

    out = tmp_path / "cache"
    (tmp_path / "cache.old").mkdir()  # the user's, beside the cache: the old code removed it
    (tmp_path / "cache.old" / "keep.txt").write_text("mine")
    prepare([motion_tree], out, config=PrepareConfig(stride=50), workers=1)
    meta = json.loads((out / "meta.json").read_text())
    assert meta["kind"] == prep.CACHE_KIND and sorted(meta["files"]) == sorted(p.name for p in out.iterdir())
    swaps = []
    real_swap = prep.swap_dirs
    monkeypatch.setattr(prep, "swap_dirs", lambda new, target: (swaps.append(target), real_swap(new, target)))
    again = prepare([motion_tree], out, config=PrepareConfig(stride=25), workers=1)
    assert swaps == [out] and not again.up_to_date
    assert json.loads((out / "meta.json").read_text())["config"]["stride"] == 25
    assert (tmp_path / "cache.old" / "keep.txt").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "cache.old", "src"]
    # a cache written before caches had a kind is still ours; one with a stray file in it is not
    del meta["kind"], meta["files"]
    (out / "meta.json").write_text(json.dumps(meta))
    prepare([motion_tree], out, config=PrepareConfig(stride=50), workers=1)
    (out / "stray.txt").write_text("x")
    with pytest.raises(prep.VimoError, match=r"not a vimo cache \(stray.txt\)"):
        prepare([motion_tree], out, config=PrepareConfig(stride=30), workers=1)


def test_swap_dirs_exchanges_two_folders(tmp_path):
    from vimo.io.atomic import swap_dirs

    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "new").write_text("")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "old").write_text("")
    swap_dirs(tmp_path / "a", tmp_path / "b")
    assert [p.name for p in (tmp_path / "b").iterdir()] == ["new"]
    assert [p.name for p in (tmp_path / "a").iterdir()] == ["old"]


# -- issue 18.4: no window at all is a one-line error, not an IndexError -----------------------------------
def test_sources_without_a_single_window_are_a_clear_error(tmp_path):
    from vimo.errors import VimoError

    write_bvh(walking_motion(64), tmp_path / "short.bvh")
    with pytest.raises(VimoError, match=r"no motion of at least 150 frames .*short.bvh: 1 shorter, 0 failed"):
        prepare([tmp_path / "short.bvh"], tmp_path / "cache", workers=1)
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "a.bvh").write_text("hello")
    with pytest.raises(VimoError, match=r"0 shorter, 1 failed; first failure: .*a.bvh: not a BVH file"):
        prepare([tmp_path / "bad"], tmp_path / "cache", workers=1)
    assert not (tmp_path / "cache").exists()


def test_workers_never_exceed_files_or_cores(motion_tree, tmp_path, monkeypatch):
    import os

    import vimo.data.prepare as prep

    asked = []
    real = prep.ProcessPoolExecutor

    def recording(max_workers):
        asked.append(max_workers)
        return real(max_workers=max_workers)

    monkeypatch.setattr(prep, "ProcessPoolExecutor", recording)
    prepare([motion_tree], tmp_path / "cache", config=PrepareConfig(stride=50), workers=100_000)
    assert asked == [min(3, os.cpu_count() or 1)]  # 3 motion files
