"""Keeping CeR's free terms complete: extend each schedule to the horizon, publish, withdraw.

Obligation 1 is not done once: CeR wants free terms at least 3 months ahead *every day*, so
``recepcja publish`` (and later a daily background job) runs this for every schedule:

1. generate the template's slots from now to the horizon (3 months + a margin, so a missed day
   or a schedule that works only on Mondays never drops below the deadline). The horizon is
   never less than the law's 3 months, and each schedule reaches PAST the deadline: at least
   a week past it, and further when its template and days off give no term in that week (up
   to its first working day after the deadline), whatever ``margin_days`` says — publishing
   exactly to the deadline would leave "publish, then onboard again" refused for ever;
2. compare them with the stored slots: a slot the template (or a new exception) no longer
   produces is withdrawn from CeR (``usunSloty``) when CeR holds it, and removed locally when
   no visit ever used it; a booked slot is never touched; slots blocked locally (absence) are
   withdrawn too;
3. store the new slots (the store refuses overlaps, and a new slot overlapping a kept one is
   left out), then publish every unpublished free slot (``zapiszSloty``) in batches.

Every CeR answer is recorded as it arrives (one transaction per batch): a crash half-way loses
nothing, and the next run resends only what is not recorded, under the same local ids, which
CeR treats idempotently. Per-item rejections are kept in the result (and their slots stay
unpublished, so they show up again) - never silently dropped.
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field

from recepcja.cer.errors import CerError
from recepcja.cer.gateway import CerGateway
from recepcja.cer.types import ItemResult
from recepcja.domain.entities import ScheduleException, Slot, SlotSpec
from recepcja.domain.horizon import check_horizon, horizon_deadline
from recepcja.domain.model import WARSAW, SlotState
from recepcja.domain.slots import first_working_day, generate_slots
from recepcja.services.gateway_pool import GatewayPool
from recepcja.services.practice_setup import rules_from_template
from recepcja.store.records import Schedule
from recepcja.store.repos import Repositories
from recepcja.sync.in_flight import DEFAULT_MAX_IN_FLIGHT
from recepcja.sync.withdrawals import sort_withdrawals

# CeR refuses terms in the past; a term starting within minutes is not worth offering either.
LEAD = dt.timedelta(minutes=5)
DEFAULT_BATCH = 1000
# Free terms reach at least this far past the deadline whatever margin_days says (a weekly
# template works at least once in it), and a schedule without a working day in it is taken
# to its first one, looked for this far past the deadline.
MIN_MARGIN_DAYS = 7
REACH_DAYS = 366

Progress = Callable[[str, int, int], None]


def slot_local_id(slot_id: int) -> str:
    """The ``identyfikatorLokalny`` of a slot in CeR: stable, so a resend is idempotent."""
    return f"S{slot_id}"


@dataclass(frozen=True, slots=True)
class Rejection:
    """One item CeR refused: which slot, CeR's code (short form) and its description."""

    local_id: str
    code: str
    message: str


@dataclass(slots=True)
class ScheduleOutcome:
    schedule_id: int
    name: str
    cer_id: str | None
    generated: int = 0  # new local slots
    removed: int = 0  # local slots a changed template or exception made obsolete
    withdrawn: int = 0  # withdrawn from CeR (usunSloty accepted)
    published: int = 0  # accepted by zapiszSloty
    rejected: list[Rejection] = field(default_factory=list)
    withdraw_rejected: list[Rejection] = field(default_factory=list)
    published_until: dt.date | None = None
    deadline: dt.date | None = None
    horizon_ok: bool = False
    skipped_reason: str | None = None  # e.g. not created in CeR yet


@dataclass(slots=True)
class PublishResult:
    until: dt.date
    deadline: dt.date
    schedules: list[ScheduleOutcome] = field(default_factory=list)

    @property
    def published(self) -> int:
        return sum(s.published for s in self.schedules)

    @property
    def rejected(self) -> int:
        return sum(len(s.rejected) + len(s.withdraw_rejected) for s in self.schedules)

    @property
    def withdrawn(self) -> int:
        return sum(s.withdrawn for s in self.schedules)


