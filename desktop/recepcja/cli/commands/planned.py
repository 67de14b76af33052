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
    p = _add(sub, "setup", _("set up the practice from a TOML file"))
    p.add_argument("--config", required=True, metavar="FILE.toml", help=_("practice description"))
    p = _add(sub, "onboard", _("take the practice through CeR onboarding (six steps)"))
    _json(p)
    p = _add(sub, "publish", _("publish free terms to CeR up to the horizon"))
    p.add_argument("--months", type=int, default=None, help=_("horizon in months (default 3)"))
    _json(p)
    p = _add(sub, "absence", _("mark a resource absent and list the affected visits"))
    p.add_argument("--resource", required=True, metavar="ID", help=_("resource id"))
    p.add_argument("--from", dest="date_from", required=True, metavar="YYYY-MM-DD",
                   help=_("first day"))
    p.add_argument("--to", dest="date_to", required=True, metavar="YYYY-MM-DD", help=_("last day"))
    _json(p)
    queue = sub.add_parser("queue", help=_("the emergency queue"),
                           description=_("the emergency queue"))
    qsub = queue.add_subparsers(dest="queue_command", metavar=_("ACTION"), required=True)
    p = qsub.add_parser("list", help=_("list the waiting entries"))
    p.set_defaults(handler=not_available, command_name="queue list")
    _json(p)
    p = qsub.add_parser("export", help=_("export the queue to Excel"))
    p.add_argument("file", metavar="FILE.xlsx")
    p.set_defaults(handler=not_available, command_name="queue export")
    p = qsub.add_parser("import", help=_("import entries from Excel"))
    p.add_argument("file", metavar="FILE.xlsx")
    p.set_defaults(handler=not_available, command_name="queue import")
    _json(p)
    p = _add(sub, "sync", _("send waiting changes to CeR"))
    p.add_argument("--once", action="store_true", help=_("one pass, then exit"))
    _json(p)
    p = _add(sub, "reconcile", _("compare the local schedule with CeR and repair drift"))
    _json(p)
    outages = sub.add_parser("outages", help=_("outage evidence"), description=_("outage evidence"))
    osub = outages.add_subparsers(dest="outages_command", metavar=_("ACTION"), required=True)
    p = osub.add_parser("export", help=_("export the outage log"))
    p.add_argument("file", metavar="FILE")
    p.set_defaults(handler=not_available, command_name="outages export")


def register_desk(sub: argparse._SubParsersAction) -> None:
    """Front-desk use cases (issue 5): slots, book, cancel, reschedule."""
    p = _add(sub, "slots", _("list the terms of a day"))
    p.add_argument("--date", required=True, metavar="YYYY-MM-DD", help=_("day"))
    p.add_argument("--schedule", metavar="ID", help=_("only this schedule"))
    p.add_argument("--free", action="store_true", help=_("only free terms"))
    _json(p)
    p = _add(sub, "book", _("book a term for a patient"))
    p.add_argument("--patient", required=True, metavar="PESEL|LOCAL_ID", help=_("the patient"))
    p.add_argument("--slot", required=True, metavar="SLOT_ID", help=_("the term"))
    p.add_argument("--urgency", required=True, choices=["urgent", "stable"],
                   help=_("medical category"))
    p.add_argument("--request", metavar="ID", help=_("central request id"))
    p.add_argument("--referral", metavar="ID", help=_("referral id"))
    _json(p)
    p = _add(sub, "cancel", _("cancel a visit"))
    p.add_argument("visit", metavar="VISIT_ID")
    p.add_argument("--reason", required=True, metavar="TEXT", help=_("reason for cancelling"))
    _json(p)
    p = _add(sub, "reschedule", _("move a visit to another term"))
    p.add_argument("visit", metavar="VISIT_ID")
    p.add_argument("--slot", required=True, metavar="SLOT_ID", help=_("the new term"))
    _json(p)
