"""Twenty concurrent clients booking different and the same slots: no corruption."""

from __future__ import annotations

import sqlite3
import threading
from collections import Counter

import requests
import soap_raw

from recepcja.simulator.db import DB_FILE

CLIENTS = 20
OWN_BOOKINGS = 4
CONTESTED_ROUNDS = 3


def test_twenty_concurrent_clients(onboarded_simulator):
    sim = onboarded_simulator
    slots = sim.place.slot_ids(sim.place.schedule_ids[0]) + sim.place.slot_ids(
        sim.place.schedule_ids[1])
    contested = slots[:CONTESTED_ROUNDS]
    own = slots[CONTESTED_ROUNDS:CONTESTED_ROUNDS + CLIENTS * OWN_BOOKINGS]
    barrier = threading.Barrier(CLIENTS)
    results: list[tuple[str, str, str | None, str | None]] = []  # (kind, slot, visit, minor)
    errors: list[BaseException] = []
    lock = threading.Lock()

    def client(index: int) -> None:
        try:
            session = requests.Session()
            barrier.wait(timeout=10)
            plan = [("contested", slot_id) for slot_id in contested]
            plan += [("own", own[index * OWN_BOOKINGS + n]) for n in range(OWN_BOOKINGS)]
            for number, (kind, slot_id) in enumerate(plan):
                answer = soap_raw.parse_answer(soap_raw.post(
                    sim.soap_url,
                    soap_raw.envelope(soap_raw.book(slot_id, f"c{index}-{number}")),
                    session=session, timeout=30))
                visit = answer.text("wizyta/idWizyty") if answer.ok else None
                with lock:
                    results.append((kind, slot_id, visit, answer.minor))
                if number == 1:  # interleave a read-back with the writes
                    read = soap_raw.parse_answer(soap_raw.post(sim.soap_url, soap_raw.envelope(
                        f"<cer:pobierzSloty><cer:idHarmonogramu>{sim.place.schedule_ids[0]}"
                        "</cer:idHarmonogramu><cer:od>2000-01-01T00:00:00Z</cer:od>"
                        "<cer:do>2100-01-01T00:00:00Z</cer:do></cer:pobierzSloty>"),
                        session=session, timeout=30))
                    assert read.ok
        except BaseException as error:  # reported by the main thread
            with lock:
                errors.append(error)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors[:3]
    assert len(results) == CLIENTS * (OWN_BOOKINGS + CONTESTED_ROUNDS)

    own_results = [r for r in results if r[0] == "own"]
    assert all(visit for _, _, visit, _ in own_results), [r for r in own_results if not r[2]][:3]
    for slot_id in contested:
        outcomes = Counter("ok" if visit else minor
                           for kind, slot, visit, minor in results if slot == slot_id)
        assert outcomes == {"ok": 1, "TerminZajety": CLIENTS - 1}, outcomes

    state = sim.state(sections="slots,visits")
    visits = {visit["id"]: visit for visit in state["visits"]}
    successful = {visit for _, _, visit, _ in results if visit}
    assert successful == set(visits)  # every success is there, nothing else is
    per_slot = Counter(visit["slot"] for visit in visits.values()
                       if visit["state"] == "ZAREZERWOWANA")
    assert max(per_slot.values()) == 1
    assert all(slot["live_visits"] <= 1 for slot in state["slots"])
    assert sim.control("GET", "health")["integrity_check"] == "ok"
    with sqlite3.connect(sim.data_dir / DB_FILE) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
