"""The layers of ARCHITECTURE.md hold: import-linter's contract in pyproject.toml ([tool.importlinter]) over
src/vimo, and the same check fails when a module imports a layer above it."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "pyproject.toml"
LINT = (
    "import sys; from importlinter.cli import lint_imports; "
    "sys.exit(lint_imports(config_filename=sys.argv[1], no_cache=True, no_logo=True))"
)


def _lint(src: Path) -> subprocess.CompletedProcess:
    """lint-imports with our contracts on the ``vimo`` package under ``src`` (a fresh process: the package is
    found on PYTHONPATH, not the one this process imported)."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run([sys.executable, "-c", LINT, str(CONFIG)], capture_output=True, text=True, env=env,
                          cwd=src, timeout=300)  # fmt: skip


def test_the_layers_hold():
    res = _lint(ROOT / "src")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "1 kept, 0 broken" in res.stdout


def test_an_import_from_a_higher_layer_is_reported(tmp_path):
    shutil.copytree(ROOT / "src" / "vimo", tmp_path / "vimo", ignore=shutil.ignore_patterns("__pycache__"))
    motion = tmp_path / "vimo" / "motion.py"
    motion.write_text(motion.read_text() + "\n\ndef _wrong():\n    from vimo.run import run  # core reaching up\n")
    res = _lint(tmp_path)
    assert res.returncode != 0
    assert "vimo.motion is not allowed to import vimo.run" in res.stdout
    assert "vimo.motion -> vimo.run" in res.stdout


def test_every_name_architecture_md_gives_exists():
    """The newcomer's map stays true: each dotted ``vimo.`` name in ARCHITECTURE.md imports (module) or resolves
    (a module's attribute, a class's method)."""
    import importlib
    import re

    names = sorted(set(re.findall(r"\bvimo(?:\.\w+)+", (ROOT / "ARCHITECTURE.md").read_text())))
    assert len(names) > 20
    missing = []
    for name in names:
        parts = name.split(".")
        for cut in range(len(parts), 0, -1):
            try:
                obj = importlib.import_module(".".join(parts[:cut]))
            except ModuleNotFoundError:
                continue
            try:
                for attr in parts[cut:]:
                    obj = getattr(obj, attr)
            except AttributeError:
                missing.append(name)
            break
    assert not missing, missing
