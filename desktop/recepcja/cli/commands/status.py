"""``recepcja status``."""

from __future__ import annotations

import argparse
from typing import Any

from recepcja.cli.output import emit_json
from recepcja.i18n import _
from recepcja.services.context import AppContext
from recepcja.services.status import collect_status


def run(args: argparse.Namespace) -> int:
    status = collect_status(AppContext.load(training=args.training))
    if args.json:
        emit_json(status)
        return 0
    yes, no = _("yes"), _("no")
    print(_("Recepcja {version}").format(version=status["version"]))
    print(_("Data folder: {path}").format(path=status["data_folder"]))
    print(_("Training mode: {value}").format(value=yes if status["training"] else no))
    print(_("Patients: {count}").format(count=status["patients"]))
    print(_("CeR address: {url}").format(url=status["cer"]["url"] or _("not configured")))
    print(_("Keyring available: {value}").format(
        value=yes if status["keyring_available"] else no))
    if status.get("compliance"):
        from recepcja.cli.commands.onboarding import print_compliance

        print_compliance(status["compliance"])
    print_sync_alarms(status["sync"])
    return 0


def _op_label(op: str) -> str:
    return {"book": _("booking"), "cancel": _("cancellation"), "change": _("change of term"),
            "waiting_list": _("waiting list"),
            "withdraw_slots": _("withdrawal of free terms")}.get(op, op)


def print_sync_alarms(sync: dict[str, Any]) -> None:
    """The alarms of the sync health, one line each, after a headline a person notices."""
    print(_("Changes waiting for CeR: {count}").format(count=sync["pending_outbox"]))
    stale = sync["stale_outbox"]
    if stale:
        print(_("ALARM: {count} change(s) have waited for CeR longer than {minutes} min:")
              .format(count=len(stale), minutes=sync["outbox_alarm_minutes"]))
    for row in stale:
        what = _op_label(row["op"])
        if row["terms"]:
            what += f" ({row['terms']})"
        print("  " + _("#{entry} {what}, {patient}, term {term}, queued {at} by {user}, "
                       "state {state}{error}").format(
            entry=row["entry_id"], what=what, patient=row["patient"] or "-",
            term=row["term"] or "-", at=row["created_at"][:16].replace("T", " "),
            user=row["created_by"], state=row["state"],
            error=f": {row['last_error']}" if row["last_error"] else ""))
    absent = sync["visits_on_absence"]
    if absent:
        print(_("ALARM: {count} visit(s) on a day their doctor is absent - move them and call "
                "the patients:").format(count=len(absent)))
    for row in absent:
        print(f"  {row['start']}  {row['schedule']}  {row['patient']}  ({row['reason'] or '-'})")
    if sync["terms_to_withdraw"]:
        print(_("Blocked terms CeR still offers: {count} (withdrawn by the sync or the next "
                "publish).").format(count=sync["terms_to_withdraw"]))


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("status", help=_("the state of this workstation and its data"),
                            description=_("the state of this workstation and its data"))
    parser.add_argument("--json", action="store_true", help=_("print the result as JSON"))
    parser.set_defaults(handler=run)
