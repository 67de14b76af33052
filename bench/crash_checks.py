"""What ``crash_emergency.py`` checks after every kill and at the end.

Each finding is ``(kind, text)`` with kind ``lost`` (the desk was told it is saved, the store or
CeR does not have it), ``duplicated`` (twice in CeR, two live visits on one term), ``stuck`` (a
row that neither finished nor will progress by itself), ``integrity`` (SQLite or the simulator's
integrity check) or ``drift`` (the local store and CeR tell different stories at the end).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import requests

from recepcja.store import Repositories
from recepcja.store.db import fetch_all
from recepcja.store.outbox import book_key

Finding = tuple[str, str]
LIVE = ("pending", "confirmed")
CER_CANCELLED = "ANULOWANA"


def journal(path: Path) -> list[dict[str, Any]]:
    """The desk worker's journal: one JSON line per change AFTER the store said it is saved
    (a torn last line - the kill landed mid-write - is not a promise and is skipped)."""
    if not path.exists():
        return []
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:
            continue
    return records


def cer_state(sim_url: str) -> dict[str, Any]:
    return requests.get(f"{sim_url}/_control/state?sections=visits,waiting_list",
                        timeout=60).json()


def after_kill(db_path: Path, journal_path: Path, sim_url: str) -> list[Finding]:
    """Nothing promised is lost, nothing is twice anywhere, both databases are intact."""
    findings: list[Finding] = []
    repos = Repositories.open(db_path)
    try:
        integrity = repos.db.conn.execute("PRAGMA integrity_check").fetchone()[0]
        if integrity != "ok":
            findings.append(("integrity", f"integrity_check: {integrity}"))
        latest: dict[str, dict[str, Any]] = {}
        for record in journal(journal_path):
            latest[record["uid"]] = record
        for uid, record in latest.items():
            visit = repos.visits.by_uid(uid)
            if visit is None:
                findings.append(("lost", f"{uid}: journaled {record['op']}, not stored"))
                continue
            books = [e for e in repos.outbox.for_visit(visit.id)
                     if e.idempotency_key == book_key(uid)]
            if len(books) != 1:
                findings.append(("duplicated", f"{uid}: {len(books)} booking rows"))
            if record["op"] == "cancel" and str(visit.state) != "cancelled":
                findings.append(("lost", f"{uid}: cancelled at the desk, {visit.state} here"))
        double = fetch_all(repos.db, "SELECT slot_id, COUNT(*) AS n FROM visits WHERE state IN "
                                     "('pending', 'confirmed') AND slot_id IS NOT NULL "
                                     "GROUP BY slot_id HAVING n > 1")
        if double:
            findings.append(("duplicated", f"two live visits on a local term: {double[:3]}"))
        wrong = fetch_all(repos.db, "SELECT s.id, s.state, s.cer_id FROM slots AS s "
                                    "WHERE s.state <> 'blocked' AND (s.state = 'booked') <> "
                                    "EXISTS (SELECT 1 FROM visits AS v WHERE v.slot_id = s.id "
                                    "AND v.state IN ('pending', 'confirmed'))")
        if wrong:  # a term CeR gave to somebody else is taken here too (sync.lost_terms)
            lost = {row["slot"] for row in fetch_all(
                repos.db, "SELECT json_extract(result, '$.original_slot_id') AS slot FROM "
                          "outbox WHERE state = 'done' AND json_extract(result, '$.outcome') "
                          "IN ('moved', 'waiting_list')")}
            wrong = [{"id": row["id"]} for row in wrong
                     if not (row["state"] == "booked" and row["id"] in lost)]
        if wrong:
            findings.append(("integrity", f"term state disagrees with its visits: {wrong[:3]}"))
    finally:
        repos.close()
    state = cer_state(sim_url)
    ours = Counter(v["visit_uid"] for v in state["visits"] if v["visit_uid"])
    twice = [uid for uid, count in ours.items() if count > 1]
    if twice:
        findings.append(("duplicated", f"booked twice in CeR: {twice[:3]}"))
    live = Counter(v["slot"] for v in state["visits"] if v["state"] != CER_CANCELLED)
    if live and max(live.values()) > 1:
        findings.append(("duplicated", "a CeR term holds two live visits"))
    waiting = Counter(w["entry_uid"] for w in state["waiting_list"])
    if waiting and max(waiting.values()) > 1:
        findings.append(("duplicated", "a patient is twice on the central waiting list"))
    health = requests.get(f"{sim_url}/_control/health", timeout=60).json()
    if health.get("integrity_check") != "ok":
        findings.append(("integrity", f"simulator: {health.get('integrity_check')}"))
    return findings


def at_the_end(db_path: Path, journal_path: Path, sim_url: str,
               for_a_person: set[str]) -> tuple[list[Finding], dict[str, Any]]:
    """After a clean sync: nothing is left unfinished, and every visit of ours is in CeR as it
    is here - confirmed on the same term with CeR's id, cancelled in both, or on the central
    waiting list - and every visit CeR holds is here on the same term. A difference the final
    reconciliation lists for a person (``for_a_person``: visit ids and CeR terms; e.g. two
    patients the desk moved onto each other's terms while CeR refused one move) is shown, not
    silent: it is counted as ``shown``, not as drift."""
    findings = after_kill(db_path, journal_path, sim_url)
    shown: list[str] = []
    state = cer_state(sim_url)
    by_uid = {v["visit_uid"]: v for v in state["visits"] if v["visit_uid"]}
    by_id = {v["id"]: v for v in state["visits"]}
    waiting = {w["entry_uid"] for w in state["waiting_list"]}
    repos = Repositories.open(db_path)
    try:
        counts = repos.outbox.counts()
        open_rows = {state: n for state, n in counts.items() if state not in ("done", "rejected")}
        if open_rows:
            findings.append(("stuck", f"outbox rows not finished: {open_rows}"))
        outcomes = Counter(row["outcome"] for row in fetch_all(
            repos.db, "SELECT json_extract(result, '$.outcome') AS outcome FROM outbox "
                      "WHERE state = 'done'"))
        rejected = fetch_all(repos.db, "SELECT op, last_error FROM outbox "
                                       "WHERE state = 'rejected'")
        for row in rejected:
            if row["op"] == "book":  # the desk was told "queued": a refused booking is lost
                findings.append(("lost", f"a booking rejected: {row['last_error']}"))
        visits = fetch_all(repos.db, "SELECT v.visit_uid, v.state, v.cer_id, v.source, "
                                     "s.cer_id AS slot FROM visits AS v LEFT JOIN slots AS s "
                                     "ON s.id = v.slot_id")
        for visit in visits:
            for kind, text in _agrees(visit, by_uid, by_id, waiting):
                if kind == "drift" and {visit["visit_uid"], visit["slot"]} & for_a_person:
                    shown.append(text)
                else:
                    findings.append((kind, text))
        here = {v["cer_id"]: v for v in visits if v["cer_id"]}
        for cer in state["visits"]:
            if cer["state"] == CER_CANCELLED:
                continue
            mine = here.get(cer["id"])
            if mine is None or mine["state"] not in LIVE or mine["slot"] != cer["slot"]:
                text = (f"CeR's {cer['id']} on {cer['slot']} is not here "
                        f"({mine['state'] if mine else 'missing'})")
                if cer["slot"] in for_a_person or cer["visit_uid"] in for_a_person:
                    shown.append(text)
                else:
                    findings.append(("drift", text))
    finally:
        repos.close()
    return findings, {"outbox": counts, "outcomes": dict(outcomes), "rejected": len(rejected),
                      "visits": len(visits), "cer_visits": len(state["visits"]),
                      "waiting_list": len(state["waiting_list"]), "shown": len(shown),
                      "shown_examples": shown[:5]}


def _agrees(visit: dict[str, Any], by_uid: dict[str, Any], by_id: dict[str, Any],
            waiting: set[str]) -> list[Finding]:
    uid, state = visit["visit_uid"], visit["state"]
    if visit["source"] != "desk":
        return []  # portal visits: checked from CeR's side
    cer = by_id.get(visit["cer_id"]) if visit["cer_id"] else by_uid.get(uid)
    if state == "pending":
        return [("stuck", f"{uid}: still pending")]
    if state == "confirmed":
        if cer is None or cer["visit_uid"] != uid or cer["state"] == CER_CANCELLED:
            return [("lost", f"{uid}: confirmed here, CeR has {cer and cer['state']}")]
        if cer["slot"] != visit["slot"]:
            return [("drift", f"{uid}: here on {visit['slot']}, in CeR on {cer['slot']}")]
    elif state == "cancelled":
        if cer is not None and cer["state"] != CER_CANCELLED:
            return [("drift", f"{uid}: cancelled here, live in CeR")]
    elif state == "waiting_list" and uid not in waiting:
        return [("lost", f"{uid}: on the waiting list here, not in CeR's")]
    return []
