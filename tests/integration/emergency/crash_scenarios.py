"""Start states for the crash-point tests: a data folder and a CeR simulator with work waiting.

Each builder gets a running simulator (``Built.server``, onboarded over raw SOAP) and a data
folder set up for the real ``recepcja`` command (settings with the provider the simulator
knows, the practice mirrored with CeR's ids), and leaves work for the command the test runs
and kills: queued bookings, cancellations and changes, CeR's notifications, drift for
reconciliation. The tests copy the stopped state and run it twice - once killed at a named
point and restarted, once without a kill - and compare the end states (``snapshot``).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import soap_raw
from emergency_support import add_patient, gateway, mirror_practice, pesels

from recepcja.config.paths import AppPaths
from recepcja.config.settings import save_settings
from recepcja.domain.entities import SlotSpec
from recepcja.domain.model import Urgency
from recepcja.services import booking
from recepcja.services.context import AppContext
from recepcja.simulator.server import SimulatorServer
from recepcja.store import Repositories
from recepcja.sync.notifications import NotificationApplier
from recepcja.sync.pull import pull_notifications
from recepcja.sync.replay import Replayer
from support import sim_control

PORTAL_PESELS = pesels(8, start=700)
WAITING_LIST_KEYS = ("id", "entry_uid", "pesel", "urgency", "position")


@dataclass
class Built:
    """A scenario being set up: the simulator, the desk's store, the terms it uses."""

    server: SimulatorServer
    repos: Repositories
    place: soap_raw.OnboardedPlace
    terms: list[tuple[int, str]] = field(default_factory=list)  # (local id, CeR id), in order
    extra: dict[str, str] = field(default_factory=dict)  # for the command (extra.json)

    @property
    def soap_url(self) -> str:
        return self.server.url + "/cer"

    def portal(self, index: int, pesel_index: int) -> dict[str, Any]:
        """A portal patient books term ``index`` in CeR (the desk does not know yet)."""
        return sim_control.control(self.server.url, "POST", "portal-booking", {
            "slot": self.terms[index][1], "pesel": PORTAL_PESELS[pesel_index]})["visit"]

    def book(self, patient: int, index: int, urgency: Urgency = Urgency.STABLE) -> int:
        result = booking.book(self.repos, patient, self.terms[index][0], urgency, user="ania",
                              emergency=True)
        return int(result.visit.id)

    def sync(self) -> None:
        with gateway(self.soap_url) as gw:
            report = Replayer(self.repos, gw).run()
        assert report.stopped_by is None and not self.repos.outbox.count_pending(), report

    def only_these_terms_are_free(self) -> None:
        """Every other term of the practice is blocked locally: a small, known world."""
        keep = ",".join(str(local) for local, _ in self.terms)
        self.repos.db.conn.execute(f"UPDATE slots SET state = 'blocked' WHERE id NOT IN ({keep})")


def build(root: Path, scenario: Callable[[Built], None], terms: int = 10,
          scope: str = soap_raw.CARDIOLOGY) -> None:
    """Set up ``root``/sim and ``root``/home with ``scenario``'s work waiting, then stop.
    ``scope``: the scope code in CeR and here (``cardiology``: its first-visit rule checked)."""
    server = SimulatorServer(root / "sim", validate_responses=True)
    server.start()
    try:
        place = soap_raw.onboard(server.url + "/cer", scope=scope)
        ctx = AppContext.load(AppPaths(root / "home"))
        ctx.settings.provider.oid_extension = soap_raw.DEFAULT_CONTEXT["idPodmiotuOidExt"]
        save_settings(ctx.paths.settings, ctx.settings)
        repos = Repositories.open(ctx.paths.database)
        try:
            mirror_practice(repos, place, scope)
            built = Built(server, repos, place)
            for cer_id in place.slot_ids()[:terms]:
                slot = repos.slots.by_cer_id(cer_id)
                assert slot is not None and slot.id is not None
                built.terms.append((slot.id, cer_id))
            scenario(built)
            (root / "terms.json").write_text(json.dumps(built.terms), encoding="utf-8")
            (root / "extra.json").write_text(json.dumps(built.extra), encoding="utf-8")
        finally:
            repos.close()
    finally:
        server.stop()


def patients(built: Built, count: int) -> list[int]:
    return [add_patient(built.repos, pesel, index)
            for index, pesel in enumerate(pesels(count, start=100))]


# --- the scenarios ------------------------------------------------------------------------


