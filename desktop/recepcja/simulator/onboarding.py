"""CeR's rules for obligation 1: the place of service (MUŚ) from registration to activation.

Life cycle: registered (``zapiszDaneMus``) → schedules (``zapiszHarmonogram``) → initial load
(``zasilInicjalnie``, only before activation) → free slots (``zapiszSloty``) → active
(``aktywujMus``, refused while any schedule's free slots reach less than 3 calendar months ahead).

Everything a practice system may send twice is idempotent by the identifier the practice chose
(RPWDL codes, ``identyfikatorLokalny``, ``identyfikatorWizyty``), because a practice system that
lost an answer will resend: the resend must find what the first call did, never duplicate it.

Slots of one schedule never overlap (the batch checks each item against what is stored and what
the batch accepted before it). That invariant lets the overlap test look only at the stored
neighbours of a new slot, which keeps a 5,000-slot batch fast.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from recepcja.simulator import errors
from recepcja.simulator.clock import add_months, local_date, to_db, to_wire
from recepcja.simulator.db import make_id, parse_id
from recepcja.simulator.errors import CerError, ItemRejected
from recepcja.simulator.records import (
    LIVE,
    InitialVisit,
    ItemResult,
    SlotInput,
)

HORIZON_MONTHS = 3
# Longest slot accepted. A term is an appointment, not a day of work; the bound also lets range
# queries use the start-time index (a slot overlapping [a, b) starts after a - MAX_SLOT).
MAX_SLOT = dt.timedelta(hours=24)


def require_place(conn: sqlite3.Connection, mus_id: str) -> sqlite3.Row:
    num = parse_id("MUS", mus_id)
    row = (
        None if num is None else conn.execute("SELECT * FROM mus WHERE num = ?", (num,)).fetchone()
    )
    if row is None:
        raise errors.not_found(f"Nie znaleziono miejsca udzielania świadczeń {mus_id}.")
    return row


def require_schedule(conn: sqlite3.Connection, schedule_id: str) -> sqlite3.Row:
    num = parse_id("HRM", schedule_id)
    row = (
        None
        if num is None
        else conn.execute("SELECT * FROM harmonogram WHERE num = ?", (num,)).fetchone()
    )
    if row is None:
        raise errors.not_found(f"Nie znaleziono harmonogramu {schedule_id}.")
    return row


def save_place(
    conn: sqlite3.Connection,
    now: dt.datetime,
    *,
    codes: tuple[str, str, str],
    name: str,
    address: tuple[str, str, str],
    scopes: Sequence[str],
    caller: dict[str, str],
) -> tuple[str, str]:
    """Register or update a MUŚ, idempotent by its RPWDL codes; returns (idMus, stan)."""
    stamp = to_db(now)
    scope_list = json.dumps(list(dict.fromkeys(scopes)), ensure_ascii=False)
    row = conn.execute(
        "SELECT num, stan FROM mus WHERE czesc_i = ? AND czesc_v = ? AND czesc_vii = ?", codes
    ).fetchone()
    if row is None:
        cursor = conn.execute(
            "INSERT INTO mus (czesc_i, czesc_v, czesc_vii, nazwa, ulica, kod_pocztowy, "
            "miejscowosc, zakresy, oid_root, oid_ext, utworzono, zmieniono) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (*codes, name, *address, scope_list, caller.get("idPodmiotuOidRoot"),
             caller.get("idPodmiotuOidExt"), stamp, stamp),
        )
        return make_id("MUS", int(cursor.lastrowid or 0)), "ZAREJESTROWANE"
    conn.execute(
        "UPDATE mus SET nazwa = ?, ulica = ?, kod_pocztowy = ?, miejscowosc = ?, zakresy = ?, "
        "zmieniono = ? WHERE num = ?",
        (name, *address, scope_list, stamp, row["num"]),
    )
    return make_id("MUS", row["num"]), str(row["stan"])


def import_mobile_points(
    conn: sqlite3.Connection, mus_id: str, points: Sequence[dict[str, Any]]
) -> list[ItemResult]:
    """Register mobile points (e.g. mammography buses), per item, idempotent by local id."""
    place = require_place(conn, mus_id)
    results = []
    for point in points:
        local_id = point["identyfikatorLokalny"]
        if point.get("dataDo") and point["dataDo"] < point["dataOd"]:
            results.append(ItemResult.rejected(
                local_id, errors.WRONG_STATE,
                f"Punkt {local_id}: data końca {point['dataDo']} przed datą początku "
                f"{point['dataOd']}.",
            ))
            continue
        values = (point["nazwa"], *point["adres"], point["dataOd"], point.get("dataDo"))
        row = conn.execute(
            "SELECT num FROM punkt_mobilny WHERE mus_num = ? AND identyfikator_lokalny = ?",
            (place["num"], local_id),
        ).fetchone()
        if row is None:
            cursor = conn.execute(
                "INSERT INTO punkt_mobilny (nazwa, ulica, kod_pocztowy, miejscowosc, data_od, "
                "data_do, mus_num, identyfikator_lokalny) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (*values, place["num"], local_id),
            )
            num = int(cursor.lastrowid or 0)
        else:
            num = row["num"]
            conn.execute(
                "UPDATE punkt_mobilny SET nazwa = ?, ulica = ?, kod_pocztowy = ?, miejscowosc = ?,"
                " data_od = ?, data_do = ? WHERE num = ?",
                (*values, num),
            )
        results.append(ItemResult.accepted(local_id, make_id("PKT", num)))
    return results


def save_schedule(
    conn: sqlite3.Connection,
    now: dt.datetime,
    *,
    mus_id: str,
    local_id: str,
    scope: str,
    resource: tuple[str, str, str | None],
    mobile_point_id: str | None,
    description: str | None,
) -> str:
    """Create or update a schedule, idempotent by ``identyfikatorLokalny`` within the MUŚ."""
    place = require_place(conn, mus_id)
    if scope not in json.loads(place["zakresy"]):
        raise errors.not_found(
            f"Zakres {scope} nie jest zarejestrowany dla {mus_id} (zarejestrowane: "
            f"{', '.join(json.loads(place['zakresy']))}). Dodaj go przez zapiszDaneMus."
        )
    point_num = None
    if mobile_point_id:
        point_num = parse_id("PKT", mobile_point_id)
        found = point_num is not None and conn.execute(
            "SELECT 1 FROM punkt_mobilny WHERE num = ? AND mus_num = ?", (point_num, place["num"])
        ).fetchone()
        if not found:
            raise errors.not_found(
                f"Nie znaleziono punktu mobilnego {mobile_point_id} w {mus_id}."
            )
    stamp = to_db(now)
    row = conn.execute(
        "SELECT num, zakres FROM harmonogram WHERE mus_num = ? AND identyfikator_lokalny = ?",
        (place["num"], local_id),
    ).fetchone()
    if row is None:
        cursor = conn.execute(
            "INSERT INTO harmonogram (mus_num, identyfikator_lokalny, zakres, zasob_typ, "
            "zasob_nazwa, npwz, punkt_num, opis, utworzono, zmieniono) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (place["num"], local_id, scope, *resource, point_num, description, stamp, stamp),
        )
        return make_id("HRM", int(cursor.lastrowid or 0))
    if row["zakres"] != scope:
        has_slots = conn.execute(
            "SELECT 1 FROM slot WHERE harmonogram_num = ? AND usuniety = 0 LIMIT 1", (row["num"],)
        ).fetchone()
        if has_slots:
            raise errors.wrong_state(
                f"Harmonogram {make_id('HRM', row['num'])} ma opublikowane terminy zakresu "
                f"{row['zakres']}; zakresu nie można zmienić na {scope}."
            )
    conn.execute(
        "UPDATE harmonogram SET zakres = ?, zasob_typ = ?, zasob_nazwa = ?, npwz = ?, "
        "punkt_num = ?, opis = ?, zmieniono = ? WHERE num = ?",
        (scope, *resource, point_num, description, stamp, row["num"]),
    )
    return make_id("HRM", row["num"])


def find_clash(
    conn: sqlite3.Connection, schedule_num: int, start: str, end: str
) -> sqlite3.Row | None:
    """A stored, not deleted slot of the schedule overlapping [start, end), if any.

    Thanks to the no-overlap invariant only two neighbours can clash: a slot starting inside the
    new one, or the last slot starting before it (if it ends after the new one starts).
    """
    inside = conn.execute(
        "SELECT * FROM slot WHERE harmonogram_num = ? AND usuniety = 0 "
        "AND poczatek >= ? AND poczatek < ? ORDER BY poczatek LIMIT 1",
        (schedule_num, start, end),
    ).fetchone()
    if inside is not None:
        return inside
    before = conn.execute(
        "SELECT * FROM slot WHERE harmonogram_num = ? AND usuniety = 0 AND poczatek < ? "
        "ORDER BY poczatek DESC LIMIT 1",
        (schedule_num, start),
    ).fetchone()
    if before is not None and before["koniec"] > start:
        return before
    return None


def _describe(slot: sqlite3.Row) -> str:
    return f"{make_id('SLT', slot['num'])} {to_wire(slot['poczatek'])}–{to_wire(slot['koniec'])}"


def _check_times(now: dt.datetime, start: dt.datetime, end: dt.datetime, what: str) -> None:
    if end <= start:
        raise ItemRejected(errors.WRONG_STATE, f"{what}: koniec nie jest po początku.")
    if end - start > MAX_SLOT:
        raise ItemRejected(errors.WRONG_STATE, f"{what}: termin dłuższy niż 24 godziny.")
    if start < now:
        raise ItemRejected(
            errors.WRONG_STATE, f"{what}: początek {to_wire(start)} jest w przeszłości."
        )


def save_slots(
    conn: sqlite3.Connection, now: dt.datetime, schedule_id: str, slots: Sequence[SlotInput]
) -> list[ItemResult]:
    """Publish free terms, answered per item (see the module docstring for the rules)."""
    schedule = require_schedule(conn, schedule_id)
    stamp = to_db(now)
    results = []
    for item in slots:
        try:
            results.append(_save_slot(conn, now, stamp, schedule["num"], item))
        except ItemRejected as refusal:
            results.append(ItemResult.rejected(item.identyfikator_lokalny, refusal.minor,
                                               refusal.opis))
    return results


def _save_slot(
    conn: sqlite3.Connection, now: dt.datetime, stamp: str, schedule_num: int, item: SlotInput
) -> ItemResult:
    local_id = item.identyfikator_lokalny
    start, end = to_db(item.poczatek), to_db(item.koniec)
    what = f"Slot {local_id}"
    same = conn.execute(
        "SELECT * FROM slot WHERE harmonogram_num = ? AND identyfikator_lokalny = ?",
        (schedule_num, local_id),
    ).fetchone()
    if same is not None and not same["usuniety"]:
        if (same["poczatek"], same["koniec"]) != (start, end):
            raise ItemRejected(
                errors.DUPLICATE,
                f"{what}: ten identyfikator lokalny ma już inny termin ({_describe(same)}); "
                "zmianę publikuj jako usunięcie i nowy slot.",
            )
        if same["rodzaj"] != item.rodzaj:
            conn.execute("UPDATE slot SET rodzaj = ? WHERE num = ?", (item.rodzaj, same["num"]))
        return ItemResult.accepted(local_id, make_id("SLT", same["num"]))
    _check_times(now, item.poczatek, item.koniec, what)
    clash = find_clash(conn, schedule_num, start, end)
    if clash is not None:
        if (clash["poczatek"], clash["koniec"]) == (start, end):
            if clash["identyfikator_lokalny"] is None and same is None:
                # A slot the initial load created for a booked visit: the practice now
                # publishes the same term under its own id, so adopt it rather than refuse.
                conn.execute(
                    "UPDATE slot SET identyfikator_lokalny = ?, rodzaj = ? WHERE num = ?",
                    (local_id, item.rodzaj, clash["num"]),
                )
                return ItemResult.accepted(local_id, make_id("SLT", clash["num"]))
            raise ItemRejected(
                errors.DUPLICATE,
                f"{what}: taki sam termin jest już opublikowany ({_describe(clash)}).",
            )
        raise ItemRejected(
            errors.OVERLAP, f"{what}: nakłada się na opublikowany termin {_describe(clash)}."
        )
    if same is not None:
        # Withdrawn earlier and published again under the same local id: it comes back as the
        # same CeR slot, so the practice's mapping local id -> CeR id stays valid.
        conn.execute(
            "UPDATE slot SET poczatek = ?, koniec = ?, rodzaj = ?, usuniety = 0 WHERE num = ?",
            (start, end, item.rodzaj, same["num"]),
        )
        return ItemResult.accepted(local_id, make_id("SLT", same["num"]))
    cursor = conn.execute(
        "INSERT INTO slot (harmonogram_num, identyfikator_lokalny, poczatek, koniec, rodzaj, "
        "utworzono) VALUES (?, ?, ?, ?, ?, ?)",
        (schedule_num, local_id, start, end, item.rodzaj, stamp),
    )
    return ItemResult.accepted(local_id, make_id("SLT", int(cursor.lastrowid or 0)))


def delete_slots(
    conn: sqlite3.Connection, schedule_id: str, slot_ids: Sequence[str]
) -> list[ItemResult]:
    """Withdraw free terms, per item; a booked term is refused (move or cancel its visit first).

    A ``pozycja`` names the slot by its ``identyfikatorLokalny`` when it has one (else by the
    ``idSlotu`` sent) and always carries the ``idSlotu`` sent as ``idCer``.
    """
    schedule = require_schedule(conn, schedule_id)
    results = []
    for slot_id in slot_ids:
        num = parse_id("SLT", slot_id)
        slot = None if num is None else conn.execute(
            "SELECT * FROM slot WHERE num = ? AND harmonogram_num = ?", (num, schedule["num"])
        ).fetchone()
        if slot is None:
            results.append(ItemResult.rejected(
                slot_id, errors.NOT_FOUND,
                f"Nie znaleziono slotu {slot_id} w harmonogramie {schedule_id}.", slot_id,
            ))
            continue
        label = slot["identyfikator_lokalny"] or slot_id
        booked = conn.execute(
            "SELECT 1 FROM wizyta WHERE slot_num = ? AND stan = ? LIMIT 1", (num, LIVE)
        ).fetchone()
        if booked and not slot["usuniety"]:
            results.append(ItemResult.rejected(
                label, errors.TAKEN,
                f"Slot {slot_id} jest zarezerwowany; najpierw przenieś lub anuluj wizytę.",
                slot_id,
            ))
            continue
        conn.execute("UPDATE slot SET usuniety = 1 WHERE num = ?", (num,))
        results.append(ItemResult.accepted(label, slot_id))
    return results


def initial_load(
    conn: sqlite3.Connection, now: dt.datetime, mus_id: str, visits: Sequence[InitialVisit]
) -> list[ItemResult]:
    """Visits booked before joining, per item; only before activation; idempotent by
    ``identyfikatorWizyty``. Each books the matching free slot, or a new booked slot."""
    place = require_place(conn, mus_id)
    if place["stan"] == "AKTYWNE":
        raise errors.wrong_state(
            f"{mus_id} jest już aktywne: zasilenie inicjalne jest możliwe tylko przed aktywacją; "
            "nowe wizyty rezerwuj przez zarezerwujTermin."
        )
    stamp = to_db(now)
    results = []
    for visit in visits:
        try:
            results.append(_load_visit(conn, now, stamp, place["num"], visit))
        except ItemRejected as refusal:
            results.append(ItemResult.rejected(visit.identyfikator_wizyty, refusal.minor,
                                               refusal.opis))
    conn.execute("UPDATE mus SET zasilenie_inicjalne = 1 WHERE num = ?", (place["num"],))
    return results


def _load_visit(
    conn: sqlite3.Connection, now: dt.datetime, stamp: str, mus_num: int, visit: InitialVisit
) -> ItemResult:
    local_id = visit.identyfikator_wizyty
    what = f"Wizyta {local_id}"
    schedule_num = parse_id("HRM", visit.id_harmonogramu)
    schedule = None if schedule_num is None else conn.execute(
        "SELECT * FROM harmonogram WHERE num = ? AND mus_num = ?", (schedule_num, mus_num)
    ).fetchone()
    if schedule is None:
        raise ItemRejected(
            errors.NOT_FOUND, f"{what}: nie znaleziono harmonogramu {visit.id_harmonogramu} w MUŚ."
        )
    start, end = to_db(visit.poczatek), to_db(visit.koniec)
    existing = conn.execute(
        "SELECT w.num, w.zrodlo, s.harmonogram_num, s.poczatek, s.koniec FROM wizyta w "
        "JOIN slot s ON s.num = w.slot_num WHERE w.identyfikator_wizyty = ?",
        (local_id,),
    ).fetchone()
    if existing is not None:
        if (existing["zrodlo"], existing["harmonogram_num"], existing["poczatek"],
                existing["koniec"]) == ("ZASILENIE_INICJALNE", schedule["num"], start, end):
            return ItemResult.accepted(local_id, make_id("WIZ", existing["num"]))
        raise ItemRejected(
            errors.VISIT_ID_USED,
            f"{what}: identyfikator wizyty użyty już dla {make_id('WIZ', existing['num'])}.",
        )
    _check_times(now, visit.poczatek, visit.koniec, what)
    clash = find_clash(conn, schedule["num"], start, end)
    if clash is not None and (clash["poczatek"], clash["koniec"]) != (start, end):
        raise ItemRejected(errors.OVERLAP, f"{what}: nakłada się na termin {_describe(clash)}.")
    if clash is not None:
        taken = conn.execute(
            "SELECT num FROM wizyta WHERE slot_num = ? AND stan = ? LIMIT 1", (clash["num"], LIVE)
        ).fetchone()
        if taken is not None:
            raise ItemRejected(
                errors.TAKEN,
                f"{what}: termin {_describe(clash)} jest zajęty przez "
                f"{make_id('WIZ', taken['num'])}.",
            )
        slot_num = clash["num"]
    else:
        cursor = conn.execute(
            "INSERT INTO slot (harmonogram_num, identyfikator_lokalny, poczatek, koniec, rodzaj, "
            "utworzono) VALUES (?, NULL, ?, ?, ?, ?)",
            (schedule["num"], start, end, visit.rodzaj, stamp),
        )
        slot_num = int(cursor.lastrowid or 0)
    cursor = conn.execute(
        "INSERT INTO wizyta (identyfikator_wizyty, slot_num, pesel, rodzaj_dokumentu, "
        "numer_dokumentu, imie, nazwisko, telefon, data_urodzenia, kategoria, id_zgloszenia, "
        "id_skierowania, zrodlo, stan, wersja, zmieniono, utworzono) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'ZASILENIE_INICJALNE', ?, 1, ?, ?)",
        (local_id, slot_num, *visit.pacjent.columns().values(), visit.kategoria,
         visit.id_zgloszenia, visit.id_skierowania, LIVE, stamp, stamp),
    )
    return ItemResult.accepted(local_id, make_id("WIZ", int(cursor.lastrowid or 0)))


def activate(conn: sqlite3.Connection, now: dt.datetime, today: dt.date, mus_id: str) -> str:
    """Activate the MUŚ; refused while any schedule's free terms reach < 3 months ahead."""
    place = require_place(conn, mus_id)
    if place["stan"] == "AKTYWNE":
        return "AKTYWNE"
    rows = conn.execute(
        "SELECT h.num, h.identyfikator_lokalny, "
        "  (SELECT MAX(s.poczatek) FROM slot s WHERE s.harmonogram_num = h.num "
        "     AND s.usuniety = 0 AND s.poczatek > ? "
        "     AND NOT EXISTS (SELECT 1 FROM wizyta w WHERE w.slot_num = s.num AND w.stan = ?)"
        "  ) AS zasieg "
        "FROM harmonogram h WHERE h.mus_num = ? ORDER BY h.num",
        (to_db(now), LIVE, place["num"]),
    ).fetchall()
    if not rows:
        raise errors.wrong_state(
            f"{mus_id} nie ma harmonogramów: przed aktywacją utwórz harmonogramy "
            "(zapiszHarmonogram) i opublikuj wolne terminy (zapiszSloty)."
        )
    required = add_months(today, HORIZON_MONTHS)
    short = []
    for row in rows:
        name = f"{make_id('HRM', row['num'])} ({row['identyfikator_lokalny']})"
        if row["zasieg"] is None:
            short.append(f"{name}: brak wolnych terminów")
        elif local_date(row["zasieg"]) < required:
            short.append(f"{name}: wolne terminy do {local_date(row['zasieg']).isoformat()}")
    if short:
        raise CerError(
            errors.BUSINESS,
            errors.HORIZON,
            f"Aktywacja odrzucona: wolne terminy muszą sięgać co najmniej 3 miesiące naprzód, "
            f"do {required.isoformat()}. " + "; ".join(short) + ".",
        )
    stamp = to_db(now)
    conn.execute(
        "UPDATE mus SET stan = 'AKTYWNE', aktywowano = ?, zmieniono = ? WHERE num = ?",
        (stamp, stamp, place["num"]),
    )
    return "AKTYWNE"


def place_stage(conn: sqlite3.Connection, mus_num: int) -> str:
    """Where the MUŚ is in its life cycle (for the control API's state)."""
    row = conn.execute("SELECT stan, zasilenie_inicjalne FROM mus WHERE num = ?",
                       (mus_num,)).fetchone()
    if row["stan"] == "AKTYWNE":
        return "active"
    has_slots = conn.execute(
        "SELECT 1 FROM slot s JOIN harmonogram h ON h.num = s.harmonogram_num "
        "WHERE h.mus_num = ? AND s.usuniety = 0 AND s.identyfikator_lokalny IS NOT NULL LIMIT 1",
        (mus_num,),
    ).fetchone()
    if has_slots:
        return "slots"
    if row["zasilenie_inicjalne"]:
        return "initial_load"
    has_schedules = conn.execute(
        "SELECT 1 FROM harmonogram WHERE mus_num = ? LIMIT 1", (mus_num,)
    ).fetchone()
    return "schedules" if has_schedules else "registered"
