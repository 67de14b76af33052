"""Layering guards (docs/ARCHITECTURE.md): imports point down only, through every layer of the
package (``LAYER_ORDER``); zeep only in ``cer/``, PySide6 only in ``gui/``, psycopg only in
``store/``; the simulator never imports the client side, and ``net/`` (shared by both) imports
nothing of the package.

Checked on the source (every ``import``/``from ... import``, also inside functions), so a lazy
import in the wrong layer is caught as surely as a top-level one. And importing the gateway's
public modules must not pull zeep in: the app's cold start pays for zeep only at the first call.
"""

from __future__ import annotations

import ast
import functools
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "desktop" / "recepcja"
MODULES = sorted(PACKAGE.rglob("*.py"))

# top-level import name -> the only folder of the package allowed to import it
CONFINED = {"zeep": "cer", "PySide6": "gui", "psycopg": "store"}

# folder of the package -> all of the package it may import (folders and top-level modules)
# The simulator stands for CeR: domain/ at most, plus the neutral pieces (never cer/, sync/,
# services/, store/, config/, cli/, gui/). net/ serves both sides, so it depends on neither.
INTERNAL_IMPORTS = {
    "simulator": {"simulator", "domain", "net", "i18n", "resources"},
    "net": {"net"},
}


# docs/ARCHITECTURE.md's layers, top first: a module may import its own layer and those below it.
# Top-level modules are layers of their own (``__init__``: ``from recepcja import __version__``).
# The simulator stands beside the client side: only services/ (training) and cli/ (``recepcja
# sim``) start it, so it sits right below them - sync/ and everything under it may not import it -
# and INTERNAL_IMPORTS keeps it from importing the client side in turn.
LAYER_ORDER = (
    "__main__", "gui", "cli", "services", "simulator", "sync", "cer", "store", "config", "i18n",
    "domain", "net", "crashpoints", "resources", "__init__",
)

# (module, imported name) -> why this import may point up. Keep it short and honest.
KNOWN_UPWARD_IMPORTS = {
    ("cli/commands/gui.py", "recepcja.gui.app"):
        "`recepcja` without a command: the command line is the app's entry point and starts "
        "the window (imported inside run_gui, only when it runs)",
}


@functools.cache
def syntax_tree(path: Path) -> ast.Module:
    """Each module parsed once for all the checks (the parse is most of their time)."""
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


@functools.cache
def imported_names(path: Path) -> tuple[tuple[str, int], ...]:
    tree = syntax_tree(path)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.module, node.lineno))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.args[0].value, node.lineno))
    return tuple(found)


@functools.cache
def package_imports(path: Path, package: Path = PACKAGE) -> tuple[tuple[str, int], ...]:
    """The package's own modules ``path`` imports, absolute or relative, as ``recepcja.x.y``."""
    here = list(path.relative_to(package.parent).with_suffix("").parts)
    found = [(name, line) for name, line in imported_names(path)
             if name.split(".")[0] == package.name]
    for node in ast.walk(syntax_tree(path)):
        if isinstance(node, ast.ImportFrom) and node.level > 0:
            base = here[: len(here) - node.level]  # a module's package is one level up
            found.append((".".join([*base, *([node.module] if node.module else [])]), node.lineno))
    return tuple(found)


def layer_of(relative: Path) -> str:
    """The layer of a module (path relative to the package): its folder, or its own name."""
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def layer_imports(package: Path = PACKAGE) -> list[tuple[str, str, str]]:
    """(importing layer, imported layer, ``module:line: name``) for every import of the package's
    own modules from another layer."""
    edges = []
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package)
        for name, line in package_imports(path, package):
            parts = name.split(".")
            target = parts[1] if len(parts) > 1 else "__init__"
            if target != layer_of(relative):
                edges.append((layer_of(relative), target, f"{relative.as_posix()}:{line}: {name}"))
    return edges


def upward_imports(edges: list[tuple[str, str, str]], order: tuple[str, ...] = LAYER_ORDER,
                   known: frozenset[tuple[str, str]] = frozenset()) -> list[str]:
    """``module:line: name (from -> to)`` for each import pointing up ``order`` (top first), or
    to or from a layer ``order`` does not place, unless ``(module, name)`` is in ``known``."""
    rank = {layer: index for index, layer in enumerate(order)}
    found = []
    for source, target, where in edges:
        module, _, name = where.partition(":")
        if (module, name.split(": ", 1)[-1]) in known:
            continue
        if source not in rank or target not in rank or rank[target] < rank[source]:
            found.append(f"{where} ({source} -> {target})")
    return found


