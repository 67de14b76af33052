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


def html_to_pdf(html: str, path: Path, *, overwrite: bool = False) -> Path:
    """Write the printout as a PDF (no dialog): the desk's "save as PDF" and the tests.

    Like every file the app writes (``config.private_files``): private (0600), an existing file
    only with ``overwrite``, written under a temporary name that is removed whatever happens."""
    from recepcja.config.private_files import check_target, private_temporary

    target = check_target(path, overwrite=overwrite)
    with private_temporary(target, overwrite=overwrite) as temporary:
        printer = _printer()
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(temporary))  # Qt writes into the private empty file
        document = QTextDocument()
        document.setHtml(html)
        document.print_(printer)
        if temporary.stat().st_size == 0:
            raise OSError(f"nothing was written to {temporary}")
    return target


def save_pdf_as(parent: QWidget | None, html: str, suggested: str,
                path: Path | None = None) -> Path | None:
    """Ask where (or confirm replacing ``path``) and write the PDF; None when cancelled or
    refused (the reason shown to the desk)."""
    from recepcja.domain.errors import DomainError
    from recepcja.gui.errors import show_error
    from recepcja.gui.file_choice import save_target

    chosen = save_target(parent, _("Save as PDF"), suggested, "PDF (*.pdf)", path)
    if chosen is None:
        return None
    try:
        return html_to_pdf(html, chosen[0], overwrite=chosen[1])
    except DomainError as error:
        show_error(parent, error)
        return None


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


def print_html_direct(parent: QWidget | None, html: str, title: str) -> bool:
    """Print on the default printer without asking (the one key after booking); the print
    dialog only when no default printer is set up. False if the desk cancelled it."""
    from PySide6.QtPrintSupport import QPrinterInfo

    if QPrinterInfo.defaultPrinter().isNull():
        return print_html(parent, html, title)
    printer = _printer()
    printer.setDocName(title)
    document = QTextDocument()
    document.setHtml(html)
    document.print_(printer)
    return True
