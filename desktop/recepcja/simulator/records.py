"""Plain records the rules take and give back, and the one query that reads a visit.

The rules speak neither XML nor JSON: the SOAP layer (``operations``) and the control API turn
these records into their formats, so both always show the same visit the same way.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from recepcja.simulator.db import make_id

ACCEPTED = "PRZYJETY"
REJECTED = "ODRZUCONY"

LIVE = "ZAREZERWOWANA"
CANCELLED = "ANULOWANA"


@dataclass(frozen=True, slots=True)
class Patient:
    """A patient as CeR's ``Pacjent``: a PESEL, or a document type and number."""

    imie: str
    nazwisko: str
    pesel: str | None = None
    rodzaj_dokumentu: str | None = None
    numer_dokumentu: str | None = None
    telefon: str | None = None
    data_urodzenia: str | None = None

    def columns(self) -> dict[str, str | None]:
        return {
            "pesel": self.pesel,
            "rodzaj_dokumentu": self.rodzaj_dokumentu,
            "numer_dokumentu": self.numer_dokumentu,
            "imie": self.imie,
            "nazwisko": self.nazwisko,
            "telefon": self.telefon,
            "data_urodzenia": self.data_urodzenia,
        }


@dataclass(frozen=True, slots=True)
class SlotInput:
    identyfikator_lokalny: str
    poczatek: dt.datetime
    koniec: dt.datetime
    rodzaj: str


@dataclass(frozen=True, slots=True)
class InitialVisit:
    identyfikator_wizyty: str
    id_harmonogramu: str
    poczatek: dt.datetime
    koniec: dt.datetime
    rodzaj: str
    pacjent: Patient
    kategoria: str | None = None
    id_zgloszenia: str | None = None
    id_skierowania: str | None = None


@dataclass(frozen=True, slots=True)
class ItemResult:
    """One ``pozycja`` of a batch answer."""

    identyfikator_lokalny: str
    status: str
    id_cer: str | None = None
    kod: str | None = None
    opis: str | None = None

    @classmethod
    def accepted(cls, local_id: str, id_cer: str) -> ItemResult:
        return cls(local_id, ACCEPTED, id_cer)

    @classmethod
    def rejected(cls, local_id: str, kod: str, opis: str, id_cer: str | None = None) -> ItemResult:
        return cls(local_id, REJECTED, id_cer, kod, opis)


VISIT_SELECT = """
SELECT w.num, w.identyfikator_wizyty, w.slot_num, w.pesel, w.rodzaj_dokumentu,
       w.numer_dokumentu, w.imie, w.nazwisko, w.telefon, w.data_urodzenia, w.kategoria,
       w.id_zgloszenia, w.id_skierowania, w.zrodlo, w.stan, w.wersja, w.zmieniono, w.wymuszona,
       s.harmonogram_num, s.poczatek, s.koniec, h.mus_num
FROM wizyta w
JOIN slot s ON s.num = w.slot_num
JOIN harmonogram h ON h.num = s.harmonogram_num
"""


def visit_record(row: sqlite3.Row) -> dict[str, Any]:
    """A visit with CeR's public IDs; times stay in storage format (UTC text)."""
    return {
        "idWizyty": make_id("WIZ", row["num"]),
        "identyfikatorWizyty": row["identyfikator_wizyty"],
        "idHarmonogramu": make_id("HRM", row["harmonogram_num"]),
        "idSlotu": make_id("SLT", row["slot_num"]),
        "idMus": make_id("MUS", row["mus_num"]),
        "poczatek": row["poczatek"],
        "koniec": row["koniec"],
        "pesel": row["pesel"],
        "rodzajDokumentu": row["rodzaj_dokumentu"],
        "numerDokumentu": row["numer_dokumentu"],
        "imie": row["imie"],
        "nazwisko": row["nazwisko"],
        "telefon": row["telefon"],
        "dataUrodzenia": row["data_urodzenia"],
        "kategoriaMedyczna": row["kategoria"],
        "idZgloszeniaCentralnego": row["id_zgloszenia"],
        "idSkierowania": row["id_skierowania"],
        "zrodlo": row["zrodlo"],
        "stan": row["stan"],
        "wersja": row["wersja"],
        "zmieniono": row["zmieniono"],
        "wymuszona": bool(row["wymuszona"]),
    }


def load_visit(conn: sqlite3.Connection, num: int) -> dict[str, Any] | None:
    row = conn.execute(VISIT_SELECT + " WHERE w.num = ?", (num,)).fetchone()
    return None if row is None else visit_record(row)


def add_notification(
    conn: sqlite3.Connection, kind: str, visit: dict[str, Any], now_db: str
) -> int:
    """Record a notification with a snapshot of the visit as it is now; returns its cursor.

    The snapshot (not a reference) is what gets pulled or pushed later, so a receiver sees each
    version of the visit in turn and can order them by ``wersja``.
    """
    mus_num = int(visit["idMus"].split("-", 1)[1])
    visit_num = int(visit["idWizyty"].split("-", 1)[1])
    cursor = conn.execute(
        "INSERT INTO notyfikacja (rodzaj, czas, mus_num, wizyta_num, wizyta_json) "
        "VALUES (?, ?, ?, ?, ?)",
        (kind, now_db, mus_num, visit_num, json.dumps(visit, ensure_ascii=False)),
    )
    return int(cursor.lastrowid or 0)
