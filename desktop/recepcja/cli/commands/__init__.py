"""Subcommand registration. Each module registers its parsers and sets ``handler``.

``main`` builds the command's ``AppContext`` once and calls ``handler(args, ctx)``. A command
that must not touch the data folder sets ``context=NO_CONTEXT`` (then ``handler(args)``);
``restore`` sets ``context=UNCHECKED`` (an empty or damaged database is what it repairs).

Modules are imported only when needed: a command's own module for that command, none for the
window or ``--version``, all of them for the overview (``recepcja --help``) and for a name no
module claims (so argparse lists the choices). Importing every module costs ~0.3 s (the
services behind them), which ``recepcja`` paid before opening the window.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Iterable

# Module -> the top-level commands its ``register`` adds, in the order of ``recepcja --help``.
# A unit test checks this against what the modules really register.
MODULES: dict[str, tuple[str, ...]] = {
    "simulator": ("sim",),
    "patients": ("patients",),
    "status": ("status",),
    "backup": ("backup", "restore"),
    "onboarding": ("setup", "onboard", "publish", "initial-load"),
    "absence": ("absence",),
    "resources": ("resources",),
    "calls": ("calls",),
    "desk": ("slots", "book", "cancel", "reschedule"),
    "referral": ("referral",),
    "queue": ("queue", "sync", "outages"),
    "reconcile": ("reconcile", "notifications"),
    "secret": ("secret",),
    "practice": ("practice",),
}

COMMANDS: dict[str, str] = {
    command: module for module, commands in MODULES.items() for command in commands
}


def register_all(sub: argparse._SubParsersAction, modules: Iterable[str] | None = None) -> None:
    """Register ``modules`` (names of ``MODULES``), or all of them."""
    wanted = set(MODULES if modules is None else modules)
    for name in MODULES:
        if name in wanted:
            importlib.import_module(f"recepcja.cli.commands.{name}").register(sub)


# What ``main`` builds for a command (``parser.set_defaults(context=...)``; CHECKED if unset).
CHECKED = "checked"  # the data folder's context; an empty or damaged database is refused
UNCHECKED = "unchecked"  # the context without refusing the database (restore)
NO_CONTEXT = "none"  # no context: the handler takes only ``args`` (the simulator, the keyring)
