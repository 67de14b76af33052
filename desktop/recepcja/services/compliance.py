"""The compliance report: is obligation 1 done and kept done, and where obligation 2 stands.

One answer for the compliance screen and ``recepcja status --json`` (key ``compliance``), built
only from the local store (no CeR call: the status must answer during an outage too). What the
store records is what CeR answered, so "registered", "active", "published until" are CeR's
facts as last seen.

Legal deadlines (docs/DOMAIN.md): schedules with free terms in CeR and the place active by
2026-05-31 (else NFZ suspends payment for the scope from 2026-06-01); every term assigned
through CeR from 2026-07-01 (else NFZ does not pay for the visit).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from recepcja.domain.horizon import check_horizon, required_months
from recepcja.domain.model import WARSAW, VisitSource, VisitState
from recepcja.services.publishing import LAST_RUN_KEY
from recepcja.store.repos import Repositories

SCHEDULES_DEADLINE = dt.date(2026, 5, 31)
BOOKING_DEADLINE = dt.date(2026, 7, 1)


def _stamp(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _deadline(code: str, date: dt.date, today: dt.date, met: bool, what: str) -> dict[str, Any]:
    days_left = (date - today).days
    if met:
        state = "met"
    elif days_left < 0:
        state = "missed"
    elif days_left <= 30:
        state = "due_soon"
    else:
        state = "pending"
    return {"code": code, "date": date.isoformat(), "what": what, "days_left": days_left,
            "passed": days_left < 0, "met": met, "state": state}


def compliance_report(
    repos: Repositories, *, today: dt.date | None = None, months: int = 3
) -> dict[str, Any]:
    """The report as plain JSON-able data (see the module docstring)."""
    today = today or dt.datetime.now(WARSAW).date()
    unconfirmed = repos.visits.unconfirmed(limit=1_000_000)
    places = []
    all_ok = True
    for place in repos.practice.places():
        assert place.id is not None
        schedules = []
        for schedule in repos.schedules.list(place_id=place.id):
            assert schedule.id is not None
            last = repos.slots.last_published_start(schedule.id, free_only=True)
            until = None if last is None else last.astimezone(WARSAW).date()
            status = check_horizon(today, until, months)
            schedules.append({
                "id": schedule.id, "name": schedule.name, "cer_id": schedule.cer_id,
                "created_in_cer": schedule.cer_id is not None,
                "published_until": None if until is None else until.isoformat(),
                "deadline": status.deadline.isoformat(), "short_by_days": status.short_by_days,
                "horizon_ok": status.ok,
            })
        load_sent = repos.sync_state.get_time(f"onboarding.place.{place.id}.initial_load_sent")
        schedule_ids = {s["id"] for s in schedules}
        pending_load = sum(
            1 for v in unconfirmed
            if v.source == VisitSource.INITIAL_LOAD and v.slot_id is not None
            and (slot := repos.slots.get(v.slot_id)) is not None
            and slot.schedule_id in schedule_ids
        )
        points = [{"id": p.id, "name": p.name, "cer_id": p.cer_id,
                   "imported": p.cer_imported_at is not None}
                  for p in repos.practice.mobile_points(place.id) if p.active]
        ok = (place.cer_active_at is not None and bool(schedules)
              and all(s["created_in_cer"] and s["horizon_ok"] for s in schedules)
              and all(p["imported"] for p in points))
        all_ok = all_ok and ok
        places.append({
            "id": place.id, "name": place.name, "cer_id": place.cer_id,
            "registered": place.cer_registered_at is not None,
            "registered_at": _stamp(place.cer_registered_at),
            "active": place.cer_active_at is not None, "active_at": _stamp(place.cer_active_at),
            "mobile_points": points, "schedules": schedules,
            "initial_load_sent": load_sent is not None, "initial_load_sent_at": _stamp(load_sent),
            "initial_load_visits_not_confirmed": pending_load, "compliant": ok,
        })
    all_ok = all_ok and bool(places)
    not_confirmed = repos.visits.count(VisitState.PENDING)
    last_run = repos.sync_state.get(LAST_RUN_KEY)
    return {
        "today": today.isoformat(),
        "horizon_months": required_months(months),  # never below the legal minimum
        "compliant": all_ok,
        "places": places,
        "visits_not_confirmed_in_cer": not_confirmed,
        "last_publish": None if last_run is None else json.loads(last_run),
        "deadlines": [
            _deadline("schedules_in_cer", SCHEDULES_DEADLINE, today, all_ok,
                      "places registered, schedules with free terms published, places active"),
            _deadline("booking_through_cer", BOOKING_DEADLINE, today,
                      all_ok and not_confirmed == 0,
                      "every term assigned through CeR (no local visit left unconfirmed)"),
        ],
    }
