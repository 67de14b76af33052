"""The window's side of issue 13, through real widgets: a formula as a name is refused in the
patient dialog, an export asks before replacing a file and before writing without the password
the keyring cannot give, PDFs are private, a wrong NIP is named in the settings area."""

from __future__ import annotations

import stat
import sys

import keyring
import pytest
from keyring.backends import fail
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox

from recepcja.config.secrets import EXPORT_PASSWORD
from recepcja.gui.queue_panel import QueuePanel
from recepcja.store.repos import Repositories

ENCRYPTED = b"\xd0\xcf\x11\xe0"
POSIX = sys.platform != "win32"


def _patients(ctx) -> int:
    repos = Repositories.over(ctx.open_db())
    try:
        return len(repos.patients.search("Ewa"))
    finally:
        repos.close()


def test_a_formula_as_a_name_is_refused_in_the_dialog(qtbot, window, desk_ctx, on_dialog):
    before = _patients(desk_ctx)
    seen: dict[str, str] = {}

    def fill(dialog) -> None:
        qtbot.keyClicks(dialog.pesel, "02070803628")
        qtbot.keyClicks(dialog.last_name, '=HYPERLINK("http://x","y")')
        qtbot.keyClicks(dialog.first_name, "Ewa")
        dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
        seen["error"] = dialog.error.text() if dialog.error.isVisible() else ""
        qtbot.keyClick(dialog, Qt.Key.Key_Escape)

    on_dialog(fill)
    window.actions_.new_patient.trigger()
    assert "formuł" in seen["error"]
    assert _patients(desk_ctx) == before


def _panel(window) -> QueuePanel:
    return next(e for e in window.extensions if isinstance(e, QueuePanel))


def _answer(on_dialog, button: QMessageBox.StandardButton, seen: list[str]) -> None:
    def click(box) -> None:
        seen.append(box.text())
        box.button(button).click()

    on_dialog(click)


def _export(qtbot, window, panel, target) -> None:
    with qtbot.waitSignal(window.runner.finished, timeout=5000):
        panel.export(target)


def test_the_queue_export_asks_before_replacing_a_file(qtbot, window, on_dialog, tmp_path):
    panel = _panel(window)
    target = tmp_path / "kolejka.xlsx"
    target.write_bytes(b"someone's own file")
    seen: list[str] = []
    _answer(on_dialog, QMessageBox.StandardButton.No, seen)
    panel.export(target)
    qtbot.waitUntil(lambda: bool(seen), timeout=3000)
    assert "kolejka.xlsx" in seen[0] and target.read_bytes() == b"someone's own file"

    _answer(on_dialog, QMessageBox.StandardButton.Yes, seen)
    with qtbot.waitSignal(window.runner.finished, timeout=5000):
        panel.export(target)
    assert target.read_bytes()[:2] == b"PK"
    if POSIX:
        assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_the_queue_export_asks_before_writing_without_the_password(
        qtbot, window, on_dialog, tmp_path, memory_keyring):
    panel = _panel(window)
    memory_keyring.set_password("recepcja", EXPORT_PASSWORD, "tajne")
    _export(qtbot, window, panel, tmp_path / "zaszyfrowana.xlsx")
    assert (tmp_path / "zaszyfrowana.xlsx").read_bytes()[:4] == ENCRYPTED

    keyring.set_keyring(fail.Keyring())  # now it cannot be read (the fixture restores it)
    seen: list[str] = []
    _answer(on_dialog, QMessageBox.StandardButton.No, seen)
    panel.export(tmp_path / "odmowa.xlsx")
    qtbot.waitUntil(lambda: bool(seen), timeout=3000)
    assert "BEZ hasła" in seen[0] and not (tmp_path / "odmowa.xlsx").exists()

    _answer(on_dialog, QMessageBox.StandardButton.Yes, seen)
    with qtbot.waitSignal(window.runner.finished, timeout=5000):
        panel.export(tmp_path / "jawna.xlsx")
    assert (tmp_path / "jawna.xlsx").read_bytes()[:2] == b"PK"


@pytest.mark.skipif(not POSIX, reason="POSIX modes")
def test_a_pdf_printout_is_private_and_not_written_over_without_a_yes(window, on_dialog, qtbot,
                                                                       tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    path = window.printout("day", pdf=True, path=out / "dzien.pdf")
    assert path is not None and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in out.iterdir()] == ["dzien.pdf"]  # no temporary file left
    before = path.read_bytes()
    seen: list[str] = []
    _answer(on_dialog, QMessageBox.StandardButton.No, seen)
    assert window.printout("day", pdf=True, path=path) is None
    assert seen and path.read_bytes() == before


def test_a_wrong_nip_is_named_and_nothing_is_saved(window, qtbot):
    action = window.findChild(type(window.actions_.quit), "actionPracticeSettings")
    action.trigger()
    dialog = window.findChild(object, "practiceSettings")
    stored = window.repos.practice.provider()
    dialog.provider.nip.setText("5260250994")  # one digit off
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Save),
                     Qt.MouseButton.LeftButton)
    assert "NIP" in dialog.message.text() and "kontroln" in dialog.message.text()
    assert window.repos.practice.provider() == stored
