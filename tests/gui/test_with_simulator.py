"""The window against the real CeR simulator (training mode's set-up: the example practice,
seeded and onboarded over loopback HTTP), with the real sync engine sending the outbox.

What CeR ends up holding is checked over the simulator's control API, never through the app.
"""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QDialogButtonBox

from recepcja.domain.model import WARSAW, Urgency
from recepcja.gui.booking_dialog import BookingRequest
from recepcja.gui.connection import Connection
from recepcja.store.repos import Repositories

pytestmark = pytest.mark.slow


def _visit(ctx, visit_id: int):
    repos = Repositories.over(ctx.open_db())
    try:
        return repos.visits.get(visit_id)
    finally:
        repos.close()


def _cer_visit(session, visit_uid: str) -> dict | None:
    visits = session.control("GET", "state?sections=visits")["visits"]
    return next((v for v in visits if v["visit_uid"] == visit_uid), None)


def _a_patient(window):
    return next(p for p in window.repos.patients.search("Now", 50) if p.identifier.pesel)


def test_book_proposed_term_reschedule_cancel_reach_cer(qtbot, sim_window, training_session,
                                                        on_dialog):
    window, session = sim_window, training_session
    patient = _a_patient(window)
    with qtbot.waitSignal(window.patients.searched, timeout=3000):
        qtbot.keyClicks(window.patients.query, patient.identifier.pesel)
    assert window.patient.id == patient.id
    chosen: dict[str, int] = {}
    key = session.control("POST", "referrals", {"pesel": patient.identifier.pesel})["key"]

    def book(dialog) -> None:
        dialog.first_allowed.click()  # the service's proposal for this urgency
        chosen["slot"] = dialog.current().slot_id
        dialog.referral.setText(key)  # the one referral field reads it from P1 (training)
        qtbot.waitUntil(lambda: dialog.referral.key == key, timeout=10000)
        dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()

    on_dialog(book)
    window.actions_.book.trigger()  # the runner also reads the referral: wait for the visit
    qtbot.waitUntil(lambda: window.repos.visits.live_for_slot(chosen["slot"]) is not None,
                    timeout=10000)
    visit = window.repos.visits.live_for_slot(chosen["slot"])
    assert visit is not None and visit.patient_id == patient.id
    # the sync engine sends it; the view shows the confirmation once CeR has it
    qtbot.waitUntil(lambda: _visit(session.ctx, visit.id).cer_id is not None, timeout=30000)
    cer = _cer_visit(session, visit.visit_uid)
    assert cer is not None and cer["pesel"] == patient.identifier.pesel
    assert cer["state"] != "ODWOLANA"
    qtbot.waitUntil(lambda: window.schedule_view.current_row() is not None
                    and window.schedule_view.current_row().entry.visit_state == "confirmed",
                    timeout=10000)

    # reschedule to another term of the same scope
    old_slot = cer["slot"]

    def move(dialog) -> None:
        offers = [r for r in range(dialog.terms.count()) if dialog.terms.item(r).data(256)]
        dialog.terms.setCurrentRow(offers[min(3, len(offers) - 1)])
        dialog.accept()

    on_dialog(move)
    with qtbot.waitSignal(window.runner.finished, timeout=5000):
        window.actions_.reschedule.trigger()
    qtbot.waitUntil(lambda: (_cer_visit(session, visit.visit_uid) or {}).get("slot") != old_slot,
                    timeout=30000)

    # cancel with a reason: the visit on its new term (maybe another day: the day view goes
    # there), shown as CeR confirmed it (the sync's refresh is done, the selection stays)
    moved_to = int(_visit(session.ctx, visit.id).slot_id)
    window.go_to(window.repos.slots.get(moved_to).start.astimezone(WARSAW).date())

    def on_the_moved_visit() -> bool:
        window.schedule_view.select_slot(moved_to)
        row = window.schedule_view.current_row()
        return (row is not None and row.entry.visit_id == visit.id
                and row.entry.visit_state == "confirmed")

    qtbot.waitUntil(on_the_moved_visit, timeout=10000)

    def cancel(dialog) -> None:
        dialog.reason.setCurrentText("na prośbę pacjenta")
        dialog.accept()

    on_dialog(cancel)
    with qtbot.waitSignal(window.runner.finished, timeout=5000):
        window.actions_.cancel_visit.trigger()
    qtbot.waitUntil(
        lambda: (_cer_visit(session, visit.visit_uid) or {}).get("state") not in (None, "AKTYWNA",
                                                                                  "active"),
        timeout=30000)
    qtbot.waitUntil(lambda: window.repos.outbox.count_pending() == 0, timeout=30000)


