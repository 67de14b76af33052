"""``recepcja calls list``: the desk's call worklist (``services.call_worklist``) - whom to
phone after a replay moved terms, a doctor's absence, and for tomorrow's reminders - with the
last mark of each (zadzwoniono / nie odbiera / umówiono)."""

from __future__ import annotations

import argparse
import datetime as dt

from recepcja.cli.output import emit_json
from recepcja.domain.model import WARSAW
from recepcja.i18n import _, ngettext
from recepcja.services.context import AppContext


def calls_list(args: argparse.Namespace, ctx: AppContext) -> int:
    from recepcja.domain.phone import format_phone
    from recepcja.services.call_words import mark_words, reason_words
    from recepcja.services.call_worklist import worklist

    now = dt.datetime.now(WARSAW)
    with ctx.repositories() as repos:
        items = worklist(repos, now, include_done=args.all, reminders_for=args.day)
    if args.json:
        emit_json([item.as_json() for item in items])
        return 0
    if not items:
        print(_("Nobody left to call."))
        return 0
    open_items = sum(1 for item in items if not item.done)
    print(ngettext("{n} patient to call", "{n} patients to call", open_items).format(
        n=open_items))
    reasons, marks = reason_words(), mark_words()
    print("\t".join((_("Patient"), _("Phone"), _("Why"), _("Term"), _("Earlier term"),
                     _("Where"), _("Last call"))))
    for item in items:
        term = datetime_text(item.term) if item.term else _("central waiting list")
        last = marks[item.last_mark] if item.last_mark else "-"
        print("\t".join((item.patient_name, format_phone(item.phone) if item.phone
                         else _("no phone"), reasons[item.reason], term,
                         datetime_text(item.lost_term) if item.lost_term else "-",
                         item.where or "-", last)))
    return 0


def datetime_text(moment: dt.datetime) -> str:
    return f"{moment.astimezone(WARSAW):%d.%m.%Y %H:%M}"


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("not a date (YYYY-MM-DD): {text}").format(
            text=text)) from None


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("calls", help=_("the call worklist: whom the desk must phone"),
                       description=_("The desk's call worklist: patients whose term CeR changed "
                                     "in a replay, patients of an absent doctor, and tomorrow's "
                                     "visits CeR's SMS does not remind."))
    calls = p.add_subparsers(dest="calls_command", metavar=_("COMMAND"), required=True)
    listing = calls.add_parser("list", help=_("list whom to call"), description=_(
        "List whom to call, the nearest term first, with the last mark of each call."))
    listing.add_argument("--all", action="store_true",
                         help=_("also those already reached or arranged"))
    listing.add_argument("--day", type=_day, default=None,
                         help=_("the day whose visits need a reminder (default: tomorrow)"))
    listing.add_argument("--json", action="store_true", help=_("print the result as JSON"))
    listing.set_defaults(handler=calls_list)
