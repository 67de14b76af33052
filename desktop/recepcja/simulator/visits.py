"""CeR's rules for obligation 2: booking, changes, the waiting list, read-back, notifications.

Two kinds of callers change visits:
- the practice system over SOAP (``zarezerwujTermin``, ``zmienTermin``, ``anulujWizyte``): CeR
  records the change and sends the practice no notification (it made the change itself);
- everybody else — patients in IKP, other providers, the waiting room — modelled by the actors
  and the control API: each change creates a notification for the practice, in the same
  transaction, so a change is never visible without its notification or the other way round.

Every change of a visit increments ``wersja`` and sets ``zmieniono``: that is what lets a receiver
put duplicated and out-of-order notifications back in order.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from recepcja.domain.model import TermKind
from recepcja.domain.referral import kind_problem, known_scope, move_problem
from recepcja.simulator import errors
from recepcja.simulator.clock import to_db, to_wire
from recepcja.simulator.db import make_id, parse_id
from recepcja.simulator.onboarding import MAX_SLOT, require_place, require_schedule
from recepcja.simulator.records import (
    CANCELLED,
    LIVE,
    VISIT_SELECT,
    Patient,
    add_notification,
    load_visit,
    visit_record,
)

# Notification kinds by the source of an outside booking.
BOOKING_NOTIFICATION: Mapping[str, str] = MappingProxyType({
    "IKP": "REZERWACJA_IKP",
    "INNY_SWIADCZENIODAWCA": "REZERWACJA_INNY_SWIADCZENIODAWCA",
    "POCZEKALNIA": "REZERWACJA_POCZEKALNIA",
})
MAX_VISITS_PER_SLOT = 10  # cer:Slot holds at most 10 visits
MAX_NOTIFICATIONS = 1000  # per pobierzNotyfikacje answer (the schema's bound)


def require_slot(conn: sqlite3.Connection, slot_id: str) -> sqlite3.Row:
    num = parse_id("SLT", slot_id)
    row = None if num is None else conn.execute(
        "SELECT s.*, h.mus_num, h.zakres, m.stan AS stan_mus FROM slot s "
        "JOIN harmonogram h ON h.num = s.harmonogram_num JOIN mus m ON m.num = h.mus_num "
        "WHERE s.num = ?",
        (num,),
    ).fetchone()
    if row is None or row["usuniety"]:
        raise errors.not_found(f"Nie znaleziono slotu {slot_id} (nieznany lub wycofany).")
    return row


def require_visit(conn: sqlite3.Connection, visit_id: str) -> dict[str, Any]:
    num = parse_id("WIZ", visit_id)
    visit = None if num is None else load_visit(conn, num)
    if visit is None:
        raise errors.not_found(f"Nie znaleziono wizyty {visit_id}.")
    return visit


def _bookable(conn: sqlite3.Connection, now: dt.datetime, slot: sqlite3.Row) -> None:
    slot_id = make_id("SLT", slot["num"])
    if slot["stan_mus"] != "AKTYWNE":
        raise errors.wrong_state(
            f"Miejsce {make_id('MUS', slot['mus_num'])} nie jest aktywne: rezerwacje przez CeR "
            "są możliwe po aktywacji (aktywujMus)."
        )
    if slot["poczatek"] <= to_db(now):
        raise errors.wrong_state(f"Termin {slot_id} ({to_wire(slot['poczatek'])}) już minął.")
    taken = conn.execute(
        "SELECT num FROM wizyta WHERE slot_num = ? AND stan = ? LIMIT 1", (slot["num"], LIVE)
    ).fetchone()
    if taken is not None:
        raise errors.business(
            errors.TAKEN,
            f"Termin {slot_id} ({to_wire(slot['poczatek'])}) jest już zajęty.",
        )


# CeR's kinds of term (``rodzajTerminu``) as the domain names them; only the default procedure
# matters to the first-visit rule.
_TERM_KINDS: Mapping[str, TermKind] = MappingProxyType({
    "PROCEDURA_DOMYSLNA": TermKind.DEFAULT_PROCEDURE,
    "PROCEDURA_KONKRETNA": TermKind.SPECIFIC_PROCEDURE,
    "KONTYNUACJA_LECZENIA": TermKind.CONTINUING_TREATMENT,
})


def _needs_referral(slot: sqlite3.Row, referral_id: str | None, *,
                    moved_from: str | None = None) -> None:
    """CeR refuses a first visit - a term for the default procedure of a scope that needs a
    referral (AOS: cardiology) - without ``idSkierowania``: the rule of ``domain.referral``
    (``kind_problem``; for a visit moved from a term of kind ``moved_from``, ``move_problem``),
    the scope known by the code Recepcja's scopes give it (a scope the simulator does not know
    is not checked). A continuation or a procedure needs none."""
    scope, kind = known_scope(slot["zakres"]), _TERM_KINDS.get(slot["rodzaj"])
    problem = (kind_problem(scope, kind, bool(referral_id)) if moved_from is None else
               move_problem(scope, _TERM_KINDS.get(moved_from), kind, bool(referral_id)))
    if problem is None:
        return
    raise errors.business(
        errors.NO_REFERRAL,
        f"Termin {make_id('SLT', slot['num'])} ({to_wire(slot['poczatek'])}) jest terminem "
        f"pierwszej wizyty (procedura domyślna) w zakresie {slot['zakres']}: rezerwacja wymaga "
        "skierowania (idSkierowania).",
    )


def _insert_visit(
    conn: sqlite3.Connection,
    now: dt.datetime,
    slot_num: int,
    *,
    patient: Patient,
    urgency: str | None,
    source: str,
    visit_uid: str | None = None,
    request_id: str | None = None,
    referral_id: str | None = None,
    forced: bool = False,
) -> dict[str, Any]:
    stamp = to_db(now)
    try:
        cursor = conn.execute(
            "INSERT INTO wizyta (identyfikator_wizyty, slot_num, pesel, rodzaj_dokumentu, "
            "numer_dokumentu, imie, nazwisko, telefon, data_urodzenia, kategoria, id_zgloszenia, "
            "id_skierowania, zrodlo, stan, wersja, zmieniono, utworzono, wymuszona) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)",
            (visit_uid, slot_num, *patient.columns().values(), urgency, request_id, referral_id,
             source, LIVE, stamp, stamp, int(forced)),
        )
    except sqlite3.IntegrityError:
        # The unique indexes caught what the checks above should have: answer as CeR would.
        raise errors.business(
            errors.TAKEN, f"Termin {make_id('SLT', slot_num)} jest już zajęty."
        ) from None
    if request_id:
        conn.execute(
            "UPDATE zgloszenie SET status = 'UMOWIONE' WHERE num = ?",
            (parse_id("ZGL", request_id) or -1,),
        )
    visit = load_visit(conn, int(cursor.lastrowid or 0))
    assert visit is not None
    return visit


def book(
    conn: sqlite3.Connection,
    now: dt.datetime,
    *,
    slot_id: str,
    visit_uid: str,
    patient: Patient,
    urgency: str,
    request_id: str | None,
    referral_id: str | None,
) -> dict[str, Any]:
    """``zarezerwujTermin``: the practice books a free term of an active MUŚ.

    The caller's ``identyfikatorWizyty`` is checked first: a resend of a booking that was in fact
    made gets ``IdentyfikatorWizytyUzyty`` (not "term taken"), which tells the caller to read the
    visit back by that identifier instead of looking for another term.
    """
    used = conn.execute(
        "SELECT num FROM wizyta WHERE identyfikator_wizyty = ?", (visit_uid,)
    ).fetchone()
    if used is not None:
        raise errors.business(
            errors.VISIT_ID_USED,
            f"Identyfikator wizyty {visit_uid} został już użyty (wizyta "
            f"{make_id('WIZ', used['num'])}); odczytaj ją przez pobierzWizyte.",
        )
    slot = require_slot(conn, slot_id)
    _bookable(conn, now, slot)
    _needs_referral(slot, referral_id)
    return _insert_visit(
        conn, now, slot["num"], patient=patient, urgency=urgency, source="PLACOWKA",
        visit_uid=visit_uid, request_id=request_id, referral_id=referral_id,
    )


def book_outside(
    conn: sqlite3.Connection,
    now: dt.datetime,
    slot_id: str,
    *,
    patient: Patient,
    urgency: str,
    source: str,
) -> dict[str, Any]:
    """A booking made outside the practice system (IKP, another provider, the waiting room),
    with its notification."""
    slot = require_slot(conn, slot_id)
    _bookable(conn, now, slot)
    visit = _insert_visit(conn, now, slot["num"], patient=patient, urgency=urgency, source=source)
    add_notification(conn, BOOKING_NOTIFICATION[source], visit, to_db(now))
    return visit


def force_bookings(
    conn: sqlite3.Connection,
    now: dt.datetime,
    slot_id: str,
    patients: list[Patient],
    source: str,
    *,
    notify: bool,
) -> list[dict[str, Any]]:
    """Several visits in ONE slot, bypassing the conflict rule: the overlap the FAQ reports
    ("two or three patients on the same hour"), reproduced on purpose for detection tests."""
    slot = require_slot(conn, slot_id)
    live = conn.execute(
        "SELECT COUNT(*) FROM wizyta WHERE slot_num = ? AND stan = ?", (slot["num"], LIVE)
    ).fetchone()[0]
    if live + len(patients) > MAX_VISITS_PER_SLOT:
        raise ValueError(f"a slot can show at most {MAX_VISITS_PER_SLOT} visits (has {live})")
    visits = []
    for patient in patients:
        visit = _insert_visit(
            conn, now, slot["num"], patient=patient, urgency="STABILNY", source=source,
            forced=True,
        )
        if notify:
            add_notification(conn, BOOKING_NOTIFICATION[source], visit, to_db(now))
        visits.append(visit)
    return visits


def _bump(conn: sqlite3.Connection, now: dt.datetime, visit_num: int, sets: str,
          params: tuple[Any, ...]) -> dict[str, Any]:
    conn.execute(
        f"UPDATE wizyta SET {sets}, wersja = wersja + 1, zmieniono = ? WHERE num = ?",
        (*params, to_db(now), visit_num),
    )
    visit = load_visit(conn, visit_num)
    assert visit is not None
    return visit


def change_term(
    conn: sqlite3.Connection, now: dt.datetime, visit_id: str, new_slot_id: str
) -> dict[str, Any]:
    """``zmienTermin``: the practice moves a live visit to a free term of the same MUŚ and scope."""
    visit = require_visit(conn, visit_id)
    if visit["stan"] == CANCELLED:
        raise errors.business(errors.CANCELLED, f"Wizyta {visit_id} jest anulowana.")
    slot = require_slot(conn, new_slot_id)
    if slot["num"] == parse_id("SLT", visit["idSlotu"]):
        return visit
    old_scope = conn.execute(
        "SELECT zakres FROM harmonogram WHERE num = ?", (parse_id("HRM", visit["idHarmonogramu"]),)
    ).fetchone()["zakres"]
    if make_id("MUS", slot["mus_num"]) != visit["idMus"] or slot["zakres"] != old_scope:
        raise errors.wrong_state(
            f"Nowy termin {new_slot_id} jest w innym miejscu lub zakresie niż wizyta {visit_id}."
        )
    if slot["poczatek"] <= to_db(now):
        raise errors.wrong_state(f"Termin {new_slot_id} ({to_wire(slot['poczatek'])}) już minął.")
    taken = conn.execute(
        "SELECT 1 FROM wizyta WHERE slot_num = ? AND stan = ? LIMIT 1", (slot["num"], LIVE)
    ).fetchone()
    if taken:
        raise errors.business(errors.TAKEN, f"Termin {new_slot_id} jest już zajęty.")
    old = conn.execute(
        "SELECT rodzaj FROM slot WHERE num = ?", (parse_id("SLT", visit["idSlotu"]),)
    ).fetchone()
    _needs_referral(slot, visit["idSkierowania"], moved_from=old["rodzaj"] if old else None)
    try:
        return _bump(conn, now, int(visit_id.split("-")[1]), "slot_num = ?", (slot["num"],))
    except sqlite3.IntegrityError:
        raise errors.business(errors.TAKEN, f"Termin {new_slot_id} jest już zajęty.") from None


def cancel(
    conn: sqlite3.Connection, now: dt.datetime, visit_id: str, *, by_patient: bool = False
) -> dict[str, Any]:
    """``anulujWizyte`` (or, with ``by_patient``, a cancellation in IKP with its notification).
    The slot becomes free again."""
    visit = require_visit(conn, visit_id)
    if visit["stan"] == CANCELLED:
        raise errors.business(errors.CANCELLED, f"Wizyta {visit_id} jest już anulowana.")
    visit = _bump(conn, now, int(visit_id.split("-")[1]), "stan = ?", (CANCELLED,))
    if by_patient:
        add_notification(conn, "ANULOWANIE_IKP", visit, to_db(now))
    return visit


def place_on_waiting_list(
    conn: sqlite3.Connection,
    now: dt.datetime,
    *,
    mus_id: str,
    entry_uid: str,
    scope: str,
    patient: Patient,
    urgency: str,
    request_id: str | None,
) -> tuple[str, int]:
    """``umiescNaLiscieOczekujacych``, idempotent by ``identyfikatorWpisu``; returns (idWpisu,
    position). The list of a MUŚ and scope is ordered urgent first, then by the date of the
    central request (the placement time when there is none)."""
    place = require_place(conn, mus_id)
    if scope not in json.loads(place["zakresy"]):
        raise errors.not_found(f"Zakres {scope} nie jest zarejestrowany dla {mus_id}.")
    row = conn.execute(
        "SELECT num FROM wpis_oczekujacych WHERE identyfikator_wpisu = ?", (entry_uid,)
    ).fetchone()
    if row is None:
        reference = to_db(now)
        request_num = parse_id("ZGL", request_id)
        if request_num is not None:
            request = conn.execute(
                "SELECT data FROM zgloszenie WHERE num = ?", (request_num,)
            ).fetchone()
            if request is not None:
                reference = request["data"]
        stamp = to_db(now)
        cursor = conn.execute(
            "INSERT INTO wpis_oczekujacych (mus_num, identyfikator_wpisu, zakres, pesel, "
            "rodzaj_dokumentu, numer_dokumentu, imie, nazwisko, telefon, data_urodzenia, "
            "kategoria, id_zgloszenia, data_odniesienia, utworzono) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (place["num"], entry_uid, scope, *patient.columns().values(), urgency, request_id,
             reference, stamp),
        )
        num = int(cursor.lastrowid or 0)
    else:
        num = row["num"]
    return make_id("WPIS", num), waiting_position(conn, num)


def term_for_waiting_entry(
    conn: sqlite3.Connection, now: dt.datetime, entry_id: str, slot_id: str
) -> dict[str, Any]:
    """CeR gives a central waiting-list entry its term (a term freed or added meanwhile): a
    visit on ``slot_id`` for the entry's patient, under the entry's identifier
    (``identyfikatorWpisu`` becomes the visit's ``identyfikatorWizyty``, so the practice
    recognises its own patient), with its ``REZERWACJA_POCZEKALNIA`` notification in the same
    transaction; the entry leaves the list. The term must be free, future, of the entry's MUŚ
    and scope."""
    num = parse_id("WPIS", entry_id)
    entry = None if num is None else conn.execute(
        "SELECT * FROM wpis_oczekujacych WHERE num = ?", (num,)).fetchone()
    if entry is None:
        raise errors.not_found(f"Nie znaleziono wpisu {entry_id} na liście oczekujących.")
    slot = require_slot(conn, slot_id)
    if slot["mus_num"] != entry["mus_num"] or slot["zakres"] != entry["zakres"]:
        raise errors.wrong_state(
            f"Termin {slot_id} jest w innym miejscu lub zakresie niż wpis {entry_id}.")
    _bookable(conn, now, slot)
    patient = Patient(**{key: entry[key] for key in (
        "imie", "nazwisko", "pesel", "rodzaj_dokumentu", "numer_dokumentu", "telefon",
        "data_urodzenia")})
    visit = _insert_visit(
        conn, now, slot["num"], patient=patient, urgency=entry["kategoria"], source="POCZEKALNIA",
        visit_uid=entry["identyfikator_wpisu"], request_id=entry["id_zgloszenia"],
    )
    conn.execute("DELETE FROM wpis_oczekujacych WHERE num = ?", (num,))
    add_notification(conn, BOOKING_NOTIFICATION["POCZEKALNIA"], visit, to_db(now))
    return visit


def waiting_position(conn: sqlite3.Connection, entry_num: int) -> int:
    entry = conn.execute("SELECT * FROM wpis_oczekujacych WHERE num = ?", (entry_num,)).fetchone()
    rank = 0 if entry["kategoria"] == "PILNY" else 1
    ahead = conn.execute(
        "SELECT COUNT(*) FROM wpis_oczekujacych WHERE mus_num = ? AND zakres = ? AND ("
        "  (CASE kategoria WHEN 'PILNY' THEN 0 ELSE 1 END) < ? OR ("
        "   (CASE kategoria WHEN 'PILNY' THEN 0 ELSE 1 END) = ? AND ("
        "     data_odniesienia < ? OR (data_odniesienia = ? AND num < ?))))",
        (entry["mus_num"], entry["zakres"], rank, rank, entry["data_odniesienia"],
         entry["data_odniesienia"], entry_num),
    ).fetchone()[0]
    return int(ahead) + 1


def add_central_request(
    conn: sqlite3.Connection, now: dt.datetime, *, pesel: str, scope: str, urgency: str,
    filed: dt.datetime,
) -> str:
    cursor = conn.execute(
        "INSERT INTO zgloszenie (pesel, zakres, kategoria, data, status, utworzono) "
        "VALUES (?, ?, ?, ?, 'AKTYWNE', ?)",
        (pesel, scope, urgency, to_db(filed), to_db(now)),
    )
    return make_id("ZGL", int(cursor.lastrowid or 0))


def central_requests(
    conn: sqlite3.Connection, patient: Patient, scope: str | None
) -> list[dict[str, Any]]:
    """A patient's central requests, oldest first (only patients with a PESEL file them)."""
    if not patient.pesel:
        return []
    sql = "SELECT * FROM zgloszenie WHERE pesel = ?"
    params: list[Any] = [patient.pesel]
    if scope:
        sql += " AND zakres = ?"
        params.append(scope)
    rows = conn.execute(sql + " ORDER BY data, num LIMIT 100", params).fetchall()
    return [
        {"idZgloszenia": make_id("ZGL", row["num"]), "zakres": row["zakres"],
         "kategoriaMedyczna": row["kategoria"], "dataZgloszenia": row["data"],
         "status": row["status"]}
        for row in rows
    ]


