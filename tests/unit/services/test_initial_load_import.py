"""Initial load import: bad rows reported by row and reason and kept out, the rest stored as
initial-load visits in one transaction; a re-run imports only what is new."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path

import openpyxl
import pytest

from recepcja.domain.errors import ValidationError
from recepcja.domain.model import WARSAW, SlotState, VisitSource
from recepcja.i18n import translate_error
from recepcja.services.initial_load import import_initial_load
from recepcja.services.practice_setup import apply_plan, plan_from_dict
from recepcja.store.repos import Repositories

EXAMPLE = Path(__file__).resolve().parents[3] / "resources" / "practice.example.toml"
HEADER = "visit_id;schedule;date;time;minutes;pesel;first_name;last_name;phone;urgency"
NOW = dt.datetime(2026, 3, 2, 7, 0, tzinfo=dt.UTC)  # Monday 2 March 2026, 08:00 in Warsaw
MONDAY = "2026-03-09"


@pytest.fixture
def repos(tmp_path):
    repositories = Repositories.open(tmp_path / "db.sqlite")
    data = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    apply_plan(repositories.db, plan_from_dict(data), "admin")
    yield repositories
    repositories.close()


def _csv(tmp_path: Path, *rows: str, name: str = "visits.csv",
         referral: str = "SK-2026-1") -> Path:
    """The rows with a ``referral_id`` column holding ``referral`` (a paper referral's number:
    cardiology's first visits need one)."""
    path = tmp_path / name
    lines = [";".join([*(fields := row.split(";")), *[""] * (10 - len(fields)), referral])
             for row in rows]
    path.write_text("\n".join((HEADER + ";referral_id", *lines)) + "\n", encoding="utf-8")
    return path


def _reasons(result) -> dict[int, str]:
    return {e.row: translate_error(e.error) for e in result.errors}


def test_rows_with_errors_are_kept_out_and_named(repos, tmp_path, monkeypatch):
    monkeypatch.setenv("RECEPCJA_LANG", "en")
    path = _csv(
        tmp_path,
        f"A1;Kardiologia - dr Nowak;{MONDAY};08:00;;44051401359;Jan;Kowalski;600100200;pilny",
        f"A2;Kardiologia - dr Nowak;{MONDAY};08:20;;44051401358;Jan;Kowalski;;",  # bad PESEL
        f"A3;Kardiologia - dr Lis;{MONDAY};08:40;;02070803628;Anna;Nowak;;",  # no schedule
        "A4;Kardiologia - dr Nowak;2026-02-23;08:00;;02070803628;Anna;Nowak;;",  # past
        f"A5;Kardiologia - dr Nowak;{MONDAY};08:00;;02070803628;Anna;Nowak;;",  # A1's term
        f"A6;Kardiologia - dr Nowak;{MONDAY};18:00;;02070803628;Anna;Nowak;;",  # off the grid
        f"A7;Kardiologia - dr Nowak;{MONDAY};18:00;45;02070803628;Anna;Nowak;;sometimes",
        f"A1;Kardiologia - dr Nowak;{MONDAY};09:00;;02070803628;Anna;Nowak;;",  # twice
        "A8;Kardiologia - dr Nowak;09.03.2026;09:00;;02070803628;Anna;Nowak;;",
    )
    result = import_initial_load(repos, path, "admin", now=NOW)
    reasons = _reasons(result)
    assert sorted(reasons) == [3, 4, 5, 6, 7, 8, 9]
    assert "Kardiologia - dr Lis" in reasons[4]
    assert "past" in reasons[5]
    assert "another row" in reasons[6]
    assert "template" in reasons[7] and "08:00-12:00" in reasons[7]
    assert "sometimes" in reasons[8]
    assert "twice" in reasons[9]
    assert result.imported == 2
    a1 = repos.visits.by_uid("IL-A1")
    assert a1 is not None and a1.source == VisitSource.INITIAL_LOAD
    assert a1.urgency == "urgent"
    slot = repos.slots.get(a1.slot_id)
    assert slot.state == SlotState.BOOKED
    assert slot.start == dt.datetime(2026, 3, 9, 8, 0, tzinfo=WARSAW)
    assert slot.end - slot.start == dt.timedelta(minutes=20)  # the template's length
    assert repos.patients.by_pesel("02070803628") is not None  # A8's patient

    # The corrected file: the old rows are known, only the fixed ones come in.
    fixed = _csv(
        tmp_path,
        f"A1;Kardiologia - dr Nowak;{MONDAY};08:00;;44051401359;Jan;Kowalski;600100200;pilny",
        f"A2;Kardiologia - dr Nowak;{MONDAY};08:20;;44051401359;Jan;Kowalski;;",
        "A8;Kardiologia - dr Nowak;09.03.2026;09:00;;02070803628;Anna;Nowak;;",
        name="fixed.csv",
    )
    again = import_initial_load(repos, fixed, "admin", now=NOW)
    assert (again.imported, again.already_imported, again.errors) == (1, 2, [])
    assert repos.visits.count() == 3
    assert len(repos.patients.search("Kowalski")) == 1


def test_excel_file_with_date_and_time_cells(repos, tmp_path):
    path = tmp_path / "visits.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER.split(";"))
    sheet.append(["X1", "Mammobus 1", dt.date(2026, 3, 10), dt.time(9, 15), 15, "44051401359",
                  "Jan", "Kowalski", None, "stabilny"])
    sheet.append([2.0, "Mammobus 1", dt.datetime(2026, 3, 10), "09:30", None, "44051401359",
                  "Jan", "Kowalski", None, None])
    book.save(path)
    result = import_initial_load(repos, path, "admin", now=NOW)
    assert result.errors == [] and result.imported == 2
    assert repos.visits.by_uid("IL-2") is not None  # 2.0 read as "2"


def test_a_file_not_following_the_template_is_refused(repos, tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("id,who\n1,Jan\n", encoding="utf-8")
    with pytest.raises(ValidationError):
        import_initial_load(repos, path, "admin", now=NOW)
    assert repos.visits.count() == 0


def _place_of(repos, schedule_name: str) -> int:
    [schedule] = [s for s in repos.schedules.list() if s.name == schedule_name]
    return schedule.place_id


def test_after_activation_the_initial_load_is_refused_nothing_stays_local_only(
        repos, tmp_path, monkeypatch):
    """CeR takes no initial load once a place is active: its rows are refused by row, and the
    whole file once every place is active — never stored where they could only stay local."""
    from recepcja.services.onboarding import Step, StepStatus, run_onboarding

    monkeypatch.setenv("RECEPCJA_LANG", "en")
    for number, place in enumerate(repos.practice.places(), 1):  # as onboarding leaves them
        repos.practice.mark_place_registered(place.id, f"MUS-{number}")
    repos.practice.mark_place_active(_place_of(repos, "Kardiologia - dr Nowak"))
    path = _csv(
        tmp_path,
        f"K1;Kardiologia - dr Nowak;{MONDAY};08:00;;44051401359;Jan;Kowalski;;",
        "M1;Mammobus 1;2026-03-10;09:15;15;02070803628;Anna;Nowak;;",
    )
    result = import_initial_load(repos, path, "admin", now=NOW)
    assert result.imported == 1 and repos.visits.by_uid("IL-M1") is not None
    assert repos.visits.by_uid("IL-K1") is None
    assert "already active in CeR" in _reasons(result)[2] and "recepcja book" in _reasons(result)[2]

    # A visit stored before the refusal existed (an older version) is not "nothing to do".
    repos.practice.mark_place_active(_place_of(repos, "Mammobus 1"))
    [step] = run_onboarding(repos, gateway=None, now=NOW, steps=(Step.INITIAL_LOAD,)).steps[1:]
    assert step.status == StepStatus.FAILED and "1 visits" in translate_error(step.error)

    before = repos.visits.count()
    with pytest.raises(ValidationError, match="already active"):
        import_initial_load(repos, _csv(tmp_path, "M2;Mammobus 1;2026-03-10;09:30;15;"
                                        "02070803628;Anna;Nowak;;", name="late.csv"),
                            "admin", now=NOW)
    assert repos.visits.count() == before


def test_an_e_referral_key_is_carried_and_its_taking_queued(repos, tmp_path):
    key = "5678" * 11
    header = HEADER + ";referral_id"
    path = tmp_path / "visits.csv"
    path.write_text("\n".join((
        header,
        f"R1;Kardiologia - dr Nowak;{MONDAY};08:00;;44051401359;Jan;Kowalski;;;{key[:22]} "
        f"{key[22:]}",
        f"R2;Kardiologia - dr Nowak;{MONDAY};08:20;;02070803628;Anna;Nowak;;;SKIER-12",
        f"R3;Kardiologia - dr Nowak;{MONDAY};08:40;;02070803628;Anna;Nowak;;;1234",
    )) + "\n", encoding="utf-8")
    result = import_initial_load(repos, path, "admin", now=NOW)
    assert result.imported == 2
    assert "44 cyfry" in _reasons(result)[4]  # an access code needs P1 and the patient
    r1, r2 = repos.visits.by_uid("IL-R1"), repos.visits.by_uid("IL-R2")
    assert (r1.referral_key, r1.referral_id) == (key, key)
    assert (r2.referral_key, r2.referral_id) == (None, "SKIER-12")
    take = repos.outbox.by_key("referral_take:IL-R1")
    assert take is not None and take.payload["key"] == key and take.visit_id == r1.id
    assert repos.outbox.by_key("referral_take:IL-R2") is None


def test_a_first_visit_needs_a_referral_a_continuation_does_not(repos, tmp_path, monkeypatch):
    """The first-visit rule, as at the desk: a cardiology first visit without a referral is
    refused by row, in Polish, and kept out; on a continuation term it needs none; a row must
    name the schedule's own kind of an existing term."""
    monkeypatch.setenv("RECEPCJA_LANG", "pl")
    path = tmp_path / "visits.csv"
    path.write_text("\n".join((
        HEADER + ";referral_id;term_kind",
        f"F1;Kardiologia - dr Nowak;{MONDAY};08:00;;44051401359;Jan;Kowalski;;;;",
        f"F2;Kardiologia - dr Nowak;{MONDAY};08:20;;44051401359;Jan;Kowalski;;;;"
        "continuing_treatment",
        f"F3;Kardiologia - dr Nowak;{MONDAY};08:40;;02070803628;Anna;Nowak;;;{'5678' * 11};",
        "F4;Mammobus 1;2026-03-10;09:15;15;02070803628;Anna;Nowak;;;;",  # no referral needed
    )) + "\n", encoding="utf-8")
    result = import_initial_load(repos, path, "admin", now=NOW)
    reasons = _reasons(result)
    assert list(reasons) == [2]
    assert reasons[2].startswith("2026-03-09 08:00: pierwsza wizyta (kardiologia) wymaga "
                                 "skierowania")
    assert "\n" not in reasons[2]
    assert result.imported == 3 and repos.visits.by_uid("IL-F1") is None
    f2 = repos.visits.by_uid("IL-F2")
    assert repos.slots.get(f2.slot_id).term_kind == "continuing_treatment"
    assert repos.outbox.by_key("referral_take:IL-F3") is not None

    # An existing term keeps its kind: a row naming another kind for it is refused.
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("\n".join((
        HEADER + ";referral_id;term_kind",
        f"F5;Kardiologia - dr Nowak;{MONDAY};08:20;;44051401359;Jan;Kowalski;;;SK-1;"
        "default_procedure",
    )) + "\n", encoding="utf-8")
    refused = import_initial_load(repos, wrong, "admin", now=NOW)
    assert refused.imported == 0
    assert _reasons(refused)[2].startswith('term_kind „default_procedure” nie zgadza się')
