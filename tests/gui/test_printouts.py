"""Printouts: the visit confirmation and the day list, to PDF through Qt's print support."""

from __future__ import annotations

from pathlib import Path

from recepcja.services import printouts


def _select_booked(window, hhmm: str) -> None:  # noqa: ANN001
    for number, row in enumerate(window.schedule_view.day_model.rows()):
        if row.entry.visit_id and row.start.strftime("%H:%M") == hhmm:
            window.schedule_view.day_table.selectRow(number)
            window.schedule_view.day_table.setCurrentIndex(
                window.schedule_view.day_model.index(number, 0))
            return
    raise AssertionError(hhmm)


def test_visit_confirmation_to_pdf(window, tmp_path: Path):
    _select_booked(window, "10:20")
    html, name = window.printout_html("confirmation")
    assert "Potwierdzenie wizyty" in html and "WIZ-2" in html  # the CeR visit id
    assert "10:20–10:40" in html and "lek. Anna Nowak" in html
    assert name.startswith("potwierdzenie-") and name.endswith(".pdf")
    path = window.printout("confirmation", pdf=True, path=tmp_path / "c.pdf")
    assert path is not None and path.read_bytes().startswith(b"%PDF")
    assert window.actions_.print_confirmation.shortcut().toString() == "Ctrl+P"


def test_day_list_to_pdf(window, tmp_path: Path):
    html, _name = window.printout_html("day")
    assert html.count("<tr>") == 1 + 4  # header + the four visits of the day
    assert "Wizyty — poniedziałek" in html
    path = window.printout("day", pdf=True, path=tmp_path / "d.pdf")
    assert path.stat().st_size > 1000


def test_printouts_escape_data(window):
    rows = window.schedule_view.day_model.rows()
    html = printouts.day_list_html(rows[:0], window.current_day, window.clock())
    assert "Brak wizyt" in html
