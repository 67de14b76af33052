"""Lazy command registration: ``main`` imports only the command module a command line needs,
and the table that says which module registers which command matches the modules."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from recepcja.cli import commands
from recepcja.cli.main import _needed_modules, build_parser


def _top_commands(parser: argparse.ArgumentParser) -> list[str]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return list(action.choices)
    return []


@pytest.mark.parametrize("module", list(commands.MODULES))
def test_each_module_registers_exactly_the_commands_the_table_names(module):
    assert _top_commands(build_parser((module,))) == list(commands.MODULES[module])


def test_the_full_parser_lists_every_command_in_table_order():
    assert _top_commands(build_parser()) == list(commands.COMMANDS)


@pytest.mark.parametrize(
    ("argv", "needed"),
    [
        ([], ()),
        (["--training"], ()),
        (["--version"], ()),
        (["--help"], None),
        (["-v", "--help", "status"], None),
        (["--he"], None),
        (["-vh"], None),
        (["status", "--json"], ("status",)),
        (["-v", "--training", "book", "--help"], ("desk",)),
        (["restore", "x.sqlite"], ("backup",)),
        (["no-such-command"], None),
    ],
)
def test_the_command_line_decides_what_is_imported(argv, needed):
    assert _needed_modules(argv) == needed


def test_version_imports_no_command_module():
    code = ("import sys\nfrom recepcja.cli.main import main\n"
            "try:\n    main(['--version'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m.startswith('recepcja.cli.commands.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=60).stdout
    assert out.strip().splitlines()[-1] == "[]"