def test_window_stays_responsive_while_cer_is_slow(qtbot, sim_window, training_session):
    """CeR answers the booking only after 5 s: booking returns at once (the UI thread never
    waits on the network), the event loop keeps running while the visit waits for CeR, and the
    confirmation arrives later. (Only that call is slowed: a call of the sync engine started
    meanwhile would hold the window's close for another 5 s.)"""
    window, session = sim_window, training_session
    patient = _a_patient(window)
    now = dt.datetime.now(WARSAW)
    slot_id = window.desk.propose(window.schedules[0].schedule.scope_code, Urgency.STABLE)
    assert slot_id is not None and window.repos.slots.get(slot_id).start > now
    session.control("POST", "faults", {"operation": "zarezerwujTermin", "kind": "delay",
                                       "seconds": 5, "count": 1})
    ticks: list[int] = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(20)
    with qtbot.waitSignal(window.runner.finished, timeout=3000):
        window.submit_booking(BookingRequest(int(patient.id or 0), slot_id, Urgency.STABLE,
                                             None, "SKIER-2"))
    visit = window.repos.visits.live_for_slot(slot_id)
    assert visit is not None
    seen = len(ticks)
    qtbot.waitUntil(lambda: len(ticks) >= seen + 25, timeout=4000)  # the loop keeps ticking
    assert _visit(session.ctx, visit.id).cer_id is None  # ... while CeR still holds the answer
    assert window.status.pending.text().endswith(": 1")
    qtbot.waitUntil(lambda: _visit(session.ctx, visit.id).cer_id is not None, timeout=30000)
    timer.stop()
    session.control("DELETE", "faults")
    assert _cer_visit(session, visit.visit_uid) is not None


def test_training_outage_shows_the_emergency_banner(qtbot, sim_window, training_session):
    window = sim_window
    assert window.windowTitle().startswith("SZKOLENIE")
    assert not window.banner.isVisible()
    window.actions_.outage_start.trigger()
    qtbot.waitUntil(window.banner.isVisible, timeout=15000)
    assert "TRYB AWARYJNY" in window.banner.label.text()
    assert window.status.connection.text().startswith("✖")
    assert window.actions_.outage_end.isEnabled()
    window.actions_.outage_end.trigger()
    qtbot.waitUntil(lambda: not window.banner.isVisible(), timeout=15000)
    assert window.bridge.state in (Connection.ONLINE, Connection.DEGRADED)


def test_doctor_absence_moves_visits_in_cer(qtbot, sim_window, training_session, on_dialog):
    """Mark the doctor of a booked visit absent on its day, move every affected visit to its
    first option, and check CeR holds the new terms and no longer offers the doctor's free
    terms of that day."""
    window, session = sim_window, training_session
    now = dt.datetime.now(WARSAW)
    target = None
    for info in window.schedules:
        for day in (now.date() + dt.timedelta(days=d) for d in range(2, 20)):
            sheet = window.repos.visits.day_sheet(info.id, day)
            booked = [e for e in sheet if e.visit_id]
            if booked and any(e.slot_state == "free" and e.slot_cer_id for e in sheet):
                target = (info, day, booked)
                break
        if target:
            break
    assert target is not None
    info, day, booked = target
    free_cer = [e.slot_cer_id for e in window.repos.visits.day_sheet(info.id, day)
                if e.slot_state == "free" and e.slot_cer_id]
    uids = {e.visit_uid: e.slot_cer_id for e in booked}
    window.go_to(day)
    from PySide6.QtCore import QDate

    def plan(dialog) -> None:
        dialog.resource.setCurrentIndex(dialog.resource.findData(info.schedule.resource_id))
        dialog.first.setDate(QDate(day.year, day.month, day.day))
        dialog.last.setDate(QDate(day.year, day.month, day.day))
        dialog.refresh()
        assert dialog.table.rowCount() == len(booked)
        dialog.accept()  # every visit: its first option

    on_dialog(plan)
    with qtbot.waitSignal(window.runner.finished, timeout=30000):
        window.actions_.absence.trigger()
    moved = [line for line in window.last_call_list if "bez nowego terminu" not in line]
    assert moved

    def all_moved_in_cer() -> bool:
        visits = {v["visit_uid"]: v for v in session.control("GET", "state?sections=visits")
                  ["visits"]}
        changed = [uid for uid, slot in uids.items() if uid in visits
                   and visits[uid]["slot"] != slot]
        return len(changed) == len(moved)

    qtbot.waitUntil(all_moved_in_cer, timeout=30000)
    # the result view follows the sync engine: it says so only once CeR has all of it
    result = window.absence_result
    qtbot.waitUntil(lambda: result.progress.complete, timeout=30000)
    # the absent doctor's terms of that day are not offered in CeR any more
    slots = {s["id"]: s for s in session.control(
        "GET", f"state?sections=slots&schedule={info.schedule.cer_id}")["slots"]}
    assert free_cer and all(slots[cer_id]["state"] == "deleted" for cer_id in free_cer)
    assert "CeR ma już wszystko" in result.headline.text() and not result.todo.isVisible()
    assert all("(w CeR)" in line for line in window.last_call_list
               if "bez nowego terminu" not in line)
