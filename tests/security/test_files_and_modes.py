"""At rest: the data folder 0700 and every file the app writes 0600 (POSIX), no temporary file
left behind on any exit path, no export written unencrypted when the keyring that may hold its
password cannot be read, and one rule for an existing target or a missing folder."""

from __future__ import annotations

import datetime as dt
import errno
import os
import stat
import sys
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from recepcja.cli.main import main
from recepcja.config.logs import setup_logging
from recepcja.config.paths import AppPaths
from recepcja.config.private_files import OutputFileError, write_file
from recepcja.config.secrets import EXPORT_PASSWORD
from recepcja.config.settings import Settings, save_settings
from recepcja.domain.entities import Patient, PatientIdentifier, SlotSpec
from recepcja.domain.model import WARSAW, Urgency
from recepcja.services import booking
from recepcja.services.backup import backup_before_migration
from recepcja.services.context import AppContext
from recepcja.services.emergency import export_queue
from recepcja.store.db import atomic, open_database
from recepcja.store.records import Place, Provider, Resource, ResourceKind, Schedule
from recepcja.store.repos import Repositories

pytestmark = pytest.mark.skipif(sys.platform == "win32",
                                reason="POSIX modes; Windows uses the profile's ACL (ADMIN.md)")
EXAMPLE = Path(__file__).resolve().parents[2] / "resources" / "practice.example.toml"
PESEL = "44051401359"
ENCRYPTED = b"\xd0\xcf\x11\xe0"  # an OLE container: the encrypted OOXML package


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def not_private(folder: Path) -> list[str]:
    """Everything below ``folder`` (itself included) that others could read."""
    found = [] if mode(folder) == 0o700 else [f"{folder} {oct(mode(folder))}"]
    for path in sorted(folder.rglob("*")):
        wanted = 0o700 if path.is_dir() else 0o600
        if mode(path) != wanted:
            found.append(f"{path.relative_to(folder)} {oct(mode(path))}")
    return found


@pytest.fixture
def loose_umask():
    previous = os.umask(0o022)  # a common default: nothing may rely on a stricter one
    yield
    os.umask(previous)


def queued_practice(database: Path) -> None:
    """One emergency booking, so that the exports hold a patient."""
    repos = Repositories.open(database)
    try:
        with atomic(repos.db):
            repos.practice.save_provider(Provider("Przychodnia"))
            place = repos.practice.add_place(Place("Poradnia", cer_id="MUS-1",
                                                   scopes=["cardiology"]))
            doctor = repos.practice.add_resource(Resource(ResourceKind.DOCTOR, "dr Nowak"))
            schedule = repos.schedules.add(Schedule(doctor, place, "cardiology", "Nowak"))
            start = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).astimezone(WARSAW).replace(
                hour=9, minute=0, second=0, microsecond=0)
            repos.slots.add_many(schedule, [SlotSpec(start, start + dt.timedelta(minutes=20))])
            patient = repos.patients.add(Patient(PatientIdentifier(pesel=PESEL), "Jan",
                                                 "Kowalski"), "ania")
            booking.book(repos, patient, repos.slots.at(schedule, start).id, Urgency.URGENT,
                         user="ania", emergency=True, referral_id="SK-1")
        outage = repos.outages.open("offline", error="timeout")
        repos.outages.close(outage)
    finally:
        repos.close()


# --- the folder, the database and its -wal/-shm, the logs -------------------------------------

def test_database_and_its_wal_and_shm_are_private(loose_umask, tmp_path):
    paths = AppPaths(tmp_path / "home").ensure()
    db = open_database(paths.database)
    try:
        with atomic(db):
            db.conn.execute("INSERT INTO sync_state VALUES ('k', 'v', 'x')")
        wal, shm = (paths.database.with_name(paths.database.name + suffix)
                    for suffix in ("-wal", "-shm"))
        assert wal.exists() and shm.exists()
        assert [oct(mode(p)) for p in (paths.database, wal, shm)] == ["0o600"] * 3
    finally:
        db.close()
    assert not_private(paths.root) == []


def test_a_folder_left_open_by_an_older_version_is_closed(loose_umask, tmp_path):
    root = tmp_path / "home"
    (root / "logs").mkdir(parents=True)
    os.chmod(root, 0o755)
    legacy = root / "recepcja.sqlite"
    open_database(legacy).close()
    os.chmod(legacy, 0o644)
    (root / "logs" / "recepcja.log").write_text("old\n", encoding="utf-8")
    os.chmod(root / "logs" / "recepcja.log", 0o644)
    ctx = AppContext.load(AppPaths(root))
    ctx.open_db().close()
    setup_logging(ctx.paths.logs).close()
    assert not_private(root) == []


