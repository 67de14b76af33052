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


@pytest.mark.parametrize(("argv", "line"), [
    (["book", "--patient", "1", "--slot", "2"],
     "recepcja: brakuje wymaganych argumentów: --urgency (zobacz recepcja book --help)"),
    (["patients", "add", "--document-type", "legitymacja"],
     "recepcja: argument --document-type: nieprawidłowy wybór: 'legitymacja' (do wyboru: "
     "'passport', 'id_card', 'other', 'newborn') (zobacz recepcja patients add --help)"),
    (["status", "--bogus"], "recepcja: nieznane argumenty: --bogus (zobacz recepcja --help)"),
    (["slots", "--date"],
     "recepcja: argument --date: po tej opcji brakuje wartości (zobacz recepcja slots --help)"),
    (["nie-ma-takiego"], "recepcja: argument POLECENIE: nieprawidłowy wybór: 'nie-ma-takiego'"),
])
def test_argparse_speaks_polish_in_one_line_and_exits_2(capsys, monkeypatch, argv, line):
    monkeypatch.setenv("RECEPCJA_LANG", "pl")
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(line) and err.count("\n") == 1, err
    for english in ("the following", "invalid choice", "unrecognized", "expected one", "usage"):
        assert english not in err


def test_help_speaks_polish(capsys, monkeypatch):
    monkeypatch.setenv("RECEPCJA_LANG", "pl")
    with pytest.raises(SystemExit):
        main(["book", "--help"])
    out = capsys.readouterr().out
    assert out.startswith("użycie: recepcja book") and "\nopcje:\n" in out
    assert "pokaż tę pomoc i zakończ" in out and "show this help" not in out
