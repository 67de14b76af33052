"""Screenshots of issue 14's second pass at 1366x768, offscreen (no X server needed):

- ``docs/screenshots/after-replay.png``: CeR away (the red banner), the summary of whom to call
  after a replay, the read-back line of the last booking;
- ``docs/screenshots/booking-dialog.png``: the booking dialog (urgency and scope first, terms by
  day, the first lawful term, the one referral field with the e-referral read from the
  simulator's P1);
- ``docs/screenshots/call-list.png``: the call worklist with its marks.

Run: ``QT_QPA_PLATFORM=offscreen RECEPCJA_LANG=pl .venv/bin/python tools/screenshot_desk.py``
(a throwaway data folder; the fallback training practice, 60 patients).
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import tempfile
from pathlib import Path
from types import SimpleNamespace

import requests
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"


def practice(home: Path, monday: dt.date):
    from recepcja.config.paths import AppPaths
    from recepcja.domain.entities import Visit
    from recepcja.domain.model import Urgency, VisitSource, VisitState
    from recepcja.domain.slots import generate_slots
    from recepcja.services.context import AppContext
    from recepcja.services.practice_setup import apply_plan, plan_from_dict, rules_from_template
    from recepcja.services.training import fallback_practice, training_patients
    from recepcja.store.repos import Repositories

    ctx = AppContext.load(AppPaths(home))
    repos = Repositories.over(ctx.open_db())
    try:
        apply_plan(repos.db, plan_from_dict(fallback_practice()), "ania")
        for schedule in repos.schedules.list():
            repos.slots.add_many(int(schedule.id or 0), generate_slots(
                rules_from_template(schedule.template), monday, monday + dt.timedelta(days=13)))
        patients = training_patients(random.Random(7), 60)  # noqa: S311 - demo data
        repos.patients.add_many(patients, "ania")
        visits = []
        who_next = iter(patients)
        for number, schedule in enumerate(repos.schedules.list()):
            for day in (monday, monday + dt.timedelta(days=1)):
                slots = repos.slots.for_day(int(schedule.id or 0), day)
                for k, slot in enumerate(slots[1:12:3]):
                    who = next(who_next)
                    visits.append(Visit(f"D-{number}-{day.day}-{k}", int(who.id or 0), slot.id,
                                        Urgency.STABLE if k % 3 else Urgency.URGENT,
                                        state=VisitState.CONFIRMED,
                                        cer_id=f"W-{number}-{day.day}-{k}"))
        repos.visits.import_many(visits, "ania", source=VisitSource.INITIAL_LOAD)
        repos.db.conn.execute("UPDATE patients SET phone = '+48225551234' WHERE id IN (3, 9)")
        repos.db.conn.commit()
    finally:
        repos.close()
    return ctx


def main() -> int:
    from recepcja.domain.model import WARSAW, Urgency
    from recepcja.gui import referral_panel
    from recepcja.gui.app import install_qt_translations
    from recepcja.gui.booking_dialog import BookingDialog, BookingRequest
    from recepcja.gui.connection import Connection
    from recepcja.gui.main_window import MainWindow
    from recepcja.gui.queue_panel import QueuePanel
    from recepcja.gui.replay_summary import ReplaySummaryPanel
    from recepcja.services.booking_terms import scope_choices
    from recepcja.simulator.server import SimulatorServer
    from recepcja.store.patient_card import CallOutcome, PatientCardRepo
    from recepcja.store.repos import Repositories

    app = QApplication.instance() or QApplication(sys.argv)
    install_qt_translations(app)
    today = dt.datetime.now(WARSAW).date()
    monday = today + dt.timedelta(days=(7 - today.weekday()) % 7 or 7)
    moment = dt.datetime.combine(monday, dt.time(9, 5), WARSAW)
    with tempfile.TemporaryDirectory() as home:
        ctx = practice(Path(home) / "home", monday)
        window = MainWindow(ctx, clock=lambda: moment, start_sync=False)
        window.show()
        # the offscreen screen is small: the first start would maximise into it
        window.setWindowState(Qt.WindowState.WindowNoState)
        window.resize(1366, 768)
        window.go_to(monday)
        OUT.mkdir(parents=True, exist_ok=True)

        # the booking dialog, for a patient found by PESEL
        patient = next(p for p in (window.repos.patients.get(n) for n in range(1, 61))
                       if p is not None and p.identifier.pesel)
        window.patients.query.setText(patient.identifier.pesel)
        window.patients.run_search()
        flow = window.booking
        with SimulatorServer(Path(home) / "p1") as p1:  # the one referral field reads P1
            issued = requests.post(f"{p1.url}/_control/referrals", timeout=10, json={
                "pesel": patient.identifier.pesel, "issued": str(monday - dt.timedelta(days=9)),
                "refunded": True}).json()
            window.ctx.settings.p1.environment = ""
            window.ctx.settings.p1.referral_url = f"{p1.url}/p1/skierowania"
            field = referral_panel.panel_for(window, patient)
            dialog = BookingDialog(patient, flow._load_terms,
                                   scopes=scope_choices(window.repos, window.scopes),
                                   scope="cardiology", propose=flow._propose,
                                   referral_required=flow._referral_required,
                                   referral_panel=field, parent=window)
            dialog.show()
            dialog.referral.setText(issued["code"])
            dialog.referral.look_up()
            while dialog.referral.reading:
                app.processEvents()
            app.processEvents()
            dialog.grab().save(str(OUT / "booking-dialog.png"))
        offer = dialog.current()
        dialog.close()

        # booked (no printer here), then CeR away and a replay that moved two patients
        window.booking.print_confirmation = False
        done = []
        window.runner.finished.connect(lambda: done.append(1))
        window.submit_booking(BookingRequest(int(patient.id or 0), offer.slot_id,
                                             Urgency.STABLE, None, "7301", False))
        while not done:
            app.processEvents()
        window.set_connection(Connection.OFFLINE)
        summary = next(e for e in window.extensions if isinstance(e, ReplaySummaryPanel))
        repos = Repositories.over(ctx.open_db())
        try:
            visits = [repos.visits.by_uid(f"D-0-{monday.day}-{k}") for k in (1, 2)]
        finally:
            repos.close()
        window.bridge.pass_done.emit([(SimpleNamespace(visit_id=v.id), "moved")
                                      for v in visits if v is not None])
        for _ in range(20):
            app.processEvents()
        summary.bar.show()
        app.processEvents()
        window.grab().save(str(OUT / "after-replay.png"))

        # the call worklist (tomorrow's reminders), one call marked
        panel = next(e for e in window.extensions if isinstance(e, QueuePanel))
        calls = panel.show_call_list()
        calls.resize(1100, 420)
        if calls.items:
            item = calls.items[0]
            repos = Repositories.over(ctx.open_db())
            try:
                PatientCardRepo(repos.db).add_call(item.patient_id, CallOutcome.NO_ANSWER,
                                                   "ania", visit_id=item.visit_id,
                                                   reason=str(item.reason), at=moment)
            finally:
                repos.close()
            calls.refresh()
        app.processEvents()
        calls.grab().save(str(OUT / "call-list.png"))
        calls.close()
        window.close()
    for name in ("booking-dialog.png", "after-replay.png", "call-list.png"):
        print("wrote", OUT / name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
