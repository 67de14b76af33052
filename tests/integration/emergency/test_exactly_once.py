"""Exactly once against the simulator (issue 12): a booking left ``sent`` by an older version
is finished and the cancellation behind it follows; only one process sends a data folder's
outbox, and rows are taken over only from a sender that is gone; a patient whose term was taken
goes to the waiting list only when CeR has no allowed term left."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import soap_raw
from emergency_support import add_patient, cer_visits, gateway, mirror_practice, pesels

from recepcja.config.settings import save_settings
from recepcja.domain.model import Urgency, VisitState
from recepcja.services import booking
from recepcja.services.context import AppContext
from recepcja.store import Repositories
from recepcja.store.records import OutboxState
from recepcja.sync.engine import SyncEngine
from recepcja.sync.replay import Replayer
from support.polling import wait_until


def _free_terms(repos, local, count, days=2):
    start = dt.datetime.now(dt.UTC) + dt.timedelta(days=days)
    return [slot.id for slot in repos.slots.free_from(local.schedule_ids[0], start, count)]


def test_a_booking_left_sent_is_finished_and_the_cancellation_behind_it_reaches_cer(
        repos, local, onboarded_simulator):
    """Before: a kill between ``mark_sent`` and ``mark_done`` left the row ``sent`` for ever -
    ``sync --once`` exited 0, and the desk's later cancellation waited behind it, so the patient
    stayed booked in CeR."""
    sim = onboarded_simulator
    patient = add_patient(repos, pesels(1, start=30)[0], 30)
    [slot_id] = _free_terms(repos, local, 1)
    result = booking.book(repos, patient, slot_id, Urgency.STABLE, user="ania", emergency=True)
    with gateway(sim.soap_url) as gw:  # the earlier process got it into CeR ...
        gw.book(repos.slots.get(slot_id).cer_id, result.visit.visit_uid,
                repos.patients.get(patient), Urgency.STABLE)
    # ... read it back, stored ``sent``, and was killed before applying it.
    repos.db.conn.execute("UPDATE outbox SET state = 'sent' WHERE id = ?", (result.outbox_id,))
    booking.cancel(repos, result.visit.id, "pacjent rezygnuje", user="ania")

    engine = SyncEngine(lambda: repos, lambda: gateway(sim.soap_url))
    report = engine.run_once(repos=repos, gateway=gateway(sim.soap_url))

    book_row, cancel_row = repos.outbox.for_visit(result.visit.id)
    assert (book_row.state, cancel_row.state) == (OutboxState.DONE, OutboxState.DONE)
    assert repos.outbox.count_pending() == 0
    assert report.stopped_by is None and report.recovered == 1
    [mine] = [v for v in cer_visits(sim) if v["visit_uid"] == result.visit.visit_uid]
    assert mine["state"] == "ANULOWANA"
    visit = repos.visits.get(result.visit.id)
    assert visit.state == VisitState.CANCELLED and visit.cer_id == mine["id"]


def test_the_waiting_list_only_when_cer_has_no_allowed_term_left(repos, local,
                                                                  onboarded_simulator):
    """Portal patients took the patient's term and the 39 nearest ones (the desk does not know
    yet). Before: after 20 taken alternatives the urgent patient went to the central waiting
    list with hundreds of free terms left. Now the replay reads CeR's free terms and books the
    nearest one CeR really has free."""
    sim = onboarded_simulator
    patient = add_patient(repos, pesels(1, start=40)[0], 40)
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    nearest = repos.slots.free_for_scope(soap_raw.CARDIOLOGY, soon, 41)
    taken, first_free = nearest[:40], nearest[40]
    result = booking.book(repos, patient, taken[5].id, Urgency.URGENT, user="ania",
                          emergency=True)
    for index, slot in enumerate(taken):
        sim.control("POST", "portal-booking", {"slot": slot.cer_id,
                                                "pesel": pesels(1, start=500 + index)[0]})

    with gateway(sim.soap_url) as gw:
        report = Replayer(repos, gw).run()

    assert report.waiting_list == 0 and report.moved == 1, report.outcomes
    visit = repos.visits.get(result.visit.id)
    assert visit.state == VisitState.CONFIRMED and visit.slot_id == first_free.id
    [mine] = [v for v in cer_visits(sim) if v["visit_uid"] == visit.visit_uid]
    assert mine["slot"] == first_free.cer_id
    assert sim.state(sections="waiting_list")["waiting_list"] == []


def test_with_no_term_free_in_cer_the_patient_goes_to_the_waiting_list(repos, local,
                                                                       onboarded_simulator):
    """The other side of the rule: every allowed term is taken in CeR - the waiting list."""
    sim = onboarded_simulator
    patient = add_patient(repos, pesels(1, start=45)[0], 45)
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    nearest = repos.slots.free_for_scope(soap_raw.CARDIOLOGY, soon, 12)
    result = booking.book(repos, patient, nearest[0].id, Urgency.STABLE, user="ania",
                          emergency=True)
    keep = ",".join(str(slot.id) for slot in nearest)
    repos.db.conn.execute(f"UPDATE slots SET state = 'blocked' WHERE id NOT IN ({keep})")
    for index, slot in enumerate(nearest):
        sim.control("POST", "portal-booking", {"slot": slot.cer_id,
                                                "pesel": pesels(1, start=600 + index)[0]})
    with gateway(sim.soap_url) as gw:
        report = Replayer(repos, gw).run()
    assert report.waiting_list == 1
    assert repos.visits.get(result.visit.id).state == VisitState.WAITING_LIST
    [entry] = sim.state(sections="waiting_list")["waiting_list"]
    assert entry["entry_uid"] == result.visit.visit_uid


def test_a_refused_move_goes_back_to_cer_s_term_once_the_desk_s_next_booking_leaves_it(
        repos, local, onboarded_simulator):
    """The desk moved K to a term a portal patient had just taken in CeR, and gave K's old term
    to L at once. CeR refuses K's move (K stays on its old term there) and L's booking (that
    term is K's in CeR): L gets the nearest term CeR has free and K is put back where CeR has
    it - before, K stayed on the portal patient's term here, a difference nobody fixed."""
    sim = onboarded_simulator
    k, booked = (add_patient(repos, pesel, 60 + n)
                 for n, pesel in enumerate(pesels(2, start=60)))
    terms = _free_terms(repos, local, 3)
    first = booking.book(repos, k, terms[0], Urgency.STABLE, user="ania")
    with gateway(sim.soap_url) as gw:
        assert Replayer(repos, gw).run().done == 1
    booking.reschedule(repos, first.visit.id, terms[1], user="ania")
    second = booking.book(repos, booked, terms[0], Urgency.STABLE, user="ania", emergency=True)
    sim.control("POST", "portal-booking", {"slot": repos.slots.get(terms[1]).cer_id,
                                            "pesel": pesels(1, start=650)[0]})

    with gateway(sim.soap_url) as gw:
        report = Replayer(repos, gw).run()

    assert report.rejected == 1 and report.moved == 1 and repos.outbox.count_pending() == 0
    cer = {v["visit_uid"]: v for v in cer_visits(sim) if v["visit_uid"]}
    for result in (first, second):
        visit = repos.visits.get(result.visit.id)
        assert visit.state == VisitState.CONFIRMED
        assert repos.slots.get(visit.slot_id).cer_id == cer[visit.visit_uid]["slot"]
    assert repos.visits.get(first.visit.id).slot_id == terms[0]


# --- one sender per data folder, with real processes ---------------------------------------


@pytest.fixture
def desk_folder(onboarded_simulator):
    """A data folder set up for the ``recepcja`` command, with one booking queued."""
    ctx = AppContext.load()
    ctx.settings.provider.oid_extension = soap_raw.DEFAULT_CONTEXT["idPodmiotuOidExt"]
    save_settings(ctx.paths.settings, ctx.settings)
    desk = Repositories.open(ctx.paths.database)
    try:
        practice = mirror_practice(desk, onboarded_simulator.place)
        patient = add_patient(desk, pesels(1, start=50)[0], 50)
        [slot_id] = _free_terms(desk, practice, 1)
        result = booking.book(desk, patient, slot_id, Urgency.STABLE, user="ania",
                              emergency=True)
    finally:
        desk.close()
    return ctx.paths.root, result


def _recepcja(home: Path, soap_url: str, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "RECEPCJA_HOME": str(home), "RECEPCJA_CER_URL": soap_url,
           "RECEPCJA_LANG": "pl"}
    return subprocess.Popen([sys.executable, "-m", "recepcja", *args], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL)


def _row(home: Path, entry_id: int) -> tuple[str, int]:
    conn = sqlite3.connect(home / "recepcja.sqlite")
    try:
        return conn.execute("SELECT state, attempts FROM outbox WHERE id = ?",
                            (entry_id,)).fetchone()
    finally:
        conn.close()


@pytest.mark.slow
def test_a_second_sender_leaves_the_rows_to_the_first_and_takes_over_once_it_is_gone(
        desk_folder, onboarded_simulator):
    """Before: every ``sync --once`` began by taking over every ``sending`` row, also those a
    live process was sending at that moment - two processes sent the same booking."""
    home, result = desk_folder
    sim = onboarded_simulator
    sim.control("POST", "faults", {"operation": "zarezerwujTermin", "kind": "delay",
                                    "seconds": 15, "count": 1})
    first = _recepcja(home, sim.soap_url, "sync", "--once", "--json")
    try:
        wait_until(lambda: first.poll() is not None  # ended early: fails below, with its output
                   or _row(home, result.outbox_id)[0] == "sending",  # inside the CeR call
                   "the first sender inside the CeR call", timeout=60)
        assert first.poll() is None, first.communicate()
        claimed = _row(home, result.outbox_id)

        second = _recepcja(home, sim.soap_url, "sync", "--once", "--wait", "0", "--json")
        out, err = second.communicate(timeout=60)
        assert second.returncode == 4, (out, err)
        assert f"pid {first.pid}" in err and err.count("\n") == 1, err
        assert json.loads(out)["busy"] and json.loads(out)["done"] == 0
        assert _row(home, result.outbox_id) == claimed  # untouched: still the first's
    finally:
        first.send_signal(signal.SIGKILL)  # the first sender dies mid-call
        first.communicate(timeout=60)

    third = _recepcja(home, sim.soap_url, "sync", "--once", "--json")
    out, err = third.communicate(timeout=90)
    assert third.returncode == 0, err
    report = json.loads(out)
    assert report["recovered"] == 1 and report["pending"] == 0, report
    assert _row(home, result.outbox_id)[0] == "done"
    uids = Counter(v["visit_uid"] for v in cer_visits(sim))
    assert uids[result.visit.visit_uid] == 1
