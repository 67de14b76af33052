"""`recepcja patients add|find` and `recepcja status --json` end to end, as a subprocess."""

from __future__ import annotations

import sqlite3


def _count_patients(cli) -> int:
    result = cli("status", "--json")
    assert result.code == 0, result.err
    return result.json()["patients"]


def test_add_and_find_patient(cli):
    added = cli("patients", "add", "--pesel", "44051401359", "--first-name", "Zofia",
                "--last-name", "Żółkiewska", "--phone", "601 234 567", "--json")
    assert added.code == 0, added.err
    patient = added.json()
    assert patient["pesel"] == "44051401359"
    assert patient["phone"] == "+48601234567"
    assert patient["local_id"].startswith("L-")
    assert patient["birth_date"] == "1944-05-14"

    for query in ("4405", "zolk", "ŻÓŁ", "601 234", patient["local_id"]):
        found = cli("patients", "find", query, "--json")
        assert found.code == 0, found.err
        assert [p["pesel"] for p in found.json()] == ["44051401359"], query

    assert _count_patients(cli) == 1


def test_patient_without_pesel(cli):
    added = cli("patients", "add", "--document-type", "passport", "--document-number", "ab1234567",
                "--first-name", "John", "--last-name", "Smith", "--json")
    assert added.code == 0, added.err
    assert added.json()["document_number"] == "AB1234567"
    assert added.json()["pesel"] is None


def _assert_one_line_error(result, *needles: str) -> None:
    assert result.code != 0
    assert result.out == ""
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    for needle in needles:
        assert needle.lower() in lines[0].lower(), lines[0]


def test_bad_input_is_one_polish_line_and_writes_nothing(cli):
    assert _count_patients(cli) == 0
    bad_checksum = cli("patients", "add", "--pesel", "44051401358", "--first-name", "A",
                       "--last-name", "B")
    _assert_one_line_error(bad_checksum, "PESEL")
    two_phones = cli("patients", "add", "--pesel", "44051401359", "--first-name", "A",
                     "--last-name", "B", "--phone", "601 234 567, 602 345 678")
    _assert_one_line_error(two_phones, "numer")
    assert _count_patients(cli) == 0


def test_duplicate_pesel_is_refused(cli):
    first = cli("patients", "add", "--pesel", "02070803628", "--first-name", "Anna",
                "--last-name", "Nowak")
    assert first.code == 0, first.err
    again = cli("patients", "add", "--pesel", "02070803628", "--first-name", "Anna",
                "--last-name", "Nowakowska")
    _assert_one_line_error(again)
    assert _count_patients(cli) == 1


def test_status_json_describes_the_store(cli):
    status = cli("status", "--json").json()
    assert status["schema"]["count"] >= 2
    assert status["cer"]["configured"] is False
    db = sqlite3.connect(status["database"])
    try:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        db.close()


def test_help_and_version(cli):
    version = cli("--version")
    assert version.code == 0 and "recepcja" in version.out
    helped = cli("patients", "add", "--help")
    assert helped.code == 0 and "PESEL" in helped.out
