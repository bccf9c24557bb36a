"""No import cycles among vimo's modules, counting imports inside functions too (a lazy import hides a cycle from
the interpreter, not from a reader). The layers contract (tests/test_architecture.py) forbids upward imports;
this also catches cycles between modules of one layer."""

from __future__ import annotations

import ast
from pathlib import Path

import vimo

PACKAGE = Path(vimo.__file__).parent

# Known cycles, each to be removed by the work named next to it (then delete its entry here).
KNOWN: set[frozenset[str]] = set()  # none left (the dataset builder's split into a package removed the last)


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """module -> the vimo modules it imports anywhere in its file (``from vimo.x import y``: vimo.x.y when that
    is a module, else vimo.x)."""
    graph = {}
    for name, path in modules.items():
        deps = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                deps |= {f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in modules else node.module
                         for a in node.names}  # fmt: skip
            elif isinstance(node, ast.Import):
                deps |= {a.name for a in node.names}
        graph[name] = {d for d in deps if d in modules and d != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(frozenset(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycles_beyond_the_known_ones():
    found = set(cycles(import_graph(_modules())))
    assert found <= KNOWN, f"import cycles: {[sorted(c) for c in found - KNOWN]}"


def test_the_walker_finds_a_cycle_through_a_function_level_import(tmp_path):
    for name, body in (("a", "from vimo.b import f\n"), ("b", "def f():\n    from vimo.a import g\n")):
        (tmp_path / f"{name}.py").write_text(body)
    modules = {f"vimo.{n}": tmp_path / f"{n}.py" for n in ("a", "b")}
    assert cycles(import_graph(modules)) == [frozenset({"vimo.a", "vimo.b"})]
