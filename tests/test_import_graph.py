"""The import graph of bkfit/ (read with the standard library's ``ast``, imports inside
functions included): no circles, and no module imports a layer above its own

    errors < inputs < physics < observables < models < likelihood, priors, config
           < inference < api, distributed, plots < cli

The package root ``bkfit`` (its ``__init__`` only switches JAX to double precision) may be
imported from anywhere.  KNOWN_UPWARD lists allowed upward imports (none left: physics
modules export ``register(catalogue)`` and no longer import bkfit.observables); the test fails
on any new upward import or circle, and on an entry of KNOWN_UPWARD that no longer exists (so
the list only shrinks)."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "bkfit"

RANK = {"errors": 0, "inputs": 1, "physics": 2, "observables": 3, "models": 4,
        "likelihood": 5, "priors": 5, "config": 5, "inference": 6, "distributed": 7,
        "api": 7, "plots": 7, "cli": 8}

KNOWN_UPWARD: set = set()


def _modules() -> dict:
    out = {}
    for p in ROOT.rglob("*.py"):
        parts = list(p.relative_to(ROOT.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = p
    return out


def _targets(mods, cur, node) -> list:
    """bkfit modules an import statement of module ``cur`` loads (most specific existing)."""
    pkg = cur.split(".") if mods[cur].name == "__init__.py" else cur.split(".")[:-1]
    names = []
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names]
    else:
        if node.level:
            base = ".".join(pkg[:len(pkg) - node.level + 1] + ([node.module] if node.module
                                                               else []))
        else:
            base = node.module or ""
        names = [f"{base}.{a.name}" for a in node.names] + [base]
    out = []
    for n in names:
        while n and n not in mods:
            n = n.rsplit(".", 1)[0] if "." in n else ""
        if n.startswith("bkfit"):
            out.append(n)
    return out


def import_graph() -> dict:
    mods = _modules()
    graph = {m: set() for m in mods}
    for m, p in mods.items():
        for node in ast.walk(ast.parse(p.read_text(), str(p))):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                graph[m].update(t for t in _targets(mods, m, node) if t != m)
    return graph


def _cycles(graph) -> list:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))
    for v in graph:
        if v not in index:
            visit(v)
    return out


def _rank(m):
    parts = m.split(".")
    return RANK[parts[1]] if len(parts) > 1 else None


def test_graph_is_read():
    g = import_graph()
    assert "bkfit.physics.invisible_gram" in g["bkfit.physics.invisible"]
    assert "bkfit.inference.run" in g["bkfit.cli.fit"]
    assert "bkfit.cli.fit" in g["bkfit.cli"]
    assert all(_rank(m) is not None for m in g if m != "bkfit"), \
        [m for m in g if m != "bkfit" and _rank(m) is None]


def test_no_import_circles():
    assert _cycles(import_graph()) == []


def test_circle_detection_finds_a_planted_circle():
    g = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(g) == [["a", "b", "c"]]


def test_nothing_imports_upward():
    g = import_graph()
    upward = {(m, t) for m, ts in g.items() for t in ts
              if t != "bkfit" and m != "bkfit" and _rank(t) > _rank(m)}
    assert upward - KNOWN_UPWARD == set()
    assert KNOWN_UPWARD - upward == set(), "remove fixed entries from KNOWN_UPWARD"
