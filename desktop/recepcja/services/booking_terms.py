"""What the booking dialog offers: the free terms of one scope with their doctor or device,
place and term kind, and the first term the rules allow for an urgency - read from the local
store (milliseconds, the UI thread's connection)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from recepcja.domain.errors import DomainError
from recepcja.domain.model import WARSAW, Urgency
from recepcja.domain.scopes import ScopeRegistry, term_kind_word
from recepcja.services.day_view import ScheduleInfo, schedule_infos
from recepcja.store.repos import Repositories

PER_SCHEDULE = 120


@dataclass(frozen=True, slots=True)
class TermOffer:
    info: ScheduleInfo
    start: dt.datetime  # Warsaw time
    slot_id: int
    kind: str  # TermKind value
    kind_word: str  # an English msgid ("first visit", "continuation", "procedure"...)

    @property
    def scope_code(self) -> str:
        return self.info.schedule.scope_code

    @property
    def day(self) -> dt.date:
        return self.start.date()


def scope_choices(repos: Repositories, scopes: ScopeRegistry) -> list[tuple[str, str]]:
    """(code, Polish name) of every scope some active schedule books."""
    codes = sorted({s.schedule.scope_code for s in schedule_infos(repos)})
    return [(code, _scope_name(scopes, code)) for code in codes]


def offers(repos: Repositories, scope_code: str, after: dt.datetime,
           scopes: ScopeRegistry, per_schedule: int = PER_SCHEDULE) -> list[TermOffer]:
    """Free terms of the scope's active schedules after ``after``, nearest first."""
    try:
        scope = scopes.get(scope_code)
    except DomainError:
        scope = None
    found = []
    for info in schedule_infos(repos, scope_code=scope_code):
        for slot in repos.slots.free_from(info.id, after, limit=per_schedule):
            found.append(TermOffer(info, slot.start.astimezone(WARSAW), int(slot.id or 0),
                                   str(slot.term_kind), term_kind_word(slot.term_kind, scope)))
    found.sort(key=lambda offer: (offer.start, offer.info.id))
    return found


def first_allowed(repos: Repositories, scope_code: str, urgency: Urgency,
                  now: dt.datetime) -> int | None:
    """The slot id of the first term the rules allow for this urgency (``sync.terms``)."""
    from recepcja.services import booking

    slot = booking.propose_term(repos, scope_code, urgency, now=now)
    return None if slot is None else slot.id


def _scope_name(scopes: ScopeRegistry, code: str) -> str:
    try:
        return scopes.get(code).name_pl
    except DomainError:
        return code
