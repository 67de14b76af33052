"""The practice's CeR client loses its lock connection while a CeR call is in flight and it
still reaches CeR (issue 15). Desk A sends the outbox; CeR holds A's first booking for a
while; meanwhile A's lock connection ends (the server lets the lock go at once - the worst
case). A starts no other CeR call (its lease fences every write); desk B takes over, reads back
what A left in flight and sends it again while A's call is still being processed by CeR. CeR
refuses the second booking under the same visit identifier and A reads it back; A's pass stops
before its next call. Every visit is booked in CeR exactly once, every row is done, and the
local schedule agrees."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from typing import Any

import pytest
from emergency_support import add_patient, cer_visits, gateway, mirror_practice, pesels

from recepcja.domain.model import Urgency
from recepcja.services import booking
from recepcja.store import Repositories
from recepcja.store.sender_lock import SENDER_LOCK_KEY
from recepcja.sync.in_flight import InFlightLimit
from recepcja.sync.practice_owner import PracticeOwnership
from recepcja.sync.replay import Replayer
from support.desks import desk_connection
from support.polling import wait_until


def _counted(cer: Any, calls: list[str]) -> Any:
    book = cer.book

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(args[1])  # the visit's own identifier
        return book(*args, **kwargs)

    cer.book = counting
    return cer


@pytest.mark.slow
def test_an_owner_that_loses_its_lock_mid_call_never_overlaps_the_next(
        pg_database: str, onboarded_simulator: Any) -> None:
    sim = onboarded_simulator
    desk_a = Repositories.over(desk_connection(pg_database, "recepcja-parter")())
    desk_b = Repositories.over(desk_connection(pg_database, "recepcja-pietro")())
    owner_a = PracticeOwnership(desk_connection(pg_database, "recepcja-parter"))
    owner_b = PracticeOwnership(desk_connection(pg_database, "recepcja-pietro"))
    calls_a: list[str] = []
    calls_b: list[str] = []
    try:
        local = mirror_practice(desk_a, sim.place)
        start = dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
        slots = [s.id for s in desk_a.slots.free_from(local.schedule_ids[0], start, 3)]
        uids = [booking.book(desk_a, add_patient(desk_a, pesel, index), slot, Urgency.STABLE,
                             user="ania").visit.visit_uid
                for index, (pesel, slot) in enumerate(zip(pesels(3, start=700), slots,
                                                          strict=True))]
        # CeR takes 4 s over the first booking it receives: A's call is in flight meanwhile.
        sim.control("POST", "faults", {"operation": "zarezerwujTermin", "kind": "delay",
                                        "seconds": 4, "count": 1})
        assert owner_a.ensure() and not owner_b.ensure()
        sender_a = Replayer(desk_a, _counted(gateway(sim.soap_url, read_timeout=15), calls_a),
                            sender_lock=owner_a.sender_lock(), in_flight=InFlightLimit(1))
        reports: list[Any] = []
        thread = threading.Thread(target=lambda: reports.append(sender_a.run()))
        thread.start()
        wait_until(lambda: calls_a, "desk A's first CeR call")

        # A's lock connection ends (A still reaches CeR); its keeper notices.
        desk_b.db.conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' "
            "AND granted AND objid::bigint = ?", (SENDER_LOCK_KEY & 0xFFFF_FFFF,))
        wait_until(lambda: not owner_a.held, "desk A giving up its lease", timeout=15)
        assert owner_b.ensure()
        sender_b = Replayer(desk_b, _counted(gateway(sim.soap_url), calls_b),
                            sender_lock=owner_b.sender_lock(), in_flight=InFlightLimit(1))
        # While A's call is still with CeR: B reads A's rows back (CeR has none of them yet)
        # and books the first again - A's own booking of it is still being processed.
        first = sender_b.run(max_entries=1)
        assert first.recovered == 3 and calls_b == uids[:1]
        thread.join(30)
        assert not thread.is_alive()
        # CeR refused A's booking as a second one under the same identifier; A read it back,
        # then stopped before its next CeR call: its lease had lapsed.
        assert reports[0].stopped_by and calls_a == uids[:1]
        sender_b.run()  # the rest, by the practice's CeR client
        assert calls_b == uids

        states = desk_b.db.conn.execute("SELECT state FROM outbox").fetchall()
        assert [row[0] for row in states] == ["done"] * 3
        in_cer = Counter(v["visit_uid"] for v in cer_visits(sim) if v["state"] != "ANULOWANA")
        assert in_cer == Counter(uids)  # each visit booked in CeR exactly once
        confirmed = desk_b.db.conn.execute(
            "SELECT count(*) FROM visits WHERE cer_id IS NOT NULL").fetchone()[0]
        assert confirmed == 3
    finally:
        owner_a.release()
        owner_b.release()
        desk_a.close()
        desk_b.close()
