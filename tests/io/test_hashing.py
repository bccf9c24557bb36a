"""file_sha256: a file's content hash, read in blocks."""

import hashlib

from vimo.io.hashing import BLOCK_BYTES, file_sha256


def test_matches_hashlib_on_files_larger_than_a_block(tmp_path):
    data = bytes(range(256)) * (BLOCK_BYTES // 256 * 2 + 3)  # two blocks and a bit
    path = tmp_path / "video.bin"
    path.write_bytes(data)
    assert file_sha256(path) == file_sha256(str(path)) == hashlib.sha256(data).hexdigest()
    path.write_bytes(data[:-1])
    assert file_sha256(path) != hashlib.sha256(data).hexdigest()
