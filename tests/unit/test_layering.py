"""Layering guards (docs/DESIGN.md): zeep only in ``cer/``, PySide6 only in ``gui/``, psycopg
only in ``store/``; the simulator never imports the client side, and ``net/`` (shared by both)
imports nothing of the package.

Checked on the source (every ``import``/``from ... import``, also inside functions), so a lazy
import in the wrong layer is caught as surely as a top-level one. And importing the gateway's
public modules must not pull zeep in: the app's cold start pays for zeep only at the first call.
"""

from __future__ import annotations

import ast
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


def imported_names(path: Path) -> list[tuple[str, int]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
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
    return found


def package_imports(path: Path) -> list[tuple[str, int]]:
    """The package's own modules ``path`` imports, absolute or relative, as ``recepcja.x.y``."""
    here = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    found = [(name, line) for name, line in imported_names(path)
             if name.split(".")[0] == PACKAGE.name]
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level > 0:
            base = here[: len(here) - node.level]  # a module's package is one level up
            found.append((".".join([*base, *([node.module] if node.module else [])]), node.lineno))
    return found


def test_the_package_is_there():
    assert len(MODULES) > 10


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