def read_slots(
    conn: sqlite3.Connection, schedule_id: str, start: dt.datetime, end: dt.datetime
) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """``pobierzSloty``: not withdrawn slots overlapping [start, end), each with its live visits."""
    schedule = require_schedule(conn, schedule_id)
    if end <= start:
        raise errors.wrong_state("Pole do musi być późniejsze niż od.")
    lower, upper = to_db(start - MAX_SLOT), to_db(end)
    params = (schedule["num"], lower, upper, to_db(start))
    where = ("s.harmonogram_num = ? AND s.usuniety = 0 AND s.poczatek >= ? AND s.poczatek < ? "
             "AND s.koniec > ?")
    slots = conn.execute(
        f"SELECT s.* FROM slot s WHERE {where} ORDER BY s.poczatek", params
    ).fetchall()
    visits: dict[int, list[dict[str, Any]]] = {}
    for row in conn.execute(
        VISIT_SELECT + f" WHERE {where} AND w.stan = ? ORDER BY w.num", (*params, LIVE)
    ):
        visits.setdefault(row["slot_num"], []).append(visit_record(row))
    result = []
    for row in slots:
        slot_visits = visits.get(row["num"], [])[:MAX_VISITS_PER_SLOT]
        result.append((slot_record(row, bool(slot_visits)), slot_visits))
    return result


