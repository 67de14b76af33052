"""Subcommand registration. Each module registers its parsers and sets ``handler``."""

from __future__ import annotations

import argparse

from recepcja.cli.commands import (
    absence,
    backup,
    desk,
    onboarding,
    patients,
    queue,
    reconcile,
    simulator,
    status,
)


def register_all(sub: argparse._SubParsersAction) -> None:
    simulator.register(sub)
    patients.register(sub)
    status.register(sub)
    backup.register(sub)
    onboarding.register(sub)
    absence.register(sub)
    desk.register(sub)
    queue.register(sub)
    reconcile.register(sub)


def run_gui(args: argparse.Namespace) -> int:
    from recepcja.cli.commands.gui import run_gui as _run_gui

    return _run_gui(args)
