"""The CLI frame: help everywhere, version, stable subcommand names, one-line errors."""

from __future__ import annotations

import argparse

import pytest

from recepcja import __version__
from recepcja.cli.main import build_parser, main

STABLE_COMMANDS = {
    "sim",
    "setup",
    "onboard",
    "publish",
    "patients",
    "slots",
    "book",
    "cancel",
    "reschedule",
    "absence",
    "queue",
    "sync",
    "reconcile",
    "outages",
    "backup",
    "status",
}


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _walk(parser, prefix=()):
    yield prefix, parser
    for name, child in _subparsers(parser).items():
        yield from _walk(child, (*prefix, name))


def test_stable_subcommands_exist():
    assert STABLE_COMMANDS <= set(_subparsers(build_parser()))


def test_every_command_has_help_text_and_help_runs(capsys):
    parser = build_parser()
    top_help = {a.dest: a for a in parser._subparsers._group_actions[0]._choices_actions}
    for name in _subparsers(parser):
        assert top_help[name].help, f"{name} has no help text"
    for path, _child in _walk(parser):
        with pytest.raises(SystemExit) as exit_info:
            main([*path, "--help"])
        assert exit_info.value.code == 0
        out = capsys.readouterr().out
        assert "usage:" in out or "użycie:" in out, path


def test_version(capsys):
    with pytest.raises(SystemExit):
        main(["--version"])
    assert __version__ in capsys.readouterr().out


def test_unknown_option_is_one_line_on_stderr(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["status", "--bogus"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("recepcja:") and "\n" not in err
