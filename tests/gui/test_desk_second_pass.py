"""Issue 14, second pass: nothing on the desk misleads or hides what she must act on - the
emergency banner really red, no empty queue dock, after a replay a summary that stays and
names whom to call, the views refreshed once per sync pass, window.ini private."""

from __future__ import annotations

import datetime as dt
import os
import stat
from types import SimpleNamespace

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from recepcja.domain.model import WARSAW
from recepcja.gui.connection import Connection
from recepcja.gui.emergency_banner import BANNER_RED
from recepcja.gui.replay_summary import ReplaySummaryPanel
from recepcja.store.repos import Repositories


def _summary(window) -> ReplaySummaryPanel:
    return next(e for e in window.extensions if isinstance(e, ReplaySummaryPanel))


def test_the_emergency_banner_is_painted_red(qtbot, window):
    window.set_connection(Connection.OFFLINE)
    qtbot.waitUntil(window.banner.isVisible, timeout=2000)
    image = window.banner.grab().toImage()
    corner = image.pixelColor(2, 2)  # the margin, outside the label
    assert corner.name() == QColor(BANNER_RED).name(), corner.name()
    inside = window.banner.label.geometry().topLeft()
    assert image.pixelColor(inside.x() + 2, inside.y() + 2).name() == QColor(BANNER_RED).name()
    colours = {image.pixelColor(x, y).name() for x in range(0, image.width(), 2)
               for y in range(image.height())}
    assert "#ffffff" in colours  # the words: white on red


def test_a_replay_summary_names_whom_to_call_and_stays_until_acknowledged(qtbot, window,
                                                                         desk_ctx):
    summary = _summary(window)
    assert summary.bar.isHidden()
    repos = Repositories.over(desk_ctx.open_db())
    try:
        visit = next(v for v in (repos.visits.by_uid(f"T-{n}") for n in range(4)) if v)
        patient = repos.patients.get(visit.patient_id)
    finally:
        repos.close()
    finished = [(SimpleNamespace(visit_id=visit.id), "booked"),
                (SimpleNamespace(visit_id=visit.id), "moved")]
    window.bridge.pass_done.emit(finished)
    qtbot.waitUntil(summary.bar.isVisible, timeout=2000)
    text = summary.bar.label.text()
    assert f"{patient.last_name} {patient.first_name}" in text
    assert "1 pacjenta" in text and "zadzwoń" in text
    window.bridge.pass_done.emit([(SimpleNamespace(visit_id=visit.id), "booked")])
    qtbot.wait(50)
    assert summary.bar.isVisible()  # a later pass does not take it away
    summary.bar.open_button.click()
    from recepcja.gui.queue_panel import QueuePanel

    panel = next(e for e in window.extensions if isinstance(e, QueuePanel))
    assert panel.call_dialog is not None and panel.call_dialog.isVisible()
    panel.call_dialog.close()
    summary.bar.ok_button.click()
    assert summary.bar.isHidden()


def test_the_views_refresh_once_per_sync_pass_not_once_per_row(qtbot, window, monkeypatch):
    reloads: list[bool] = []
    monkeypatch.setattr(window.views, "reload", lambda force=True: reloads.append(force))
    for _n in range(200):
        window.bridge.entry_done.emit(SimpleNamespace(visit_id=None))
    qtbot.wait(20)
    assert reloads == []  # a row finished: nothing re-read yet
    window.bridge.pass_done.emit([(SimpleNamespace(visit_id=None), "booked")] * 200)
    qtbot.waitUntil(lambda: len(reloads) == 1, timeout=2000)
    qtbot.wait(20)
    assert len(reloads) == 1


