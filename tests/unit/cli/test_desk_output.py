"""What ``recepcja book`` / ``reschedule`` print for a person: dates as the desk writes them."""

from __future__ import annotations

from recepcja.cli.commands.desk import _say


def test_a_confirmed_booking_names_its_term_as_a_date_not_iso(monkeypatch, capsys):
    monkeypatch.setenv("RECEPCJA_LANG", "pl")
    _say({"state": "confirmed", "visit_id": 1, "cer_id": "WIZ-1",
          "start": "2026-12-07T08:00+01:00"})
    assert capsys.readouterr().out == "Wizyta 1 potwierdzona w CeR (WIZ-1), 07.12.2026 08:00.\n"
