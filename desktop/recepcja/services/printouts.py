"""Printouts of the front desk as HTML: the visit confirmation a patient takes home and the
day list of the chosen schedules.

HTML because Qt prints it (``QTextDocument`` to a printer or a PDF) and a test can read it
without Qt; everything from the database is escaped. The GUI decides where it goes.

The confirmation is for the patient: it names the practice and how to reach it, how to cancel,
what to bring (the referral, where the scope needs one) - and no internal identifier; the PESEL
shows only its last four digits. The day list is for the doctor's room: a table per doctor or
device, with urgency, term kind, arrival and the phone to call.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from html import escape

from recepcja.domain.entities import Patient
from recepcja.domain.errors import N_, ConflictError
from recepcja.domain.model import WARSAW
from recepcja.domain.phone_display import polish_national
from recepcja.domain.scopes import ScopeRegistry, term_kind_word
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
    urgency: str
    practice: str = ""
    practice_phone: str = ""  # E.164, [practice] phone in settings.toml
    term_kind: str = ""
    referral_required: bool = False
    referral_id: str | None = None


def confirmation_for(repos: Repositories, visit_id: int, practice_phone: str = "",
                     scopes: ScopeRegistry | None = None) -> VisitConfirmation:
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
    provider = repos.practice.provider()
    registry = scopes or ScopeRegistry.default()
    scope = registry.get(schedule.scope_code) if schedule.scope_code in registry else None
    return VisitConfirmation(
        patient=patient,
        start=slot.start.astimezone(WARSAW),
        end=slot.end.astimezone(WARSAW),
        place=place.name if place else "",
        address=(place.address or "") if place else "",
        doctor=resource.name if resource else "",
        schedule=schedule.name,
        cer_visit_id=visit.cer_id,
        urgency=str(visit.urgency),
        practice=provider.name if provider else "",
        practice_phone=practice_phone,
        term_kind=term_kind_word(str(slot.term_kind), scope),
        referral_required=bool(scope and scope.referral_required),
        referral_id=visit.referral_id,
    )


def _day(day: dt.date) -> str:
    return f"{_(_WEEKDAYS[day.weekday()])}, {day:%d.%m.%Y}"


def phone_words(e164: str) -> str:
    """``601 234 567`` (Polish), the international form otherwise."""
    national = polish_national(e164)
    if national is not None:
        return national
    from recepcja.domain.phone import format_phone

    return format_phone(e164)


def masked_identity(patient: Patient) -> str:
    """The PESEL with only its last four digits (``*******1359``); a document's number with
    only its last three characters."""
    ident = patient.identifier
    if ident.pesel:
        return "*" * 7 + ident.pesel[-4:]
    number = ident.document_number or ""
    return "*" * max(len(number) - 3, 0) + number[-3:]


def _urgency(urgency: str | None) -> str:
    return {"urgent": _("urgent"), "stable": _("stable")}.get(urgency or "", urgency or "")


def _table(rows: Iterable[tuple[str, str]]) -> str:
    return "".join(f"<tr><th align='left'>{escape(k)}</th><td>{escape(v)}</td></tr>"
                   for k, v in rows if v)


def _printed(printed_at: dt.datetime) -> str:
    when = _("Printed: {when}").format(when=f"{printed_at:%d.%m.%Y %H:%M}")
    return f"<p><small>{escape(when)}</small></p>"


def confirmation_html(c: VisitConfirmation, printed_at: dt.datetime) -> str:
    patient = c.patient
    rows = [
        (_("Patient"), f"{patient.first_name} {patient.last_name}"),
        (_("PESEL / document"), masked_identity(patient)),
        (_("Date"), _day(c.start.date())),
        (_("Time"), f"{c.start:%H:%M}–{c.end:%H:%M}"),
        (_("Place of service"), f"{c.place}, {c.address}".strip(", ")),
        (_("Doctor / device"), c.doctor),
        (_("Term kind"), _(c.term_kind) if c.term_kind else ""),
        (_("Medical category"), _urgency(c.urgency)),
        (_("Referral"), c.referral_id or ""),
        (_("Visit number in CeR"), c.cer_visit_id or ""),
    ]
    bring = _("Please come 10 minutes early with this confirmation and an ID.")
    if c.referral_required:
        bring = _("Please come 10 minutes early with this confirmation, an ID and your "
                  "referral (bring the referral: without it the visit cannot take place).")
    if c.practice_phone:
        cancel = _("To cancel or move the visit, call {phone}, or cancel it in your Internet "
                   "Patient Account (pacjent.gov.pl). Let us know early: someone else is "
                   "waiting for the term.").format(phone=phone_words(c.practice_phone))
    else:
        cancel = _("To cancel or move the visit, tell the registration desk, or cancel it in "
                   "your Internet Patient Account (pacjent.gov.pl). Let us know early: someone "
                   "else is waiting for the term.")
    practice = f"<h3>{escape(c.practice)}</h3>" if c.practice else ""
    phone = (f"<p>{escape(_('Registration: {phone}').format(phone=phone_words(c.practice_phone)))}"
             "</p>") if c.practice_phone else ""
    return (
        f"<html><body>{practice}{phone}<h2>{escape(_('Visit confirmation'))}</h2>"
        f"<table cellpadding='4'>{_table(rows)}</table>"
        f"<p><b>{escape(bring)}</b></p><p>{escape(cancel)}</p>"
        f"{_printed(printed_at)}</body></html>"
    )


def _attendance(row: DayRow) -> str:
    return {"arrived": _("arrived"), "no_show": _("no-show")}.get(row.entry.attendance or "", "")


def day_list_html(rows: list[DayRow], day: dt.date, printed_at: dt.datetime,
                  practice: str = "", scopes: ScopeRegistry | None = None) -> str:
    """The day's visits (booked terms only) in time order, one table per doctor or device."""
    registry = scopes or ScopeRegistry.default()
    headers = (_("Time"), _("Patient"), _("Phone"), _("Term kind"), _("Urgency"),
               _("Arrival"), _("CeR"))
    head = "<tr>" + "".join(f"<th align='left'>{escape(h)}</th>" for h in headers) + "</tr>"
    doctors: dict[tuple[str, str], list[str]] = {}
    for row in rows:
        if row.entry.visit_id is None:
            continue
        entry = row.entry
        scope = registry.get(row.scope_code) if row.scope_code in registry else None
        kind = term_kind_word(entry.term_kind, scope)
        cer = _("in CeR") if entry.visit_state == "confirmed" else _("waiting for CeR")
        cells = (f"{row.start:%H:%M}–{row.end:%H:%M}", row.patient_name,
                 phone_words(entry.patient_phone) if entry.patient_phone else "",
                 _(kind) if kind else "", _urgency(entry.urgency), _attendance(row), cer)
        urgent = entry.urgency == "urgent"
        line = "".join(f"<td>{'<b>' if urgent else ''}{escape(c)}{'</b>' if urgent else ''}"
                       "</td>" for c in cells)
        doctors.setdefault((row.resource_name, row.schedule_name), []).append(f"<tr>{line}</tr>")
    title = _("Visits on {day}").format(day=_day(day))
    parts = [f"<html><body><h3>{escape(practice)}</h3>" if practice else "<html><body>",
             f"<h2>{escape(title)}</h2>"]
    for (doctor, schedule), lines in doctors.items():
        heading = f"{doctor} — {schedule}" if schedule and schedule != doctor else doctor
        parts.append(f"<h3>{escape(heading)}</h3>"
                     "<table border='1' cellspacing='0' cellpadding='3' width='100%'>"
                     f"{head}{''.join(lines)}</table>")
    if not doctors:
        parts.append(f"<p>{escape(_('No visits on this day.'))}</p>")
    parts.append(f"{_printed(printed_at)}</body></html>")
    return "".join(parts)


def day_list(repos: Repositories, rows: list[DayRow], day: dt.date,
             printed_at: dt.datetime) -> tuple[str, str]:
    """(HTML, file name) of the day list."""
    provider = repos.practice.provider()
    html = day_list_html(rows, day, printed_at, provider.name if provider else "")
    return html, f"wizyty-{day.isoformat()}.pdf"


def confirmation(repos: Repositories, visit_id: int, printed_at: dt.datetime,
                 practice_phone: str = "") -> tuple[str, str]:
    """(HTML, file name) of a visit's confirmation: the file is named by the visit's date and
    time, never by an identifier."""
    made = confirmation_for(repos, visit_id, practice_phone)
    return confirmation_html(made, printed_at), f"potwierdzenie-{made.start:%Y-%m-%d-%H%M}.pdf"