def test_the_bridge_turns_a_pass_into_one_signal(qtbot, window):
    """The sync thread's callbacks: rows finished are gathered until the pass publishes its
    count, then one ``pass_done`` with all of them."""
    bridge = window.bridge
    batches: list[list[object]] = []
    bridge.pass_done.connect(batches.append)
    for number in range(3):
        bridge._entry_finished(SimpleNamespace(visit_id=number), "booked", {})
    bridge._counted(0)
    bridge._counted(0)  # a pass with nothing finished: no signal
    qtbot.waitUntil(lambda: len(batches) == 1, timeout=2000)
    qtbot.wait(20)
    assert len(batches) == 1 and [o for _e, o in batches[0]] == ["booked"] * 3


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_window_ini_is_private(qtbot, desk_ctx, clock):
    from recepcja.gui.main_window import MainWindow
    from recepcja.gui.window_geometry import FILE_NAME

    win = MainWindow(desk_ctx, clock=clock, start_sync=False)
    qtbot.addWidget(win)
    win.show()
    win.close()
    path = desk_ctx.paths.root / FILE_NAME
    assert path.exists() and stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_call_worklist_marks_calls_and_keeps_who_is_not_done(qtbot, window, desk_ctx):
    """Tomorrow's visit of a patient without a mobile number is on the list; "nie odbiera"
    keeps it there, "zadzwoniono" takes it off; the phone is formatted, the first column is
    the patient, the call is in the patient's history."""
    from recepcja.domain.entities import Visit
    from recepcja.domain.model import Urgency, VisitSource, VisitState
    from recepcja.gui.queue_panel import QueuePanel
    from recepcja.store.patient_card import CallOutcome, PatientCardRepo

    tomorrow = window.clock().date() + dt.timedelta(days=1)
    repos = Repositories.over(desk_ctx.open_db())
    try:
        schedule = repos.schedules.list()[0]
        slot = repos.slots.for_day(int(schedule.id or 0), tomorrow)[3]
        patient = repos.patients.get(7)
        repos.db.conn.execute("UPDATE patients SET phone = ? WHERE id = ?",
                              ("+48225551234", patient.id))  # a landline: no SMS
        repos.db.conn.commit()
        repos.visits.import_many([Visit("T-R", int(patient.id or 0), slot.id, Urgency.STABLE,
                                        state=VisitState.CONFIRMED, cer_id="WIZ-R")],
                                 "test", source=VisitSource.INITIAL_LOAD)
    finally:
        repos.close()
    panel = next(e for e in window.extensions if isinstance(e, QueuePanel))
    dialog = panel.show_call_list()
    name = f"{patient.last_name} {patient.first_name}"
    rows = [dialog.table.item(r, 0).text() for r in range(dialog.table.rowCount())]
    assert name in rows
    row = rows.index(name)
    assert dialog.table.item(row, 1).text() == "22 555 12 34"
    assert dialog.table.item(row, 2).text() == "przypomnienie o jutrzejszej wizycie"
    assert slot.start.astimezone(WARSAW).strftime("%H:%M") in dialog.table.item(row, 3).text()
    dialog.table.selectRow(row)
    dialog.mark_buttons[CallOutcome.NO_ANSWER].click()
    rows = [dialog.table.item(r, 0).text() for r in range(dialog.table.rowCount())]
    assert name in rows  # not reached: still to call
    assert "nie odbiera" in dialog.table.item(rows.index(name), 6).text()
    dialog.table.selectRow(rows.index(name))
    dialog.mark_buttons[CallOutcome.REACHED].click()
    assert name not in [dialog.table.item(r, 0).text() for r in range(dialog.table.rowCount())]
    dialog.show_done.setChecked(True)
    assert name in [dialog.table.item(r, 0).text() for r in range(dialog.table.rowCount())]
    html_rows = dialog.table.rowCount()
    assert html_rows >= 1
    repos = Repositories.over(desk_ctx.open_db())
    try:
        calls = PatientCardRepo(repos.db).calls(int(patient.id or 0))
    finally:
        repos.close()
    assert [c.outcome for c in calls] == [CallOutcome.REACHED, CallOutcome.NO_ANSWER]
    dialog.close()


def test_the_bridge_is_the_one_writer_of_the_connection_state(qtbot, window):
    """The switch wins over what the engine or a probe says; switched off, the window says
    "checking" until somebody reports again, then the latest word."""
    bridge = window.bridge
    bridge._heard_from("engine", "online")
    assert window.connection_state == Connection.ONLINE
    bridge.set_manual_emergency(True)
    assert window.connection_state == Connection.OFFLINE and window.banner.isVisible()
    bridge._heard_from("engine", "online")  # a probe reached CeR: the switch still holds
    bridge._heard_from("probe", "online")
    assert window.connection_state == Connection.OFFLINE
    bridge.set_manual_emergency(False)
    assert window.connection_state == Connection.UNKNOWN
    bridge._heard_from("probe", "degraded")
    assert window.connection_state == Connection.DEGRADED
    bridge._heard_from("engine", "online")
    assert window.connection_state == Connection.ONLINE


def test_one_error_to_words_function_never_shows_a_class_name(qtbot, window, monkeypatch):
    from recepcja.cer.errors import CerTemporary
    from recepcja.domain.errors import N_
    from recepcja.gui import workers
    from recepcja.gui.errors import error_text

    shown: list[str] = []
    monkeypatch.setattr(workers, "show_error", lambda _parent, error: shown.append(
        error_text(error)))

    def fail(error: BaseException):
        def call() -> None:
            raise error
        return call

    for error in (CerTemporary(N_("CeR is temporarily unavailable (HTTP {status})."),
                               status=503),
                  RuntimeError("internal detail"), KeyError("x")):
        with qtbot.waitSignal(window.runner.finished, timeout=5000):
            window.runner.run(fail(error), error_parent=window)
    assert shown[0] == "CeR jest chwilowo niedostępny (HTTP 503)."
    assert shown[1] == shown[2] == "Nieoczekiwany błąd; szczegóły są w dzienniku."
    assert not any(name in text for text in shown
                   for name in ("CerTemporary", "RuntimeError", "KeyError"))


