"""No import cycle inside `xensocial`: the graph of its imports, read from the source, is acyclic.

Why: a cycle held open by an import inside a function (the configuration's nine modules were one,
issue 16) works until someone moves that import to the top, and it hides which module is the
lower layer. The graph is built with `ast`, not by importing, so a cycle is found whatever runs
first.

What counts as an edge from module A to module B (both inside `xensocial`):
- an `import`/`from ... import` at module level (in a `try`, `if` or class body too): it runs when
  A is imported;
- the same inside a function: it runs later, but it is still A depending on B, and a cycle made of
  such imports is the same knot, only tied later. The few inside functions that exist to keep a
  command fast (`--help`, `queue list`: see tests/cli/test_cli_speed_paths.py) point down the
  layers like any other import, so they need no exception here.
- `from pkg import name` is an edge to `pkg.name` when that is a module, else to `pkg`.
- importing `pkg.sub` from outside `pkg` is an edge to `pkg` too: Python runs `pkg/__init__.py`
  first, and `xensocial.config`'s re-exports every part of the configuration. (A module's own
  packages are not edges: they are already being imported when it is.)
Not edges: imports under `if TYPE_CHECKING:` (never run; they exist for annotations only), and
imports by name at run time (`importlib.import_module`, entry points: the CLI's lazy commands).

`ALLOWED` lists cycles that are accepted, each with its reason; it is empty and should stay so.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from tests.paths import ROOT

PACKAGE = "xensocial"

# Accepted cycles, as the sorted tuple of their modules -> why. None today.
ALLOWED: dict[tuple[str, ...], str] = {}


def module_names(root: Path = ROOT, package: str = PACKAGE) -> dict[str, Path]:
    """Every module of `package` under `root` -> its file (`pkg/__init__.py` is `pkg`)."""
    out = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.Module) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Each import statement that runs, and whether it is inside a function."""

    def walk(
        node: ast.AST, in_function: bool
    ) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import | ast.ImportFrom):
                yield child, in_function
            elif isinstance(child, ast.If) and _is_type_checking(child.test):
                for other in child.orelse:
                    yield from walk(ast.Module(body=[other], type_ignores=[]), in_function)
            else:
                inner = in_function or isinstance(
                    child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
                )
                yield from walk(child, inner)

    yield from walk(tree, False)


def _targets(
    node: ast.Import | ast.ImportFrom, module: str, is_package: bool, known: set[str]
) -> Iterator[str]:
    if isinstance(node, ast.Import):
        for alias in node.names:
            name = alias.name
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name:
                yield name
        return
    if node.level:
        here = module.split(".") if is_package else module.split(".")[:-1]
        base_parts = here[: len(here) - (node.level - 1)]
        base = ".".join([*base_parts, *([node.module] if node.module else [])])
    else:
        base = node.module or ""
    for alias in node.names:
        sub = f"{base}.{alias.name}"
        if sub in known:
            yield sub
        elif base in known:
            yield base


def import_graph(root: Path = ROOT, package: str = PACKAGE) -> dict[str, dict[str, bool]]:
    """module -> {imported module: True when every import of it is inside a function}."""
    modules = module_names(root, package)
    known = set(modules)
    graph: dict[str, dict[str, bool]] = {m: {} for m in modules}
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node, in_function in _imports(tree):
            for target in _targets(node, module, path.name == "__init__.py", known):
                for reached in _with_parents(target, module):
                    graph[module][reached] = graph[module].get(reached, True) and in_function
    return graph


def _with_parents(target: str, module: str) -> Iterator[str]:
    """`target` and each package around it that is not around `module` too: importing
    `a.b.c` from outside `a.b` runs `a/b/__init__.py` first, and whatever that imports."""
    parts = target.split(".")
    for end in range(len(parts), 0, -1):
        name = ".".join(parts[:end])
        if name == module or module.startswith(name + "."):
            return
        yield name


def cycles(graph: dict[str, dict[str, bool]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:  # recursion depth: the longest import chain, a few dozen
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def shortest_loop(graph: dict[str, dict[str, bool]], start: str, members: set[str]) -> list[str]:
    """A shortest chain of imports from `start` back to itself, within `members`."""
    came_from: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for target in sorted(graph[node]):
                if target not in members or target in came_from:
                    continue
                came_from[target] = node
                if target == start:
                    chain = [start]
                    while chain[-1] != start or len(chain) == 1:
                        chain.append(came_from[chain[-1]])
                    return chain[::-1]
                following.append(target)
        frontier = following
    return [start]


def describe(graph: dict[str, dict[str, bool]], component: list[str]) -> str:
    """`a -> b (in a function) -> a`: one loop of the component, each step's kind said."""
    chain = shortest_loop(graph, component[0], set(component))
    steps = [chain[0]]
    for here, there in zip(chain, chain[1:], strict=False):
        steps.append(f"{there}{' (in a function)' if graph[here][there] else ''}")
    return " -> ".join(steps) + f"  [{len(component)} modules in the knot]"


def test_xensocial_has_no_import_cycle() -> None:
    graph = import_graph()
    problems = [describe(graph, c) for c in cycles(graph) if tuple(c) not in ALLOWED]
    assert not problems, "import cycles in xensocial:\n" + "\n".join(problems)


def test_every_allowed_cycle_still_exists() -> None:
    """An exception that no longer applies is removed, so the list never grows stale."""
    present = {tuple(c) for c in cycles(import_graph())}
    assert set(ALLOWED) <= present, set(ALLOWED) - present


def test_the_graph_sees_every_kind_of_import(tmp_path: Path) -> None:
    """The reader itself: a cycle closed by an import inside a function, a relative import of
    a module by name, `import a.b` and a package's `__init__` are edges; TYPE_CHECKING
    imports are not."""
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("from . import c\n")
    (pkg / "a.py").write_text("from .sub import c\n")
    (pkg / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import a\n"
    )
    (pkg / "sub" / "c.py").write_text("def f():\n    import pkg.a\n")
    graph = import_graph(tmp_path, "pkg")
    assert graph["pkg.a"] == {"pkg.sub.c": False, "pkg.sub": False}
    assert graph["pkg.sub"] == {"pkg.sub.c": False}  # its own package is no edge
    assert graph["pkg.sub.c"] == {"pkg.a": True}
    assert graph["pkg.b"] == {}
    assert cycles(graph) == [["pkg.a", "pkg.sub", "pkg.sub.c"]]
    assert describe(graph, ["pkg.a", "pkg.sub", "pkg.sub.c"]) == (
        "pkg.a -> pkg.sub.c -> pkg.a (in a function)  [3 modules in the knot]"
    )


def test_a_package_init_that_imports_its_importer_is_a_cycle(tmp_path: Path) -> None:
    """`low` imports only `pkg.leaf`, but `pkg/__init__.py` runs first and imports `low`
    back: at run time `low` is half made when `pkg` asks for it."""
    pkg = tmp_path / "top"
    (pkg / "pkg").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "pkg" / "__init__.py").write_text("from .user import X\n")
    (pkg / "pkg" / "leaf.py").write_text("")
    (pkg / "pkg" / "user.py").write_text("from ..low import Y\nX = Y\n")
    (pkg / "low.py").write_text("from .pkg.leaf import __name__ as _n\nY = 1\n")
    graph = import_graph(tmp_path, "top")
    assert cycles(graph) == [["top.low", "top.pkg", "top.pkg.user"]]
