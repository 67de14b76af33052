"""First start (gui/first_start.py): a broken practice file is refused in one Polish line that
names the file and the line - never tomllib's English ("Expected '=' after a key ...")."""

from __future__ import annotations

from pathlib import Path

from recepcja.gui.first_start import FirstStartDialog
from recepcja.services.practice_setup import setup_practice
from recepcja.store.repos import Repositories

EXAMPLE = Path(__file__).resolve().parents[2] / "resources" / "practice.example.toml"


def test_a_broken_practice_file_is_one_polish_line_naming_file_and_line(qtbot, tmp_path):
    repos = Repositories.open(tmp_path / "recepcja.sqlite")
    try:
        dialog = FirstStartDialog(lambda path: setup_practice(repos.db, path, "test"),
                                  launch=lambda: True)
        qtbot.addWidget(dialog)
        dialog.show()
        lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
        broken = next(n for n, line in enumerate(lines)
                      if " = " in line and not line.lstrip().startswith("#"))
        lines[broken] = lines[broken].replace(" = ", " ", 1)  # the "=" forgotten
        path = tmp_path / "placówka.toml"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        dialog.setup(path)
        text = dialog.error.text()
        assert dialog.isVisible() and dialog.error.isVisible()
        assert text == (f"Plik opisu placówki {path}, wiersz {broken + 1}: oczekiwano wiersza "
                        "„klucz = wartość” (brak „=”?)."), text
        assert not repos.practice.places()  # nothing set up
        dialog.setup(EXAMPLE)  # the right file: set up, the dialog closes
        assert not dialog.isVisible() and repos.practice.places()
    finally:
        repos.close()