def test_every_log_file_is_private_also_after_rotation(loose_umask, tmp_path):
    import logging

    handler = setup_logging(tmp_path / "logs")
    try:
        logging.getLogger("recepcja.test").warning("first")
        handler.doRollover()  # what happens at 2 MB
        logging.getLogger("recepcja.test").warning("second")
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()
    files = sorted(p.name for p in (tmp_path / "logs").iterdir())
    assert files == ["recepcja.log", "recepcja.log.1"]
    assert not_private(tmp_path / "logs") == []


def test_what_the_cli_writes_is_private(recepcja, tmp_path):
    """The real command with umask 022: the data folder, the database, the log, exports (Excel
    and PDF), the practice file, a backup and the copies under backups/, the translation cache -
    all private."""
    recepcja.env["RECEPCJA_LANG"] = "pl"  # Polish: the catalog cache is written too
    assert recepcja("setup", "--config", str(EXAMPLE)).code == 0
    queued_practice(recepcja.home / "other.sqlite")  # a second database to restore from
    out = tmp_path / "out"
    out.mkdir()
    for args in (("queue", "export", str(out / "kolejka.xlsx"), "--unencrypted"),
                 ("outages", "export", str(out / "przerwy.xlsx")),
                 ("outages", "export", str(out / "przerwy.pdf")),
                 ("setup", "--export", str(out / "praktyka.toml")),
                 ("backup", str(out / "kopia.sqlite")),
                 ("restore", str(recepcja.home / "other.sqlite"))):
        result = recepcja(*args)
        assert result.code == 0, (args, result.err)
    written = sorted(p.name for p in out.iterdir())
    assert written == ["kolejka.xlsx", "kopia.sqlite", "praktyka.toml", "przerwy.pdf",
                       "przerwy.xlsx"]
    assert [f"{p.name} {oct(mode(p))}" for p in out.iterdir() if mode(p) != 0o600] == []
    assert any(p.name.startswith("recepcja-before-restore-")
               for p in (recepcja.home / "backups").iterdir())
    assert (recepcja.home / "logs" / "recepcja.log").exists()
    assert any((recepcja.home / "cache").glob("translations-pl-*.json"))
    assert not_private(recepcja.home) == []


def test_the_training_simulators_database_is_private(loose_umask, tmp_path):
    from recepcja.simulator.server import SimulatorServer

    training = AppPaths(tmp_path / "home").training().ensure()
    with SimulatorServer(training.root / "simulator"):
        assert any(p.name.endswith("-wal") for p in (training.root / "simulator").iterdir())
        assert not_private(training.root) == []


def test_settings_backups_and_downtime_printout_are_private(loose_umask, tmp_path):
    from recepcja.services.downtime import write_downtime_printout
    from recepcja.services.pdf import NoPdfFont
    from recepcja.store.backup import copy_database

    paths = AppPaths(tmp_path / "home").ensure()
    save_settings(paths.settings, Settings())
    queued_practice(paths.database)
    repos = Repositories.open(paths.database)
    try:
        write_downtime_printout(repos, paths.exports / "wydruk-awaryjny.pdf",
                                now=dt.datetime.now(dt.UTC))
    except NoPdfFont:
        pytest.skip("no TrueType font for the PDF printout on this machine")
    finally:
        repos.close()
    conn = open_database(paths.database)
    conn.conn.execute("DELETE FROM _migrations WHERE rowid = (SELECT max(rowid) FROM "
                      "_migrations)")
    conn.close()
    copy = backup_before_migration(paths)  # the automatic copy before an upgrade
    assert copy is not None and copy.parent == paths.backups
    copy_database(copy, paths.backups / "manual.sqlite")
    assert (paths.exports / "wydruk-awaryjny.pdf").exists()
    assert not_private(paths.root) == []


# --- temporary files never stay ----------------------------------------------------------------

def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_a_failed_export_leaves_no_temporary_file(tmp_path, monkeypatch):
    queued_practice(tmp_path / "db.sqlite")
    out = tmp_path / "out"
    out.mkdir()
    repos = Repositories.open(tmp_path / "db.sqlite")
    try:
        # The disk fills while the file is flushed, or the rename into place fails.
        for failing, overwrite in (("fsync", False), ("replace", True)):
            with monkeypatch.context() as patch:
                patch.setattr(os, failing, _disk_full)
                with pytest.raises(OutputFileError):
                    export_queue(repos, out / "kolejka.xlsx", overwrite=overwrite)
            assert _leftovers(out) == [], failing
    finally:
        repos.close()


