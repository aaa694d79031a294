"""The layers' imports point one way: read from the source files, so no test can miss a module.

Following an item from `queue add` to the network call used to climb back up the layers: the
fit check lived in the CLI and the publisher rendered its posts through reconciliation (issue
16). These checks read every `import` of the packages with `ast` (those inside functions and
`TYPE_CHECKING` blocks too, where a lazy import would hide from a check at run time):

- nothing outside `xensocial/cli/` imports `xensocial.cli`, except `xensocial/__main__.py`,
  whose whole job is to run the CLI (`python -m xensocial`);
- every name of the rendering layer (`xensocial.rendering.__all__`) is imported from the
  rendering layer, never from a module that happens to import it (`publishing` from
  `reconcile`, say);
- the rendering layer imports none of the modules that use it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import xensocial.rendering
from tests.paths import ROOT

PACKAGES = ("xensocial", "content_queue")
# The entry point of `python -m xensocial`: running the CLI is what it is for.
CLI_ENTRY = "xensocial.__main__"
# What uses the rendering layer: the layer must not import it back.
ABOVE_RENDERING = (
    "xensocial.cli",
    "xensocial.publishing",
    "xensocial.dry_run",
    "xensocial.reconcile",
    "xensocial.in_doubt",
    "xensocial.daemon",
    "xensocial.editorial",
)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _sources() -> Iterator[tuple[str, Path]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            yield _module_name(path), path


def _imports(module: str, path: Path) -> Iterator[tuple[str, str | None, int]]:
    """(the module imported, the name taken from it or None, the line) for every import in
    `path`, relative ones made absolute."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, None, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[: len(base) - node.level + 1]
                source = ".".join([*base, *([node.module] if node.module else [])])
            else:
                source = node.module or ""
            for alias in node.names:
                yield source, alias.name, node.lineno


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_the_import_reader_resolves_relative_imports() -> None:
    """The reader sees what the checks below rely on: a relative import made absolute."""
    seen = {
        (source, name)
        for source, name, _ in _imports(
            "xensocial.publishing", ROOT / "xensocial" / "publishing.py"
        )
    }
    assert ("xensocial.rendering", "make_post") in seen
    assert ("xensocial.reconcile", "reconcile_in_flight") in seen
    cli = ROOT / "xensocial" / "cli" / "networks.py"
    assert ("xensocial.rendering", "preview_post") in {
        (s, n) for s, n, _ in _imports("xensocial.cli.networks", cli)
    }


def test_nothing_outside_the_cli_imports_the_cli() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line}: imports {source}"
        for module, path in _sources()
        if not _within(module, "xensocial.cli") and module != CLI_ENTRY
        for source, name, line in _imports(module, path)
        if _within(source, "xensocial.cli")
        or (source == "xensocial" and name == "cli")  # `from xensocial import cli`
    ]
    assert found == []


def test_rendering_names_are_imported_from_the_rendering_layer() -> None:
    names = set(xensocial.rendering.__all__)
    found = [
        f"{path.relative_to(ROOT)}:{line}: {name} from {source}"
        for module, path in _sources()
        for source, name, line in _imports(module, path)
        if name in names
        and source.startswith("xensocial")
        and not _within(source, "xensocial.rendering")
    ]
    assert found == []


def test_publishing_takes_no_rendering_from_reconcile() -> None:
    """The publisher calls reconciliation (it settles deliveries in doubt), but renders its
    posts with the rendering layer, as reconciliation does."""
    path = ROOT / "xensocial" / "publishing.py"
    from_reconcile = {
        name
        for source, name, _ in _imports("xensocial.publishing", path)
        if source == "xensocial.reconcile"
    }
    assert from_reconcile == {"LOOKUP_MARGIN", "Reconciled", "reconcile_in_flight"}
    assert not from_reconcile & set(xensocial.rendering.__all__)


def test_the_rendering_layer_imports_nothing_that_uses_it() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line}: imports {source}"
        for module, path in _sources()
        if _within(module, "xensocial.rendering")
        for source, _name, line in _imports(module, path)
        if any(_within(source, above) for above in ABOVE_RENDERING)
    ]
    assert found == []
