"""Visits: one transaction per booking with its outbox and audit rows; double booking refused
by the database; cancel, move, waiting list and confirmation keep slot states true."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from pathlib import Path

import pytest
from store_helpers import DAY, NOW_TEXT, make_patient, refused

from recepcja.domain.entities import Visit
from recepcja.domain.errors import ConflictError
from recepcja.domain.model import Attendance, SlotState, Urgency, VisitSource, VisitState
from recepcja.domain.pesel import make_pesel
from recepcja.store import Repositories
from recepcja.store.db import fetch_all
from recepcja.store.dialect import LIVE_VISIT_PER_SLOT
from recepcja.store.records import OutboxState
from support.practice import Practice


def new_visit(patient_id: int, uid: str = "V-1", **kwargs: object) -> Visit:
    return Visit(uid, patient_id, None, Urgency.STABLE, **kwargs)  # type: ignore[arg-type]


def table_counts(repos: Repositories) -> dict[str, int]:
    return {
        table: repos.db.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
        for table in ("visits", "outbox", "audit_log")
    }


def test_book_writes_visit_slot_outbox_and_audit(
    repos: Repositories, practice: Practice, patient_id: int
) -> None:
    slot_id = practice.slot_ids[0]
    visit = new_visit(patient_id, central_request_id="ZC-1")
    payload = {"visit_uid": "V-1", "pesel": "44051401359", "slot": "CER-S-1"}
    visit_id = repos.visits.book(
        visit,
        slot_id,
        "ania",
        payload,
        central_request_date=dt.datetime(2026, 2, 1, 10, 0, tzinfo=dt.UTC),
    ).visit_id
    assert visit.id == visit_id and visit.slot_id == slot_id

    record = repos.visits.get(visit_id)
    assert record is not None
    assert (record.state, record.source, record.scope_code) == (
        VisitState.PENDING,
        VisitSource.DESK,
        "cardiology",
    )
    assert record.central_request_date == dt.datetime(2026, 2, 1, 10, 0, tzinfo=dt.UTC)
    assert repos.slots.get(slot_id).state == SlotState.BOOKED  # type: ignore[union-attr]
    (entry,) = repos.outbox.for_visit(visit_id)
    assert (entry.op, entry.payload, entry.state, entry.created_by) == (
        "book",
        payload,
        OutboxState.QUEUED,
        "ania",
    )
    assert entry.idempotency_key == "book:V-1"
    (audit,) = [a for a in repos.audit.for_patient(patient_id) if a.action == "visit.book"]
    assert audit.visit_id == visit_id and "44051401359" not in (audit.detail or "")
    assert repos.visits.live_for_slot(slot_id).id == visit_id  # type: ignore[union-attr]


def test_double_booking_is_a_conflict(
    repos: Repositories, practice: Practice, patient_id: int
) -> None:
    slot_id = practice.slot_ids[0]
    repos.visits.book(new_visit(patient_id, "V-1"), slot_id, "ania")
    before = table_counts(repos)
    second = new_visit(patient_id, "V-2")
    with pytest.raises(ConflictError, match="already taken"):
        repos.visits.book(second, slot_id, "basia")
    assert table_counts(repos) == before
    assert second.id is None


def test_double_booking_rejected_by_the_database_itself(
    repos: Repositories, practice: Practice, patient_id: int
) -> None:
    """Bypass the repository: a raw INSERT of a second live visit in a slot still fails."""
    slot_id = practice.slot_ids[0]
    repos.visits.book(new_visit(patient_id, "V-1"), slot_id, "ania")
    insert = (
        "INSERT INTO visits (visit_uid, patient_id, slot_id, urgency, state, source, created_at, "
        f"created_by, updated_at) VALUES (?, ?, ?, 'urgent', ?, 'desk', '{NOW_TEXT}', 'raw', "
        f"'{NOW_TEXT}')"
    )
    for uid, state in (("RAW-1", "pending"), ("RAW-2", "confirmed")):
        with refused(repos.db, LIVE_VISIT_PER_SLOT):
            repos.db.conn.execute(insert, (uid, patient_id, slot_id, state))
    # A cancelled visit in the same slot is history, not a second booking.
    repos.db.conn.execute(insert, ("RAW-3", patient_id, slot_id, "cancelled"))
    # Nor can an update turn history back into a second live visit.
    with refused(repos.db, LIVE_VISIT_PER_SLOT):
        repos.db.conn.execute("UPDATE visits SET state = 'pending' WHERE visit_uid = 'RAW-3'")


def test_two_connections_racing_for_one_slot(
    db_target: str | Path, repos: Repositories, practice: Practice, patient_id: int
) -> None:
    """Two desks (threads, own connections) book the same term at once: exactly one wins."""
    slot_id = practice.slot_ids[3]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def desk(uid: str) -> None:
        mine = Repositories.open(db_target)
        try:
            barrier.wait()
            mine.visits.book(new_visit(patient_id, uid), slot_id, uid)
            outcomes.append("booked")
        except ConflictError:
            outcomes.append("conflict")
        finally:
            mine.close()

    threads = [threading.Thread(target=desk, args=(f"D-{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["booked", "conflict"]
    assert repos.visits.count(VisitState.PENDING) == 1


def test_failure_mid_transaction_writes_nothing(
    repos: Repositories, practice: Practice, patient_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The audit row is the last write of a booking: make it fail and nothing may remain -
    no visit, no outbox row, the slot still free."""
    slot_id = practice.slot_ids[0]
    before = table_counts(repos)

    def broken(*args: object, **kwargs: object) -> int:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(repos.visits.audit, "record", broken)
    visit = new_visit(patient_id)
    with pytest.raises(sqlite3.OperationalError):
        repos.visits.book(visit, slot_id, "ania")
    assert table_counts(repos) == before
    assert repos.slots.get(slot_id).state == SlotState.FREE  # type: ignore[union-attr]
    assert not repos.db.conn.in_transaction
    assert visit.id is None

    monkeypatch.undo()
    repos.visits.book(visit, slot_id, "ania")  # the same booking goes through afterwards
    assert table_counts(repos) == {k: v + 1 for k, v in before.items()}


