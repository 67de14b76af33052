"""The domain stays pure: no I/O, no clock, no Qt or zeep (rules take today/now as parameters)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

DOMAIN_SOURCE = Path(__file__).resolve().parents[3] / "desktop" / "recepcja" / "domain"
MODULES = sorted(DOMAIN_SOURCE.glob("*.py"))

ALLOWED_IMPORTS = {
    "__future__",
    "bisect",
    "calendar",
    "collections",
    "dataclasses",
    "datetime",
    "enum",
    "hashlib",  # pure functions (the workstation prefix derived from its name)
    "heapq",
    "ipaddress",  # parsing addresses only (domain/transport.py)
    "re",
    "string",
    "types",
    "typing",
    "urllib",  # urllib.parse only: splitting a URL is not I/O
    "zoneinfo",
    "holidays",
    "phonenumbers",
    "stdnum",
    "recepcja",
}
CLOCK_CALLS = {"now", "today", "utcnow", "time", "monotonic", "perf_counter"}
IO_CALLS = {"open", "print", "input", "exec", "eval"}


@pytest.mark.parametrize("path", MODULES, ids=lambda path: path.name)
def test_only_pure_imports(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        for name in names:
            assert name.split(".")[0] in ALLOWED_IMPORTS, f"{path.name}: imports {name}"
            if name.startswith("recepcja"):
                assert name.startswith("recepcja.domain"), f"{path.name}: imports {name}"


@pytest.mark.parametrize("path", MODULES, ids=lambda path: path.name)
def test_no_clock_reads_and_no_io(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute):
                assert func.attr not in CLOCK_CALLS, f"{path.name}:{node.lineno}: {func.attr}()"
            if isinstance(func, ast.Name):
                assert func.id not in IO_CALLS, f"{path.name}:{node.lineno}: {func.id}()"


@pytest.mark.parametrize("path", MODULES, ids=lambda path: path.name)
def test_modules_stay_small(path):
    assert len(path.read_text(encoding="utf-8").splitlines()) <= 600
