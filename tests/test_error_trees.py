"""Each package's error tree, drawn in the docstring of its `errors.py`, is the real one.

The drawing is what a maintainer reads to learn which errors exist and what catches what, so it
must not go stale: these tests import every module of the package, find every exception class
defined in it, and fail when one is missing from the drawing, drawn twice, drawn under a class
that is not one of its bases, or when the drawing names a class that does not exist. Private
classes (`_Name`) never leave their module (control flow inside one function) and are not drawn.
"""

from __future__ import annotations

import builtins
import importlib
import pkgutil
import re
from dataclasses import dataclass
from types import ModuleType

import pytest

_NAME = re.compile(r"[A-Za-z_][\w.]*")
_BRANCHES = set("│├└─ ")


@dataclass(frozen=True)
class Drawn:
    name: str
    parent: str | None  # the name drawn one level up, None for a root


def drawing(module: ModuleType) -> list[Drawn]:
    """The tree drawn in `module`'s docstring: its first indented block, one class a line, each
    level four columns deeper than its parent."""
    lines = (module.__doc__ or "").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("    "))
    drawn: list[Drawn] = []
    path: list[str] = []  # the names at each depth, down to the line just read
    for line in lines[start:]:
        if not line.startswith("    "):
            break
        body = line[4:]
        column = len(body) - len(body.lstrip("".join(_BRANCHES)))
        found = _NAME.match(body, column)
        if found is None or (column and body[column - 4 : column] not in ("├── ", "└── ")):
            continue  # not a class: a description carried onto the next line
        depth = column // 4
        del path[depth:]
        drawn.append(Drawn(found.group(), path[-1] if path else None))
        path.append(found.group())
    return drawn


def defined_exceptions(package: str) -> dict[str, type[BaseException]]:
    """Every public exception class defined in a module of `package`, by name."""
    root = importlib.import_module(package)
    found: dict[str, type[BaseException]] = {}
    for info in pkgutil.walk_packages(root.__path__, f"{package}."):
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if (
                isinstance(value, type)
                and issubclass(value, BaseException)
                and value.__module__ == info.name
                and not name.startswith("_")
            ):
                assert name not in found, f"{name} is defined twice: one name, one class"
                found[name] = value
    return found


def outside(name: str) -> type[BaseException]:
    """A class the drawing names from outside the package: a built-in or `module.Class`."""
    if "." not in name:
        value = getattr(builtins, name)
    else:
        module, _, attribute = name.rpartition(".")
        value = getattr(importlib.import_module(module), attribute)
    assert isinstance(value, type) and issubclass(value, BaseException)
    return value


@pytest.mark.parametrize("package", ["content_queue", "xensocial"])
def test_every_exception_class_is_drawn_under_its_base(package: str) -> None:
    classes = defined_exceptions(package)
    drawn = drawing(importlib.import_module(f"{package}.errors"))
    names = [d.name for d in drawn]
    assert sorted(set(classes) - set(names)) == [], "defined but not drawn"
    assert sorted(n for n in set(names) if names.count(n) > 1) == [], "drawn twice"

    def resolve(name: str) -> type[BaseException]:
        return classes[name] if name in classes else outside(name)

    for d in drawn:
        cls = resolve(d.name)  # a name drawn that does not exist fails here
        if d.parent is not None:
            assert resolve(d.parent) in cls.__bases__, f"{d.name} is drawn under {d.parent}"
        elif d.name in classes:  # a root of the package's own: its bases are not the package's
            assert not set(cls.__bases__) & set(classes.values()), f"{d.name} drawn as a root"


def test_the_drawing_is_read_as_drawn() -> None:
    # The parser on a small drawing, so a change to it cannot make the test above pass vacuously.
    module = ModuleType("m", "Errors.\n\n    A    one\n    ├── B    two\n    │   └── C\n"
                        "    │       continued\n    └── D\n    E\n\nMore.")  # fmt: skip
    assert drawing(module) == [
        Drawn("A", None),
        Drawn("B", "A"),
        Drawn("C", "B"),
        Drawn("D", "A"),
        Drawn("E", None),
    ]
