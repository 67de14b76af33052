"""The window's save dialogs start in the data folder's exports/ with the date in the file name
(issue 14): the emergency queue, the call list, the practice's configuration and the PDFs.
Qt's file dialog itself is the edge: it is asked, the test reads what it was offered and
answers "cancel"."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog, QWidget


@pytest.fixture
def offered(monkeypatch) -> list[str]:
    asked: list[str] = []

    def get_save_file_name(parent, caption="", directory="", *_rest, **_kw):
        asked.append(directory)
        return "", ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(get_save_file_name))
    return asked


def test_exports_default_to_the_exports_folder_with_the_date(window, desk_ctx, offered):
    from recepcja.gui.queue_panel import QueuePanel
    from recepcja.gui.settings import PracticeSettings

    day = window.clock().date().isoformat()
    exports = desk_ctx.paths.exports
    queue = next(e for e in window.extensions if isinstance(e, QueuePanel))
    queue.export()
    queue.show_call_list().export()
    queue.call_dialog.close()
    settings = next(e for e in window.extensions if isinstance(e, PracticeSettings))
    dialog = settings.open()
    dialog.export()
    dialog.close()
    window.printout("day", pdf=True)
    assert [Path(path).parent for path in offered] == [exports] * 4, offered
    names = [Path(path).name for path in offered]
    assert names[0] == f"kolejka_awaryjna-{day}.xlsx"
    assert names[1] == f"do_telefonu-{day}.xlsx"
    assert names[2].startswith("praktyka-") and names[2].endswith(".toml")
    assert names[3] == f"wizyty-{day}.pdf"
    assert isinstance(window, QWidget)
