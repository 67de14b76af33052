"""Practice set-up: validation names the problem and writes nothing; re-runs are idempotent."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path

import pytest

from recepcja.domain.errors import ConflictError, ValidationError
from recepcja.i18n import translate_error
from recepcja.services.practice_setup import (
    apply_plan,
    load_plan,
    parse_address,
    plan_from_dict,
    rules_from_template,
    setup_practice,
    template_from_rules,
)
from recepcja.store.repos import Repositories

EXAMPLE = Path(__file__).resolve().parents[3] / "resources" / "practice.example.toml"


@pytest.fixture
def example() -> dict:
    return tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))


@pytest.fixture
def repos(tmp_path):
    repositories = Repositories.open(tmp_path / "db.sqlite")
    yield repositories
    repositories.close()


def _error(data: dict, monkeypatch) -> str:
    monkeypatch.setenv("RECEPCJA_LANG", "en")
    with pytest.raises(ValidationError) as info:
        plan_from_dict(data)
    text = translate_error(info.value)
    assert "\n" not in text
    return text


def test_the_example_is_valid(example):
    plan = plan_from_dict(example)
    assert [p.name for p in plan.places] == ["Poradnia kardiologiczna", "Pracownia mammografii"]
    assert plan.places[1].mobile_points[0].code == "MAMMOBUS-1"
    assert len(plan.schedules) == 3 and plan.schedules[2].mobile_point == "MAMMOBUS-1"
    assert [r.weekday for r in plan.schedules[0].rules] == [0, 2, 4]


def test_unknown_scope_is_named(example, monkeypatch):
    example["schedules"][0]["scope"] = "dermatology"
    text = _error(example, monkeypatch)
    assert '[[schedules]] "Kardiologia - dr Nowak"' in text and "dermatology" in text
    assert "cardiology" in text  # the known ones are listed


@pytest.mark.parametrize(("part", "value"), [("part_i", "12345"), ("part_v", "1"),
                                             ("part_vii", "01a"), ("part_vii", "0001")])
def test_malformed_rpwdl_codes_are_named(example, monkeypatch, part, value):
    example["places"][0]["rpwdl"][part] = value
    text = _error(example, monkeypatch)
    assert '[[places]] "Poradnia kardiologiczna"' in text and part in text and value in text


def test_template_overlapping_itself_is_named(example, monkeypatch):
    example["schedules"][1]["rules"].append(
        {"weekday": "tue", "start": "17:00", "end": "19:00", "slot_minutes": 20})
    text = _error(example, monkeypatch)
    assert '[[schedules]] "Kardiologia - dr Kowalski"' in text and "overlap" in text


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d["places"][0].update(colour="red"), "unknown fields colour"),
        (lambda d: d["places"][0]["address"].update(postal_code="00950"), "00950"),
        (lambda d: d["resources"][0].update(licence_number="12"), "NPWZ"),
        (lambda d: d["schedules"][0].update(place="nowhere"), "nowhere"),
        (lambda d: d["schedules"][0].update(mobile_point="BUS-9"), "BUS-9"),
        (lambda d: d["schedules"][2].update(scope="cardiology"), "does not offer"),
        (lambda d: d["schedules"][0]["rules"][0].update(start="8.00"), "8.00"),
        (lambda d: d["schedules"][0]["rules"][0].update(weekday="someday"), "someday"),
        (lambda d: d["schedules"].append(copy.deepcopy(d["schedules"][0])), "used twice"),
        (lambda d: d["places"][1]["mobile_points"][0].update(code="bus 1"), "bus 1"),
    ],
)
def test_other_problems_are_named(example, monkeypatch, change, expected):
    change(example)
    assert expected in _error(example, monkeypatch)


def test_invalid_file_writes_nothing(repos, tmp_path, example):
    bad = EXAMPLE.read_text(encoding="utf-8").replace('part_v = "01", part_vii = "002"',
                                                      'part_v = "01", part_vii = "2"')
    path = tmp_path / "bad.toml"
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(ValidationError):
        setup_practice(repos.db, path, "admin")
    assert repos.practice.provider() is None and repos.practice.places() == []
    broken = tmp_path / "broken.toml"
    broken.write_text("[provider\n", encoding="utf-8")
    with pytest.raises(ValidationError):
        load_plan(broken)


def test_setup_is_idempotent_and_updates_a_changed_template(repos, example):
    first = apply_plan(repos.db, plan_from_dict(example), "admin")
    assert first.changed
    schedules = repos.schedules.list()
    assert [s.name for s in schedules] == ["Kardiologia - dr Nowak", "Kardiologia - dr Kowalski",
                                           "Mammobus 1"]
    assert schedules[2].mobile_point_id == repos.practice.mobile_points()[0].id
    assert len(repos.schedules.exceptions(schedules[0].id)) == 1
    address = parse_address(repos.practice.places()[0].address)
    assert address is not None and address.postal_code == "00-950"

    again = apply_plan(repos.db, plan_from_dict(example), "admin")
    assert not again.changed and again.unchanged > 0
    assert len(repos.schedules.exceptions(schedules[0].id)) == 1

    example["schedules"][0]["rules"][0]["slot_minutes"] = 15
    changed = apply_plan(repos.db, plan_from_dict(example), "admin")
    assert changed.changes == [("schedule", "Kardiologia - dr Nowak", "updated")]
    rules = rules_from_template(repos.schedules.get(schedules[0].id).template)
    assert rules[0].slot_minutes == 15
    assert template_from_rules(rules) == repos.schedules.get(schedules[0].id).template
    assert len(repos.schedules.list()) == 3 and len(repos.practice.places()) == 2


def test_a_schedule_created_in_cer_cannot_change_its_resource(repos, example):
    apply_plan(repos.db, plan_from_dict(example), "admin")
    repos.schedules.mark_created_in_cer(repos.schedules.list()[0].id, "HRM-1")
    example["schedules"][0]["resource"] = "dr-kowalski"
    with pytest.raises(ConflictError):
        apply_plan(repos.db, plan_from_dict(example), "admin")
    nowak = next(r for r in repos.practice.resources() if r.name == "dr Anna Nowak")
    assert repos.schedules.list()[0].resource_id == nowak.id


def test_a_schedule_not_yet_in_cer_may_correct_its_resource(repos, example):
    apply_plan(repos.db, plan_from_dict(example), "admin")
    example["schedules"][0]["resource"] = "dr-kowalski"
    result = apply_plan(repos.db, plan_from_dict(example), "admin")
    assert ("schedule", "Kardiologia - dr Nowak", "updated") in result.changes
    kowalski = next(r for r in repos.practice.resources() if r.name == "dr Jan Kowalski")
    assert repos.schedules.list()[0].resource_id == kowalski.id
