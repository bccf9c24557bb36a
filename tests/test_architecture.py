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
    (a module's attribute, a class's method), and a function or class is named by the module that defines it."""
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
            home = obj.__name__
            try:
                for attr in parts[cut:]:
                    obj = getattr(obj, attr)
            except AttributeError:
                missing.append(name)
            else:  # a function or class is cited where it is defined, not where it is re-exported
                if len(parts) - cut == 1 and getattr(obj, "__module__", home) != home:
                    missing.append(f"{name} (defined in {obj.__module__})")
            break
    assert not missing, missing


def _import_cycles(modules: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles = []
    for root in sorted(modules):
        if root in index:
            continue
        work = [(root, iter(sorted(modules[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            for nxt in edges:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(modules[nxt]))))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.add(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        cycles.append(component)
    return cycles


def test_no_import_cycles():
    """No two modules import each other, directly or round a loop (imports inside functions count too)."""
    import grimp

    graph = grimp.build_graph("vimo")
    modules = {m: set(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    assert _import_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]  # the finder
    assert _import_cycles(modules) == []


def test_every_module_has_a_layer():
    """A new module is placed in the contract (a layer, or inside a layered package), so the check covers it."""
    import grimp
    import tomllib

    contract = tomllib.loads(CONFIG.read_text())["tool"]["importlinter"]["contracts"][0]
    layered = {"vimo." + name.strip().strip("()") for layer in contract["layers"]
               for name in layer.replace(":", "|").split("|")}  # fmt: skip
    graph = grimp.build_graph("vimo")
    loose = [m for m in graph.modules
             if not any(m == n or m.startswith(n + ".") for n in layered)  # not in a layer
             and not any(n.startswith(m + ".") for n in layered)]  # nor a package whose parts are layered  # fmt: skip
    assert not loose, f"place these in [tool.importlinter] layers (pyproject.toml) and ARCHITECTURE.md: {loose}"
