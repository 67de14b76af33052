"""``recepcja queue list|export|import``, ``recepcja sync --once``, ``recepcja outages export``:
the emergency queue, the replay, and the outage evidence on the command line."""

from __future__ import annotations

import argparse
from pathlib import Path

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
from recepcja.i18n import _
from recepcja.services.context import AppContext
from recepcja.services.emergency import export_queue, import_queue, queue_entries
from recepcja.services.outages import export_outages
from recepcja.services.sync_service import sync_once


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


def queue_list(args: argparse.Namespace, ctx: AppContext) -> int:
    with ctx.repositories() as repos:
        entries = queue_entries(repos, include_finished=False)
    if args.json:
        emit_json([entry.as_json() for entry in entries])
    elif not entries:
        print(_("The emergency queue is empty."))
    else:
        for entry in entries:
            term = entry.term.isoformat(timespec="minutes") if entry.term else "-"
            line = (f"{entry.visit_id}\t{entry.patient_local_id}\t{entry.last_name} "
                    f"{entry.first_name}\t{term}\t{entry.urgency}\t{entry.state}")
            if entry.state == "rejected":
                line += "\t" + _("rejected by CeR: {reason}").format(reason=entry.reason or "-")
            elif entry.waiting_for == "administrator":
                line += "\t" + _("waiting for the administrator: {reason}").format(
                    reason=entry.reason)
            print(line)
    return 0


def queue_export(args: argparse.Namespace, ctx: AppContext) -> int:
    path = _xlsx(args.file)
    password = export_password(unencrypted=args.unencrypted)  # before anything is read
    with ctx.repositories() as repos:
        count = export_queue(repos, path, password=password, overwrite=args.force)
    print(_("{count} entries written to {path}.").format(count=count, path=path))
    return 0


def queue_import(args: argparse.Namespace, ctx: AppContext) -> int:
    path = _xlsx(args.file)
    with ctx.repositories() as repos:
        report = import_queue(repos, path, user=ctx.user, password=import_password())
    if args.json:
        emit_json(report.as_json())
    else:
        print(_("Imported {imported} entries, {present} were already here.").format(
            imported=report.imported, present=report.already_present))
        for problem in report.problems:
            print(_("Row {row}: {reason}").format(row=problem.row, reason=problem.reason))
    if report.problems:
        emit_error(_("{count} rows were not imported.").format(count=len(report.problems)))
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

    from recepcja.services.sync_service import engine_for_context

    engine = engine_for_context(
        ctx, on_state=lambda state, emergency: print(
            _("CeR: {state}{mode}").format(state=state,
                                          mode=_(" (emergency mode)") if emergency else "")),
        on_entry_done=lambda entry, outcome, _detail: print(f"{entry.id}\t{outcome}"),
    )
    engine.start()
    try:
        while engine.running:
            time.sleep(0.5)
    finally:
        engine.stop()
    return 0


def outages_export(args: argparse.Namespace, ctx: AppContext) -> int:
    path = Path(args.file) if args.file.lower().endswith(".pdf") else _xlsx(args.file)
    with ctx.repositories() as repos:
        count = export_outages(repos, path, overwrite=args.force)
    print(_("{count} outage periods written to {path}.").format(count=count, path=path))
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
