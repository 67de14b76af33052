"""Doctor absence in the window (real widgets, no CeR): a doctor preselected, the table
following the doctor and the dates, a term of their own proposed to each patient, everything
applied in one transaction or nothing, and a result view that says what CeR has yet and whom
to call - never "saved" when it was not."""

from __future__ import annotations

import datetime as dt
import sqlite3

from PySide6.QtCore import QDate
from PySide6.QtWidgets import QMessageBox

from recepcja.domain.model import SlotState
from recepcja.services.absence import NEAREST
from recepcja.services.day_view import TermStatus
from recepcja.store.records import ResourceKind, Schedule
from recepcja.store.repos import Repositories


def _resource(window, text: str) -> int:
    return next(r.id for r in window.repos.practice.resources() if text in r.name)


def _nowak_options(dialog) -> list[list]:
    return [[dialog.table.cellWidget(r, 2).itemData(i)
             for i in range(dialog.table.cellWidget(r, 2).count() - 1)]
            for r in range(dialog.table.rowCount())]


def test_each_patient_gets_a_term_of_their_own_and_the_result_tells_the_truth(
        qtbot, window, desk_ctx, monday, on_dialog, shown):
    nowak = _resource(window, "Nowak")
    seen: dict[str, object] = {}

    def plan(dialog) -> None:
        dialog.resource.setCurrentIndex(dialog.resource.findData(nowak))
        # 10:20 and 11:00 are ahead (08:00 and 08:20 have passed); dr Zieliński works 12-16,
        # so both get the nearest allowed term - and not the same one
        assert dialog.table.rowCount() == 2
        options = _nowak_options(dialog)
        seen["proposals"] = [row[0] for row in options]
        offered = [option.slot_id for row in options for option in row]
        assert len(offered) == len(set(offered))  # no term offered to two patients
        dialog.accept()  # every visit: its proposal

    on_dialog(plan)
    with qtbot.waitSignal(window.runner.finished, timeout=10000):
        window.actions_.absence.trigger()
    proposals = seen["proposals"]
    assert all(p.kind == NEAREST for p in proposals)
    assert proposals[0].slot_id != proposals[1].slot_id
    repos = Repositories.over(desk_ctx.open_db())
    try:
        changes = [e for e in repos.outbox.pending() if e.op == "change"]
        assert sorted(e.payload["to_slot_id"] for e in changes) == sorted(
            p.slot_id for p in proposals)
    finally:
        repos.close()
    result = window.absence_result
    assert result.isVisible()
    assert len(window.last_call_list) == 2
    assert all("czeka na CeR" in line for line in window.last_call_list)  # not sent yet
    assert "zapisana" in result.headline.text() and "CeR ma" not in result.headline.text()
    assert "czeka" in result.todo.text()  # what is left to do, plainly
    # the absent doctor's terms that day - free ones and the ones the visits left - are blocked
    window.go_to(monday)
    shown(window)
    rows = [r for r in window.schedule_view.day_model.rows()
            if r.entry.schedule_id == window.schedules[0].id and not r.is_past]
    assert rows and all(r.status == TermStatus.BLOCKED for r in rows)


def test_a_doctor_is_preselected_and_the_table_follows_doctor_and_dates(
        qtbot, window, desk_ctx, monday, on_dialog):
    repos = window.repos
    place = repos.practice.places()[0]
    from recepcja.store.records import Resource

    device = repos.practice.add_resource(Resource(kind=ResourceKind.DEVICE, name="Aparat EKG"))
    repos.schedules.add(Schedule(resource_id=device, place_id=int(place.id or 0),
                                 scope_code="cardiology", name="EKG"))
    nowak, zielinski = _resource(window, "Nowak"), _resource(window, "Zieliński")
    seen: dict[str, object] = {}

    def look(dialog) -> None:
        first = dialog.resource.currentData()
        seen["default_kind"] = repos.practice.resource(first).kind
        seen["device_listed"] = dialog.resource.findData(device) >= 0
        dialog.resource.setCurrentIndex(dialog.resource.findData(zielinski))
        seen["zielinski"] = dialog.table.rowCount()
        dialog.resource.setCurrentIndex(dialog.resource.findData(nowak))
        seen["nowak"] = dialog.table.rowCount()  # no "show" click: the table follows
        next_day = monday + dt.timedelta(days=1)
        dialog.first.setDate(QDate(next_day.year, next_day.month, next_day.day))
        seen["later"] = dialog.table.rowCount()  # the last day follows the first
        seen["last"] = dialog.last.date()
        dialog.reject()

    on_dialog(look)
    window.actions_.absence.trigger()
    qtbot.waitUntil(lambda: "later" in seen, timeout=5000)
    assert seen["default_kind"] == ResourceKind.DOCTOR and seen["device_listed"]
    assert (seen["zielinski"], seen["nowak"], seen["later"]) == (0, 2, 0)
    assert seen["last"] == QDate(monday.year, monday.month, monday.day).addDays(1)


