"""`vimo dataset build`: a killed run resumes; options checked before any work."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from tests.apps.dataset.common import CLI_FLAGS, files, listed, runner

from vimo.cli import app


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
def test_killed_run_resumes_without_losses_or_duplicates(built, videos, tiny_bundle, tmp_path, sig):
    out = tmp_path / "ds"
    cmd = [sys.executable, "-c", "from vimo.cli import app; app()", "dataset", "build", str(videos), "-o", str(out),
           "--weights", str(tiny_bundle), *CLI_FLAGS]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not list(out.glob("motions/*/*/sample_*.npz")) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        proc.send_signal(sig)
        code = proc.wait(timeout=60)
    finally:
        proc.kill()
    assert code == (130 if sig == signal.SIGTERM else -sig), "the run finished before it could be killed"
    if (out / "manifest.jsonl").exists():  # what a killed run leaves is consistent
        assert all((out / rel).is_file() for rel in listed(out))
    committed = {rel: (out / rel).stat().st_mtime_ns for record in out.glob("state/*/f*.json")
                 for sample in json.loads(record.read_text())["samples"] for rel in sample["files"]}  # fmt: skip
    res = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    assert (out / "manifest.jsonl").read_text() == (built[0] / "manifest.jsonl").read_text()
    assert listed(out) == {p for p in files(out) if p.startswith("motions/")}
    assert not [p for p in out.rglob("*") if ".tmp" in p.name]
    assert all((out / rel).stat().st_mtime_ns == t for rel, t in committed.items())  # finished clips not redone


def test_cli_rejects_ray_options_for_the_local_engine(videos, tmp_path):
    res = runner.invoke(app, ["dataset", "build", str(videos), "-o", str(tmp_path / "ds"), "--workers", "4"])
    assert res.exit_code == 2 and "--engine ray" in res.output