def _disk_full(*_args: object, **_kwargs: object) -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_a_failed_write_of_any_file_leaves_nothing(tmp_path, monkeypatch):
    from recepcja.services.pdf import NoPdfFont, Table, write_pdf

    monkeypatch.setattr(os, "fsync", _disk_full)
    with pytest.raises(OutputFileError):
        write_file(tmp_path / "x.bin", b"data", overwrite=False)
    with pytest.raises(OutputFileError):
        save_settings(tmp_path / "settings.toml", Settings())
    try:
        with pytest.raises(OutputFileError):
            write_pdf(tmp_path / "x.pdf", subtitle="s",
                      tables=[Table("t", ("a",), [["1"]], (1,))])
    except NoPdfFont:
        pass  # no TrueType font on this machine: the other two have shown it
    assert _leftovers(tmp_path) == []


# --- the export password ---------------------------------------------------------------------

def test_export_refused_when_the_keyring_cannot_be_read(tmp_path, private_home, capsys):
    queued_practice(private_home / "recepcja.sqlite")
    target = tmp_path / "kolejka.xlsx"
    keyring.set_keyring(fail.Keyring())  # the password may be set; it cannot be read
    assert main(["queue", "export", str(target)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "queue-export-password" in err and "--unencrypted" in err
    assert _leftovers(tmp_path) == []  # nothing at all: no file, no temporary file
    assert main(["queue", "export", str(target), "--unencrypted"]) == 0  # knowingly
    assert target.read_bytes()[:2] == b"PK"


def test_a_locked_keyring_is_refused_the_same(tmp_path, private_home, capsys, memory_keyring,
                                              monkeypatch):
    queued_practice(private_home / "recepcja.sqlite")

    def locked(*_args):
        raise keyring.errors.KeyringLocked("locked")

    monkeypatch.setattr(memory_keyring, "get_password", locked)
    assert main(["queue", "export", str(tmp_path / "k.xlsx")]) == 1
    assert "--unencrypted" in capsys.readouterr().err and not (tmp_path / "k.xlsx").exists()


def test_export_is_encrypted_when_the_password_is_set(tmp_path, private_home, memory_keyring):
    queued_practice(private_home / "recepcja.sqlite")
    memory_keyring.set_password("recepcja", EXPORT_PASSWORD, "tajne")
    assert main(["queue", "export", str(tmp_path / "k.xlsx")]) == 0
    assert (tmp_path / "k.xlsx").read_bytes()[:4] == ENCRYPTED


# --- one rule for an existing file and a missing folder -----------------------------------------

@pytest.mark.parametrize("command", [("queue", "export", "{target}.xlsx", "--unencrypted"),
                                     ("outages", "export", "{target}.xlsx"),
                                     ("outages", "export", "{target}.pdf"),
                                     ("setup", "--export", "{target}.toml"),
                                     ("backup", "{target}.sqlite")])
def test_existing_file_refused_without_force_and_missing_folder_refused(
        command, tmp_path, private_home, capsys):
    from recepcja.services.practice_plan import load_plan
    from recepcja.services.practice_setup import apply_plan

    queued_practice(private_home / "recepcja.sqlite")
    db = open_database(private_home / "recepcja.sqlite")
    apply_plan(db, load_plan(EXAMPLE), "admin")
    db.close()
    target = str(tmp_path / "out")
    args = [part.format(target=target) for part in command]
    path = Path(next(a for a in args if a.startswith(target)))
    path.write_bytes(b"the admin's own file")
    assert main(args) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--force" in err
    assert path.read_bytes() == b"the admin's own file"
    assert main([*args, "--force"]) == 0, capsys.readouterr().err
    assert path.read_bytes() != b"the admin's own file" and mode(path) == 0o600
    capsys.readouterr()

    missing = [a.replace(target, str(tmp_path / "no-such-folder" / "out")) for a in args]
    assert main(missing) == 1
    assert capsys.readouterr().err.count("\n") == 1
    assert not (tmp_path / "no-such-folder").exists()  # never created

    folder = tmp_path / f"a-folder{path.suffix}"
    folder.mkdir()
    assert main([a.replace(str(path), str(folder)) for a in args]) == 1
    assert capsys.readouterr().err.count("\n") == 1
    assert list(folder.iterdir()) == []
