"""The downtime printout: the next working days' visits per schedule, as a PDF kept on disk.

The idea behind hospital downtime reports: if this computer dies, or the network with it, the
desk still has the day on paper. ``write_downtime_printout`` writes one table per schedule for
the next ``days`` days that have terms (patient, local ID, phone, urgency, whether CeR has the
visit). ``DowntimeRefresher`` rewrites it at most every ``interval`` while CeR is online (the
sync engine calls it after its passes), so the copy is fresh when the outage starts.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

from recepcja.config.private_files import private_folder
from recepcja.domain.model import WARSAW
from recepcja.services.pdf import NoPdfFont, Table, write_pdf
from recepcja.store.repos import Repositories

FILE_NAME = "wydruk-awaryjny.pdf"
HEADERS = ("Godzina", "Pacjent", "ID lokalny", "Telefon", "Kategoria", "Stan w CeR", "Obecność")
_URGENCY = {"urgent": "pilny", "stable": "stabilny"}
_STATE = {"confirmed": "potwierdzona", "pending": "czeka na CeR"}
_ATTENDANCE = {"arrived": "obecność", "no_show": "nieobecność", "expected": ""}  # any patient
_DAY_NAMES = ("poniedziałek", "wtorek", "środa", "czwartek", "piątek", "sobota", "niedziela")


def write_downtime_printout(repos: Repositories, path: Path, *, now: dt.datetime,
                            days: int = 3, look_ahead: int = 14) -> int:
    """Write the printout; returns the number of visits on it. Days without any term
    (weekends, holidays) are skipped; at most ``look_ahead`` calendar days are looked at."""
    tables = []
    visits = 0
    today = now.astimezone(WARSAW).date()
    for schedule in repos.schedules.list():
        if schedule.id is None:
            continue
        resource = repos.practice.resource(schedule.resource_id)
        found_days = 0
        for offset in range(look_ahead):
            day = today + dt.timedelta(days=offset)
            sheet = repos.visits.day_sheet(schedule.id, day)
            if not sheet:
                continue
            found_days += 1
            rows = []
            for entry in sheet:
                if entry.visit_id is None:
                    continue
                visits += 1
                rows.append([
                    entry.start.astimezone(WARSAW).strftime("%H:%M"),
                    f"{entry.patient_last_name} {entry.patient_first_name}",
                    entry.patient_local_id or "", entry.patient_phone or "",
                    _URGENCY.get(entry.urgency or "", ""),
                    _STATE.get(entry.visit_state or "", entry.visit_state or ""),
                    _ATTENDANCE.get(entry.attendance or "", ""),
                ])
            title = (f"{resource.name if resource else schedule.name} ({schedule.scope_code}) — "
                     f"{_DAY_NAMES[day.weekday()]} {day.isoformat()}")
            tables.append(Table(title, HEADERS, rows or [["", "brak wizyt"]],
                                (6, 22, 9, 12, 7, 10, 8)))
            if found_days >= days:
                break
    if not tables:
        tables.append(Table("Brak terminów w najbliższych dniach", HEADERS, [], (1,) * 7))
    stamp = now.astimezone(WARSAW).strftime("%Y-%m-%d %H:%M")
    # The app's own file, refreshed in place (docs/EMERGENCY.md): overwriting it is the point.
    private_folder(path.parent)
    write_pdf(path, subtitle=f"Wydruk awaryjny — stan z {stamp}", tables=tables, overwrite=True)
    return visits


class DowntimeRefresher:
    """Rewrites the printout at most every ``interval`` seconds; for the sync engine's
    ``after_pass`` hook (it only calls while CeR is online). A missing font is logged once and
    the refresher stops trying."""

    def __init__(self, path: Path, *, interval: float = 900.0, days: int = 3) -> None:
        self.path = path
        self.interval = interval
        self.days = days
        self._last = -float("inf")
        self.disabled = False

    def __call__(self, repos: Repositories) -> bool:
        """Refresh if due; returns whether the file was written."""
        if self.disabled or time.monotonic() - self._last < self.interval:
            return False
        self._last = time.monotonic()
        try:
            write_downtime_printout(repos, self.path, now=repos.visits.clock(), days=self.days)
        except NoPdfFont:
            self.disabled = True
            return False
        return True
