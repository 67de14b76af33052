"""``recepcja status``."""

from __future__ import annotations

import argparse
from typing import Any

from recepcja.cli.output import emit_json
from recepcja.i18n import _
from recepcja.services.context import AppContext
from recepcja.services.status import collect_status


def run(args: argparse.Namespace, ctx: AppContext) -> int:
    status = collect_status(ctx)
    if args.json:
        emit_json(status)
        return 0
    yes, no = _("yes"), _("no")
    print(_("Recepcja {version}").format(version=status["version"]))
    print(_("Data folder: {path}").format(path=status["data_folder"]))
    engine = (_("practice database (PostgreSQL)") if status["database_engine"] == "postgresql"
              else _("this computer's file (SQLite)"))
    print(_("Database: {engine}, {where}").format(engine=engine, where=status["database"]))
    if status["database_engine"] == "postgresql":
        owner = status.get("practice_owner")
        print(_("The practice's CeR client: {owner}").format(
            owner=_("desk {workstation}, pid {pid}, since {since}").format(**owner) if owner
            else _("none running (the next desk that starts takes over)")))
        receiver = status["receiver"]
        if receiver["enabled"] or receiver["desk"]:
            print(_("CeR's notifications received by: {desk}").format(
                desk=_("desk {desk} at {url}").format(**receiver) if receiver["desk"]
                else _("no desk now (only the practice's CeR client receives)")))
    print(_("Training mode: {value}").format(value=yes if status["training"] else no))
    print(_("Patients: {count}").format(count=status["patients"]))
    print(_("CeR address: {url}").format(url=status["cer"]["url"] or _("not configured")))
    print(_("Keyring available: {value}").format(
        value=yes if status["keyring_available"] else no))
    workstation = status["workstation"]
    print(_("Workstation: {name} (new local patient IDs: L-{prefix}-…)").format(
        name=workstation["name"], prefix=workstation["prefix"]))
    problem = status["cer"].get("waiting_for_administrator")
    if problem:
        print(_("Changes wait for the administrator since {since}: {reason}").format(
            since=str(problem.get("since", "?"))[:16].replace("T", " "),
            reason=problem["reason"]))
    if status.get("compliance"):
        from recepcja.cli.commands.onboarding import print_compliance

        print_compliance(status["compliance"])
    print_sync_alarms(status["sync"])
    return 0


def print_sync_alarms(sync: dict[str, Any]) -> None:
    """The sync health's alarms, one line each, after a headline a person notices."""
    from recepcja.sync.health import alarm_lines

    print(_("Changes waiting for CeR: {count}").format(count=sync["pending_outbox"]))
    for line in alarm_lines(sync):
        print(line)
    if sync["terms_to_withdraw"]:
        print(_("Blocked terms CeR still offers: {count} (withdrawn by the sync or the next "
                "publish).").format(count=sync["terms_to_withdraw"]))


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("status", help=_("the state of this workstation and its data"),
                            description=_("the state of this workstation and its data"))
    parser.add_argument("--json", action="store_true", help=_("print the result as JSON"))
    parser.set_defaults(handler=run)
