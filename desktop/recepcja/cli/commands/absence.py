"""``recepcja absence``: a doctor (or device) is absent for a period.

One decision, through ``services.absence`` (the window's dialog uses the same service): the
absence is recorded, the free terms of the period are blocked and their withdrawal from CeR is
queued - all in one transaction - and the affected visits are listed, each with its own proposal
(no term proposed to two patients). With ``--resolve`` every visit is moved to its proposal in
that same transaction (a provider-side change CeR notifies the patient of). Then the outbox is
sent once and the command says what CeR has: moves in CeR, waiting or refused, the terms
withdrawn, and what is left to do. Without CeR everything stays queued and the sync machinery
sends it later (``recepcja sync --once`` or the window). Exit 1 when CeR refused a move.
"""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

from recepcja.cer.errors import CerError
from recepcja.cli.output import EXIT_FAILED, EXIT_OK, emit_json
from recepcja.domain.errors import N_, DomainError, ValidationError
from recepcja.domain.model import WARSAW
from recepcja.i18n import _, error_text, ngettext
from recepcja.services import absence
from recepcja.services.absence_report import AbsenceProgress, absence_progress, state_text
from recepcja.services.context import AppContext
from recepcja.store.repos import Repositories


def _day(value: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationError(
            N_("{option}: \"{value}\" is not a date (YYYY-MM-DD)."), option=option, value=value
        ) from None


def _resource_id(value: str) -> int:
    if not value.strip().isdigit():
        raise ValidationError(N_("--resource must be a resource number (found: {value})."),
                              value=value)
    return int(value)


def _local(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(WARSAW).isoformat(timespec="minutes")


def _option_json(option: absence.MoveOption | None) -> dict[str, Any] | None:
    if option is None:
        return None
    return {"kind": option.kind, "slot_id": option.slot_id, "start": _local(option.start),
            "schedule": option.schedule_name, "resource": option.resource_name}


def _send(ctx: AppContext, repos: Repositories) -> str | None:
    """One pass of the outbox; the reason CeR did not take everything, or None."""
    from recepcja.services.sync_service import sync_once

    try:
        return sync_once(ctx, repos).stopped_by
    except (CerError, DomainError) as error:
        return error_text(error)


def run(args: argparse.Namespace, ctx: AppContext) -> int:
    resource_id = _resource_id(args.resource)
    first_day, last_day = _day(args.date_from, "--from"), _day(args.date_to, "--to")
    if last_day < first_day:
        raise ValidationError(N_("The absence ends before it starts."))
    with ctx.repositories() as repos:
        if repos.practice.resource(resource_id) is None:
            raise ValidationError(N_("There is no resource number {id}."), id=resource_id)
        now = dt.datetime.now(WARSAW)
        affected = absence.affected_visits(repos, resource_id, first_day, last_day, now=now)
        plan = absence.plan_absence(resource_id, first_day, last_day, args.reason or "",
                                    affected, move=args.resolve)
        applied = absence.apply_absence(repos, plan, user=ctx.user, now=now)
        problem = None
        if applied.moves or applied.withdrawal_ids:
            problem = _send(ctx, repos)
        progress = absence_progress(repos, applied)
    result = _result(affected, progress, problem)
    if args.json:
        emit_json(result)
    else:
        _print(result, progress)
    return EXIT_FAILED if progress.refused_moves else EXIT_OK


def _result(affected: list[absence.AffectedVisit], progress: AbsenceProgress,
            problem: str | None) -> dict[str, Any]:
    applied = progress.applied
    moves = {m.move.visit_id: m for m in progress.moves}
    rows = []
    for item in affected:
        move = moves.get(item.visit.id)
        rows.append({
            "visit_id": item.visit.id, "local_id": item.patient.local_id,
            "patient": f"{item.patient.last_name} {item.patient.first_name}",
            "phone": item.patient.phone, "start": _local(item.start),
            "schedule": item.schedule_name,
            "options": [_option_json(o) for o in item.options],
            "moved_to": _option_json(move.move.to) if move else None,
            "in_cer": str(move.state) if move else None,
            "refusal": move.reason if move and move.reason else None,
        })
    return {
        "resource": applied.resource_id, "from": applied.first_day.isoformat(),
        "to": applied.last_day.isoformat(), "schedules": applied.schedules,
        "blocked_terms": len(applied.blocked), "withdrawn_from_cer": progress.withdrawn,
        "terms_still_in_cer": progress.terms_still_in_cer,
        "withdrawal_refused": progress.withdrawal_refused,
        "cer_problem": problem if not progress.complete else None,
        "complete": progress.complete, "left_to_do": progress.left_to_do(), "visits": rows,
    }


def _print(result: dict[str, Any], progress: AbsenceProgress) -> None:
    print(ngettext("Absence recorded on {count} schedule", "Absence recorded on {count} "
                   "schedules", result["schedules"]).format(count=result["schedules"]) + "; "
          + ngettext("{blocked} free term blocked.", "{blocked} free terms blocked.",
                     result["blocked_terms"]).format(blocked=result["blocked_terms"]))
    if not result["visits"]:
        print(_("No booked visits are affected."))
    else:
        print(_("Patients to call:"))
    for row in result["visits"]:
        if row["moved_to"]:
            target = row["moved_to"]
            what = _("moved to {when} {doctor} ({state})").format(
                when=target["start"], doctor=target["resource"],
                state=state_text(progress_state(progress, row["visit_id"])))
        elif row["options"]:
            target = row["options"][0]
            what = _("suggested: {when} {doctor}").format(when=target["start"],
                                                          doctor=target["resource"])
        else:
            what = _("no free term: call the patient (central waiting list)")
        print(f"  {row['start']}  {row['patient']}  {row['phone'] or '-'}  {what}")
    if result["withdrawn_from_cer"]:
        print(_("Free terms withdrawn from CeR: {count}.").format(
            count=result["withdrawn_from_cer"]))
    if result["cer_problem"]:
        print(_("CeR: {problem}").format(problem=result["cer_problem"]))
    for line in result["left_to_do"]:
        print(_("Left to do: {what}").format(what=line))


def progress_state(progress: AbsenceProgress, visit_id: int) -> Any:
    return next((m.state for m in progress.moves if m.move.visit_id == visit_id), None)


def register(sub: argparse._SubParsersAction) -> None:
    help_text = _("mark a resource absent, withdraw its free terms from CeR and list the "
                  "affected visits")
    p = sub.add_parser("absence", help=help_text, description=help_text)
    p.add_argument("--resource", required=True, metavar="ID", help=_("resource id"))
    p.add_argument("--from", dest="date_from", required=True, metavar="YYYY-MM-DD",
                   help=_("first day"))
    p.add_argument("--to", dest="date_to", required=True, metavar="YYYY-MM-DD",
                   help=_("last day"))
    p.add_argument("--reason", metavar="TEXT", help=_("reason (e.g. illness)"))
    p.add_argument("--resolve", action="store_true",
                   help=_("move every affected visit to its own proposal (no term given to two "
                          "patients) and send the changes"))
    p.add_argument("--json", action="store_true", help=_("print the result as JSON"))
    p.set_defaults(handler=run)
