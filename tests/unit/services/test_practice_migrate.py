"""``recepcja practice migrate --to URL`` (issue 15): a single-desk SQLite practice copied into
an empty practice database, verified, with the file untouched; a non-empty target or another
application's database refused with one line and nothing written."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import psycopg
import pytest
from services_support import Clock, add_patient, build_practice, pesels

from recepcja.cli.main import main
from recepcja.config.paths import AppPaths
from recepcja.config.settings import ENV_DATABASE_URL
from recepcja.domain.model import Urgency
from recepcja.services import booking
from recepcja.services.context import AppContext
from recepcja.store import Repositories
from recepcja.store.practice_copy import same


@pytest.fixture
def desk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppContext:
    """A single desk with a little of everything: patients (one merged into another), visits
    (one cancelled), the outbox, a notification, the audit and outage logs, sync state."""
    monkeypatch.delenv(ENV_DATABASE_URL, raising=False)
    monkeypatch.setenv("RECEPCJA_HOME", str(tmp_path / "home"))
    ctx = AppContext.load(AppPaths(tmp_path / "home"))
    with Repositories.over(ctx.open_db(), Clock()) as repos:
        practice = build_practice(repos)
        ids = [add_patient(repos, pesel, f"Nowak{i}") for i, pesel in enumerate(pesels(4))]
        first = booking.book(repos, ids[0], practice.slot_ids[0], Urgency.STABLE, user="ania",
                             referral_id="SK-1")
        booking.book(repos, ids[1], practice.slot_ids[1], Urgency.URGENT, user="ania",
                     emergency=True, referral_id="SK-1")
        booking.cancel(repos, first.visit.id, "pacjent rezygnuje", user="ania")
        repos.db.conn.execute("UPDATE patients SET merged_into = ? WHERE id = ?",
                              (ids[2], ids[3]))
        repos.notifications.store("N-1", "portal_booking", '{"a": 1}')
        repos.outages.open("offline", "test", {"p95_ms": 4000})
        repos.sync_state.set("notifications.cursor", "42")
    return ctx


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_single_desk_practice_moves_verified_and_the_file_is_untouched(
    desk: AppContext, pg_empty_database: str, capsys: pytest.CaptureFixture[str],
) -> None:
    before = _digest(desk.paths.database)
    assert main(["practice", "migrate", "--to", pg_empty_database, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["verified"] and "recepcja-test" not in result["target"]
    rows = result["rows"]
    for table, count in {"patients": 4, "visits": 2, "slots": 80, "notifications": 1,
                         "outage_log": 1, "places": 1, "schedules": 1}.items():
        assert rows[table] == count, (table, rows)
    assert rows["outbox"] >= 3 and rows["audit_log"] >= 3 and rows["sync_state"] >= 1
    assert _digest(desk.paths.database) == before  # only read
    with psycopg.connect(pg_empty_database) as pg:
        merged = pg.execute("SELECT merged_into FROM patients WHERE id = 4").fetchone()[0]
        assert merged == 3
        # New rows continue after the copied ids.
        next_id = pg.execute("INSERT INTO places (provider_id, name, created_at) VALUES "
                             "(1, 'x', now()) RETURNING id").fetchone()[0]
        assert next_id == 2
        pg.rollback()
    # The desk pointed at it works on the copy.
    with Repositories.open(pg_empty_database) as practice:
        assert practice.patients.count() == 3  # one is merged into another
        assert practice.outbox.count_pending() >= 1


def test_a_non_empty_target_is_refused_and_nothing_written(
    desk: AppContext, pg_database: str, capsys: pytest.CaptureFixture[str],
) -> None:
    with Repositories.open(pg_database) as other:
        add_patient(other, pesels(1, start=50)[0], "Inny")
        counts = {t: other.db.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                  for t in ("patients", "slots", "audit_log")}
    assert main(["practice", "migrate", "--to", pg_database]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "patients 1" in err, err
    with Repositories.open(pg_database) as other:
        assert counts == {t: other.db.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                          for t in counts}


def test_another_application_s_database_is_refused(
    desk: AppContext, pg_empty_database: str, capsys: pytest.CaptureFixture[str],
) -> None:
    with psycopg.connect(pg_empty_database, autocommit=True) as pg:
        pg.execute("CREATE TABLE invoices (id int)")
    assert main(["practice", "migrate", "--to", pg_empty_database]) == 1
    err = capsys.readouterr().err
    assert "invoices" in err and err.count("\n") == 1
    with psycopg.connect(pg_empty_database) as pg:
        assert [r[0] for r in pg.execute("SELECT table_name FROM information_schema.tables "
                                         "WHERE table_schema = 'public'")] == ["invoices"]


def test_values_are_compared_by_meaning() -> None:
    assert same('{"a": 1, "b": [2]}', '{"b": [2], "a": 1}')
    assert same("2026-03-02T07:00:00.250000Z", "2026-03-02T07:00:00Z")
    assert same("2026-03-02T08:00:00+01:00", "2026-03-02T07:00:00Z")
    assert not same("2026-03-02T07:00:01Z", "2026-03-02T07:00:00Z")
    assert not same("Nowak", "Nowakowski")
