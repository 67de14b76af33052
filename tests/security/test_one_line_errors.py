"""Every error is one clear line and a non-zero exit, never a traceback - checked on the real
command in a subprocess, for each case the issue found a traceback in; plus an empty or damaged
database, which is refused naming the backups, and a restore that repairs a damaged one."""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from support import hostile_xml

EXAMPLE = Path(__file__).resolve().parents[2] / "resources" / "practice.example.toml"
PESEL = "44051401359"


def test_recepcja_home_that_is_a_file_or_below_a_file(recepcja, tmp_path):
    afile = tmp_path / "plik"
    afile.write_text("not a folder", encoding="utf-8")
    for home in (afile, afile / "below"):
        recepcja.home = home
        for args in (("status",), ("patients", "find", "Kowalski")):
            result = recepcja(*args)
            assert result.one_line_error, (home, args, result.err)
            assert str(afile) in result.err
    assert afile.read_text(encoding="utf-8") == "not a folder"


def test_recepcja_home_read_only(recepcja):
    assert recepcja("status").code == 0  # the folder exists, as on a real desk
    folders = [recepcja.home, *(p for p in recepcja.home.rglob("*") if p.is_dir())]
    if os.geteuid() == 0:
        # Root writes through any mode bits; an immutable folder it cannot write either.
        if shutil.which("chattr") is None or subprocess.run(
                ["chattr", "+i", *map(str, folders)], check=False).returncode != 0:
            pytest.skip("running as root without chattr +i: no folder is read-only for root")
    else:
        for folder in folders:
            os.chmod(folder, 0o555)
    try:
        result = recepcja("patients", "find", "Kowalski")
    finally:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", *map(str, folders)], check=True)
        else:
            for folder in folders:
                os.chmod(folder, 0o700)
    assert result.one_line_error, result.err
    assert "read-only" in result.err and "RECEPCJA_HOME" in result.err


def test_setup_config_that_is_a_folder(recepcja, tmp_path):
    result = recepcja("setup", "--config", str(tmp_path))
    assert result.one_line_error and "folder" in result.err, result.err


@pytest.mark.parametrize("target", ["folder.xlsx", "/proc/1/kolejka.xlsx"])
def test_export_to_a_folder_or_an_unwritable_path(recepcja, tmp_path, target):
    (tmp_path / "folder.xlsx").mkdir()
    path = tmp_path / target if not target.startswith("/") else Path(target)
    for args in (("queue", "export", str(path), "--unencrypted"),
                 ("outages", "export", str(path))):
        result = recepcja(*args)
        assert result.one_line_error, (args, result.err)


def _damage_mid_file(database: Path) -> None:
    """Scribble over pages in the middle: the header and the schema stay readable, the
    tables' b-trees do not."""
    data = bytearray(database.read_bytes())
    page = 4096
    for offset in range(page * 3, len(data) - page, page):
        data[offset:offset + 512] = b"\xff" * 512
    database.write_bytes(bytes(data))


def _practice_with_a_queue(recepcja) -> None:
    assert recepcja("setup", "--config", str(EXAMPLE)).code == 0
    for pesel, last in (("44051401359", "Kowalski"), ("02070803628", "Kowalska"),
                        ("85010112345", "Kowalskiego")):
        result = recepcja("patients", "add", "--pesel", pesel, "--first-name", "Jan",
                          "--last-name", last)
        assert result.code == 0, result.err


def test_queue_list_on_a_database_damaged_mid_file(recepcja):
    _practice_with_a_queue(recepcja)
    database = recepcja.home / "recepcja.sqlite"
    _damage_mid_file(database)
    result = recepcja("queue", "list")
    assert result.one_line_error, result.err
    assert "damaged" in result.err and "recepcja restore" in result.err


def _workbook_with_dtd(path: Path) -> None:
    from openpyxl import Workbook

    buffer = io.BytesIO()
    book = Workbook()
    book.active.append(["Lp.", "Imię"])
    book.save(buffer)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source, \
            zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                dtd = hostile_xml.xxe_doctype().encode()
                if data.startswith(b"<?xml"):
                    end = data.index(b"?>") + 2
                    data = data[:end] + dtd + data[end:]
                else:
                    data = dtd + data
            target.writestr(item, data)


def test_importing_an_xlsx_with_a_dtd(recepcja, tmp_path):
    path = tmp_path / "wrogi.xlsx"
    _workbook_with_dtd(path)
    for args in (("queue", "import", str(path)), ("initial-load", str(path))):
        result = recepcja(*args)
        assert result.one_line_error, (args, result.err)
        assert "DTD" in result.err


