"""The compliance screen (issue 4 item 5): obligation 1 and where obligation 2 stands, on one
screen, from ``services.compliance.compliance_report`` (local store only: it answers during a
CeR outage too). Per place: registered / active, schedules created in CeR, initial load sent,
free terms published until vs the legal deadline per schedule; unconfirmed visits; the legal
deadlines with their state."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QDialog, QHBoxLayout, QPushButton, QTextBrowser, QVBoxLayout

from recepcja.i18n import _, ngettext
from recepcja.services.compliance import compliance_report
from recepcja.sync.health import sync_health

if TYPE_CHECKING:
    from recepcja.gui.main_window import MainWindow


def _yes(value: object) -> str:
    return _("yes") if value else _("NO")


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value))


def _date(value: object) -> str:
    """An ISO date or timestamp as the desk reads it: ``23.11.2026`` / ``23.11.2026 08:30``
    (Warsaw time); anything else unchanged."""
    import datetime as dt

    from recepcja.domain.model import WARSAW

    if value is None or value == "":
        return ""
    text = str(value)
    try:
        if len(text) == 10:
            return f"{dt.date.fromisoformat(text):%d.%m.%Y}"
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return text
    if moment.tzinfo is not None:
        moment = moment.astimezone(WARSAW)
    return f"{moment:%d.%m.%Y %H:%M}"


def days_left_text(state: str, days: int) -> str:
    """How a deadline stands in words: met, overdue, or the days left (Polish plurals)."""
    if state == "met":
        return _("requirement met")
    if days < 0:
        return ngettext("{n} day overdue", "{n} days overdue", -days).format(n=-days)
    return ngettext("{n} day left", "{n} days left", days).format(n=days)


def deadline_state(state: str) -> str:
    return {"met": _("met"), "missed": _("MISSED"), "due_soon": _("due soon"),
            "pending": _("not due yet")}.get(state, state)


def deadline_what(code: str, what: str) -> str:
    return {
        "schedules_in_cer": _("places registered, schedules with free terms published, "
                              "places active"),
        "booking_through_cer": _("every term assigned through CeR (no local visit left "
                                 "unconfirmed)"),
    }.get(code, what)


def report_html(report: dict[str, Any]) -> str:
    """The report as simple HTML tables (QTextBrowser's subset)."""
    ok = report["compliant"]
    parts = [
        f"<h2>{_e(_('Compliance with CeR'))}</h2>",
        f"<p><b>{_e(_('Overall state'))}:</b> "
        f"{_e(_('compliant') if ok else _('NOT compliant'))} · "
        f"{_e(_('today'))} {_e(_date(report['today']))} · "
        f"{_e(_('publishing horizon'))} {_e(report['horizon_months'])} "
        f"{_e(_('months ahead'))}</p>",
    ]
    for place in report["places"]:
        parts.append(f"<h3>{_e(place['name'])} ({_e(place['cer_id'] or '—')})</h3>")
        parts.append("<table border='1' cellspacing='0' cellpadding='3'>")
        rows = [
            (_("registered in CeR"), _yes(place["registered"]), _date(place["registered_at"])),
            (_("active in CeR"), _yes(place["active"]), _date(place["active_at"])),
            (_("initial load sent"), _yes(place["initial_load_sent"]),
             _date(place["initial_load_sent_at"])),
            (_("initial-load visits not confirmed"),
             str(place["initial_load_visits_not_confirmed"]), ""),
        ]
        for point in place["mobile_points"]:
            rows.append((_("mobile point") + f" {point['name']}", _yes(point["imported"]),
                         point["cer_id"]))
        for label, value, note in rows:
            parts.append(f"<tr><td>{_e(label)}</td><td>{_e(value)}</td>"
                         f"<td>{_e(note or '')}</td></tr>")
        parts.append("</table>")
        parts.append("<table border='1' cellspacing='0' cellpadding='3'><tr>"
                     f"<th>{_e(_('Schedule'))}</th><th>{_e(_('created in CeR'))}</th>"
                     f"<th>{_e(_('published until'))}</th><th>{_e(_('required until'))}</th>"
                     f"<th>{_e(_('publishing horizon'))}</th></tr>")
        for schedule in place["schedules"]:
            short = int(schedule["short_by_days"] or 0)
            horizon = _("OK") if schedule["horizon_ok"] else ngettext(
                "short by {n} day", "short by {n} days", short).format(n=short)
            parts.append(
                f"<tr><td>{_e(schedule['name'])}</td>"
                f"<td>{_e(_yes(schedule['created_in_cer']))} {_e(schedule['cer_id'] or '')}</td>"
                f"<td>{_e(_date(schedule['published_until']) or '—')}</td>"
                f"<td>{_e(_date(schedule['deadline']))}</td><td>{_e(horizon)}</td></tr>")
        parts.append("</table>")
    parts.append(f"<p><b>{_e(_('Visits not confirmed in CeR'))}:</b> "
                 f"{_e(report['visits_not_confirmed_in_cer'])}</p>")
    parts.append(f"<h3>{_e(_('Legal deadlines'))}</h3>"
                 "<table border='1' cellspacing='0' cellpadding='3'>")
    for deadline in report["deadlines"]:
        parts.append(
            f"<tr><td>{_e(_date(deadline['date']))}</td>"
            f"<td>{_e(deadline_what(deadline['code'], deadline['what']))}</td>"
            f"<td><b>{_e(deadline_state(deadline['state']))}</b></td>"
            f"<td>{_e(days_left_text(deadline['state'], int(deadline['days_left'])))}</td></tr>")
    parts.append("</table>")
    return "\n".join(parts)


def sync_html(health: dict[str, Any]) -> str:
    """The synchronisation part of the screen (issue 7): is CeR's news reaching this desk, and
    when did the local schedule last prove it agrees with CeR."""
    never = _("never")
    drift = health["open_drift_items"]
    rows = [
        (_("Notification receiver"), _yes(health["receiver_enabled"])),
        (_("Last notification from CeR"), _date(health["last_notification_at"]) or never),
        (_("Notifications not applied yet"), health["unapplied_notifications"]),
        (_("Last pull of notifications"), _date(health["last_pull_at"]) or never),
        (_("Last reconciliation with CeR"), _date(health["last_reconciliation_at"]) or never),
        (_("Open discrepancies for a person"), "—" if drift is None else drift),
        (_("Changes waiting for CeR"), health["pending_outbox"]),
    ]
    if health["terms_to_withdraw"]:
        rows.append((_("Blocked terms CeR still offers"), health["terms_to_withdraw"]))
    parts = [f"<h3>{_e(_('Synchronisation health'))}</h3>", *_alarms_html(health),
             "<table border='1' cellspacing='0' cellpadding='3'>"]
    parts += [f"<tr><td>{_e(label)}</td><td>{_e(value)}</td></tr>" for label, value in rows]
    parts.append("</table>")
    return "\n".join(parts)


def _alarms_html(health: dict[str, Any]) -> list[str]:
    """The alarms first, in red: changes stuck on their way to CeR (who queued them and what
    they are) and visits on an absent doctor's day."""
    from recepcja.sync.health import (
        absence_headline,
        absence_line,
        stale_headline,
        stale_line,
    )

    parts = []
    for rows, headline, line in (
        (health["stale_outbox"], stale_headline, stale_line),
        (health["visits_on_absence"], absence_headline, absence_line),
    ):
        if rows:
            parts.append(f"<p style='color:#b00020'><b>{_e(headline(health))}</b></p><ul>")
            parts += [f"<li>{_e(line(row))}</li>" for row in rows]
            parts.append("</ul>")
    return parts


class ComplianceDialog(QDialog):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window_ = window
        self.setObjectName("complianceDialog")
        self.setWindowTitle(_("Compliance with CeR"))
        self.setModal(False)
        self.browser = QTextBrowser()
        refresh = QPushButton(_("Refresh the report"))
        refresh.clicked.connect(self.refresh)
        close = QPushButton(_("Close this view"))
        close.clicked.connect(self.close)
        buttons = QHBoxLayout()
        buttons.addWidget(refresh)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser, 1)
        layout.addLayout(buttons)
        self.report: dict[str, Any] = {}
        self.health: dict[str, Any] = {}
        self.refresh()
        self.resize(860, 640)

    def refresh(self) -> None:
        """Local store only (no CeR call): fast enough for the UI thread's connection."""
        window = self.window_
        self.report = compliance_report(
            window.repos, today=window.clock().date(),
            months=window.ctx.settings.publishing.horizon_months)
        self.health = sync_health(
            window.repos, receiver_enabled=window.ctx.settings.receiver.enabled,
            now=window.clock(), alarm_minutes=window.ctx.settings.sync.outbox_alarm_minutes)
        self.browser.setHtml(report_html(self.report) + sync_html(self.health))