def test_blocked_or_missing_slot_cannot_be_booked(
    repos: Repositories, practice: Practice, patient_id: int
) -> None:
    repos.slots.set_state(practice.slot_ids[0], SlotState.BLOCKED)
    with pytest.raises(ConflictError, match="not available"):
        repos.visits.book(new_visit(patient_id), practice.slot_ids[0], "ania")
    with pytest.raises(ConflictError, match="no longer exists"):
        repos.visits.book(new_visit(patient_id), 9999, "ania")


def test_same_visit_uid_twice_is_a_conflict(
    repos: Repositories, practice: Practice, patient_id: int
) -> None:
    repos.visits.book(new_visit(patient_id, "V-1"), practice.slot_ids[0], "ania")
    with pytest.raises(ConflictError, match="already recorded"):
        repos.visits.book(new_visit(patient_id, "V-1"), practice.slot_ids[1], "ania")


def test_cancel_frees_the_slot_with_outbox_and_audit(
    repos: Repositories, practice: Practice, patient_id: int, clock
) -> None:
    slot_id = practice.slot_ids[0]
    visit_id = repos.visits.book(new_visit(patient_id, "V-1"), slot_id, "ania").visit_id
    clock.advance(minutes=5)
    repos.visits.cancel(visit_id, "patient called", "basia", expected_version=1)
    record = repos.visits.get(visit_id)
    assert record is not None
    assert (record.state, record.cancelled_reason, record.version) == (
        VisitState.CANCELLED,
        "patient called",
        2,
    )
    assert record.cancelled_at == clock.now
    assert repos.slots.get(slot_id).state == SlotState.FREE  # type: ignore[union-attr]
    assert [e.op for e in repos.outbox.for_visit(visit_id)] == ["book", "cancel"]
    assert "visit.cancel" in [a.action for a in repos.audit.for_patient(patient_id)]
    with pytest.raises(ConflictError, match="already cancelled"):
        repos.visits.cancel(visit_id, "again", "basia")
    # The freed term can be booked again.
    repos.visits.book(new_visit(patient_id, "V-2"), slot_id, "basia")