def publication_window(today: dt.date, months: int, margin_days: int) -> tuple[dt.date, dt.date]:
    """(deadline CeR checks, last day we generate and publish): at least the legal 3 months,
    and at least ``MIN_MARGIN_DAYS`` past the deadline."""
    deadline = horizon_deadline(today, months)
    return deadline, deadline + dt.timedelta(days=max(MIN_MARGIN_DAYS, margin_days))


def first_day_past(repos: Repositories, schedule: Schedule, deadline: dt.date) -> dt.date | None:
    """The first day after ``deadline`` on which ``schedule`` works (template, days off and
    holidays), within ``REACH_DAYS``; None when it has none: then no publishing can meet the
    horizon, the schedule itself must change."""
    assert schedule.id is not None
    start = deadline + dt.timedelta(days=1)
    exceptions = [ScheduleException(e.first_day, e.last_day, e.reason)
                  for e in repos.schedules.exceptions(schedule.id, since=start)]
    return first_working_day(rules_from_template(schedule.template), start,
                             deadline + dt.timedelta(days=REACH_DAYS), exceptions)


def _schedule_until(repos: Repositories, schedule: Schedule, deadline: dt.date,
                    until: dt.date) -> dt.date:
    """``until``, or later for a schedule that does not work between the deadline and it."""
    first = first_day_past(repos, schedule, deadline)
    return until if first is None or first <= until else first


def _rejection(item: ItemResult) -> Rejection:
    return Rejection(item.local_id, (item.code or "?").rsplit(":", 1)[-1], item.message or "")


def extend_schedule(
    repos: Repositories, schedule: Schedule, *, now: dt.datetime, until: dt.date
) -> tuple[int, list[Slot]]:
    """Bring the stored slots of ``schedule`` in line with its template from ``now`` to
    ``until``: returns (slots added, obsolete slots that must leave CeR before removal)."""
    assert schedule.id is not None
    first_day = now.astimezone(WARSAW).date()
    if until < first_day:
        return 0, []
    exceptions = [
        ScheduleException(e.first_day, e.last_day, e.reason)
        for e in repos.schedules.exceptions(schedule.id, since=first_day)
    ]
    rules = rules_from_template(schedule.template)
    earliest = now + LEAD
    desired = [s for s in generate_slots(rules, first_day, until, exceptions) if s.start > earliest]
    every = repos.slots.with_publication(schedule.id, first_day, until)
    stored = [(slot, live) for slot, live in every if slot.start > earliest]
    # A changed kind of term counts as a different term: withdrawn and published anew.
    wanted = {(s.start, s.end, s.term_kind) for s in desired} if stored else set()
    obsolete = [slot for slot, _live in stored
                if slot.state != SlotState.BOOKED
                and (slot.start, slot.end, slot.term_kind) not in wanted]
    # Obsolete slots CeR does not hold can go at once; the others after their withdrawal.
    not_live = {slot.id for slot, live in stored if not live}
    deletable = [s.id for s in obsolete if s.id in not_live and s.id is not None]
    if deletable and repos.slots.delete_unused(deletable):
        current = repos.slots.with_publication(schedule.id, first_day, until)
    else:  # the usual daily run: nothing removed, no need to read the slots again
        current = every
    remaining = sorted((slot.start, slot.end) for slot, _live in current)
    starts = [start for start, _end in remaining]
    have = set(remaining)
    if have:
        new = [spec for spec in desired if (spec.start, spec.end) not in have
               and not _overlaps(remaining, starts, spec)]
    else:  # nothing stored (a new schedule, the first run): no duplicate, no overlap
        new = desired
    added = repos.slots.add_many(schedule.id, new) if new else 0
    left = [s for s in obsolete if s.id not in not_live]
    return added, left


def _overlaps(
    intervals: Sequence[tuple[dt.datetime, dt.datetime]], starts: Sequence[dt.datetime],
    spec: SlotSpec,
) -> bool:
    # Stored slots never overlap, so sorted by start their ends are sorted too: only the last
    # one starting before ``spec`` ends can reach into it.
    index = bisect.bisect_left(starts, spec.end)
    return index > 0 and intervals[index - 1][1] > spec.start


