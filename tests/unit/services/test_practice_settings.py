"""The settings area's service: read the stored practice as a mapping, save edits in place
(matched by stored id), refuse what CeR knows an entry by, export a file setup reads back."""

from __future__ import annotations

import copy
import datetime as dt
import tomllib
from pathlib import Path

import pytest

from recepcja.domain.errors import ConflictError, ValidationError
from recepcja.i18n import translate_error
from recepcja.services.practice_plan import Labels
from recepcja.services.practice_settings import (
    export_practice,
    read_practice,
    save_practice,
    without_ids,
)
from recepcja.services.practice_setup import setup_practice
from recepcja.store.repos import Repositories

EXAMPLE = Path(__file__).resolve().parents[3] / "resources" / "practice.example.toml"
GUI_LABELS = Labels(file="settings", provider="Provider", places="Place", resources="Resource",
                    schedules="Schedule", number="#{number}", point="point #{number}",
                    rule="rule #{number}", exception="day off #{number}")


@pytest.fixture
def repos(tmp_path):
    repositories = Repositories.open(tmp_path / "db.sqlite")
    setup_practice(repositories.db, EXAMPLE, "admin")
    yield repositories
    repositories.close()


def _save(repos, data):
    snapshot = read_practice(repos.db)
    return save_practice(repos.db, data, "admin", oid=snapshot.oid, labels=GUI_LABELS)


def test_reading_back_and_saving_unchanged_changes_nothing(repos):
    snapshot = read_practice(repos.db)
    assert [p["name"] for p in snapshot.data["places"]] == ["Poradnia kardiologiczna",
                                                          "Pracownia mammografii"]
    assert all("id" in s for s in snapshot.data["schedules"])
    result = _save(repos, snapshot.data)
    assert not result.changed
    assert result.unchanged > 0


def test_renaming_a_doctor_and_a_schedule_edits_them_in_place(repos):
    data = read_practice(repos.db).data
    doctor = next(r for r in data["resources"] if r["name"] == "dr Anna Nowak")
    doctor["name"] = "dr Anna Nowak-Kowalczyk"
    schedule = next(s for s in data["schedules"] if s["name"] == "Kardiologia - dr Nowak")
    schedule["name"] = "Kardiologia I"
    schedule["rules"].append({"weekday": 3, "start": "15:00", "end": "16:00",
                              "slot_minutes": 20})
    resources_before = len(repos.practice.resources())
    schedules_before = len(repos.schedules.list(active_only=False))
    result = _save(repos, data)
    assert ("resource", "dr Anna Nowak-Kowalczyk", "updated") in result.changes
    assert ("schedule", "Kardiologia I", "updated") in result.changes
    assert len(repos.practice.resources()) == resources_before
    assert len(repos.schedules.list(active_only=False)) == schedules_before
    stored = repos.schedules.get(schedule["id"])
    assert stored.name == "Kardiologia I"
    assert {"weekday": 3, "start": "15:00", "end": "16:00", "slot_minutes": 20,
            "term_kind": "default_procedure"} in stored.template
    assert repos.practice.resource(doctor["id"]).name == "dr Anna Nowak-Kowalczyk"


def test_new_entries_without_ids_are_added(repos):
    data = read_practice(repos.db).data
    data["resources"].append({"key": "new-doc", "kind": "doctor", "name": "dr Ewa Zielińska",
                              "licence_number": "2345678"})
    data["schedules"].append({"name": "Kardiologia - dr Zielińska", "place": "place-1",
                              "resource": "new-doc", "scope": "cardiology",
                              "rules": [{"weekday": "sat", "start": "09:00", "end": "10:00",
                                         "slot_minutes": 20}]})
    result = _save(repos, data)
    assert ("schedule", "Kardiologia - dr Zielińska", "created") in result.changes
    assert any(s.name == "Kardiologia - dr Zielińska" for s in repos.schedules.list())


def test_a_validation_error_names_the_entry_in_the_callers_words_and_writes_nothing(
        repos, monkeypatch):
    monkeypatch.setenv("RECEPCJA_LANG", "en")
    data = read_practice(repos.db).data
    data["places"][0]["name"] = "Renamed"
    data["schedules"][0]["rules"].append(copy.deepcopy(data["schedules"][0]["rules"][0]))
    with pytest.raises(ValidationError) as info:
        _save(repos, data)
    text = translate_error(info.value)
    assert text.startswith('Schedule "Kardiologia - dr Nowak": ')
    assert "overlap" in text
    assert repos.practice.places()[0].name == "Poradnia kardiologiczna"


def test_the_rpwdl_codes_of_a_registered_place_cannot_change(repos):
    place = repos.practice.places()[0]
    repos.practice.mark_place_registered(place.id, "MUS-1")
    snapshot = read_practice(repos.db)
    assert place.id in snapshot.locks.places
    snapshot.data["places"][0]["rpwdl"]["part_vii"] = "009"
    with pytest.raises(ConflictError):
        _save(repos, snapshot.data)
    assert repos.practice.place(place.id).rpwdl_codes["part_vii"] == "001"


def test_an_unregistered_place_may_correct_its_rpwdl_codes_in_place(repos):
    data = read_practice(repos.db).data
    data["places"][0]["rpwdl"]["part_vii"] = "009"
    _save(repos, data)
    assert len(repos.practice.places()) == 2
    assert repos.practice.places()[0].rpwdl_codes["part_vii"] == "009"


def test_a_schedule_in_cer_cannot_move_to_another_resource_one_not_yet_in_cer_can(repos):
    first, second = repos.schedules.list()[:2]
    repos.schedules.mark_created_in_cer(first.id, "HRM-1")
    snapshot = read_practice(repos.db)
    assert snapshot.locks.schedules == {first.id}
    data = snapshot.data
    data["schedules"][0]["resource"] = data["schedules"][1]["resource"]
    with pytest.raises(ConflictError):
        _save(repos, data)
    data = read_practice(repos.db).data
    data["schedules"][1]["resource"] = data["schedules"][0]["resource"]
    _save(repos, data)
    assert repos.schedules.get(second.id).resource_id == first.resource_id


def test_ids_are_refused_from_a_file_and_must_be_numbers(repos):
    data = without_ids(read_practice(repos.db).data)
    data["resources"][0]["id"] = 1
    from recepcja.services.practice_plan import plan_from_dict

    with pytest.raises(ValidationError):
        plan_from_dict(data)  # a file may not name database ids
    data = read_practice(repos.db).data
    data["resources"][0]["id"] = "1"
    with pytest.raises(ValidationError):
        _save(repos, data)


def test_export_writes_a_file_setup_reads_back_unchanged(repos, tmp_path):
    path = tmp_path / "practice.toml"
    assert export_practice(repos.db, path) == 3
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    assert "id" not in data["places"][0]
    assert data["schedules"][0]["exceptions"][0]["first_day"] == dt.date(2026, 12, 28)
    result = setup_practice(repos.db, path, "admin")
    assert not result.changed
    fresh = Repositories.open(tmp_path / "other.sqlite")
    try:
        setup_practice(fresh.db, path, "admin")
        assert len(fresh.schedules.list()) == 3
    finally:
        fresh.close()


def test_export_of_an_empty_database_is_refused(tmp_path):
    empty = Repositories.open(tmp_path / "empty.sqlite")
    try:
        with pytest.raises(ValidationError):
            export_practice(empty.db, tmp_path / "x.toml")
    finally:
        empty.close()