def test_the_package_is_there():
    assert len(MODULES) > 10


def test_imports_point_down_only_through_every_layer():
    found = upward_imports(layer_imports(), known=frozenset(KNOWN_UPWARD_IMPORTS))
    assert not found, ("imports pointing up (or from/to a layer LAYER_ORDER does not place; "
                       "docs/ARCHITECTURE.md):\n" + "\n".join(found))


def test_every_layer_is_placed_and_every_known_exception_still_exists():
    layers = {layer_of(path.relative_to(PACKAGE)) for path in MODULES}
    assert layers <= set(LAYER_ORDER), sorted(layers - set(LAYER_ORDER))
    present = {(where.split(":")[0], where.split(": ", 1)[1]) for _, _, where in layer_imports()}
    assert set(KNOWN_UPWARD_IMPORTS) <= present, "a known exception is gone: take it off the list"


def test_the_checker_fails_on_an_import_pointing_up(tmp_path):
    """A synthetic package: store/ importing sync/ (also lazily, also relatively) is caught;
    sync/ importing store/ and a module importing its own layer are not."""
    package = tmp_path / "recepcja"
    for folder, source in {
        "store": "from recepcja.sync import replay\n\n\ndef later():\n"
                 "    import recepcja.gui.app\n    from ..sync import engine\n",
        "sync": "from recepcja.store import db\nfrom recepcja.sync import engine\n",
    }.items():
        (package / folder).mkdir(parents=True)
        (package / folder / "__init__.py").write_text("")
        (package / folder / "mod.py").write_text(source)
    found = upward_imports(layer_imports(package))
    assert found == [
        "store/mod.py:1: recepcja.sync (store -> sync)",
        "store/mod.py:5: recepcja.gui.app (store -> gui)",
        "store/mod.py:6: recepcja.sync (store -> sync)",
    ]
    assert upward_imports(layer_imports(package),
                          known=frozenset({("store/mod.py", "recepcja.gui.app")})) == [
        "store/mod.py:1: recepcja.sync (store -> sync)",
        "store/mod.py:6: recepcja.sync (store -> sync)",
    ]
    (package / "reports").mkdir()
    (package / "reports" / "mod.py").write_text("from recepcja.domain import model\n")
    assert ("reports/mod.py:1: recepcja.domain (reports -> domain)"  # a layer not placed
            in upward_imports(layer_imports(package)))


def offenders(in_scope, imports, forbidden) -> list[str]:
    """``module:line: name`` for each import ``forbidden(name)`` of the modules ``in_scope``."""
    return [
        f"{relative}:{line}: {name}"
        for path in MODULES
        if in_scope(relative := path.relative_to(PACKAGE))
        for name, line in imports(path)
        if forbidden(name)
    ]


@pytest.mark.parametrize("library", sorted(CONFINED))
def test_library_is_imported_only_in_its_layer(library):
    layer = CONFINED[library]
    found = offenders(lambda relative: relative.parts[0] != layer, imported_names,
                      lambda name: name.split(".")[0] == library)
    assert not found, f"{library} imported outside {layer}/:\n" + "\n".join(found)


@pytest.mark.parametrize("layer", sorted(INTERNAL_IMPORTS))
def test_layer_imports_only_what_it_may(layer):
    allowed = INTERNAL_IMPORTS[layer]
    found = offenders(lambda relative: relative.parts[0] == layer, package_imports,
                      lambda name: name.count(".") < 1 or name.split(".")[1] not in allowed)
    assert not found, f"{layer}/ may import only {sorted(allowed)}:\n" + "\n".join(found)


def test_importing_the_gateway_does_not_import_zeep():
    code = (
        "import sys\n"
        "import recepcja.cer, recepcja.cer.gateway, recepcja.cer.push, recepcja.cer.errors\n"
        "import recepcja.cer.types, recepcja.cer.mapping, recepcja.cer.security\n"
        "import recepcja.cer.contract, recepcja.cer.referrals, recepcja.services.referrals\n"
        "assert 'zeep' not in sys.modules, 'zeep imported at module level'\n"
        "assert 'requests' not in sys.modules, 'requests imported at module level'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=PACKAGE.parent)
