"""Printouts of the front desk as HTML: the visit confirmation a patient takes home and the
day list of the chosen schedules.

HTML because Qt prints it (``QTextDocument`` to a printer or a PDF) and a test can read it
without Qt; everything from the database is escaped. The GUI decides where it goes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from html import escape

from recepcja.domain.errors import N_, ConflictError
from recepcja.domain.model import WARSAW, Patient
from recepcja.i18n import _
from recepcja.services.day_view import DayRow
from recepcja.store.repos import Repositories

_WEEKDAYS = (N_("Monday"), N_("Tuesday"), N_("Wednesday"), N_("Thursday"), N_("Friday"),
             N_("Saturday"), N_("Sunday"))


@dataclass(frozen=True, slots=True)
class VisitConfirmation:
    patient: Patient
    start: dt.datetime
    end: dt.datetime
    place: str
    address: str
    doctor: str
    schedule: str
    cer_visit_id: str | None
    visit_uid: str
    urgency: str


def confirmation_for(repos: Repositories, visit_id: int) -> VisitConfirmation:
    """Everything the confirmation shows, read from the store; ConflictError if the visit has
    no term any more (cancelled, or moved to the waiting list)."""
    visit = repos.visits.get(visit_id)
    if visit is None or visit.slot_id is None:
        raise ConflictError(N_("This visit no longer exists."))
    slot = repos.slots.get(visit.slot_id)
    patient = repos.patients.get(visit.patient_id)
    schedule = repos.schedules.get(slot.schedule_id) if slot else None
    if slot is None or patient is None or schedule is None:
        raise ConflictError(N_("This visit no longer exists."))
    place = repos.practice.place(schedule.place_id)
    resource = repos.practice.resource(schedule.resource_id)
    return VisitConfirmation(
        patient=patient,
        start=slot.start.astimezone(WARSAW),
        end=slot.end.astimezone(WARSAW),
        place=place.name if place else "",
        address=(place.address or "") if place else "",
        doctor=resource.name if resource else "",
        schedule=schedule.name,
        cer_visit_id=visit.cer_id,
        visit_uid=visit.visit_uid,
        urgency=str(visit.urgency),
    )


def _day(day: dt.date) -> str:
    return f"{_(_WEEKDAYS[day.weekday()])}, {day:%d.%m.%Y}"


def confirmation_html(c: VisitConfirmation, printed_at: dt.datetime) -> str:
    patient = c.patient
    ident = patient.identifier.pesel or f"{patient.identifier.document_number}"
    cer = c.cer_visit_id or _("not confirmed by CeR yet")
    urgency = {"urgent": _("urgent"), "stable": _("stable")}.get(c.urgency, c.urgency)
    rows = [
        (_("Patient"), f"{patient.first_name} {patient.last_name}"),
        (_("PESEL / document"), ident),
        (_("Date"), _day(c.start.date())),
        (_("Time"), f"{c.start:%H:%M}–{c.end:%H:%M}"),
        (_("Place of service"), f"{c.place}, {c.address}".strip(", ")),
        (_("Doctor"), c.doctor),
        (_("Schedule"), c.schedule),
        (_("Medical category"), urgency),
        (_("CeR visit ID"), cer),
        (_("Our visit ID"), c.visit_uid),
    ]
    body = "".join(f"<tr><th align='left'>{escape(k)}</th><td>{escape(v)}</td></tr>"
                   for k, v in rows)
    return (
        f"<html><body><h2>{escape(_('Visit confirmation'))}</h2>"
        f"<table cellpadding='4'>{body}</table>"
        f"<p>{escape(_('Please come 10 minutes early with this confirmation and an ID.'))}</p>"
        f"<p><small>{escape(_('Printed: {when}').format(when=f'{printed_at:%d.%m.%Y %H:%M}'))}"
        "</small></p></body></html>"
    )


def day_list_html(rows: list[DayRow], day: dt.date, printed_at: dt.datetime) -> str:
    """The day's visits (booked terms only), one table, in time order."""
    headers = (_("Time"), _("Patient"), _("Local ID"), _("Phone"), _("Schedule"), _("CeR"))
    head = "".join(f"<th align='left'>{escape(h)}</th>" for h in headers)
    lines = []
    for row in rows:
        if row.entry.visit_id is None:
            continue
        cer = _("in CeR") if row.entry.visit_state == "confirmed" else _("waiting for CeR")
        cells = (f"{row.start:%H:%M}", row.patient_name, row.entry.patient_local_id or "",
                 row.entry.patient_phone or "", row.schedule_name, cer)
        lines.append("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in cells) + "</tr>")
    if not lines:
        lines.append(f"<tr><td colspan='6'>{escape(_('No visits on this day.'))}</td></tr>")
    title = _("Visits on {day}").format(day=_day(day))
    return (
        f"<html><body><h2>{escape(title)}</h2>"
        f"<table border='1' cellspacing='0' cellpadding='3' width='100%'><tr>{head}</tr>"
        f"{''.join(lines)}</table>"
        f"<p><small>{escape(_('Printed: {when}').format(when=f'{printed_at:%d.%m.%Y %H:%M}'))}"
        "</small></p></body></html>"
    )
