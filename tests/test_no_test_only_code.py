"""No public function or method of the packages exists for tests alone.

A function only tests call makes the tests exercise a path the program never takes (issue 16
found `Ledger.begin_publish`, `recent_slots`, `list_counts`, `plan_channel`, ...): the tests
pass while the path the daemon does take goes unchecked. So every public `def` in
`content_queue/` and `xensocial/` must be named somewhere in the program: the two packages,
the entry points in `pyproject.toml`, and `docs/examples/` (the documented script that draws
the README's example report). Tests and benchmarks do not count: what they need to read, they
read through the program's own calls, or with a helper of their own under `tests/`
(`tests/choosing.py`, `tests/stored_rows.py`) built on the packages' public API.

What counts as named is read with `ast`: any name, attribute or import of that word outside
its own `def`. It is a check by name, not by type: a method whose name the program uses for
something else (another class's method, a field) passes unseen; the check catches a function
nothing names, which is how test-only code is left behind. A click command or group is named
by its decorator, so it counts as used.

The few methods that only a library calls (they implement its interface) are listed below,
each with its reason; an entry that is no longer needed fails the test too, so the list stays
true.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.paths import ROOT

PACKAGES = ("content_queue", "xensocial")
# Other program code that names the packages' functions (not tests, not benchmarks).
ALSO_PROGRAM = ("docs/examples",)

# path:Class.method -> why nothing of ours names it: a library calls it.
CALLED_BY_A_LIBRARY = {
    "content_queue/schema_base.py:UTCDateTime.process_bind_param": "SQLAlchemy's TypeDecorator",
    "content_queue/schema_base.py:UTCDateTime.process_result_value": "SQLAlchemy's TypeDecorator",
    "content_queue/csvrecords.py:_Capped.readable": "io.RawIOBase, under io.BufferedReader",
    "xensocial/cli/lazy.py:LazyGroup.format_commands": "click.Group writes --help with it",
    "xensocial/intake/transport.py:GuardedBackend.connect_unix_socket": (
        "httpcore.NetworkBackend's interface (refused: intake never uses unix sockets)"
    ),
    "xensocial/intake/entries.py:_TextExtractor.handle_endtag": "html.parser.HTMLParser",
    "xensocial/intake/entries.py:_TextExtractor.handle_data": "html.parser.HTMLParser",
    "xensocial/intake/links.py:_MetaParser.handle_startendtag": "html.parser.HTMLParser",
    "xensocial/intake/links.py:_MetaParser.handle_endtag": "html.parser.HTMLParser",
    "xensocial/intake/links.py:_MetaParser.handle_data": "html.parser.HTMLParser",
    "xensocial/web/auth.py:SessionMiddleware.dispatch": "Starlette's BaseHTTPMiddleware",
}

# path:function -> the feature that will call it; built and tested ahead of it. Each entry goes
# when its caller lands (the test below fails on an entry the program names).
BUILT_FOR_WHAT_COMES: dict[str, str] = {}

_REGISTERED_BY_DECORATOR = re.compile(r"\.(command|group)\b")


def _program_files() -> Iterator[Path]:
    for folder in (*PACKAGES, *ALSO_PROGRAM):
        yield from sorted((ROOT / folder).rglob("*.py"))


def _defs(tree: ast.Module) -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    """Every function and method with its qualified name (Class.method, outer.inner)."""

    def walk(node: ast.AST, prefix: str) -> Iterator[tuple[str, Any]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                yield from walk(child, f"{prefix}{child.name}.")
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                yield f"{prefix}{child.name}", child
                yield from walk(child, f"{prefix}{child.name}.")
            else:
                yield from walk(child, prefix)

    yield from walk(tree, "")


def _named(tree: ast.Module) -> Iterator[str]:
    """Every word the module names: names, attributes, imports, and strings that are a name
    or a dotted path (a lazily imported `module:attribute`, a `getattr` by name); not the
    words of docstrings and messages, which name functions without calling them, nor
    `__all__`, which exports a name whether anything calls it or not."""
    exported: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
                exported.update(id(c) for c in ast.walk(node))
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            yield node.id
        elif isinstance(node, ast.Attribute):
            yield node.attr
        elif isinstance(node, ast.alias):
            yield node.name.rsplit(".", 1)[-1]
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in exported
            and re.fullmatch(r"[A-Za-z_][\w.:]*", node.value)
        ):
            yield from re.findall(r"[A-Za-z_]\w*", node.value)


def _unnamed() -> dict[str, str]:
    """path:qualname -> name, for each public def of the packages the program never names."""
    trees = {path: ast.parse(path.read_text(encoding="utf-8")) for path in _program_files()}
    named: set[str] = set(re.findall(r"[A-Za-z_]\w*", (ROOT / "pyproject.toml").read_text()))
    for tree in trees.values():
        named.update(_named(tree))
    out: dict[str, str] = {}
    for path, tree in trees.items():
        relative = path.relative_to(ROOT).as_posix()
        if not relative.startswith(PACKAGES):
            continue
        for qualname, node in _defs(tree):
            if node.name.startswith("_") or node.name in named:
                continue
            decorators = [ast.unparse(d) for d in node.decorator_list]
            if any(_REGISTERED_BY_DECORATOR.search(d) for d in decorators):
                continue
            out[f"{relative}:{qualname}"] = node.name
    return out


def test_every_public_function_is_named_by_the_program() -> None:
    unnamed = _unnamed()
    only_tests = sorted(set(unnamed) - set(CALLED_BY_A_LIBRARY) - set(BUILT_FOR_WHAT_COMES))
    assert only_tests == [], (
        "public functions the program never names (only tests or benchmarks call them, or "
        "nothing does): point the tests at the program's path, or move the helper to tests/"
    )


def test_every_library_callback_listed_still_exists_and_is_unnamed() -> None:
    assert sorted(set(CALLED_BY_A_LIBRARY) - set(_unnamed())) == []


def test_every_function_built_ahead_is_still_waiting_for_its_caller() -> None:
    """An entry whose caller has landed goes: the list holds only what is still to come."""
    assert sorted(set(BUILT_FOR_WHAT_COMES) - set(_unnamed())) == []


def test_the_check_sees_a_function_only_tests_call(tmp_path: Path) -> None:
    """The check itself: a def nothing names is found, one a module names is not."""
    tree = ast.parse(
        '__all__ = ["Store", "exported"]\n'
        "class Store:\n"
        "    def used(self): ...\n"
        "    def for_tests(self):\n"
        '        """Not `used` by the program."""\n'
        "def exported(): ...\n"
        "def caller(s):\n"
        "    return s.used()\n"
    )
    defs = {name for name, node in _defs(tree) if node.name not in set(_named(tree))}
    assert "Store.used" not in defs
    assert {"Store.for_tests", "exported"} <= defs  # a docstring or __all__ calls nothing
