"""Outage evidence: the periods CeR could not be used, the failed calls, the errors, and what
was queued meanwhile — the evidence NFZ asks for to pay visits that could not be registered
centrally (docs/DOMAIN.md: "the visit is paid if the provider shows that the central registration
was impossible for reasons not on its side")."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from recepcja.domain.model import WARSAW
from recepcja.services.emergency import HEADERS as QUEUE_HEADERS
from recepcja.services.emergency import SHEET_TITLE as QUEUE_TITLE
from recepcja.services.emergency import queue_entries, queue_row
from recepcja.services.spreadsheet import excel_time, write_workbook
from recepcja.store.repos import Repositories

HEADERS = ("Lp.", "Początek", "Koniec", "Czas trwania (min)", "Stan", "Nieudane wywołania",
           "Ostatni błąd")
_STATE_PL = {"offline": "brak połączenia", "degraded": "połączenie niestabilne",
             "manual": "tryb awaryjny włączony ręcznie"}


def export_outages(repos: Repositories, path: Path, *, since: dt.datetime | None = None,
                   until: dt.datetime | None = None, now: dt.datetime | None = None,
                   overwrite: bool = False) -> int:
    """Write the outage log (and the emergency queue, with outcomes) to ``path``: Excel, or
    PDF when the name ends with ``.pdf`` (an existing file only with ``overwrite``). Returns
    the number of outage periods."""
    if Path(path).suffix.lower() == ".pdf":
        return _export_pdf(repos, Path(path), since=since, until=until, now=now,
                           overwrite=overwrite)
    moment = now or repos.outages.clock()
    periods = repos.outages.list(since, until)
    rows = []
    for number, outage in enumerate(periods, 1):
        end = outage.ended_at or moment
        rows.append([
            number, excel_time(outage.started_at), excel_time(outage.ended_at),
            round((end - outage.started_at).total_seconds() / 60, 1),
            _STATE_PL.get(outage.state, outage.state), outage.failed_calls, outage.error,
        ])
    queue = [queue_row(n, e) for n, e in enumerate(
        queue_entries(repos, include_finished=True), 1)]
    write_workbook(path, [("Przerwy CeR", HEADERS, rows), (QUEUE_TITLE, QUEUE_HEADERS, queue)],
                   overwrite=overwrite)
    return len(periods)


def _when(moment: dt.datetime | None) -> str:
    return "" if moment is None else moment.astimezone(WARSAW).strftime("%Y-%m-%d %H:%M")


def _export_pdf(repos: Repositories, path: Path, *, since: dt.datetime | None,
                until: dt.datetime | None, now: dt.datetime | None, overwrite: bool) -> int:
    from recepcja.services.pdf import Table, write_pdf

    moment = now or repos.outages.clock()
    periods = repos.outages.list(since, until)
    outage_rows = []
    for number, outage in enumerate(periods, 1):
        end = outage.ended_at or moment
        outage_rows.append([
            str(number), _when(outage.started_at), _when(outage.ended_at) or "trwa",
            f"{(end - outage.started_at).total_seconds() / 60:.1f}",
            _STATE_PL.get(outage.state, outage.state), str(outage.failed_calls),
            outage.error or "",
        ])
    queue_rows = []
    for number, entry in enumerate(queue_entries(repos, include_finished=True), 1):
        row = queue_row(number, entry)
        column = dict(zip(QUEUE_HEADERS, row, strict=True))
        queue_rows.append([
            str(number), entry.patient_local_id, entry.identifier,
            f"{entry.last_name} {entry.first_name}", _when(entry.term),
            str(column["Kategoria medyczna"]), _when(entry.created_at), entry.created_by,
            str(column["Stan wysyłki"]), str(column["Wynik"] or ""),
        ])
    provider = repos.practice.provider()
    subtitle = (f"{provider.name if provider else ''} — dziennik przerw w dostępie do CeR, "
                f"wygenerowano {_when(moment)}").strip(" —")
    write_pdf(path, subtitle=subtitle, overwrite=overwrite, tables=[
        Table("Przerwy w dostępie do CeR", HEADERS, outage_rows, (4, 12, 12, 8, 16, 8, 40)),
        Table("Wizyty zapisane w trybie awaryjnym", (
            "Lp.", "ID lokalny", "PESEL lub dokument", "Pacjent", "Termin", "Kategoria",
            "Utworzono", "Przez", "Stan wysyłki", "Wynik"), queue_rows,
            (4, 9, 11, 16, 11, 7, 11, 7, 8, 16)),
    ])
    return len(periods)
