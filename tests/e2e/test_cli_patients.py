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


def test_merge_a_duplicate_into_the_patient_with_the_pesel(cli):
    local = cli("patients", "add", "--document-type", "passport", "--document-number",
                "ZZ9876543", "--first-name", "Ewa", "--last-name", "Awaryjna",
                "--phone", "605 111 222", "--json")
    assert local.code == 0, local.err
    kept = cli("patients", "add", "--pesel", "44051401359", "--first-name", "Ewa",
               "--last-name", "Kowalska", "--json")
    assert kept.code == 0, kept.err
    local_id = local.json()["local_id"]

    merged = cli("patients", "merge", local_id, "44051401359", "--json")
    assert merged.code == 0, merged.err
    result = merged.json()
    assert result["survivor"]["pesel"] == "44051401359"
    assert result["survivor"]["phone"] == "+48605111222"  # the duplicate's phone filled the gap
    assert result["merged"]["local_id"] == local_id
    assert result["visits_moved"] == 0
    assert cli("patients", "find", "Awaryjna", "--json").json() == []
    assert _count_patients(cli) == 1

    again = cli("patients", "merge", local_id, "44051401359")
    _assert_one_line_error(again, local_id, "scalony")
    unknown = cli("patients", "merge", "L-999999", "44051401359")
    _assert_one_line_error(unknown, "L-999999")
    itself = cli("patients", "merge", "44051401359", "44051401359")
    _assert_one_line_error(itself, "samym")


def test_merge_prints_one_polish_line_and_has_help(cli):
    for pesel, last in (("44051401359", "Kowalska"), ("02070803628", "Kowalska-Nowak")):
        assert cli("patients", "add", "--pesel", pesel, "--first-name", "Ewa",
                   "--last-name", last).code == 0
    merged = cli("patients", "merge", "02070803628", "44051401359")
    assert merged.code == 0, merged.err
    assert merged.out.startswith("Pacjent L-") and "-000002 scalony z:" in merged.out
    assert "przeniesione wizyty: 0" in merged.out
    helped = cli("patients", "merge", "--help")
    assert helped.code == 0
    assert "DUPLICATE" in helped.out and "INTO" in helped.out and "CeR" in helped.out
