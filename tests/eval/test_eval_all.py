"""`vimo eval all`: every suite on a tiny cache and model, the summary table, and reuse of finished suites."""

import json

from typer.testing import CliRunner

from vimo.cli import app

runner = CliRunner()


def test_eval_all_writes_every_suite_and_the_table(tiny_cache, tiny_bundle, tmp_path):
    out = tmp_path / "eval"
    args = ["eval", "all", "--data", str(tiny_cache), "--split", "val", "-o", str(out), "--windows", "2",
            "--best-of", "2", "--rendered-windows", "1", "--robustness-windows", "2", "--steps", "2",
            "--videos", str(tmp_path / "no_videos"), "--weights", str(tiny_bundle)]  # fmt: skip
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    for path in ("casual/casual.json", "rendered/rendered.json", "real/real.json", "robustness/robustness.json",
                 "robustness/robustness_cuts.png", "table.md", "timings.json"):  # fmt: skip
        assert (out / path).stat().st_size > 0, path
    table = (out / "table.md").read_text()
    assert "| ViMo (1 sample) |" in table and "| ViMo (best of 2, oracle) |" not in table  # label is for K = 5
    assert "| MediaPipe world landmarks (peer) |" in table and "| ground truth |" in table
    row = next(line for line in table.splitlines() if line.startswith("| ViMo (1 sample) |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert all(cells[1:7]), row  # casual columns filled
    assert json.loads((out / "real" / "real.json").read_text())["skipped"]  # no real clips here: said why

    (out / "table.md").unlink()
    again = runner.invoke(app, args)
    assert again.exit_code == 0 and again.output.count("reusing") == 4
    assert (out / "table.md").read_text() == table
