"""``recepcja slots|book|cancel|reschedule``: the front desk's use cases on the command line.

``book``, ``cancel`` and ``reschedule`` store the change locally (one transaction with its
outbox row), then try ONE immediate sync of it with short timeouts. When CeR cannot be reached
the change stays queued and the command still succeeds: that is emergency mode. When only an
administrator can make the calls work (keyring, certificates, address) it stays queued too and
says so (``waiting_for: administrator``). When CeR itself refuses the change, the state is
``rejected``, one line goes to stderr and the exit code is 1.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable
from typing import Any

from recepcja.cli.commands.calls import datetime_text
from recepcja.cli.output import EXIT_FAILED, emit_error, emit_json
from recepcja.domain.errors import N_, DomainError, ValidationError
from recepcja.domain.model import WARSAW, SlotState, Urgency, VisitState
from recepcja.domain.urgency import parse_urgency
from recepcja.i18n import _, translate_error
from recepcja.services import booking
from recepcja.services.context import AppContext
from recepcja.services.referrals import desk_referral
from recepcja.services.sync_service import sync_entry_now
from recepcja.store.records import OutboxOp
from recepcja.store.repos import Repositories
from recepcja.sync.terms import configuration_problem


def _json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help=_("print the result as JSON"))


def _int(value: str, what: str) -> int:
    text = (value or "").strip()
    if not text.isdigit():
        raise ValidationError(N_("{what} must be a number (found: {value})."), what=what,
                              value=value)
    return int(text)


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationError(N_("\"{value}\" is not a date (YYYY-MM-DD)."), value=value) from None


def _local(moment: dt.datetime) -> str:
    return moment.astimezone(WARSAW).isoformat(timespec="minutes")


# --- slots -------------------------------------------------------------------------------------


def slots(args: argparse.Namespace, ctx: AppContext) -> int:
    day = _day(args.date)
    with ctx.repositories() as repos:
        if args.schedule:
            schedule_id = _int(args.schedule, "--schedule")
            if repos.schedules.get(schedule_id) is None:
                raise ValidationError(N_("Schedule {schedule} does not exist."),
                                      schedule=schedule_id)
            schedule_ids = [schedule_id]
        else:
            schedule_ids = [s.id for s in repos.schedules.list() if s.id is not None]
        found: list[dict[str, Any]] = []
        for schedule_id in schedule_ids:
            schedule = repos.schedules.get(schedule_id)
            scope = schedule.scope_code if schedule is not None else None
            for slot in repos.slots.for_day(schedule_id, day):
                if args.free and slot.state != SlotState.FREE:
                    continue
                found.append({"id": slot.id, "cer_id": slot.cer_id, "schedule": schedule_id,
                              "scope": scope, "start": _local(slot.start),
                              "end": _local(slot.end),
                              "state": str(slot.state)})
    found.sort(key=lambda item: (item["start"], item["schedule"]))
    if args.json:
        emit_json(found)
    elif not found:
        print(_("No terms on this day."))
    else:
        states = {"free": _("free"), "booked": _("booked"), "blocked": _("blocked")}
        print("\t".join((_("ID"), _("Time"), _("Schedule"), _("State"), _("CeR ID"))))
        for item in found:
            print(f"{item['id']}\t{item['start'][11:16]}-{item['end'][11:16]}\t"
                  f"{item['schedule']}\t{states.get(item['state'], item['state'])}\t"
                  f"{item['cer_id'] or '-'}")
    return 0


# --- book / cancel / reschedule ----------------------------------------------------------------


def _visit_json(repos: Repositories, visit_id: int, entry_id: int,
                report: Any) -> dict[str, Any]:
    visit = repos.visits.get(visit_id)
    assert visit is not None
    patient = repos.patients.get(visit.patient_id)
    slot = repos.slots.get(visit.slot_id) if visit.slot_id is not None else None
    waiting = repos.outbox.count_pending()
    state = {VisitState.CONFIRMED: "confirmed", VisitState.PENDING: "queued"}.get(
        visit.state, str(visit.state))
    entries = repos.outbox.for_visit(visit.id)
    pending_for_visit = [e for e in entries if e.state not in ("done", "rejected")]
    if visit.state == VisitState.CONFIRMED and pending_for_visit:
        state = "queued"  # a cancel/change CeR does not have yet
    rejected = [e.last_error for e in entries if e.state == "rejected"]
    this = next((e for e in entries if e.id == entry_id), None)
    if this is not None and this.state == "rejected":
        state = "rejected"  # CeR refused this very change: never called "queued"
    problem = configuration_problem(repos) if pending_for_visit else None
    return {
        "visit_id": visit.id,
        "visit_uid": visit.visit_uid,
        "state": state,
        "visit_state": str(visit.state),
        "cer_id": visit.cer_id,
        "patient_local_id": patient.local_id if patient else None,
        "slot_id": visit.slot_id,
        "start": _local(slot.start) if slot else None,
        "urgency": str(visit.urgency),
        "emergency": bool(report.stopped_by),
        "reason": report.stopped_by or report.busy,
        "rejected": rejected[-1] if rejected else None,
        # "administrator": it waits for this workstation's set-up to be fixed (see reason)
        "waiting_for": "administrator" if problem is not None else None,
        "queue": waiting,
    }


def _say(result: dict[str, Any]) -> None:
    if result["state"] == "confirmed":
        print(_("Visit {visit} confirmed by CeR ({cer_id}), {start}.").format(
            visit=result["visit_id"], cer_id=result["cer_id"],
            start=datetime_text(dt.datetime.fromisoformat(result["start"]))))
    elif result["state"] == "cancelled":
        print(_("Visit {visit} cancelled.").format(visit=result["visit_id"]))
    elif result["state"] == "waiting_list":
        print(_("Visit {visit}: the patient is on the central waiting list.").format(
            visit=result["visit_id"]))
    elif result["waiting_for"] == "administrator":
        print(_("Visit {visit} saved locally and queued for CeR; it waits until the "
                "administrator fixes this workstation's set-up: {reason}").format(
            visit=result["visit_id"], reason=result["reason"] or "-"))
    elif result["emergency"]:
        print(_("Visit {visit} saved locally and queued for CeR (emergency mode): {reason}")
              .format(visit=result["visit_id"], reason=result["reason"] or "-"))
    else:
        print(_("Visit {visit} saved and queued for CeR: {reason}")
              .format(visit=result["visit_id"], reason=result["reason"] or "-"))


def _answer(args: argparse.Namespace, answer: dict[str, Any]) -> None:
    if args.json:
        emit_json(answer)
    else:
        _say(answer)


def _change(args: argparse.Namespace, ctx: AppContext,
            write: Callable[[AppContext, Repositories], tuple[int, int]]) -> int:
    """Write the change (one transaction with its outbox row; ``write`` returns the visit and
    its outbox row), try CeR at once, and print where the visit stands."""
    with ctx.repositories() as repos:
        visit_id, entry_id = write(ctx, repos)
        # The rows the change queued after its own (a booking's e-referral) go along.
        report = sync_entry_now(ctx, repos, max(entry_id, _last_entry(repos, visit_id)))
        answer = _visit_json(repos, visit_id, entry_id, report)
    if answer["state"] == "rejected":  # one line on stderr (and the JSON for scripts)
        if args.json:
            emit_json(answer)
        emit_error(_("CeR rejected the change of visit {visit}: {reason}").format(
            visit=answer["visit_id"], reason=answer["rejected"] or "-"))
        return EXIT_FAILED
    _answer(args, answer)
    return 0


def _last_entry(repos: Repositories, visit_id: int, op: str | None = None) -> int:
    return [entry for entry in repos.outbox.for_visit(visit_id)
            if op is None or entry.op == op][-1].id


def _urgency(text: str) -> Urgency:
    """``--urgency``: the same words everywhere (book, initial-load, queue import)."""
    try:
        return parse_urgency(text)
    except DomainError as error:
        raise argparse.ArgumentTypeError(translate_error(error)) from None


def book(args: argparse.Namespace, ctx: AppContext) -> int:
    def write(ctx: AppContext, repos: Repositories) -> tuple[int, int]:
        patient = booking.find_patient(repos, args.patient)
        slot_id = _int(args.slot, "--slot")
        # Digits are an e-referral (44: its key, 4: its access code with the patient's PESEL),
        # read from P1 and checked as the booking dialog does; other text is a paper
        # referral's number, sent to CeR as it is.
        # A first visit without any referral is refused by the service itself, nothing saved.
        e_referral = desk_referral(ctx, repos, args.referral, patient, slot_id)
        result = booking.book(
            repos, patient.id or 0, slot_id, args.urgency, user=ctx.user,
            central_request_id=args.request,
            referral_id=None if e_referral else args.referral,
            referral_key=e_referral.key if e_referral else None)
        return result.visit.id, result.outbox_id

    return _change(args, ctx, write)


def cancel(args: argparse.Namespace, ctx: AppContext) -> int:
    def write(ctx: AppContext, repos: Repositories) -> tuple[int, int]:
        visit_id = _int(args.visit, "VISIT_ID")
        booking.cancel(repos, visit_id, args.reason, user=ctx.user)
        return visit_id, _last_entry(repos, visit_id, OutboxOp.CANCEL)

    return _change(args, ctx, write)


def reschedule(args: argparse.Namespace, ctx: AppContext) -> int:
    def write(ctx: AppContext, repos: Repositories) -> tuple[int, int]:
        visit_id = _int(args.visit, "VISIT_ID")
        booking.reschedule(repos, visit_id, _int(args.slot, "--slot"), user=ctx.user)
        return visit_id, _last_entry(repos, visit_id)

    return _change(args, ctx, write)


def register(sub: argparse._SubParsersAction) -> None:
    """Front-desk use cases (issue 5): slots, book, cancel, reschedule."""
    help_text = _("list the terms of a day")
    p = sub.add_parser("slots", help=help_text, description=help_text)
    p.add_argument("--date", required=True, metavar="YYYY-MM-DD", help=_("day"))
    p.add_argument("--schedule", metavar="ID", help=_("only this schedule"))
    p.add_argument("--free", action="store_true", help=_("only free terms"))
    _json_flag(p)
    p.set_defaults(handler=slots)
    help_text = _("book a term for a patient")
    p = sub.add_parser("book", help=help_text, description=help_text)
    p.add_argument("--patient", required=True, metavar="PESEL|LOCAL_ID", help=_("the patient"))
    p.add_argument("--slot", required=True, metavar="SLOT_ID", help=_("the term"))
    p.add_argument("--urgency", required=True, type=_urgency,
                   metavar="urgent|stable|pilny|stabilny", help=_("medical category"))
    p.add_argument("--request", metavar="ID", help=_("central request id"))
    p.add_argument("--referral", metavar="KEY|CODE|ID",
                   help=_("the e-referral: its key (44 digits) or its access code (4 digits, "
                          "read with the patient's PESEL), checked in P1; other text: a paper "
                          "referral's number"))
    _json_flag(p)
    p.set_defaults(handler=book)
    help_text = _("cancel a visit")
    p = sub.add_parser("cancel", help=help_text, description=help_text)
    p.add_argument("visit", metavar="VISIT_ID", help=_("the visit's number (book --json: id)"))
    p.add_argument("--reason", required=True, metavar="TEXT", help=_("reason for cancelling"))
    _json_flag(p)
    p.set_defaults(handler=cancel)
    help_text = _("move a visit to another term")
    p = sub.add_parser("reschedule", help=help_text, description=help_text)
    p.add_argument("visit", metavar="VISIT_ID", help=_("the visit's number (book --json: id)"))
    p.add_argument("--slot", required=True, metavar="SLOT_ID", help=_("the new term"))
    _json_flag(p)
    p.set_defaults(handler=reschedule)
