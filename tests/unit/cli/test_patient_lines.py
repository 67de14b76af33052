"""``recepcja patients add`` / ``find`` print the phone as the desk writes it."""

from __future__ import annotations

import json

from recepcja.cli.main import main


def _patients(capsys, *args: str) -> str:
    assert main(["patients", *args]) == 0
    return capsys.readouterr().out


def test_a_polish_phone_is_printed_in_national_form_and_kept_e164_in_json(capsys):
    added = _patients(capsys, "add", "--pesel", "44051401359", "--first-name", "Zofia",
                      "--last-name", "Nowak", "--phone", "+48 601-234-567")
    assert added.startswith("Zarejestrowano pacjenta: L-")
    assert added.rstrip("\n").endswith("\t601 234 567") and "+48" not in added
    assert _patients(capsys, "find", "Nowak").rstrip("\n").endswith("\t601 234 567")
    assert json.loads(_patients(capsys, "find", "Nowak", "--json"))[0]["phone"] == "+48601234567"


def test_a_landline_and_a_foreign_phone(capsys):
    landline = _patients(capsys, "add", "--pesel", "02070803628", "--first-name", "Anna",
                         "--last-name", "Kowal", "--phone", "225551234")
    assert landline.rstrip("\n").endswith("\t22 555 12 34")
    foreign = _patients(capsys, "add", "--document-type", "passport", "--document-number",
                        "C01X00T47", "--first-name", "Jan", "--last-name", "Müller",
                        "--phone", "+49 1512 3456789")
    assert foreign.rstrip("\n").endswith("\t+49 1512 3456789")