def withdraw(
    repos: Repositories, gateway: CerGateway, schedule: Schedule, slots: Sequence[Slot],
    outcome: ScheduleOutcome, *, net: GatewayPool | None = None,
) -> None:
    """``usunSloty`` for ``slots`` (they must have CeR ids); accepted (or unknown to CeR) ones
    are marked withdrawn and, when no visit used them, removed locally. ``net``: the threads
    that send publishing's calls (``services.gateway_pool``)."""
    items = list({s.id: s for s in slots if s.cer_id}.values())
    if not items or schedule.cer_id is None:
        return
    by_cer = {s.cer_id: s for s in items}
    cer_ids = [s.cer_id for s in items if s.cer_id]
    try:
        if net is None:
            results = gateway.delete_slots(schedule.cer_id, cer_ids)
        else:
            results = net.call("delete_slots", schedule.cer_id, cer_ids).result()
    except CerError as error:
        results = list(error.partial)
        _apply_withdrawals(repos, by_cer, results, outcome)
        raise
    _apply_withdrawals(repos, by_cer, results, outcome)


def _apply_withdrawals(
    repos: Repositories, by_cer: dict[str | None, Slot], results: Sequence[ItemResult],
    outcome: ScheduleOutcome,
) -> None:
    withdrawn, refused = sort_withdrawals(results, by_cer)
    done = [int(slot.id or 0) for slot in withdrawn]
    outcome.withdraw_rejected.extend(_rejection(item) for _slot, item in refused)
    if done:
        repos.slots.mark_withdrawn(done)
        outcome.withdrawn += len(done)
        outcome.removed += repos.slots.delete_unused(done)


@dataclass(slots=True)
class _Sending:
    """One schedule's batches in flight: the futures of ``save_slots`` and their slot ids."""

    schedule: Schedule
    outcome: ScheduleOutcome
    today: dt.date
    total: int
    batches: list[tuple[Future[list[ItemResult]], dict[str, int]]] = field(default_factory=list)


def _prepare(
    repos: Repositories, gateway: CerGateway, net: GatewayPool, schedule: Schedule, *,
    now: dt.datetime, months: int, margin_days: int, batch: int,
) -> _Sending:
    """Extend and withdraw (waiting for CeR), then hand the publishing batches to ``net``."""
    assert schedule.id is not None
    today = now.astimezone(WARSAW).date()
    deadline, until = publication_window(today, months, margin_days)
    until = _schedule_until(repos, schedule, deadline, until)
    outcome = ScheduleOutcome(schedule.id, schedule.name, schedule.cer_id, deadline=deadline)
    outcome.generated, obsolete = extend_schedule(repos, schedule, now=now, until=until)
    sending = _Sending(schedule, outcome, today, 0)
    if schedule.cer_id is None:
        outcome.skipped_reason = "not created in CeR"
        return sending
    withdraw(repos, gateway, schedule, [*obsolete, *repos.slots.to_withdraw(schedule.id)],
             outcome, net=net)
    if outcome.removed:  # the withdrawn terms made room for the template's new ones
        added, _left = extend_schedule(repos, schedule, now=now, until=until)
        outcome.generated += added
    end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), WARSAW)
    pending = [(slot_local_id(slot_id), slot_id, spec) for slot_id, spec
               in repos.slots.unpublished_specs(schedule.id, after=now + LEAD, until=end)]
    sending.total = len(pending)
    previous: Future[list[ItemResult]] | None = None
    for offset in range(0, len(pending), batch):
        chunk = pending[offset:offset + batch]
        items = [(local_id, spec) for local_id, _slot_id, spec in chunk]
        ids = {local_id: slot_id for local_id, slot_id, _spec in chunk}
        # One schedule's batches in order; other schedules' batches overlap with them.
        previous = net.call("save_slots", schedule.cer_id, items, after=previous)
        sending.batches.append((previous, ids))
    return sending


