"""The first-visit rule where the desk chooses a term by itself: a visit without a referral (a
continuation) is never offered, nor moved by the replay, onto a first visit of a scope with
referrals - CeR refuses that booking or move (the simulator does too), maybe during a replay
with nobody at the desk."""

from __future__ import annotations

import datetime as dt

from services_support import NOW
from test_replay_rules import ScriptedGateway

from recepcja.domain.entities import SlotSpec
from recepcja.domain.model import WARSAW, TermKind, Urgency
from recepcja.services import booking
from recepcja.services.absence import affected_visits
from recepcja.sync.replay import Replayer


def _continuation(repos, practice, day: dt.date) -> int:
    """A published continuation term at 07:00 on ``day`` (before the morning's first visits)."""
    start = dt.datetime.combine(day, dt.time(7, 0), tzinfo=WARSAW)
    repos.slots.add_many(practice.schedule_id, [
        SlotSpec(start, start + dt.timedelta(minutes=15), TermKind.CONTINUING_TREATMENT)])
    [slot] = [s for s in repos.slots.for_day(practice.schedule_id, day) if s.start == start]
    repos.slots.mark_published([(slot.id, f"SLT-{slot.id}")])
    return int(slot.id)


def _days(repos, practice) -> list[dt.date]:
    return sorted({repos.slots.get(s).start.astimezone(WARSAW).date() for s in practice.slot_ids})


def test_an_absence_never_offers_a_continuation_a_first_visit(repos, practice, patient_id):
    days = _days(repos, practice)
    own, later = _continuation(repos, practice, days[0]), _continuation(repos, practice, days[2])
    visit = booking.book(repos, patient_id, own, Urgency.STABLE, user="ania").visit
    [item] = affected_visits(repos, practice.resource_id, days[0], days[0], now=NOW)
    assert item.visit.id == visit.id
    # The nearest free term is a first visit on the next day; the continuation takes the next
    # continuation term instead.
    assert [option.slot_id for option in item.options] == [later]


def test_the_replay_hands_a_lost_continuation_a_continuation_term(repos, practice, patient_id):
    days = _days(repos, practice)
    own, later = _continuation(repos, practice, days[0]), _continuation(repos, practice, days[2])
    visit = booking.book(repos, patient_id, own, Urgency.STABLE, user="ania",
                         emergency=True).visit
    gateway = ScriptedGateway(repos)
    gateway.taken.add(f"SLT-{own}")  # a portal patient took the term during the outage
    report = Replayer(repos, gateway).run()
    assert report.moved == 1 and report.rejected == 0, report
    assert repos.visits.get(visit.id).slot_id == later
    first_visits = {f"SLT-{slot}" for slot in practice.slot_ids}
    assert not [slot for name, slot in gateway.calls if name == "book" and slot in first_visits]