def replay_bookings(built: Built) -> None:
    """Queued bookings on the ten terms left free: A (term 0) and D (4) keep theirs, B (1) and C
    (3) lost theirs to portal patients, who also took 2, 6, 7, 8 and 9 - C (urgent) gets the
    one term CeR still has free (5, a move), B ends on the central waiting list - and G, put on
    the waiting list by the desk before its booking was sent (the booking row is skipped, the
    waiting-list row places G)."""
    built.only_these_terms_are_free()
    a, b, c, d, g = patients(built, 5)
    built.book(a, 0)
    built.book(b, 1)
    built.book(c, 3, Urgency.URGENT)
    built.book(d, 4)
    waiting = built.book(g, 6)
    built.repos.visits.to_waiting_list(waiting, "ania")
    for pesel_index, index in enumerate((1, 2, 3, 6, 7, 8, 9)):
        built.portal(index, pesel_index)


def replay_changes(built: Built) -> None:
    """Confirmed visits changed at the desk: E cancelled, F moved, H moved to a term a portal
    patient took in CeR meanwhile (CeR refuses: H goes back where CeR has it); K moved likewise
    to a taken term, and its old term given to a new booking L at once - K goes back there at
    the end of the pass, once L has been moved to the nearest term CeR has free."""
    built.only_these_terms_are_free()
    e, f, h, k, booked = patients(built, 5)
    visits = [built.book(e, 0), built.book(f, 1), built.book(h, 2), built.book(k, 5)]
    built.sync()
    booking.cancel(built.repos, visits[0], "rezygnacja", user="ania")
    booking.reschedule(built.repos, visits[1], built.terms[3][0], user="ania")
    booking.reschedule(built.repos, visits[2], built.terms[4][0], user="ania")
    booking.reschedule(built.repos, visits[3], built.terms[6][0], user="ania")
    built.book(booked, 5)
    built.portal(4, 0)
    built.portal(6, 1)


def replay_waiting_list(built: Built) -> None:
    """The desk puts G on the central waiting list before its booking ever reached CeR."""
    built.only_these_terms_are_free()
    [g] = patients(built, 1)
    built.repos.visits.to_waiting_list(built.book(g, 0), "ania")


def desk_booking(built: Built) -> None:
    """Nothing queued: the test books with ``recepcja book`` (a patient, a free term)."""
    patients(built, 1)


def referral_booking(built: Built) -> None:
    """A first visit booked in emergency mode on an e-referral the patient brought (issued in
    the simulator's P1 service): the sync books it in CeR, then takes the referral into
    realisation in P1."""
    (patient,) = patients(built, 1)
    pesel = pesels(1, start=100)[0]
    answer = sim_control.control(built.server.url, "POST", "referrals", {"pesel": pesel})
    booking.book(built.repos, patient, built.terms[0][0], Urgency.STABLE, user="ania",
                 emergency=True, referral_key=answer["key"])


def referral_desk(built: Built) -> None:
    """Nothing queued: the test books with ``recepcja book --referral KEY`` (a patient, a free
    term, the e-referral the patient brought: its key in referral.json)."""
    (_patient,) = patients(built, 1)
    answer = sim_control.control(built.server.url, "POST", "referrals",
                                 {"pesel": pesels(1, start=100)[0]})
    built.extra["referral"] = answer["key"]


def notifications(built: Built) -> None:
    """CeR's notifications waiting to be pulled: two portal bookings of new patients and the
    portal cancellation of a visit the desk booked."""
    [patient] = patients(built, 1)
    visit_id = built.book(patient, 0)
    built.sync()
    cer_id = built.repos.visits.get(visit_id).cer_id
    sim_control.control(built.server.url, "POST", "portal-cancel", {"visit": cer_id})
    built.portal(1, 0)
    built.portal(2, 1)


def reconcile_drift(built: Built) -> None:
    """Every repair reconciliation makes, once each (terms in time order):
    0 booked here without a visit; 2 a visit CeR never notified; 3 a desk visit CeR
    holds, still pending here; 4 a desk visit CeR moved to 5; 6 a portal visit stored here for
    the wrong patient; 7 a desk visit CeR never received; and a term CeR holds that is not
    here (22:00 on the first day)."""
    repos = built.repos
    people = patients(built, 5)
    # 6: a portal visit, applied here, then (a bug, a hand edit) on the wrong patient.
    built.portal(6, 0)
    with gateway(built.soap_url) as gw:
        pull_notifications(gw, repos)
        NotificationApplier(repos, gw).apply_pending()
    portal_visit = repos.visits.live_for_slot(built.terms[6][0])
    assert portal_visit is not None
    repos.db.conn.execute("UPDATE visits SET patient_id = ? WHERE id = ?",
                          (people[0], portal_visit.id))
    # 4: confirmed here, then moved in CeR behind the desk's back.
    moved = built.book(people[1], 4)
    built.sync()
    # 3 and 7: desk bookings whose rows ended (rejected by hand); CeR holds 3, not 7.
    pending = built.book(people[2], 3)
    lost = built.book(people[3], 7)
    with gateway(built.soap_url) as gw:
        visit = repos.visits.get(pending)
        gw.book(built.terms[3][1], visit.visit_uid, repos.patients.get(visit.patient_id),
                Urgency.STABLE)
        gw.change_term(repos.visits.get(moved).cer_id, built.terms[5][1], "zmiana")
        first = built.place.slots[built.place.schedule_ids[0]][0][1]
        evening = dt.datetime.combine(first.date(), dt.time(22, 0), first.tzinfo)
        [extra] = gw.save_slots(built.place.schedule_ids[0], [
            ("extra-1", SlotSpec(evening, evening + dt.timedelta(minutes=15)))])
        assert extra.accepted
    repos.db.conn.execute("UPDATE outbox SET state = 'rejected' WHERE visit_id IN (?, ?)",
                          (pending, lost))
    # 0: a term booked here with no visit on it; 2: a portal booking never pulled.
    repos.db.conn.execute("UPDATE slots SET state = 'booked' WHERE id = ?",
                          (built.terms[0][0],))
    sim_control.control(built.server.url, "POST", "force-bookings",
                        {"slot": built.terms[2][1], "count": 1, "notify": False})


