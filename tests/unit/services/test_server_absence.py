"""The desk switches to its copy by itself when the practice database stops answering (a TCP
proxy the test cuts, in front of the test cluster's PostgreSQL), books into its own queue with
its own local patient IDs, exports that queue, and merges it back once when the server returns."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from openpyxl import load_workbook

from recepcja.config.paths import AppPaths
from recepcja.config.settings import ENV_DATABASE_URL, load_settings
from recepcja.domain.entities import Patient, PatientIdentifier, SlotSpec
from recepcja.domain.model import WARSAW, Attendance
from recepcja.services import booking
from recepcja.services.context import AppContext
from recepcja.services.server_absence import (
    PracticeServerAway,
    ServerAbsence,
    day_warning,
    export_offline_queue,
)
from recepcja.store import Repositories
from recepcja.store.local_copy import CopyInfo
from recepcja.store.records import Place, Provider, Resource, ResourceKind, Schedule
from tcp_proxy import TcpProxy

NOW = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
DAY = dt.date(2026, 3, 2)


def set_up(url: str) -> list[int]:
    with Repositories.open(url) as repos:
        repos.practice.save_provider(Provider("Przychodnia Serce", nip="5260250995"))
        place = repos.practice.add_place(Place("Poradnia", scopes=["cardiology"]))
        doctor = repos.practice.add_resource(Resource(ResourceKind.DOCTOR, "dr Nowak"))
        schedule = repos.schedules.add(Schedule(doctor, place, "cardiology", "Nowak"))
        start = dt.datetime.combine(DAY, dt.time(8), tzinfo=WARSAW)
        step = dt.timedelta(minutes=15)
        repos.slots.add_many(schedule, [SlotSpec(start + i * step, start + (i + 1) * step)
                                        for i in range(4)])
        return [slot.id for slot in repos.slots.for_day(schedule, DAY)]


def desk(home: Path, url: str, monkeypatch: pytest.MonkeyPatch, name: str) -> AppContext:
    monkeypatch.setenv(ENV_DATABASE_URL, url)
    paths = AppPaths(home).ensure()
    paths.settings.write_text(f'[workstation]\nname = "{name}"\n', encoding="utf-8")
    ctx = AppContext(paths=paths, settings=load_settings(paths.settings))
    ctx.server_absence = ServerAbsence.for_context(ctx, clock=lambda: NOW)
    return ctx


def test_the_desk_switches_over_books_offline_and_merges_back(
        tmp_path: Path, pg_database: str, proxy: TcpProxy, monkeypatch: pytest.MonkeyPatch):
    slots = set_up(pg_database)
    ctx = desk(tmp_path / "desk", proxy.url(pg_database), monkeypatch, "Rejestracja 1")
    absence = ctx.server_absence
    assert absence.step().away is False  # connected: the copy is taken
    assert absence.state.copy.refreshed_at == NOW

    proxy.cut()
    state = absence.step()
    assert state.away and state.reason
    with Repositories.over(ctx.open_desk_db()) as repos:
        assert repos.db.engine == "sqlite"
        assert [slot.id for slot in repos.slots.for_day(
            repos.schedules.list()[0].id, DAY)] == slots  # the day, from the copy
        new = repos.patients.add(Patient(PatientIdentifier(pesel="44051401359"), "Jan",
                                         "Offline"), "ania")
        local_id = repos.patients.get(new).local_id
        assert local_id.startswith(f"L-{ctx.workstation.prefix}-")
        booking.book(repos, new, slots[1], "stable", user="ania", now=NOW, referral_id="SK-1")
    # What the merge does not carry is refused in one line, not kept to be lost.
    from recepcja.gui.desk_actions import DeskActions

    with pytest.raises(PracticeServerAway):
        DeskActions(ctx).attendance(1, Attendance.ARRIVED)
    exported = export_offline_queue(absence, tmp_path / "queue.xlsx")
    assert exported == 1
    sheet = load_workbook(tmp_path / "queue.xlsx").active
    assert any(local_id in [cell.value for cell in row] for row in sheet.iter_rows())

    proxy.restore()
    assert absence.step().away is False  # merged, then refreshed
    assert absence.state.last_merge == {"booked": 1} and absence.state.queued == 0
    with Repositories.open(pg_database) as practice:
        visit = practice.visits.live_for_slot(slots[1])
        assert practice.patients.get(visit.patient_id).local_id == local_id
        assert practice.outbox.by_key(f"book:{visit.visit_uid}") is not None
    with Repositories.over(ctx.open_desk_db()) as repos:
        assert repos.db.engine == "postgresql"


def test_a_failed_call_switches_at_once(tmp_path: Path, pg_database: str, proxy: TcpProxy,
                                        monkeypatch: pytest.MonkeyPatch):
    set_up(pg_database)
    ctx = desk(tmp_path / "desk", proxy.url(pg_database), monkeypatch, "R2")
    ctx.server_absence.step()
    proxy.cut()
    db = ctx.open_desk_db()  # the practice database does not answer: the copy
    try:
        assert db.engine == "sqlite" and ctx.server_absence.away
    finally:
        db.close()


def test_a_server_that_holds_the_answer_back_is_away_too(
        tmp_path: Path, pg_database: str, proxy: TcpProxy, monkeypatch: pytest.MonkeyPatch):
    """Nothing refused, nothing answered (a pulled cable): the probe's own deadline decides."""
    set_up(pg_database)
    ctx = desk(tmp_path / "desk", proxy.url(pg_database), monkeypatch, "R4")
    absence = ctx.server_absence
    assert absence.step().away is False
    proxy.hold()
    state = absence.step()
    assert state.away and "no answer" in state.reason
    proxy.release()
    assert absence.step().away is False


def test_queued_changes_keep_the_desk_on_its_copy_after_a_restart(
        tmp_path: Path, pg_database: str, proxy: TcpProxy, monkeypatch: pytest.MonkeyPatch):
    slots = set_up(pg_database)
    ctx = desk(tmp_path / "desk", proxy.url(pg_database), monkeypatch, "R3")
    ctx.server_absence.step()
    proxy.cut()
    ctx.server_absence.step()
    with Repositories.over(ctx.open_desk_db()) as repos:
        patient = repos.patients.add(Patient(PatientIdentifier(pesel="44051401359"), "Jan",
                                             "Kowalski"), "ania")
        booking.book(repos, patient, slots[0], "stable", user="ania", now=NOW, referral_id="SK-1")
    restarted = ServerAbsence.for_context(ctx, clock=lambda: NOW)
    assert restarted.away and restarted.state.queued == 1


def test_a_day_the_copy_cannot_vouch_for_says_so():
    fresh = CopyInfo(NOW, DAY - dt.timedelta(days=2), DAY + dt.timedelta(weeks=6), "u")
    assert day_warning(fresh, DAY, NOW + dt.timedelta(minutes=1)) is None
    assert day_warning(fresh, DAY, NOW + dt.timedelta(hours=1)) == "too_old"
    assert day_warning(fresh, DAY + dt.timedelta(days=30), NOW + dt.timedelta(hours=1)) is None
    assert day_warning(fresh, DAY + dt.timedelta(weeks=7), NOW) == "not_copied"
    assert day_warning(CopyInfo(None, None, None, None), DAY, NOW) == "no_copy"
