"""CeR's news in the window (issue 7) against the real simulator: a portal booking made in
CeR shows up as a toast, in the "Changes from CeR" dock and in the local store; the
"Reconcile with CeR" action shows its report in the dock. No modal dialog anywhere."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtWidgets import QApplication

from recepcja.domain.model import WARSAW
from recepcja.domain.pesel import make_pesel
from recepcja.gui.changes_dock import report_lines
from recepcja.gui.sync_panel import SyncPanel
from recepcja.store.repos import Repositories
from recepcja.sync.receiver import SOAP_ACTION

pytestmark = pytest.mark.slow


def _panel(window) -> SyncPanel:
    return next(e for e in window.extensions if isinstance(e, SyncPanel))


def _free_term(window):
    now = dt.datetime.now(WARSAW)
    for day in (now.date() + dt.timedelta(days=d) for d in range(2, 20)):
        for info in window.schedules:
            for entry in window.repos.visits.day_sheet(info.id, day):
                if entry.slot_state == "free" and entry.slot_cer_id and not entry.visit_id:
                    return entry
    raise AssertionError("no free term published in CeR")


def _live_visit(ctx, slot_id: int):
    repos = Repositories.over(ctx.open_db())
    try:
        return repos.visits.live_for_slot(slot_id)
    finally:
        repos.close()


def test_portal_booking_shows_as_toast_dock_and_store_and_reconcile_reports(
        qtbot, sim_window, training_session):
    window, session = sim_window, training_session
    panel = _panel(window)
    # the app starts the notification thread (once the window has painted the day)
    qtbot.waitUntil(lambda: panel.worker is not None, timeout=3000)
    assert not panel.dock.isVisible()  # hidden until asked for
    entry = _free_term(window)
    session.control("POST", "portal-booking", {
        "slot": entry.slot_cer_id, "pesel": make_pesel(dt.date(1984, 5, 6), 321),
        "first_name": "Zofia", "last_name": "Portalowa"})

    qtbot.waitUntil(lambda: any("Portalowa" in line for line in panel.toast.lines),
                    timeout=20000)
    assert panel.toast.isVisible()
    assert QApplication.activeModalWidget() is None  # a toast, never a dialog
    assert any("Portalowa" in m for m in panel.dock.messages())
    visit = _live_visit(session.ctx, int(entry.slot_id))
    assert visit is not None and visit.cer_id

    panel.show_changes.trigger()  # the menu action shows the dock
    assert panel.dock.isVisible()

    with qtbot.waitSignal(window.runner.finished, timeout=20000):
        panel.reconcile_action.trigger()
    qtbot.waitUntil(lambda: panel.last_report is not None, timeout=5000)
    assert panel.dock.report.isVisible()
    report = panel.last_report
    assert report.slots_compared > 0
    assert panel.dock.report.text().split("\n") == report_lines(report)  # what the GUI shows
    assert QApplication.activeModalWidget() is None


def test_no_notification_thread_without_sync(window):
    panel = _panel(window)
    assert panel.worker is None and panel.receiver is None
    assert panel.reconcile_action.text() and panel.show_changes.shortcut().toString()


def test_toast_hides_by_itself_and_takes_no_focus(qtbot, window):
    from recepcja.gui.toast import Toast

    toast = Toast(window, duration_ms=200)
    toast.show_message("one")
    toast.show_message("two")
    assert toast.isVisible() and toast.text() == "one\ntwo"
    assert QApplication.focusWidget() is not toast
    qtbot.waitUntil(lambda: not toast.isVisible(), timeout=3000)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_receiver_runs_when_enabled_with_a_secret_otherwise_pull(window):
    import urllib.error
    import urllib.request

    from recepcja.config.secrets import RECEIVER_SECRET, SecretStore

    settings = window.ctx.settings.receiver
    settings.enabled, settings.port = True, _free_port()
    no_secret = SyncPanel(window)
    no_secret.start()  # no secret in the keyring: pull by cursor instead
    try:
        assert no_secret.receiver is None and no_secret.pulling
    finally:
        no_secret.close()
    assert no_secret.worker is None

    SecretStore().set(RECEIVER_SECRET, "wspolny-sekret")
    panel = SyncPanel(window)
    panel.start()
    try:
        assert panel.receiver is not None and not panel.pulling
        request = urllib.request.Request(panel.receiver.url, data=b"<x/>", method="POST",
                                         headers={"SOAPAction": f'"{SOAP_ACTION}"'})
        with pytest.raises(urllib.error.HTTPError) as refused:  # unsigned: 401, but served
            urllib.request.urlopen(request, timeout=5)  # loopback
        assert refused.value.code == 401
    finally:
        panel.close()
    assert panel.receiver is None and panel.worker is None


def test_a_portal_booking_on_an_absent_doctors_day_is_flagged_in_the_window(
        qtbot, sim_window, training_session):
    """The absence is saved but CeR refuses its withdrawal for now (503); a portal patient
    books one of the absent doctor's terms meanwhile: the window says so and keeps it in
    view (the changes dock opens by itself, the sync view lists it)."""
    from recepcja.services import absence

    window, session = sim_window, training_session
    panel = _panel(window)
    qtbot.waitUntil(lambda: panel.worker is not None, timeout=3000)
    entry = _free_term(window)
    schedule = window.repos.schedules.get(entry.schedule_id)
    day = entry.start.astimezone(WARSAW).date()
    session.control("POST", "faults", {"operation": "usunSloty", "kind": "http503"})
    affected = absence.affected_visits(window.repos, schedule.resource_id, day, day,
                                       now=dt.datetime.now(WARSAW))
    plan = absence.plan_absence(schedule.resource_id, day, day, "choroba", affected,
                                move=False)
    applied = window.desk.apply_absence(plan)
    assert entry.slot_id in applied.blocked
    session.control("POST", "portal-booking", {
        "slot": entry.slot_cer_id, "pesel": make_pesel(dt.date(1984, 5, 6), 321),
        "first_name": "Zofia", "last_name": "Portalowa"})

    qtbot.waitUntil(lambda: any("Portalowa" in m and "nieobecny" in m
                                for m in panel.dock.messages()), timeout=20000)
    assert panel.dock.isVisible()  # kept in view without asking
    assert any("nieobecny" in line for line in panel.toast.lines)
    view = next(e for e in window.extensions if type(e).__name__ == "OnboardingView")
    view.compliance_action.trigger()
    assert "choroba" in view.compliance.browser.toPlainText()
    listed = [v["start"][:16] for v in view.compliance.health["visits_on_absence"]]
    assert entry.start.astimezone(WARSAW).isoformat(timespec="minutes")[:16] in listed
    assert len(listed) == len(affected) + 1  # and the visits left there for a phone call
    session.control("DELETE", "faults")