# --- the end state ------------------------------------------------------------------------


def snapshot(home: Path, sim_url: str) -> dict[str, Any]:
    """What must be the same after a kill, a restart and one sync as after a run without a kill:
    the local schedule (visits, terms, patients, outbox rows and what became of them, whether
    each notification was applied), CeR's (its visits with their versions, the waiting list) and
    P1's e-referrals (status, holder, visit date, every operation that changed them).
    Times, attempt counters and log texts are left out."""
    conn = sqlite3.connect(home / "recepcja.sqlite")
    try:
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        visits = conn.execute(
            "SELECT v.visit_uid, p.pesel, s.cer_id, v.state, v.cer_id, v.cer_version, v.source "
            "FROM visits AS v JOIN patients AS p ON p.id = v.patient_id "
            "LEFT JOIN slots AS s ON s.id = v.slot_id ORDER BY v.id").fetchall()
        slots = conn.execute("SELECT cer_id, start_utc, state FROM slots "
                             "ORDER BY schedule_id, start_utc").fetchall()
        outbox = conn.execute(
            "SELECT o.op, v.visit_uid, o.state, json_extract(o.result, '$.outcome'), "
            "json_extract(o.result, '$.cer_id'), json_extract(o.result, '$.slot_cer_id'), "
            "json_extract(o.result, '$.waiting_list_id'), "
            "json_extract(o.result, '$.original_slot_id') FROM outbox AS o "
            "LEFT JOIN visits AS v ON v.id = o.visit_id ORDER BY o.id").fetchall()
        people = conn.execute("SELECT pesel, first_name, last_name FROM patients "
                              "ORDER BY pesel").fetchall()
        notified = conn.execute("SELECT cer_notification_id, applied_at IS NOT NULL "
                                "FROM notifications ORDER BY cer_notification_id").fetchall()
        # Our own visit identifiers are random: name them by the order they were stored.
        names = {uid: f"visit-{number}" for number, uid in conn.execute(
            "SELECT id, visit_uid FROM visits WHERE visit_uid LIKE 'REC-%'")}
    finally:
        conn.close()
    cer = sim_control.state(sim_url, sections="visits,waiting_list,referrals")
    # CeR numbers visits and waiting-list entries in the order the calls arrive; with several
    # calls in flight (sync.in_flight) that order is not fixed: ours are named by our own id.
    for item, uid in ([(v, v["visit_uid"]) for v in cer["visits"]]
                      + [(e, e.get("entry_uid")) for e in cer["waiting_list"]]):
        if uid in names:
            names[item["id"]] = f"cer-{names[uid]}"

    def named(row: Any) -> list[Any]:
        return [names.get(value, value) if isinstance(value, str) else value for value in row]

    return {
        "integrity": integrity,
        "visits": [named(row) for row in visits],
        "slots": [list(row) for row in slots],
        "outbox": [named(row) for row in outbox],
        "patients": [list(row) for row in people],
        "notifications": [list(row) for row in notified],
        "cer_visits": sorted(
            named([v["id"], v["visit_uid"], v["slot"], v["state"], v["version"], v["pesel"]])
            for v in cer["visits"]),
        "p1_referrals": [[r["key"], r["status"], r["holder"], r["visit_date"],
                          [step["operation"] for step in r["history"]]]
                         for r in cer.get("referrals", [])],
        "cer_waiting_list": sorted(
            json.dumps(named_entry, sort_keys=True) for named_entry in (
                {key: names.get(entry.get(key), entry.get(key)) for key in WAITING_LIST_KEYS}
                for entry in cer["waiting_list"])),
    }
