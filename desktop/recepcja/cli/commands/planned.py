"""Subcommands whose interface is fixed (DESIGN.md) but whose work lands with a later issue.

They parse their options and then say plainly that the command is not available yet, with a
non-zero exit, so scripts written against the stable interface fail loudly instead of silently.
"""

from __future__ import annotations

import argparse

from recepcja.cli.output import EXIT_NOT_AVAILABLE, emit_error
from recepcja.i18n import _


def not_available(args: argparse.Namespace) -> int:
    emit_error(_("The command '{name}' is not available in this version yet.").format(
        name=args.command_name))
    return EXIT_NOT_AVAILABLE


def _add(sub: argparse._SubParsersAction, name: str, help_text: str) -> argparse.ArgumentParser:
    parser = sub.add_parser(name, help=help_text, description=help_text)
    parser.set_defaults(handler=not_available, command_name=name)
    return parser


def _json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help=_("print the result as JSON"))


def register(sub: argparse._SubParsersAction) -> None:
    p = _add(sub, "absence", _("mark a resource absent and list the affected visits"))
    p.add_argument("--resource", required=True, metavar="ID", help=_("resource id"))
    p.add_argument("--from", dest="date_from", required=True, metavar="YYYY-MM-DD",
                   help=_("first day"))
    p.add_argument("--to", dest="date_to", required=True, metavar="YYYY-MM-DD", help=_("last day"))
    _json(p)
