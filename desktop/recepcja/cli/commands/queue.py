"""``recepcja queue list|export|import``, ``recepcja sync --once``, ``recepcja outages export``:
the emergency queue, the replay, and the outage evidence on the command line."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from recepcja.cli.output import (
    EXIT_CER,
    EXIT_FAILED,
    EXIT_NOT_AVAILABLE,
    emit_error,
    emit_json,
)
from recepcja.config.secrets import (
    EXPORT_PASSWORD,
    SecretStore,
    SecretStoreUnavailable,
    export_password,
)
from recepcja.domain.errors import N_, ValidationError
from recepcja.i18n import _, ngettext
from recepcja.services.context import AppContext
from recepcja.services.emergency import export_queue, import_queue, queue_entries
from recepcja.services.outages import export_outages
from recepcja.services.sync_service import sync_once
from recepcja.store.records import OutboxState
from recepcja.store.repos import Repositories


def import_password() -> str | None:
    """The password to open an encrypted queue file with (none stored, or no keyring: none;
    an encrypted file then says it needs one)."""
    try:
        return SecretStore().get(EXPORT_PASSWORD) or None
    except SecretStoreUnavailable:
        return None


def _xlsx(path: str) -> Path:
    if not path.lower().endswith(".xlsx"):
        raise ValidationError(N_("The file name must end with .xlsx (found: {path})."), path=path)
    return Path(path)


OPEN_STATES = (OutboxState.QUEUED, OutboxState.SENDING, OutboxState.SENT, OutboxState.FAILED,
               OutboxState.AMBIGUOUS)


def _other_changes(repos: Repositories) -> list[dict[str, Any]]:
    """Every waiting change that is not a booking (cancellations, term changes, attendance,
    withdrawn terms, onboarding steps), with its visit's patient and term when it has one."""
    rows = []
    for entry in repos.outbox.in_states(OPEN_STATES):
        if entry.op == "book":
            continue  # the bookings come with their details from the emergency queue
        visit = repos.visits.get(entry.visit_id) if entry.visit_id is not None else None
        patient = repos.patients.get(visit.patient_id) if visit is not None else None
        slot = repos.slots.get(visit.slot_id) if visit is not None and visit.slot_id else None
        rows.append({
            "entry_id": entry.id, "op": str(entry.op), "state": str(entry.state),
            "visit_id": entry.visit_id,
            "patient_local_id": patient.local_id if patient else None,
            "last_name": patient.last_name if patient else None,
            "first_name": patient.first_name if patient else None,
            "term": slot.start if slot is not None else None,
            "urgency": str(visit.urgency) if visit is not None else None,
            "created_at": entry.created_at, "created_by": entry.created_by,
            "last_error": entry.last_error,
        })
    return rows


def queue_list(args: argparse.Namespace, ctx: AppContext) -> int:
    """Every change waiting for CeR: the bookings (with the emergency queue's details) and
    every other operation, states and urgencies in Polish."""
    from recepcja.services.desk_words import operation_word, outbox_state_word, urgency_word

    with ctx.repositories() as repos:
        entries = queue_entries(repos, include_finished=False)
        others = _other_changes(repos)
    if args.json:
        emit_json([{**entry.as_json(), "op": "book"} for entry in entries] + others)
        return 0
    if not entries and not others:
        print(_("The emergency queue is empty."))
        return 0
    print("\t".join((_("Visit"), _("Local patient ID"), _("Patient"), _("Term"),
                     _("Urgency"), _("Change"), _("State"), _("Notes"))))
    for entry in entries:
        note = ""
        if entry.state == "rejected":
            note = _("rejected by CeR: {reason}").format(reason=entry.reason or "-")
        elif entry.waiting_for == "administrator":
            note = _("waiting for the administrator: {reason}").format(reason=entry.reason)
        print("\t".join((str(entry.visit_id), entry.patient_local_id,
                         f"{entry.last_name} {entry.first_name}", _term(entry.term),
                         urgency_word(entry.urgency), operation_word("book"),
                         outbox_state_word(entry.state), note)).rstrip("\t"))
    for row in others:
        name = f"{row['last_name'] or ''} {row['first_name'] or ''}".strip()
        print("\t".join((str(row["visit_id"] or "-"), row["patient_local_id"] or "-",
                         name or "-", _term(row["term"]),
                         urgency_word(row["urgency"]) if row["urgency"] else "-",
                         operation_word(row["op"]), outbox_state_word(row["state"]),
                         row["last_error"] or "")).rstrip("\t"))
    return 0


def _term(moment: Any) -> str:
    from recepcja.domain.model import WARSAW

    return f"{moment.astimezone(WARSAW):%d.%m.%Y %H:%M}" if moment is not None else "-"


def queue_export(args: argparse.Namespace, ctx: AppContext) -> int:
    path = _xlsx(args.file)
    password = export_password(unencrypted=args.unencrypted)  # before anything is read
    with ctx.repositories() as repos:
        count = export_queue(repos, path, password=password, overwrite=args.force)
    print(ngettext("{count} entry written to {path}.", "{count} entries written to {path}.",
                   count).format(count=count, path=path))
    return 0


def queue_import(args: argparse.Namespace, ctx: AppContext) -> int:
    path = _xlsx(args.file)
    with ctx.repositories() as repos:
        report = import_queue(repos, path, user=ctx.user, password=import_password())
    if args.json:
        emit_json(report.as_json())
    else:
        print(ngettext("Imported {imported} entry", "Imported {imported} entries",
                       report.imported).format(imported=report.imported) + ", "
              + ngettext("{present} was already here.", "{present} were already here.",
                         report.already_present).format(present=report.already_present))
        for problem in report.problems:
            print(_("Row {row}: {reason}").format(row=problem.row, reason=problem.reason))
    if report.problems:
        emit_error(ngettext("{count} row was not imported.", "{count} rows were not imported.",
                            len(report.problems)).format(count=len(report.problems)))
        return EXIT_FAILED
    return 0


