"""Printouts: the visit confirmation and the day list, to PDF through Qt's print support."""

from __future__ import annotations

from pathlib import Path

from recepcja.services import printouts


def _select_booked(window, hhmm: str) -> None:
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


def test_printing_goes_through_the_real_print_dialog(window, on_dialog, qtbot, tmp_path: Path):
    """Ctrl+P opens Qt's print dialog; the printer chosen there (here Qt's file printer, as no
    physical printer exists on a CI machine) receives the confirmation. Cancelling prints
    nothing."""
    import shutil
    import subprocess

    from PySide6.QtPrintSupport import QPrintDialog

    _select_booked(window, "10:20")
    target = tmp_path / "printed.pdf"
    seen: list[str] = []

    def choose_file_printer(dialog) -> None:
        from PySide6.QtWidgets import QComboBox, QDialogButtonBox, QLineEdit

        assert isinstance(dialog, QPrintDialog)
        seen.append(dialog.windowTitle())
        assert dialog.printer().docName().startswith("potwierdzenie-")
        printers = dialog.findChild(QComboBox, "printers")
        seen.extend(printers.itemText(i) for i in range(printers.count()))
        file_printer = next(i for i in range(printers.count())
                            if "PDF" in printers.itemText(i))
        printers.setCurrentIndex(file_printer)
        dialog.findChild(QLineEdit, "filename").setText(str(target))
        ok = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
        seen.append(ok.text())
        ok.click()

    on_dialog(choose_file_printer)
    window.actions_.print_confirmation.trigger()
    assert seen[0] == "Drukuj", seen
    assert "Drukuj do pliku (PDF)" in seen, seen  # Qt's own texts are Polish too
    assert target.read_bytes().startswith(b"%PDF")
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(target), "-"], capture_output=True, text=True,
                              check=True).stdout
        assert "WIZ-2" in text and "10:20" in text

    cancelled = tmp_path / "cancelled.pdf"

    def cancel(dialog) -> None:
        from PySide6.QtWidgets import QLineEdit

        dialog.findChild(QLineEdit, "filename").setText(str(cancelled))
        dialog.reject()

    on_dialog(cancel)
    window.actions_.print_confirmation.trigger()
    assert not cancelled.exists()
