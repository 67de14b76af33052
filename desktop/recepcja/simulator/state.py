"""``GET /_control/state``: everything the simulator holds, as JSON, fast enough for ~20k slots.

Tests compare this view with the practice's own store, so it is read in one snapshot and shows
withdrawn slots and cancelled visits too (with their state), never just the "nice" part. Times are
UTC in storage form (``2026-06-01T06:00:00.000000Z``); IDs are CeR's.

The ``referrals`` section lists P1's e-referrals with their access codes, refusals and history.

Filters (query string): ``schedule=HRM-n`` and ``place=MUS-n`` narrow slots and visits,
``from``/``to`` (ISO) narrow slots and visits by start time, ``sections=slots,visits,...`` picks
sections (default: all).
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from recepcja.simulator import referrals
from recepcja.simulator.clock import parse_iso, to_db
from recepcja.simulator.db import Store, make_id, parse_id
from recepcja.simulator.onboarding import place_stage
from recepcja.simulator.records import LIVE, VISIT_SELECT, visit_record

SECTIONS = ("places", "mobile_points", "schedules", "slots", "visits", "waiting_list",
            "notifications", "central_requests", "referrals")


def read_state(store: Store, query: dict[str, str]) -> dict[str, Any]:
    """The state's sections; ``ValueError`` for a bad filter."""
    wanted = set(query["sections"].split(",")) if query.get("sections") else set(SECTIONS)
    unknown = wanted - set(SECTIONS)
    if unknown:
        raise ValueError(f"unknown sections: {', '.join(sorted(unknown))}")
    where, params = _slot_filter(query)
    result: dict[str, Any] = {}
    with store.read() as conn:
        builders = {
            "places": lambda: _places(conn),
            "mobile_points": lambda: _mobile_points(conn),
            "schedules": lambda: _schedules(conn),
            "slots": lambda: _slots(conn, where, params),
            "visits": lambda: _visits(conn, where, params),
            "waiting_list": lambda: _waiting_list(conn),
            "notifications": lambda: _notifications(conn),
            "central_requests": lambda: _central_requests(conn),
            "referrals": lambda: referrals.all_as_json(conn),
        }
        for section in SECTIONS:
            if section in wanted:
                result[section] = builders[section]()
        acknowledged = store.get_setting(conn, "potwierdzony_kursor")
        result["acknowledged_cursor"] = int(acknowledged) if acknowledged else 0
    return result


def _slot_filter(query: dict[str, str]) -> tuple[str, list[Any]]:
    clauses, params = ["1 = 1"], list[Any]()
    if query.get("schedule"):
        num = parse_id("HRM", query["schedule"])
        if num is None:
            raise ValueError("schedule must be a CeR schedule id (HRM-n)")
        clauses.append("s.harmonogram_num = ?")
        params.append(num)
    if query.get("place"):
        num = parse_id("MUS", query["place"])
        if num is None:
            raise ValueError("place must be a CeR place id (MUS-n)")
        clauses.append("s.harmonogram_num IN (SELECT num FROM harmonogram WHERE mus_num = ?)")
        params.append(num)
    for key, op in (("from", ">="), ("to", "<")):
        if query.get(key):
            clauses.append(f"s.poczatek {op} ?")
            params.append(to_db(parse_iso(query[key])))
    return " AND ".join(clauses), params