def test_a_plan_that_cannot_be_applied_saves_nothing_and_says_so(
        qtbot, window, desk_ctx, monday, on_dialog):
    nowak = _resource(window, "Nowak")
    taken: dict[str, int] = {}

    def plan(dialog) -> None:
        dialog.resource.setCurrentIndex(dialog.resource.findData(nowak))
        proposal = _nowak_options(dialog)[1][0]
        # another desk books the second patient's proposed term meanwhile
        other = Repositories.over(desk_ctx.open_db())
        try:
            patient = other.patients.search("L-000050", 1)[0]
            from recepcja.services import booking

            booking.book(other, int(patient.id or 0), proposal.slot_id, "stable",
                         user="druga-rejestracja", now=window.clock(), referral_id="SK-1")
        finally:
            other.close()
        taken["slot"] = proposal.slot_id
        dialog.accept()

    on_dialog(plan)
    with qtbot.waitSignal(window.runner.finished, timeout=10000):
        window.actions_.absence.trigger()
    boxes = [b for b in window.findChildren(QMessageBox) if b.isVisible()]
    assert boxes and "nic nie zapisano" in boxes[-1].text()
    assert getattr(window, "absence_result", None) is None and window.last_call_list == []
    db = sqlite3.connect(desk_ctx.paths.database)
    try:
        assert db.execute("SELECT COUNT(*) FROM schedule_exceptions").fetchone()[0] == 0
        assert db.execute("SELECT COUNT(*) FROM outbox WHERE op IN ('change', "
                          "'withdraw_slots')").fetchone()[0] == 0
        assert db.execute("SELECT COUNT(*) FROM slots WHERE state = 'blocked'").fetchone()[0] \
            == 0
    finally:
        db.close()
    assert window.repos.slots.get(taken["slot"]).state == SlotState.BOOKED


def test_the_sync_view_shows_the_alarms_with_who_and_what(qtbot, window, desk_ctx, monday):
    """A booking that has waited 45 minutes for CeR, and the two visits left on the absent
    doctor's day: both are alarms on the window's compliance / sync view."""
    from recepcja.gui.onboarding_view import OnboardingView
    from recepcja.services import absence, booking

    repos = Repositories.over(desk_ctx.open_db())
    try:
        patient = repos.patients.search("L-000040", 1)[0]
        free = next(s for s in repos.slots.for_day(window.schedules[1].id, monday)
                    if s.state == SlotState.FREE)
        booked = booking.book(repos, int(patient.id or 0), int(free.id or 0), "stable",
                              user="ania", now=window.clock(), referral_id="SK-1")
        nowak = _resource(window, "Nowak")
        affected = absence.affected_visits(repos, nowak, monday, monday, now=window.clock())
        plan = absence.plan_absence(nowak, monday, monday, "choroba", affected, move=False)
        absence.apply_absence(repos, plan, user="ania", now=window.clock())
    finally:
        repos.close()
    queued_at = window.clock() - dt.timedelta(minutes=45)
    db = sqlite3.connect(desk_ctx.paths.database)
    try:
        db.execute("UPDATE outbox SET created_at = ? WHERE id = ?",
                   (queued_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    booked.outbox_id))
        db.commit()
    finally:
        db.close()
    view = next(e for e in window.extensions if isinstance(e, OnboardingView))
    view.compliance_action.trigger()
    text = view.compliance.browser.toPlainText()
    stale = text[text.index("ALARM"):]
    assert "30 min" in stale.splitlines()[0]
    assert "rezerwacja" in stale and "ania" in stale and patient.local_id in stale
    assert patient.identifier.pesel[:6] + "*****" in stale
    assert patient.identifier.pesel not in text
    assert "nieobecności" in text and "choroba" in text
    assert len(view.compliance.health["visits_on_absence"]) == 2