def slot_record(row: sqlite3.Row, booked: bool) -> dict[str, Any]:
    return {
        "idSlotu": make_id("SLT", row["num"]),
        "identyfikatorLokalny": row["identyfikator_lokalny"],
        "idHarmonogramu": make_id("HRM", row["harmonogram_num"]),
        "poczatek": row["poczatek"],
        "koniec": row["koniec"],
        "rodzajTerminu": row["rodzaj"],
        "stan": "USUNIETY" if row["usuniety"] else ("ZAREZERWOWANY" if booked else "WOLNY"),
    }


def read_visit(
    conn: sqlite3.Connection, visit_id: str | None, visit_uid: str | None
) -> dict[str, Any] | None:
    """``pobierzWizyte`` by CeR's id or the caller's identifier; None when there is none."""
    if visit_id is not None:
        num = parse_id("WIZ", visit_id)
        return None if num is None else load_visit(conn, num)
    row = conn.execute(
        VISIT_SELECT + " WHERE w.identyfikator_wizyty = ?", (visit_uid,)
    ).fetchone()
    return None if row is None else visit_record(row)


def notification_record(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "kursor": row["kursor"],
        "idNotyfikacji": make_id("NOT", row["kursor"]),
        "rodzaj": row["rodzaj"],
        "czas": row["czas"],
        "idMus": make_id("MUS", row["mus_num"]),
        "wizyta": json.loads(row["wizyta_json"]),
        "dostarczona": bool(row["dostarczona"]),
        "proby": row["proby"],
    }


