"""``recepcja reconcile`` and ``recepcja notifications pull|serve``.

``reconcile`` first takes in what CeR has to tell (pull by cursor, apply), then reads CeR back
for every active schedule and compares it with the store, repairing what is safe. Exit 0 when
both agree afterwards, 1 when something is left for a human (or overlaps were found: the
incident report's path is printed), 3 when CeR could not be asked.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import threading
from collections.abc import Iterator
from typing import Any

from recepcja.cer.errors import CerError
from recepcja.cli.output import EXIT_CER, EXIT_FAILED, EXIT_OK, emit_error, emit_json
from recepcja.domain.errors import DomainError
from recepcja.i18n import _, error_text, ngettext
from recepcja.services.context import AppContext


@contextlib.contextmanager
def _logging_to_file(ctx: AppContext) -> Iterator[None]:
    """The command's log lines go to the data folder's log file, not to stderr: stderr carries
    one line, the error the user must read."""
    from recepcja.config.logs import setup_logging

    handler = setup_logging(ctx.paths.logs)
    try:
        yield
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()


def run_reconcile(args: argparse.Namespace, ctx: AppContext) -> int:
    with _logging_to_file(ctx):
        return _reconcile(args, ctx)


def run_pull(args: argparse.Namespace, ctx: AppContext) -> int:
    with _logging_to_file(ctx):
        return _pull(args, ctx)


def _reconcile(args: argparse.Namespace, ctx: AppContext) -> int:
    from recepcja.services.gateway_factory import gateway_from_context
    from recepcja.sync.notifications import NotificationApplier
    from recepcja.sync.practice_owner import practice_cer_work
    from recepcja.sync.pull import pull_notifications
    from recepcja.sync.reconcile import DEFAULT_HORIZON_DAYS, reconcile

    try:
        with (gateway_from_context(ctx) as gateway, ctx.repositories() as repos,
              practice_cer_work(repos.db, "reconcile")):  # one CeR client per practice
            pull_notifications(gateway, repos)
            NotificationApplier(repos, gateway).apply_pending()
            publishing = ctx.settings.publishing
            horizon = max(DEFAULT_HORIZON_DAYS,
                          publishing.horizon_months * 31 + publishing.margin_days)
            provider = repos.practice.provider()
            report = reconcile(
                repos,
                gateway,
                horizon_days=horizon,
                incident_folder=ctx.paths.exports / "incidents",
                provider=provider.name if provider else "",
                make_gateway=lambda: gateway_from_context(ctx),
            )
    except CerError as error:
        emit_error(error_text(error))
        return EXIT_CER
    if args.json:
        emit_json(report.to_json())
    else:
        _print_report(report)
    return EXIT_OK if report.in_agreement else EXIT_FAILED


def _drift_labels() -> dict[str, str]:
    return {
        "visit_missing_locally": _("visit missing here"),
        "visit_missing_in_cer": _("visit missing in CeR"),
        "patient_differs": _("another patient"),
        "slot_state_differs": _("term state differs"),
        "slot_missing_locally": _("term missing here"),
        "slot_missing_in_cer": _("term missing in CeR"),
        "visit_unconfirmed": _("visit not confirmed here"),
        "overbooked": _("several patients on one term"),
    }


def _print_report(report: Any) -> None:
    counts = report.counts()
    print(
        _("Compared {slots} {schedules} ({first} - {last}) in {seconds} s.").format(
            slots=ngettext("{count} term", "{count} terms", report.slots_compared).format(
                count=report.slots_compared),
            schedules=ngettext("of {count} schedule", "of {count} schedules",
                               report.schedules).format(count=report.schedules),
            first=report.first_day.isoformat(),
            last=report.last_day.isoformat(),
            seconds=f"{report.seconds:.2f}",
        )
    )
    print(
        _("Repaired: {repaired}, resent: {resent}, for a person to check: {open}.").format(
            repaired=counts.get("repaired", 0),
            resent=counts.get("resent", 0),
            open=len(report.open_items),
        )
    )
    for item in report.open_items:
        when = item.start.astimezone().strftime("%Y-%m-%d %H:%M") if item.start else "?"
        label = _drift_labels().get(str(item.drift), str(item.drift))
        print(f"  {when}  {item.schedule_cer_id}  {label}  {item.detail}")
    if report.incidents:
        print(
            _(
                "Several patients on one term: {count} case(s). Report for CeR support: {path}"
            ).format(
                count=len(report.incidents.incidents),
                path=", ".join(str(p) for p in report.incidents.paths) or "-",
            )
        )
    if report.in_agreement:
        print(_("The local schedule and CeR agree."))


def _pull(args: argparse.Namespace, ctx: AppContext) -> int:
    from recepcja.services.gateway_factory import gateway_from_context
    from recepcja.sync.notifications import NotificationApplier
    from recepcja.sync.practice_owner import practice_cer_work
    from recepcja.sync.pull import pull_notifications

    try:
        with (gateway_from_context(ctx) as gateway, ctx.repositories() as repos,
              practice_cer_work(repos.db, "notifications pull")):  # one CeR client
            result = pull_notifications(gateway, repos)
            changes = NotificationApplier(repos, gateway).apply_pending()
    except CerError as error:
        emit_error(error_text(error))
        return EXIT_CER
    if args.json:
        emit_json(
            {
                "received": result.received,
                "stored": result.stored,
                "duplicates": result.duplicates,
                "cursor": result.cursor,
                "applied": [
                    {
                        "notification": c.cer_notification_id,
                        "outcome": str(c.outcome),
                        "visit": c.visit_cer_id,
                        "start": c.start,
                    }
                    for c in changes
                ],
            }
        )
    else:
        print(
            _("Notifications received: {received}, new: {stored}.").format(
                received=result.received, stored=result.stored
            )
        )
        for change in changes:
            print("  " + change.message())
    return EXIT_OK


def run_serve(args: argparse.Namespace, ctx: AppContext) -> int:
    """The receiver and the applying thread in the foreground, until Ctrl+C. Not on a practice
    database: there the receiver runs with the practice's CeR client only (``recepcja sync``
    or the window, ``sync.owner_receiver``)."""
    from recepcja.services.database import shares_practice_database

    if shares_practice_database(ctx):
        emit_error(_("On a practice database the notification receiver runs on the desk that "
                     "is the practice's CeR client: enable [receiver] and run recepcja sync "
                     "(or the window) instead."))
        return EXIT_FAILED
    from recepcja.services.gateway_factory import gateway_from_context
    from recepcja.sync.notification_worker import NotificationWorker
    from recepcja.sync.receiver import NotificationReceiver

    worker = NotificationWorker(
        ctx.repositories,
        lambda: gateway_from_context(ctx),
        pull=True,
        pull_seconds=60.0,
        listeners=[_print_changes],
    )
    try:
        receiver = NotificationReceiver.from_context(ctx, on_stored=worker.wake)
    except DomainError as error:
        emit_error(error_text(error))
        return EXIT_FAILED
    from recepcja.config.logs import setup_logging

    setup_logging(ctx.paths.logs)
    url = receiver.start()  # a refusal (plain HTTP off this computer, a busy port) comes first
    if receiver.warning:
        emit_error(_(receiver.warning).format(host=receiver.host))
    worker.start()
    print(
        _("Receiving CeR notifications at {url}. Press Ctrl+C to stop.").format(url=url), flush=True
    )
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        receiver.stop()
        worker.stop()
    return EXIT_OK


def _print_changes(changes: list[Any]) -> None:
    for change in changes:
        print(change.message(), flush=True)


def register(sub: argparse._SubParsersAction) -> None:
    help_text = _("compare the local schedule with CeR and repair drift")
    parser = sub.add_parser("reconcile", help=help_text, description=help_text)
    parser.add_argument("--json", action="store_true", help=_("print the result as JSON"))
    parser.set_defaults(handler=run_reconcile)

    help_text = _("CeR notifications: pull them or run the receiver")
    notifications = sub.add_parser("notifications", help=help_text, description=help_text)
    nsub = notifications.add_subparsers(
        dest="notifications_command", metavar=_("ACTION"), required=True
    )
    help_text = _("pull notifications by cursor and apply them")
    p = nsub.add_parser("pull", help=help_text, description=help_text)
    p.add_argument("--json", action="store_true", help=_("print the result as JSON"))
    p.set_defaults(handler=run_pull)
    help_text = _("run the notification receiver in the foreground")
    p = nsub.add_parser("serve", help=help_text, description=help_text)
    p.set_defaults(handler=run_serve)