def test_stale_version_is_a_conflict(
    repos: Repositories, practice: Practice, patient_id: int
) -> None:
    visit_id = repos.visits.book(new_visit(patient_id), practice.slot_ids[0], "ania").visit_id
    repos.visits.set_attendance(visit_id, Attendance.ARRIVED, "ania")  # version 2
    with pytest.raises(ConflictError, match="changed in the meantime"):
        repos.visits.cancel(visit_id, "x", "basia", expected_version=1)
    assert repos.visits.get(visit_id).attendance == Attendance.ARRIVED  # type: ignore[union-attr]


def test_portal_cancellation_sends_nothing_back(
    repos: Repositories, practice: Practice, patient_id: int
) -> None:
    visit_id = repos.visits.book(new_visit(patient_id), practice.slot_ids[0], "ania").visit_id
    repos.visits.cancel(visit_id, "cancelled in IKP", "CeR", notify_cer=False)
    assert [e.op for e in repos.outbox.for_visit(visit_id)] == ["book"]


def test_move_books_the_new_slot_and_frees_the_old(
    repos: Repositories, practice: Practice, patient_id: int
) -> None:
    old, new, taken = practice.slot_ids[:3]
    visit_id = repos.visits.book(new_visit(patient_id, "V-1"), old, "ania").visit_id
    other = repos.patients.add(make_patient("Nowak", pesel=make_pesel(DAY, 1234)), "ania")
    repos.visits.book(new_visit(other, "V-2"), taken, "ania")

    with pytest.raises(ConflictError, match="already taken"):
        repos.visits.move(visit_id, taken, "ania")
    assert repos.visits.get(visit_id).slot_id == old  # type: ignore[union-attr]

    repos.visits.move(visit_id, new, "ania")
    assert repos.visits.get(visit_id).slot_id == new  # type: ignore[union-attr]
    states = {s.id: s.state for s in repos.slots.for_day(practice.schedule_id, DAY)}
    assert (states[old], states[new], states[taken]) == (
        SlotState.FREE,
        SlotState.BOOKED,
        SlotState.BOOKED,
    )
    (change,) = [e for e in repos.outbox.for_visit(visit_id) if e.op == "change"]
    assert change.payload["from_slot_id"] == old and change.payload["to_slot_id"] == new


def test_waiting_list_releases_the_slot(
    repos: Repositories, practice: Practice, patient_id: int
) -> None:
    slot_id = practice.slot_ids[0]
    visit_id = repos.visits.book(new_visit(patient_id), slot_id, "ania", emergency=True).visit_id
    repos.visits.to_waiting_list(visit_id, "replay")
    record = repos.visits.get(visit_id)
    assert record is not None and (record.state, record.slot_id) == (VisitState.WAITING_LIST, None)
    assert repos.slots.get(slot_id).state == SlotState.FREE  # type: ignore[union-attr]
    assert [e.op for e in repos.outbox.for_visit(visit_id)] == ["book", "waiting_list"]
    assert repos.outbox.for_visit(visit_id)[0].emergency


def test_a_waiting_list_visit_cer_gives_a_term_queues_p1s_date_once(
    repos: Repositories, practice: Practice, patient_id: int
) -> None:
    """A visit on an e-referral that CeR books from its central waiting list: P1's visit date
    follows (``referral_date``, as with a move), once; a visit without one queues nothing."""
    key = "1" * 44
    keyed = repos.visits.book(new_visit(patient_id, referral_key=key), practice.slot_ids[0],
                              "ania").visit_id
    plain = repos.visits.book(new_visit(patient_id, "V-2"), practice.slot_ids[1],
                              "ania").visit_id
    for visit_id, term in ((keyed, practice.slot_ids[2]), (plain, practice.slot_ids[3])):
        repos.visits.to_waiting_list(visit_id, "replay", notify_cer=False)
        for _ in range(2):  # the same version again (a read-back): nothing more
            repos.visits.apply_from_cer(visit_id, slot_id=term, live=True,
                                        cer_id=f"CER-W-{visit_id}", cer_version="2")
    rows = repos.outbox.for_visit(keyed)
    assert [e.op for e in rows] == ["book", "referral_date"] and rows[1].payload == {"key": key}
    assert [e.op for e in repos.outbox.for_visit(plain)] == ["book"]
    record = repos.visits.get(keyed)
    assert record is not None and (record.state, record.slot_id) == (
        VisitState.CONFIRMED, practice.slot_ids[2])