def test_secret_set_without_a_terminal(monkeypatch, capsys, memory_keyring):
    """With a keyring (the subprocesses here have none) and stdin not a terminal: getpass
    would read EOF from it."""
    from recepcja.cli.main import main

    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["secret", "set", "queue-export-password"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--stdin" in err and "Traceback" not in err
    assert memory_keyring.secrets == {}


@pytest.mark.parametrize("args", [("status",), ("status", "--json"),
                                  ("patients", "find", "Kowal", "--json")])
def test_output_into_a_closed_pipe(recepcja, args):
    """``recepcja ... | head`` where head has already gone: a real pipe whose reader is closed
    before the command writes its first byte."""
    _practice_with_a_queue(recepcja)
    reader, writer = os.pipe()
    os.close(reader)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "recepcja", *args], stdout=writer, stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL, env=recepcja.environment(), timeout=90, check=False)
    finally:
        os.close(writer)
    err = proc.stderr.decode()
    assert proc.returncode != 0 and "Traceback" not in err and "Exception ignored" not in err
    assert len(err.strip().splitlines()) == 1 and "broken pipe" in err


def test_the_window_without_a_display(recepcja):
    recepcja.env["QT_QPA_PLATFORM"] = None  # unset: the real default of a desk's session
    result = recepcja()
    assert result.one_line_error, result.err
    assert result.code != 134 and "QT_QPA_PLATFORM=offscreen" in result.err
    assert "recepcja --help" in result.err



def test_the_window_on_xcb_without_a_display_says_so_in_polish(recepcja):
    """QT_QPA_PLATFORM=xcb forced (a desktop's profile) over SSH: Qt itself would abort (exit
    134, its message about the "xcb" plugin) before the app could say a word."""
    recepcja.env.update({"QT_QPA_PLATFORM": "xcb", "RECEPCJA_LANG": "pl"})
    result = recepcja()
    assert result.one_line_error, result.err
    assert result.code == 1
    assert result.err.startswith("recepcja: Brak ekranu: QT_QPA_PLATFORM=xcb")
    assert "DISPLAY nie jest ustawione" in result.err and "xcb" in result.err

# --- an empty or a damaged database --------------------------------------------------------------

def test_an_empty_database_is_refused_naming_it_and_the_backups(recepcja, tmp_path):
    _practice_with_a_queue(recepcja)
    backup = tmp_path / "kopia.sqlite"
    assert recepcja("backup", str(backup)).code == 0
    assert recepcja("restore", str(backup)).code == 0  # leaves a copy in backups/
    database = recepcja.home / "recepcja.sqlite"
    for suffix in ("-wal", "-shm"):
        database.with_name(database.name + suffix).unlink(missing_ok=True)
    database.write_bytes(b"")
    result = recepcja("patients", "find", "Kowalski")
    assert result.one_line_error, result.err
    assert str(database) in result.err and "recepcja-before-restore-" in result.err
    assert database.stat().st_size == 0  # not turned into a new, empty practice


def test_restore_repairs_a_damaged_database_and_keeps_it_aside(recepcja, tmp_path):
    _practice_with_a_queue(recepcja)
    backup = tmp_path / "kopia.sqlite"
    assert recepcja("backup", str(backup)).code == 0
    database = recepcja.home / "recepcja.sqlite"
    _damage_mid_file(database)
    damaged = database.read_bytes()
    assert recepcja("queue", "list").code == 1

    result = recepcja("restore", str(backup), "--json")
    assert result.code == 0, result.err

    answer = json.loads(result.out)
    assert result.err == ""
    kept = Path(answer["damaged_copy"])
    assert kept.parent == recepcja.home / "backups"
    assert kept.name.startswith("recepcja-damaged-") and kept.read_bytes() == damaged
    assert answer["integrity"] == "ok"
    assert recepcja("queue", "list").code == 0
    found = recepcja("patients", "find", "Kowal", "--json")
    assert found.code == 0 and len(json.loads(found.out)) == 3

    database.write_bytes(b"")  # an empty one is repaired the same way
    assert recepcja("restore", str(backup)).code == 0
    conn = sqlite3.connect(database)
    try:
        assert conn.execute("SELECT count(*) FROM patients").fetchone() == (3,)
    finally:
        conn.close()
