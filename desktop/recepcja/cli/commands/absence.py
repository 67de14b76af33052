"""``recepcja absence``: a doctor (or device) is absent for a period.

The free terms of the period are blocked at once (one transaction) and the affected visits are
listed with their options: the same term with a substitute resource, or the nearest allowed
term. With ``--resolve`` every visit is moved to its first option (a provider-side change that
CeR notifies the patient of), the changes are sent, and the blocked terms are withdrawn from
CeR. The output is the list of patients to call. Without CeR the moves stay queued.
"""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

from recepcja.cer.errors import CerError
from recepcja.cli.output import emit_json
from recepcja.domain.errors import N_, ValidationError
from recepcja.domain.model import WARSAW
from recepcja.i18n import _, translate_error
from recepcja.services import absence
from recepcja.services.context import AppContext
from recepcja.services.gateway_factory import gateway_from_context
from recepcja.services.sync_service import sync_once
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


def _option_json(option: absence.MoveOption | None) -> dict[str, Any] | None:
    if option is None:
        return None
    return {"kind": option.kind, "slot_id": option.slot_id,
            "start": option.start.astimezone(WARSAW).isoformat(timespec="minutes"),
            "schedule": option.schedule_name, "resource": option.resource_name}


def run(args: argparse.Namespace) -> int:
    resource_id = _resource_id(args.resource)
    first_day, last_day = _day(args.date_from, "--from"), _day(args.date_to, "--to")
    if last_day < first_day:
        raise ValidationError(N_("The absence ends before it starts."))
    ctx = AppContext.load(training=args.training)
    repos = Repositories.over(ctx.open_db())
    try:
        if repos.practice.resource(resource_id) is None:
            raise ValidationError(N_("There is no resource number {id}."), id=resource_id)
        now = dt.datetime.now(WARSAW)
        marked = absence.mark_absence(repos, resource_id, first_day, last_day, user=ctx.user,
                                      reason=args.reason or "")
        affected = absence.affected_visits(repos, resource_id, first_day, last_day, now=now)
        rows: list[dict[str, Any]] = []
        blocked = list(marked.blocked)
        for item in affected:
            first = item.options[0] if item.options else None
            moved = None
            if args.resolve and first is not None:
                _visit, left = absence.resolve(repos, int(item.visit.id or 0), first,
                                               user=ctx.user, now=now)
                moved = first
                if left is not None:
                    blocked.append(left)
            rows.append({
                "visit_id": item.visit.id, "local_id": item.patient.local_id,
                "patient": f"{item.patient.last_name} {item.patient.first_name}",
                "phone": item.patient.phone,
                "start": item.start.isoformat(timespec="minutes"),
                "schedule": item.schedule_name,
                "options": [_option_json(o) for o in item.options],
                "moved_to": _option_json(moved),
            })
        cer_note = None
        withdrawn = 0
        if args.resolve:
            try:
                sync_once(ctx, repos)
                with gateway_from_context(ctx) as gateway:
                    withdrawn = absence.withdraw_from_cer(repos, gateway, blocked)
            except CerError as error:
                cer_note = translate_error(error)  # type: ignore[arg-type]
    finally:
        repos.db.close()
    result = {"resource": resource_id, "from": first_day.isoformat(), "to": last_day.isoformat(),
              "schedules": marked.schedules, "blocked_terms": len(marked.blocked),
              "withdrawn_from_cer": withdrawn, "cer_problem": cer_note, "visits": rows}
    if args.json:
        emit_json(result)
        return 0
    print(_("Absence recorded on {count} schedule(s); {blocked} free term(s) blocked.").format(
        count=marked.schedules, blocked=len(marked.blocked)))
    if not rows:
        print(_("No booked visits are affected."))
    else:
        print(_("Patients to call:"))
    for row in rows:
        target = row["moved_to"] or (row["options"][0] if row["options"] else None)
        verb = _("moved to") if row["moved_to"] else _("suggested")
        where = (f"{target['start']} {target['resource']}" if target
                 else _("no term available: waiting list"))
        print(f"  {row['start']}  {row['patient']}  {row['phone'] or '-'}  {verb}: {where}")
    if cer_note:
        print(_("CeR: {problem} The changes are queued and will be sent.").format(
            problem=cer_note))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    help_text = _("mark a resource absent and list the affected visits")
    p = sub.add_parser("absence", help=help_text, description=help_text)
    p.add_argument("--resource", required=True, metavar="ID", help=_("resource id"))
    p.add_argument("--from", dest="date_from", required=True, metavar="YYYY-MM-DD",
                   help=_("first day"))
    p.add_argument("--to", dest="date_to", required=True, metavar="YYYY-MM-DD",
                   help=_("last day"))
    p.add_argument("--reason", metavar="TEXT", help=_("reason (e.g. illness)"))
    p.add_argument("--resolve", action="store_true",
                   help=_("move every affected visit to its first option and send the changes"))
    p.add_argument("--json", action="store_true", help=_("print the result as JSON"))
    p.set_defaults(handler=run)