def _places(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    return [
        {
            "id": make_id("MUS", row["num"]),
            "rpwdl": {"czescI": row["czesc_i"], "czescV": row["czesc_v"],
                      "czescVII": row["czesc_vii"]},
            "name": row["nazwa"],
            "address": {"street": row["ulica"], "postal_code": row["kod_pocztowy"],
                        "city": row["miejscowosc"]},
            "scopes": json.loads(row["zakresy"]),
            "state": row["stan"],
            "stage": place_stage(conn, row["num"]),
            "initial_load_sent": bool(row["zasilenie_inicjalne"]),
            "provider_oid": [row["oid_root"], row["oid_ext"]],
            "activated": row["aktywowano"],
        }
        for row in conn.execute("SELECT * FROM mus ORDER BY num")
    ]


def _mobile_points(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    return [
        {"id": make_id("PKT", row["num"]), "place": make_id("MUS", row["mus_num"]),
         "local_id": row["identyfikator_lokalny"], "name": row["nazwa"],
         "from": row["data_od"], "to": row["data_do"]}
        for row in conn.execute("SELECT * FROM punkt_mobilny ORDER BY num")
    ]


def _schedules(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    return [
        {"id": make_id("HRM", row["num"]), "place": make_id("MUS", row["mus_num"]),
         "local_id": row["identyfikator_lokalny"], "scope": row["zakres"],
         "resource": {"type": row["zasob_typ"], "name": row["zasob_nazwa"], "npwz": row["npwz"]},
         "mobile_point": make_id("PKT", row["punkt_num"]) if row["punkt_num"] else None,
         "description": row["opis"]}
        for row in conn.execute("SELECT * FROM harmonogram ORDER BY num")
    ]


def _slots(conn: sqlite3.Connection, where: str, params: list[Any]) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT s.num, s.harmonogram_num, s.identyfikator_lokalny, s.poczatek, s.koniec, s.rodzaj,"
        " s.usuniety, (SELECT COUNT(*) FROM wizyta w WHERE w.slot_num = s.num AND w.stan = ?)"
        f" AS zywe FROM slot s WHERE {where} ORDER BY s.harmonogram_num, s.poczatek",
        (LIVE, *params),
    )
    return [
        {
            "id": "SLT-" + str(num), "schedule": "HRM-" + str(schedule), "local_id": local_id,
            "start": start, "end": end, "kind": kind, "deleted": bool(deleted),
            "live_visits": live,
            "state": "deleted" if deleted else ("booked" if live else "free"),
        }
        for num, schedule, local_id, start, end, kind, deleted, live in rows
    ]


def _visits(conn: sqlite3.Connection, where: str, params: list[Any]) -> list[dict[str, Any]]:
    return [
        visit_json(visit_record(row))
        for row in conn.execute(VISIT_SELECT + f" WHERE {where} ORDER BY w.num", params)
    ]


def visit_json(record: dict[str, Any]) -> dict[str, Any]:
    """A visit record (``records.visit_record``) with the control API's English keys."""
    return {
        "id": record["idWizyty"], "visit_uid": record["identyfikatorWizyty"],
        "slot": record["idSlotu"], "schedule": record["idHarmonogramu"],
        "place": record["idMus"], "start": record["poczatek"], "end": record["koniec"],
        "pesel": record["pesel"], "document_type": record["rodzajDokumentu"],
        "document_number": record["numerDokumentu"], "first_name": record["imie"],
        "last_name": record["nazwisko"], "phone": record["telefon"],
        "urgency": record["kategoriaMedyczna"],
        "central_request": record["idZgloszeniaCentralnego"],
        "referral": record["idSkierowania"], "source": record["zrodlo"],
        "state": record["stan"], "version": record["wersja"], "changed": record["zmieniono"],
        "forced": record["wymuszona"],
    }


def _waiting_list(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    rows = conn.execute("SELECT * FROM wpis_oczekujacych ORDER BY num").fetchall()
    ordered = sorted(
        rows,
        key=lambda r: (r["mus_num"], r["zakres"], r["kategoria"] != "PILNY", r["data_odniesienia"],
                       r["num"]),
    )
    positions: dict[int, int] = {}
    group, position = None, 0
    for row in ordered:
        key = (row["mus_num"], row["zakres"])
        position = position + 1 if key == group else 1
        group = key
        positions[row["num"]] = position
    return [
        {"id": make_id("WPIS", row["num"]), "place": make_id("MUS", row["mus_num"]),
         "entry_uid": row["identyfikator_wpisu"], "scope": row["zakres"], "pesel": row["pesel"],
         "document_number": row["numer_dokumentu"], "first_name": row["imie"],
         "last_name": row["nazwisko"], "urgency": row["kategoria"],
         "central_request": row["id_zgloszenia"], "reference_date": row["data_odniesienia"],
         "position": positions[row["num"]], "created": row["utworzono"]}
        for row in rows
    ]


def _notifications(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT kursor, rodzaj, czas, mus_num, wizyta_num, dostarczona, proby, "
        "json_extract(wizyta_json, '$.wersja') AS wersja, "
        "json_extract(wizyta_json, '$.stan') AS stan FROM notyfikacja ORDER BY kursor"
    )
    return [
        {"cursor": row["kursor"], "id": make_id("NOT", row["kursor"]), "kind": row["rodzaj"],
         "time": row["czas"], "place": make_id("MUS", row["mus_num"]),
         "visit": make_id("WIZ", row["wizyta_num"]), "visit_version": row["wersja"],
         "visit_state": row["stan"], "delivered": bool(row["dostarczona"]),
         "attempts": row["proby"]}
        for row in rows
    ]


def _central_requests(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    return [
        {"id": make_id("ZGL", row["num"]), "pesel": row["pesel"], "scope": row["zakres"],
         "urgency": row["kategoria"], "date": row["data"], "status": row["status"]}
        for row in conn.execute("SELECT * FROM zgloszenie ORDER BY num")
    ]
