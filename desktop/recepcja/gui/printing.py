"""Printing HTML printouts (``services.printouts``) to a printer or a PDF file with Qt's print
support - one place, so every printout has the same page set-up."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QPageLayout, QPageSize, QTextDocument
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QWidget

from recepcja.i18n import _


def _printer() -> QPrinter:
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    printer.setPageOrientation(QPageLayout.Orientation.Portrait)
    return printer


def html_to_pdf(html: str, path: Path) -> Path:
    """Write the printout as a PDF (no dialog): the desk's "save as PDF" and the tests."""
    printer = _printer()
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(path))
    document = QTextDocument()
    document.setHtml(html)
    document.print_(printer)
    return path


def print_html(parent: QWidget | None, html: str, title: str) -> bool:
    """Ask for a printer and print; False if the desk cancelled."""
    printer = _printer()
    printer.setDocName(title)
    dialog = QPrintDialog(printer, parent)
    dialog.setWindowTitle(_("Print"))
    if not dialog.exec():
        return False
    document = QTextDocument()
    document.setHtml(html)
    document.print_(printer)
    return True
