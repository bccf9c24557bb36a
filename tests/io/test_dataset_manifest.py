"""Reading a dataset's manifest (what `vimo data prepare` uses to find a built dataset's motions)."""

import json

import pytest

from vimo.errors import VimoError
from vimo.io.dataset_manifest import MANIFEST, dataset_motion_files, read_manifest


def test_a_dataset_lists_its_motions_and_other_folders_are_not_datasets(tmp_path):
    lines = [{"motion": "motions/a/f000000/sample_0.npz"}, {"motion": "motions/b/f000030/sample_1.npz"}]
    (tmp_path / MANIFEST).write_text("".join(json.dumps(d) + "\n" for d in lines) + "\n")
    assert read_manifest(tmp_path) == lines
    assert dataset_motion_files(tmp_path) == [tmp_path / d["motion"] for d in lines]
    plain = tmp_path / "plain"
    plain.mkdir()
    assert dataset_motion_files(plain) is None
    with pytest.raises(VimoError, match="no manifest.jsonl"):
        read_manifest(plain)