def sync(args: argparse.Namespace, ctx: AppContext) -> int:
    if not args.once:
        return _sync_forever(ctx)
    wait = _seconds(args.wait)
    with ctx.repositories() as repos:
        report = sync_once(ctx, repos, wait=wait)
        pending = repos.outbox.count_pending()
    answer = {**report.as_dict(), "pending": pending}
    if report.busy:
        if args.json:
            emit_json(answer)
        emit_error(report.busy)
        return EXIT_NOT_AVAILABLE
    if args.json:
        emit_json(answer)
    else:
        print(_("Sent: {done}, moved: {moved}, waiting list: {waiting}, rejected: {rejected}, "
                "still waiting: {pending}.").format(
            done=report.done, moved=report.moved, waiting=report.waiting_list,
            rejected=report.rejected, pending=pending))
    if report.stopped_by:
        emit_error(_("CeR could not be reached: {error}").format(error=report.stopped_by))
        return EXIT_CER
    return 0


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= 3600:
        raise ValidationError(N_("{what} must be a number of seconds (found: {value})."),
                              what="--wait", value=value)
    return seconds


def _sync_forever(ctx: AppContext) -> int:
    """Run the sync engine in the foreground until Ctrl+C (a workstation without the GUI)."""
    import time

    from recepcja.cli.commands.reconcile import _print_changes
    from recepcja.services.database import shares_practice_database
    from recepcja.services.desk_words import connection_word, operation_word, outcome_word
    from recepcja.services.sync_service import engine_for_context, notifications_beside

    engine = engine_for_context(
        ctx, on_state=lambda state, emergency: print(
            _("CeR: {state}{mode}").format(state=connection_word(state),
                                          mode=_(" (emergency mode)") if emergency else "")),
        on_entry_done=lambda entry, outcome, _detail: print(
            f"{entry.id}\t{operation_word(str(entry.op))}\t{outcome_word(outcome)}"),
    )
    engine.start()
    # On a practice database, CeR's notifications too, while this is the practice's CeR client
    # (a server PC running `recepcja sync` as a service: docs/ADMIN.md, section 10.2).
    worker = receiver = None
    if shares_practice_database(ctx):
        worker, receiver = notifications_beside(ctx, engine, listeners=[_print_changes])
    try:
        while engine.running:
            time.sleep(0.5)
    finally:
        if receiver is not None:
            receiver.close()
        if worker is not None:
            worker.stop()
        engine.stop()
    return 0


def outages_export(args: argparse.Namespace, ctx: AppContext) -> int:
    path = Path(args.file) if args.file.lower().endswith(".pdf") else _xlsx(args.file)
    with ctx.repositories() as repos:
        count = export_outages(repos, path, overwrite=args.force)
    print(ngettext("{count} outage period written to {path}.",
                   "{count} outage periods written to {path}.", count).format(
        count=count, path=path))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    queue = sub.add_parser("queue", help=_("the emergency queue"),
                           description=_("the emergency queue"))
    qsub = queue.add_subparsers(dest="queue_command", metavar=_("ACTION"), required=True)
    help_text = _("list the entries CeR does not have yet (waiting or rejected)")
    p = qsub.add_parser("list", help=help_text, description=help_text)
    p.add_argument("--json", action="store_true", help=_("print the result as JSON"))
    p.set_defaults(handler=queue_list)
    p = qsub.add_parser("export", help=_("export the queue to Excel"),
                        description=_("export the queue to Excel"))
    p.add_argument("file", metavar="FILE.xlsx", help=_("the Excel file to write"))
    p.add_argument("--force", action="store_true", help=_("overwrite FILE if it exists"))
    p.add_argument("--unencrypted", action="store_true",
                   help=_("write without a password even if the keyring cannot be read"))
    p.set_defaults(handler=queue_export)
    p = qsub.add_parser("import", help=_("import entries from Excel"),
                        description=_("import entries from Excel"))
    p.add_argument("file", metavar="FILE.xlsx",
                   help=_("a workbook in the layout queue export writes"))
    p.add_argument("--json", action="store_true", help=_("print the result as JSON"))
    p.set_defaults(handler=queue_import)
    help_text = _("send waiting changes to CeR")
    p = sub.add_parser("sync", help=help_text, description=help_text)
    p.add_argument("--once", action="store_true",
                   help=_("one pass, then exit (without it: run until Ctrl+C)"))
    p.add_argument("--wait", default="10", metavar="SECONDS",
                   help=_("how long to wait while another process is sending (default 10); "
                          "then exit 4"))
    p.add_argument("--json", action="store_true", help=_("print the result as JSON"))
    p.set_defaults(handler=sync)
    outages = sub.add_parser("outages", help=_("outage evidence"),
                             description=_("outage evidence"))
    osub = outages.add_subparsers(dest="outages_command", metavar=_("ACTION"), required=True)
    p = osub.add_parser("export", help=_("export the outage log (.xlsx or .pdf)"),
                        description=_("export the outage log (.xlsx or .pdf)"))
    p.add_argument("file", metavar="FILE", help=_("the file to write: .xlsx or .pdf"))
    p.add_argument("--force", action="store_true", help=_("overwrite FILE if it exists"))
    p.set_defaults(handler=outages_export)