def test_polish_words_fit_every_patient_and_no_glyph_renders_as_a_box(window):
    from recepcja.gui.term_style import attendance_label, cer_label

    assert attendance_label("arrived") == "✔ obecność"
    assert attendance_label("no_show") == "✖ nieobecność"
    assert attendance_label("expected") == "przed wizytą"
    assert cer_label("pending") == "… czeka na CeR"
    window.status.set_busy("Rezerwuję…")
    assert window.status.busy.text() == "Rezerwuję…"


def test_the_compliance_view_shows_dates_and_met_in_words(window):
    from recepcja.gui.compliance_dialog import report_html

    report = {
        "compliant": False, "today": "2026-12-07", "horizon_months": 3,
        "places": [{"name": "Poradnia", "cer_id": "MUS-1", "registered": True,
                    "registered_at": "2026-06-01T08:30:00+00:00", "active": True,
                    "active_at": "2026-06-02T09:00:00+00:00", "initial_load_sent": True,
                    "initial_load_sent_at": "2026-06-01T09:00:00+00:00",
                    "initial_load_visits_not_confirmed": 0, "mobile_points": [],
                    "schedules": [{"name": "Kardiologia", "created_in_cer": True,
                                   "cer_id": "H-1", "published_until": "2027-02-01",
                                   "deadline": "2027-03-07", "horizon_ok": False,
                                   "short_by_days": 22}]}],
        "visits_not_confirmed_in_cer": 0,
        "deadlines": [{"date": "2026-06-05", "code": "schedules_in_cer", "what": "",
                       "state": "met", "days_left": -185},
                      {"date": "2027-01-01", "code": "booking_through_cer", "what": "",
                       "state": "pending", "days_left": 25}],
    }
    html = report_html(report)
    assert "07.12.2026" in html and "01.06.2026 10:30" in html  # Warsaw time, no ISO
    assert "2026-" not in html and "T08:30" not in html
    assert "spełnione" in html and "-185" not in html
    assert "zostało 25 dni" in html and "brakuje 22 dni" in html


def test_onboarding_steps_have_no_soap_names():
    from recepcja.services.onboarding import Step, step_label

    labels = [step_label(step) for step in Step]
    assert "rejestracja miejsca" in labels and "aktywacja" in labels
    assert not any("(" in label for label in labels)


def test_codes_become_words():
    from recepcja.services.desk_words import (
        cer_state_words,
        identifier_text,
        outbox_state_word,
        urgency_word,
    )

    assert identifier_text(None, "passport", "AB999") == "paszport AB999"
    assert cer_state_words("MUS-1 AKTYWNE") == "MUS-1 aktywne w CeR"
    assert outbox_state_word("ambiguous") == "do sprawdzenia w CeR"
    assert urgency_word("stable") == "stabilny"


