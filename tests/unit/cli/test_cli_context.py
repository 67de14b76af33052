"""``main`` builds a command's ``AppContext`` once and hands it to the handler; a handler takes
the context unless its command says it needs none (``NO_CONTEXT``)."""

from __future__ import annotations

import argparse
import inspect
import json
from collections.abc import Iterator

from recepcja.cli import commands
from recepcja.cli.main import build_parser, main
from recepcja.config.paths import AppPaths
from recepcja.services.context import AppContext


def _handlers(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> Iterator[
        tuple[str, dict]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _handlers(sub, (*path, name))
    if "handler" in parser._defaults:
        yield " ".join(path), parser._defaults


def test_every_handler_takes_the_context_its_command_asks_for():
    found = dict(_handlers(build_parser()))
    assert {"status", "book", "restore", "sim", "secret set"} <= set(found)
    for command, defaults in found.items():
        takes = list(inspect.signature(defaults["handler"]).parameters)
        need = defaults.get("context", commands.CHECKED)
        assert need in (commands.CHECKED, commands.UNCHECKED, commands.NO_CONTEXT), command
        assert len(takes) == (1 if need == commands.NO_CONTEXT else 2), command
    assert found["restore"]["context"] == commands.UNCHECKED
    assert found["sim"]["context"] == commands.NO_CONTEXT


def test_a_command_loads_its_context_once(tmp_path, monkeypatch, capsys, memory_keyring):
    monkeypatch.setenv("RECEPCJA_HOME", str(tmp_path / "home"))
    loads: list[bool] = []
    original = AppContext.load.__func__

    def counting(cls, paths: AppPaths | None = None, training: bool = False, *,
                 check_database: bool = True) -> AppContext:
        loads.append(check_database)
        return original(cls, paths, training, check_database=check_database)

    monkeypatch.setattr(AppContext, "load", classmethod(counting))
    assert main(["status", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["training"] is False
    assert main(["secret", "list", "--json"]) == 0
    assert loads == [True]  # status once; secret needs no data folder


def test_the_start_runs_without_the_cyclic_collector_and_a_command_with_it(
        tmp_path, monkeypatch, capsys):
    """``python -m recepcja`` switches the collector off before it imports anything (the start
    makes many objects and no garbage); a command switches it back on before it runs. (The
    window does at its first freeze: ``test_the_first_freeze_switches_the_collector_on``.)"""
    import gc
    import os
    import subprocess
    import sys

    probe = ("import gc, runpy, sys; import recepcja.cli.main\n"
             "m = sys.modules['recepcja.cli.main']\n"
             "m._run = lambda args: print('collector-on' if gc.isenabled() else 'off') or 0\n"
             "sys.argv = ['recepcja', 'status']; runpy.run_module('recepcja', run_name='__main__')")
    env = {**os.environ, "RECEPCJA_HOME": str(tmp_path / "probe")}
    done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "off"  # what __main__ leaves for main to decide

    monkeypatch.setenv("RECEPCJA_HOME", str(tmp_path / "home"))
    gc.disable()
    try:
        assert main(["status", "--json"]) == 0
        assert gc.isenabled()
    finally:
        gc.enable()
    capsys.readouterr()