def _finish(
    repos: Repositories, sending: _Sending, months: int, progress: Progress | None
) -> ScheduleOutcome:
    """Record every batch's answers as they come (one transaction each), then the horizon.
    On a failed batch: what it and the earlier batches got is recorded, the later batches are
    cancelled (or awaited and recorded when already running), and the error is raised."""
    outcome, name = sending.outcome, sending.schedule.name
    if progress and sending.total:
        progress(name, 0, sending.total)
    done = 0
    failure: CerError | None = None
    for future, ids in sending.batches:
        if failure is not None and future.cancel():
            continue
        try:
            results = future.result()
        except CerError as error:
            failure = failure or error
            results = list(error.partial)
        _record_published(repos, ids, results, outcome)
        done += len(ids)
        if progress and failure is None:
            progress(name, done, sending.total)
    if failure is not None:
        raise failure
    _horizon(repos, outcome, sending.today, months)
    return outcome


def _abandon(repos: Repositories, sendings: Sequence[_Sending]) -> None:
    """A failure elsewhere: cancel what has not started, record what already got through."""
    for sending in sendings:
        for future, ids in sending.batches:
            if future.cancel():
                continue
            try:
                _record_published(repos, ids, future.result(), sending.outcome)
            except CerError as error:
                _record_published(repos, ids, error.partial, sending.outcome)


def _record_published(
    repos: Repositories, ids: dict[str, int], results: Sequence[ItemResult],
    outcome: ScheduleOutcome,
) -> None:
    accepted = [(ids[r.local_id], r.cer_id) for r in results if r.accepted and r.local_id in ids]
    if accepted:
        repos.slots.mark_published(accepted)
    outcome.published += len(accepted)
    outcome.rejected.extend(_rejection(r) for r in results if not r.accepted)


def _horizon(repos: Repositories, outcome: ScheduleOutcome, today: dt.date, months: int) -> None:
    last = repos.slots.last_published_start(outcome.schedule_id, free_only=True)
    outcome.published_until = None if last is None else last.astimezone(WARSAW).date()
    status = check_horizon(today, outcome.published_until, months)
    outcome.horizon_ok = status.ok


def publish_all(
    repos: Repositories,
    gateway: CerGateway,
    *,
    now: dt.datetime | None = None,
    months: int = 3,
    margin_days: int = 14,
    place_id: int | None = None,
    batch: int = DEFAULT_BATCH,
    progress: Progress | None = None,
    max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
) -> PublishResult:
    """``recepcja publish``: every active schedule (of one place, when given).

    A pipeline: while the batches of up to ``max_in_flight`` schedules travel to CeR on as
    many network threads (each with its own copy of the gateway: ``services.gateway_pool``),
    this thread generates and stores the next schedule's slots, then records the oldest
    schedule's answers. The order of calls to CeR per schedule is unchanged, and nothing is
    marked published before CeR's answer says so."""
    now = now or dt.datetime.now(dt.UTC)
    today = now.astimezone(WARSAW).date()
    deadline, until = publication_window(today, months, margin_days)
    result = PublishResult(until=until, deadline=deadline)
    in_flight: list[_Sending] = []
    with GatewayPool(gateway, max_in_flight, name="publish") as net:
        try:
            for schedule in repos.schedules.list(place_id=place_id):
                in_flight.append(_prepare(repos, gateway, net, schedule, now=now, months=months,
                                          margin_days=margin_days, batch=batch))
                if len(in_flight) > net.threads:
                    result.schedules.append(_finish(repos, in_flight.pop(0), months, progress))
            while in_flight:
                result.schedules.append(_finish(repos, in_flight[0], months, progress))
                in_flight.pop(0)
        except BaseException:
            _abandon(repos, in_flight)
            raise
    _remember(repos, result, now)
    return result


LAST_RUN_KEY = "publishing.last_run"


def _remember(repos: Repositories, result: PublishResult, now: dt.datetime) -> None:
    """Keep the last run's figures and CeR's rejections (the compliance view shows them)."""
    rejections = [
        {"schedule": s.name, "local_id": r.local_id, "code": r.code, "message": r.message}
        for s in result.schedules for r in (*s.rejected, *s.withdraw_rejected)
    ]
    repos.sync_state.set(LAST_RUN_KEY, json.dumps({
        "at": now.isoformat(), "published": result.published, "withdrawn": result.withdrawn,
        "rejected": result.rejected, "rejections": rejections[:100],
    }, ensure_ascii=False))