def test_the_booking_dialog_groups_filters_and_explains(qtbot, window):
    """Terms grouped by day (the day lines cannot be chosen), each with its doctor, kind and
    place; the doctor and date filters; the first lawful term in one line and chosen; the
    referral field says what it takes and checks its form."""
    from PySide6.QtCore import QDate

    from recepcja.gui.booking_dialog import BookingDialog
    from recepcja.services.booking_terms import scope_choices

    flow = window.booking
    patient = next(p for p in (window.repos.patients.get(n) for n in range(1, 61))
                   if p is not None and p.identifier.pesel)
    dialog = BookingDialog(patient, flow._load_terms,
                           scopes=scope_choices(window.repos, window.scopes),
                           scope="cardiology", propose=flow._propose,
                           referral_required=flow._referral_required, parent=window)
    qtbot.addWidget(dialog)
    dialog.show()
    assert [dialog.scope.itemText(i) for i in range(dialog.scope.count())] == ["kardiologia"]
    rows = [dialog.terms.item(r) for r in range(dialog.terms.count())]
    headers = [item for item in rows if item.data(256) is None]
    assert headers and all(not item.flags() & Qt.ItemFlag.ItemIsSelectable for item in headers)
    offer = dialog.current()
    assert offer is not None and "Pierwszy dozwolony termin" in dialog.first_line.text()
    assert offer.start.strftime("%H:%M") in dialog.first_line.text()
    assert any("pierwszorazowa" in item.text() for item in rows)
    assert offer.info.place_name in dialog.terms.currentItem().text()
    # filter by a doctor: only their terms stay
    dialog.resource.setCurrentIndex(2)
    doctor = dialog.resource.currentData()
    shown = [item.data(256) for item in rows if item.data(256) is not None and not item.isHidden()]
    assert shown and all(o.info.schedule.resource_id == doctor for o in shown)
    # from a later day: earlier days and their day lines are hidden
    later = shown[-1].day
    dialog.from_day.setDate(QDate(later.year, later.month, later.day))
    visible = [item for item in rows if not item.isHidden()]
    assert all(item.data(256) is None or item.data(256).day >= later for item in visible)
    assert dialog.current().day >= later
    # the referral: required for cardiology, its form checked
    assert dialog.referral.required and "44" in dialog.referral.edit.placeholderText()
    dialog.referral.setText("12")
    assert "2 z 4" in dialog.referral.hint.text()
    dialog.accept()
    assert dialog.request is None and "44 cyfry" in dialog.error.text()  # refused, says why
    dialog.referral.setText("7301")
    assert "PESEL" in dialog.referral.hint.text() and dialog.referral.problem() is None
    dialog.accept()
    assert dialog.request is not None and dialog.request.referral_id == "7301"
    assert dialog.request.print_confirmation


def test_the_same_worklist_serves_a_doctors_absence(qtbot, window, desk_ctx, monday):
    """Dr Nowak is absent: one patient moved (with the term they had), one left on the day;
    both are on the call list with the reason in words."""
    from recepcja.gui.queue_panel import QueuePanel
    from recepcja.services import absence

    nowak = next(r.id for r in window.repos.practice.resources() if "Nowak" in r.name)
    affected = absence.affected_visits(window.repos, nowak, monday, monday, now=window.clock())
    assert len(affected) == 2
    moved, left = affected
    plan = absence.AbsencePlan(nowak, monday, monday, "choroba",
                               ((moved.visit.id, moved.proposal),), (left,))
    window.desk.apply_absence(plan)
    panel = next(e for e in window.extensions if isinstance(e, QueuePanel))
    dialog = panel.show_call_list()
    cells = {dialog.table.item(r, 0).text(): [dialog.table.item(r, c).text() for c in range(7)]
             for r in range(dialog.table.rowCount())}
    moved_name = f"{moved.patient.last_name} {moved.patient.first_name}"
    left_name = f"{left.patient.last_name} {left.patient.first_name}"
    assert cells[moved_name][2] == "nieobecność lekarza: przeniesiono"
    assert moved.start.astimezone(WARSAW).strftime("%H:%M") in cells[moved_name][4]
    assert cells[left_name][2] == "nieobecność lekarza: bez nowego terminu"
    dialog.close()


def test_a_term_cer_gave_to_somebody_else_is_shown_taken_at_once(qtbot, window, desk_ctx,
                                                                  shown):
    """The replay moved the desk's patient off 10:40 (a portal patient has it in CeR): right
    after the pass the day view shows 10:40 taken, not "wolny", before any reconciliation."""
    from recepcja.domain.model import Urgency
    from recepcja.services.day_view import TermStatus

    rows = {row.start.strftime("%H:%M"): row for row in window.schedule_view.day_model.rows()
            if row.entry.schedule_id == window.schedules[0].id}
    lost, new = rows["10:40"].entry.slot_id, rows["11:20"].entry.slot_id
    patient = window.repos.patients.get(12)
    booked = window.desk.book(int(patient.id or 0), lost, Urgency.STABLE, None, "SK-1")
    repos = Repositories.over(desk_ctx.open_db())
    try:
        [entry] = [e for e in repos.outbox.for_visit(booked.visit.id) if e.op == "book"]
        repos.visits.move(booked.visit.id, new, "sync", notify_cer=False)  # as the replay does
        repos.outbox.mark_done(entry.id, {"outcome": "moved", "original_slot_id": lost})
    finally:
        repos.close()
    window.reload()
    shown(window)
    assert next(r for r in window.schedule_view.day_model.rows()
                if r.entry.slot_id == lost).status == TermStatus.FREE  # what it showed before
    window.bridge.pass_done.emit([(SimpleNamespace(id=entry.id, visit_id=booked.visit.id),
                                   "moved")])
    qtbot.waitUntil(lambda: next(r for r in window.schedule_view.day_model.rows()
                                 if r.entry.slot_id == lost).status == TermStatus.BOOKED,
                    timeout=2000)
