"""Which term a patient may get, and whether the desk is in emergency mode.

Shared by the booking service (the desk's "propose the first allowed term") and the replay (a
term taken in CeR during the outage → the nearest term the rules allow), so both apply the same
rule. Lives in ``sync`` because the replay (this layer) needs it and ``services`` sits above.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Collection
from typing import Any

from recepcja.domain.entities import Slot
from recepcja.domain.model import Urgency
from recepcja.domain.referral import kind_problem, known_scope
from recepcja.domain.urgency import parse_urgency
from recepcja.store.repos import Repositories

# SyncState keys the connectivity monitor keeps.
STATE_KEY = "connectivity.state"
MANUAL_EMERGENCY_KEY = "emergency.manual"
# A CeR call failed because of this workstation's own set-up (keyring, certificates, address):
# {"reason": Polish text, "since": ISO time, "error": class name}; cleared by a good call.
CONFIGURATION_PROBLEM_KEY = "connectivity.configuration_problem"

# A term is proposed no earlier than this after "now": the patient has to get there.
MIN_LEAD = dt.timedelta(minutes=30)


def manual_emergency(repos: Repositories) -> bool:
    """True while the receptionist's emergency switch is on (``ConnectivityMonitor`` sets it)."""
    return repos.sync_state.get(MANUAL_EMERGENCY_KEY) == "1"


def configuration_problem(repos: Repositories) -> dict[str, Any] | None:
    """Why changes wait for an administrator, as the monitor last stored it: ``reason`` (for
    the desk, translated), ``since``, ``error``; None while no set-up fault is known."""
    stored = repos.sync_state.get(CONFIGURATION_PROBLEM_KEY)
    if not stored:
        return None
    try:
        problem = json.loads(stored)
    except ValueError:
        return None
    return problem if isinstance(problem, dict) and problem.get("reason") else None


def in_emergency(repos: Repositories) -> bool:
    """True while CeR is offline or the receptionist switched emergency mode on by hand."""
    if manual_emergency(repos):
        return True
    return repos.sync_state.get(STATE_KEY) == "offline"


def bookable_for(scope_code: str | None, has_referral: bool) -> Callable[[Slot], bool]:
    """The terms a visit of ``scope_code`` may be booked on in CeR (``propose_term``'s
    ``fits``): a first visit of a scope with referrals only with one
    (``domain.referral.kind_problem``: CeR refuses it without)."""
    scope = known_scope(scope_code)
    return lambda slot: kind_problem(scope, slot.term_kind, has_referral) is None


def propose_term(
    repos: Repositories,
    scope_code: str,
    urgency: Urgency | str,
    *,
    now: dt.datetime,
    place_id: int | None = None,
    not_before: dt.datetime | None = None,
    exclude: Collection[int] = (),
    published_only: bool = False,
    limit: int = 200,
    fits: Callable[[Slot], bool] | None = None,
) -> Slot | None:
    """The first free term the rules allow for a patient of this urgency in this scope.

    Terms are given by medical category and then by the date of the central request
    (art. 23d ust. 1): whoever asks now gets the nearest free term at least ``MIN_LEAD`` from
    ``now`` — for an urgent patient that is the whole rule; a stable patient gets the same,
    since the desk serves callers in the order they come (the order of the waiting list is
    CeR's). ``not_before`` narrows the search (e.g. not before the term the patient lost);
    ``exclude`` skips terms CeR said are taken; ``published_only`` skips terms CeR does not
    know (they cannot be booked there); ``fits`` skips terms the visit cannot take (the
    first-visit rule: ``domain.referral``)."""
    parse_urgency(urgency)  # validates; both categories take the nearest term today
    start = now + MIN_LEAD
    if not_before is not None and not_before > start:
        start = not_before
    while True:
        batch = repos.slots.free_for_scope(scope_code, start, limit, place_id)
        for slot in batch:
            if slot.id in exclude or (published_only and not slot.cer_id) or (
                    fits is not None and not fits(slot)):
                continue
            return slot
        if len(batch) < limit:
            return None
        start = batch[-1].start + dt.timedelta(microseconds=1)
