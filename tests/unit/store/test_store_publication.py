"""Slot publication bookkeeping publishing relies on: which slots CeR holds, which blocked ones
must be withdrawn, which may be deleted, and how far free published terms reach."""

from __future__ import annotations

import datetime as dt

from store_helpers import DAY

from recepcja.domain.entities import SlotSpec, Visit
from recepcja.domain.model import SlotState, Urgency
from recepcja.store import Repositories
from recepcja.store.records import Place
from support.practice import Practice


def test_publication_state_withdrawal_and_deletion(
    repos: Repositories, practice: Practice, patient_id: int
) -> None:
    first, second, third, fourth, *rest = practice.slot_ids
    repos.slots.mark_published([(first, "SLT-1"), (second, "SLT-2"), (third, "SLT-3")])
    live = {slot.id: held for slot, held in repos.slots.with_publication(
        practice.schedule_id, DAY, DAY)}
    assert live[first] and live[second] and not live[fourth]
    assert repos.slots.to_withdraw(practice.schedule_id) == []

    repos.slots.set_state(second, SlotState.BLOCKED)
    assert [s.id for s in repos.slots.to_withdraw(practice.schedule_id)] == [second]
    # A slot CeR holds cannot be deleted; once withdrawn it can.
    assert repos.slots.delete_unused([second]) == 0
    repos.slots.mark_withdrawn([second])
    assert repos.slots.to_withdraw(practice.schedule_id) == []
    assert repos.slots.delete_unused([second, fourth]) == 2
    # A slot a visit ever used stays (history), even when cancelled.
    visit = Visit("uid-1", patient_id, rest[0], Urgency.STABLE)
    visit_id = repos.visits.book(visit, rest[0], "ania").visit_id
    repos.visits.cancel(visit_id, "test", "ania")
    assert repos.slots.delete_unused([rest[0]]) == 0
    assert repos.slots.get(second) is None and repos.slots.get(rest[0]) is not None

    # How far CeR's free terms reach: the booked third slot counts only without free_only.
    repos.visits.book(Visit("uid-2", patient_id, third, Urgency.STABLE), third, "ania")
    third_start = repos.slots.get(third).start
    assert repos.slots.last_published_start(practice.schedule_id) == third_start
    assert repos.slots.last_published_start(practice.schedule_id, free_only=True) == (
        repos.slots.get(first).start)


def test_updates_of_practice_entries(repos: Repositories, practice: Practice) -> None:
    place = repos.practice.place(practice.place_id)
    assert isinstance(place, Place)
    place.name, place.address, place.scopes = "Poradnia", "ul. Krótka 2, 00-001 Warszawa", [
        "cardiology", "hpv_hr"]
    repos.practice.update_place(place)
    assert repos.practice.place(practice.place_id).scopes == ["cardiology", "hpv_hr"]
    resource = repos.practice.resource(practice.resource_id)
    resource.licence_number = "1234567"
    repos.practice.update_resource(resource)
    assert repos.practice.resource(practice.resource_id).licence_number == "1234567"


def test_unpublished_specs_are_what_publishing_sends(
    repos: Repositories, practice: Practice
) -> None:
    """Free, never-published slots strictly after ``after`` (to the microsecond, although the
    stored text has whole seconds) and before ``until``, in time order, as (id, spec)."""
    ids = practice.slot_ids
    repos.slots.mark_published([(ids[0], "SLT-1")])
    repos.slots.set_state(ids[2], SlotState.BLOCKED)
    slots = {slot.id: slot for slot in repos.slots.unpublished(practice.schedule_id)}
    tick = dt.timedelta(microseconds=1)

    def sent(after: dt.datetime, until: dt.datetime) -> list[int]:
        items = repos.slots.unpublished_specs(practice.schedule_id, after=after, until=until)
        for slot_id, spec in items:
            slot = slots[slot_id]
            assert spec == SlotSpec(slot.start, slot.end, slot.term_kind)
        return [slot_id for slot_id, _spec in items]

    last = slots[ids[-1]].start
    assert sent(slots[ids[1]].start - tick, last) == [ids[1], *ids[3:-1]]
    assert sent(slots[ids[1]].start, last + tick) == ids[3:]
    assert sent(slots[ids[1]].start + tick, last) == ids[3:-1]


def test_bulk_writes_of_nothing_change_nothing(repos: Repositories, practice: Practice) -> None:
    assert repos.slots.add_many(practice.schedule_id, []) == 0
    assert repos.slots.mark_published([]) == 0
    assert repos.slots.mark_withdrawn([]) == 0
    assert repos.slots.delete_unused([]) == 0
