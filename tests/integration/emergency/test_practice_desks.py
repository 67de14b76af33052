"""Several desks, one practice database (issue 15): three desks - three data folders, one
PostgreSQL practice database, one CeR simulator over loopback HTTP - book, cancel and reschedule
at once while each runs ``recepcja sync`` as a real process. Exactly one of them is the
practice's CeR client; it is killed -9 in the middle of sending, another desk takes over, and in
the end no term is booked twice and every visit is in CeR exactly once."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import soap_raw
from emergency_support import add_patient, cer_visits, mirror_practice, pesels

from recepcja.config.paths import AppPaths
from recepcja.config.settings import save_settings
from recepcja.domain.errors import ConflictError
from recepcja.domain.model import Urgency, VisitState
from recepcja.services import booking
from recepcja.services.context import AppContext
from recepcja.store import Repositories
from recepcja.store.sender_lock import lock_owner

DESKS = ("recepcja-parter", "recepcja-pietro", "gabinet-3")


def _desk(root: Path, name: str, url: str) -> AppContext:
    ctx = AppContext.load(AppPaths(root / name))
    ctx.settings.provider.oid_extension = soap_raw.DEFAULT_CONTEXT["idPodmiotuOidExt"]
    ctx.settings.workstation.name = name
    save_settings(ctx.paths.settings, ctx.settings)
    ctx.settings.database.url = url  # in the environment for the processes (a password in it)
    return ctx


def _sync_process(ctx: AppContext, soap_url: str) -> subprocess.Popen[str]:
    env = {**os.environ, "RECEPCJA_HOME": str(ctx.paths.root), "RECEPCJA_CER_URL": soap_url,
           "RECEPCJA_LANG": "pl"}
    env["RECEPCJA_DATABASE_URL"] = ctx.settings.database.url
    log = (ctx.paths.root / "sync.log").open("w")
    return subprocess.Popen([sys.executable, "-m", "recepcja", "sync"], env=env, text=True,
                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def _wait(condition, what: str, timeout: float = 90.0, step: float = 0.1, logs=()):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"timed out waiting for {what}")


def _work(ctx: AppContext, slots: list[int], patients: list[int], seed: int,
          done: list[tuple[str, int]]) -> None:
    """One desk's morning: bookings into terms the other desks want too, then a cancellation
    and a move of some of its own visits (each on the desk's own connection)."""
    rng = random.Random(seed)
    with Repositories.over(ctx.open_db()) as repos:
        mine = []
        for patient in patients:
            for slot in rng.sample(slots, len(slots)):
                try:
                    result = booking.book(repos, patient, slot, Urgency.STABLE, user=ctx.user)
                except ConflictError:
                    done.append(("conflict", slot))
                    continue
                mine.append(result.visit.id)
                done.append(("booked", slot))
                break
        for visit_id in mine[:1]:
            booking.cancel(repos, visit_id, "pacjent rezygnuje", user=ctx.user)
        for visit_id in mine[1:2]:
            for slot in rng.sample(slots, len(slots)):
                try:
                    booking.reschedule(repos, visit_id, slot, user=ctx.user)
                except ConflictError:
                    continue
                break


@pytest.mark.slow
def test_three_desks_one_cer_client_that_fails_over_without_sending_twice(
        tmp_path, pg_database, onboarded_simulator):
    sim = onboarded_simulator
    desks = [_desk(tmp_path, name, pg_database) for name in DESKS]
    with Repositories.over(desks[0].open_db()) as repos:
        local = mirror_practice(repos, sim.place)
        start = dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
        slots = [s.id for s in repos.slots.free_from(local.schedule_ids[0], start, 12)]
        patients = [add_patient(repos, pesel, index)
                    for index, pesel in enumerate(pesels(9, start=900))]
    # The first booking CeR receives takes 6 s: the owner is killed inside that call.
    sim.control("POST", "faults", {"operation": "zarezerwujTermin", "kind": "delay",
                                    "seconds": 6, "count": 1})
    processes = {}
    try:
        processes = {p.pid: p for p in (_sync_process(ctx, sim.soap_url) for ctx in desks)}
        with Repositories.over(desks[1].open_db()) as watch:
            first = _wait(lambda: lock_owner(watch.db), "a CeR client", timeout=30)
            assert first["workstation"] in DESKS and first["pid"] in processes
            # The desks work while the owner replays what they queue.
            done: list[tuple[str, int]] = []
            threads = [threading.Thread(target=_work, args=(ctx, slots, patients[i::3], i, done))
                       for i, ctx in enumerate(desks)]
            for thread in threads:
                thread.start()
            _wait(lambda: watch.db.conn.execute(
                "SELECT 1 FROM outbox WHERE state = 'sending'").fetchone(), "a send in flight")
            processes.pop(first["pid"]).send_signal(signal.SIGKILL)  # mid-call
            second = _wait(lambda: (o := lock_owner(watch.db)) and o["pid"] != first["pid"]
                           and o, "another desk taking over", timeout=30)
            assert second["pid"] in processes and second["since"]
            for thread in threads:
                thread.join(120)
            assert Counter(kind for kind, _ in done)["booked"] == 9
            _wait(lambda: watch.outbox.count_pending() == 0, "the outbox sent", timeout=150,
                  step=0.5)
            rows = watch.db.conn.execute(
                "SELECT v.visit_uid, v.state, v.slot_id, s.cer_id FROM visits AS v "
                "JOIN slots AS s ON s.id = v.slot_id").fetchall()
            rejected = watch.db.conn.execute(
                "SELECT count(*) FROM outbox WHERE state <> 'done'").fetchone()[0]
    finally:
        for process in processes.values():
            process.send_signal(signal.SIGTERM)
        for process in processes.values():
            try:
                process.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
    assert rejected == 0
    live = [row for row in rows if row[1] != VisitState.CANCELLED.value]
    assert len({row[2] for row in live}) == len(live) == 6  # no term twice
    in_cer = Counter(v["visit_uid"] for v in cer_visits(sim))
    assert all(count == 1 for count in in_cer.values()), in_cer  # nothing sent twice
    # Every live visit is in CeR; a visit cancelled before it was sent never needed to be.
    assert all(in_cer[uid] == 1 for uid, *_ in live), (in_cer, live)
    booked_in_cer = {v["visit_uid"]: v for v in cer_visits(sim) if v["state"] != "ANULOWANA"}
    assert sorted(booked_in_cer) == sorted(uid for uid, *_ in live)
    # ... each in the term the desks have it in (the moves reached CeR too).
    assert all(booked_in_cer[uid]["slot"] == cer_slot for uid, _s, _id, cer_slot in live)
    assert json.dumps(second)  # the owner as status --json names it