def pull_notifications(
    conn: sqlite3.Connection, cursor: int, limit: int
) -> tuple[list[dict[str, Any]], int]:
    """``pobierzNotyfikacje``: those after ``cursor``, oldest first; the next cursor to ask with."""
    limit = max(1, min(limit, MAX_NOTIFICATIONS))
    rows = conn.execute(
        "SELECT * FROM notyfikacja WHERE kursor > ? ORDER BY kursor LIMIT ?", (cursor, limit)
    ).fetchall()
    records = [notification_record(row) for row in rows]
    return records, (records[-1]["kursor"] if records else cursor)


def acknowledge(conn: sqlite3.Connection, cursor: int) -> int:
    """``potwierdzNotyfikacje``: remember the highest cursor the practice has processed."""
    last = conn.execute("SELECT COALESCE(MAX(kursor), 0) FROM notyfikacja").fetchone()[0]
    current = conn.execute(
        "SELECT wartosc FROM ustawienie WHERE klucz = 'potwierdzony_kursor'"
    ).fetchone()
    value = max(int(current[0]) if current else 0, min(cursor, int(last)))
    conn.execute(
        "INSERT INTO ustawienie (klucz, wartosc) VALUES ('potwierdzony_kursor', ?) "
        "ON CONFLICT (klucz) DO UPDATE SET wartosc = excluded.wartosc",
        (str(value),),
    )
    return value