def test_confirm_stores_cer_id(repos: Repositories, practice: Practice, patient_id: int) -> None:
    visit_id = repos.visits.book(new_visit(patient_id), practice.slot_ids[0], "ania").visit_id
    assert [v.id for v in repos.visits.unconfirmed()] == [visit_id]
    repos.visits.confirm(visit_id, "CER-W-1", cer_version="3")
    record = repos.visits.by_cer_id("CER-W-1")
    assert record is not None and record.state == VisitState.CONFIRMED
    assert record.cer_version == "3"
    assert repos.visits.unconfirmed() == []
    assert record.as_visit().cer_id == "CER-W-1"


def test_visit_from_cer_has_no_outbox_row(
    repos: Repositories, practice: Practice, patient_id: int
) -> None:
    slot_id = practice.slot_ids[0]
    visit = new_visit(patient_id, "CER-UID-9", state=VisitState.CONFIRMED, cer_id="CER-W-9")
    visit_id = repos.visits.record_from_cer(visit, slot_id, VisitSource.PORTAL, cer_version="1")
    assert repos.outbox.for_visit(visit_id) == []
    assert repos.slots.get(slot_id).state == SlotState.BOOKED  # type: ignore[union-attr]
    with pytest.raises(ConflictError, match="already taken"):
        repos.visits.book(new_visit(patient_id, "V-desk"), slot_id, "ania")


def test_import_many_is_all_or_nothing(
    repos: Repositories, practice: Practice, patient_id: int
) -> None:
    def loaded(uid: str, slot_index: int) -> Visit:
        visit = new_visit(patient_id, uid, state=VisitState.CONFIRMED)
        visit.slot_id = practice.slot_ids[slot_index]
        return visit

    with pytest.raises(ConflictError, match="already taken"):
        repos.visits.import_many([loaded("I-1", 0), loaded("I-2", 1), loaded("I-3", 0)], "load")
    assert repos.visits.count() == 0
    assert repos.slots.count(state=SlotState.BOOKED) == 0
    assert repos.visits.import_many([loaded("I-1", 0), loaded("I-2", 1)], "load") == 2
    assert repos.slots.count(state=SlotState.BOOKED) == 2
    assert repos.outbox.count_pending() == 0


def test_day_sheet_shows_who_holds_each_slot(
    repos: Repositories, practice: Practice, patient_id: int
) -> None:
    visit_id = repos.visits.book(new_visit(patient_id), practice.slot_ids[1], "ania").visit_id
    sheet = repos.visits.day_sheet(practice.schedule_id, DAY)
    assert len(sheet) == 8
    assert sheet[0].visit_id is None and sheet[0].slot_state == "free"
    assert (sheet[1].visit_id, sheet[1].patient_last_name, sheet[1].patient_local_id) == (
        visit_id,
        "Kowalski",
        "L-000001",
    )
    repos.visits.cancel(visit_id, "x", "ania")
    assert all(
        entry.visit_id is None for entry in repos.visits.day_sheet(practice.schedule_id, DAY)
    )


def test_history_per_patient(repos: Repositories, practice: Practice, patient_id: int) -> None:
    repos.visits.book(new_visit(patient_id, "V-1"), practice.slot_ids[0], "ania")
    repos.visits.book(new_visit(patient_id, "V-2"), practice.slot_ids[1], "ania")
    assert {v.visit_uid for v in repos.visits.for_patient(patient_id)} == {"V-1", "V-2"}
    rows = fetch_all(repos.db, "SELECT action FROM audit_log WHERE patient_id = ?", (patient_id,))
    assert [row["action"] for row in rows].count("visit.book") == 2


def test_attendance_of_a_cancelled_visit_is_a_conflict(
    repos: Repositories, practice: Practice, patient_id: int
) -> None:
    visit_id = repos.visits.book(new_visit(patient_id), practice.slot_ids[0], "ania").visit_id
    repos.visits.cancel(visit_id, "x", "ania")
    with pytest.raises(ConflictError, match="already cancelled"):
        repos.visits.set_attendance(visit_id, Attendance.ARRIVED, "ania")
