"""The simulator's own SQLite file: CeR's state, which survives a restart.

Concurrency: the simulator is served by many threads at once (20 concurrent clients in the tests,
plus the actor and push threads). Each thread gets its own connection (SQLite connections must not
be shared mid-transaction); every write runs inside ``Store.write()``, which holds one process-wide
lock and a ``BEGIN IMMEDIATE`` transaction, so "is this slot free? then book it" can never
interleave with another booking. Reads run in a deferred transaction and see one WAL snapshot.
The partial unique index on live visits is the last line of defence: even a bug in a rule cannot
put two ordinary bookings into one slot (only ``force-bookings`` may, on purpose).

IDs are CeR's: a prefix and the row number (``SLT-123`` is row 123 of ``slot``), so a lookup by ID
is a primary-key lookup. ``AUTOINCREMENT`` keeps numbers from being reused after deletes or a
reset, so an ID a client still holds never silently points to a different object.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

DB_FILE = "cer-simulator.sqlite3"
SCHEMA_VERSION = 2  # 2: the e-referral tables (skierowanie, ...)

_TABLES = (
    "mus", "punkt_mobilny", "harmonogram", "slot", "wizyta", "wpis_oczekujacych", "zgloszenie",
    "notyfikacja", "ustawienie", "skierowanie", "odmowa_skierowania", "historia_skierowania",
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS mus (
    num INTEGER PRIMARY KEY AUTOINCREMENT,
    czesc_i TEXT NOT NULL, czesc_v TEXT NOT NULL, czesc_vii TEXT NOT NULL,
    nazwa TEXT NOT NULL, ulica TEXT NOT NULL, kod_pocztowy TEXT NOT NULL, miejscowosc TEXT NOT NULL,
    zakresy TEXT NOT NULL,
    stan TEXT NOT NULL DEFAULT 'ZAREJESTROWANE',
    zasilenie_inicjalne INTEGER NOT NULL DEFAULT 0,
    oid_root TEXT, oid_ext TEXT,
    utworzono TEXT NOT NULL, zmieniono TEXT NOT NULL, aktywowano TEXT,
    UNIQUE (czesc_i, czesc_v, czesc_vii)
);
CREATE TABLE IF NOT EXISTS punkt_mobilny (
    num INTEGER PRIMARY KEY AUTOINCREMENT,
    mus_num INTEGER NOT NULL REFERENCES mus(num),
    identyfikator_lokalny TEXT NOT NULL,
    nazwa TEXT NOT NULL, ulica TEXT NOT NULL, kod_pocztowy TEXT NOT NULL, miejscowosc TEXT NOT NULL,
    data_od TEXT NOT NULL, data_do TEXT,
    UNIQUE (mus_num, identyfikator_lokalny)
);
CREATE TABLE IF NOT EXISTS harmonogram (
    num INTEGER PRIMARY KEY AUTOINCREMENT,
    mus_num INTEGER NOT NULL REFERENCES mus(num),
    identyfikator_lokalny TEXT NOT NULL,
    zakres TEXT NOT NULL,
    zasob_typ TEXT NOT NULL, zasob_nazwa TEXT NOT NULL, npwz TEXT,
    punkt_num INTEGER REFERENCES punkt_mobilny(num),
    opis TEXT,
    utworzono TEXT NOT NULL, zmieniono TEXT NOT NULL,
    UNIQUE (mus_num, identyfikator_lokalny)
);
CREATE TABLE IF NOT EXISTS slot (
    num INTEGER PRIMARY KEY AUTOINCREMENT,
    harmonogram_num INTEGER NOT NULL REFERENCES harmonogram(num),
    identyfikator_lokalny TEXT,
    poczatek TEXT NOT NULL, koniec TEXT NOT NULL,
    rodzaj TEXT NOT NULL,
    usuniety INTEGER NOT NULL DEFAULT 0,
    utworzono TEXT NOT NULL,
    CHECK (koniec > poczatek)
);
CREATE UNIQUE INDEX IF NOT EXISTS slot_lokalny ON slot (harmonogram_num, identyfikator_lokalny)
    WHERE identyfikator_lokalny IS NOT NULL;
CREATE INDEX IF NOT EXISTS slot_czas ON slot (harmonogram_num, usuniety, poczatek);
CREATE TABLE IF NOT EXISTS wizyta (
    num INTEGER PRIMARY KEY AUTOINCREMENT,
    identyfikator_wizyty TEXT UNIQUE,
    slot_num INTEGER NOT NULL REFERENCES slot(num),
    pesel TEXT, rodzaj_dokumentu TEXT, numer_dokumentu TEXT,
    imie TEXT NOT NULL, nazwisko TEXT NOT NULL, telefon TEXT, data_urodzenia TEXT,
    kategoria TEXT, id_zgloszenia TEXT, id_skierowania TEXT,
    zrodlo TEXT NOT NULL,
    stan TEXT NOT NULL,
    wersja INTEGER NOT NULL,
    zmieniono TEXT NOT NULL, utworzono TEXT NOT NULL,
    wymuszona INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX IF NOT EXISTS wizyta_jedna_w_slocie ON wizyta (slot_num)
    WHERE stan = 'ZAREZERWOWANA' AND wymuszona = 0;
CREATE INDEX IF NOT EXISTS wizyta_slot ON wizyta (slot_num, stan);
CREATE TABLE IF NOT EXISTS wpis_oczekujacych (
    num INTEGER PRIMARY KEY AUTOINCREMENT,
    mus_num INTEGER NOT NULL REFERENCES mus(num),
    identyfikator_wpisu TEXT NOT NULL UNIQUE,
    zakres TEXT NOT NULL,
    pesel TEXT, rodzaj_dokumentu TEXT, numer_dokumentu TEXT,
    imie TEXT NOT NULL, nazwisko TEXT NOT NULL, telefon TEXT, data_urodzenia TEXT,
    kategoria TEXT NOT NULL, id_zgloszenia TEXT,
    data_odniesienia TEXT NOT NULL,
    utworzono TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS zgloszenie (
    num INTEGER PRIMARY KEY AUTOINCREMENT,
    pesel TEXT NOT NULL, zakres TEXT NOT NULL, kategoria TEXT NOT NULL,
    data TEXT NOT NULL, status TEXT NOT NULL, utworzono TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS zgloszenie_pesel ON zgloszenie (pesel);
CREATE TABLE IF NOT EXISTS notyfikacja (
    kursor INTEGER PRIMARY KEY AUTOINCREMENT,
    rodzaj TEXT NOT NULL,
    czas TEXT NOT NULL,
    mus_num INTEGER NOT NULL,
    wizyta_num INTEGER NOT NULL,
    wizyta_json TEXT NOT NULL,
    dostarczona INTEGER NOT NULL DEFAULT 0,
    proby INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS notyfikacja_do_wyslania ON notyfikacja (dostarczona, kursor);
CREATE TABLE IF NOT EXISTS ustawienie (klucz TEXT PRIMARY KEY, wartosc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS skierowanie (
    num INTEGER PRIMARY KEY AUTOINCREMENT,
    klucz TEXT NOT NULL UNIQUE CHECK (length(klucz) = 44),
    kod_dostepu TEXT NOT NULL CHECK (length(kod_dostepu) = 4),
    pesel TEXT NOT NULL, imie TEXT NOT NULL, nazwisko TEXT NOT NULL,
    wystawca_nazwa TEXT NOT NULL, lekarz TEXT,
    specjalnosc_kod TEXT NOT NULL, specjalnosc_nazwa TEXT NOT NULL,
    data_wystawienia TEXT NOT NULL,
    refundacja TEXT NOT NULL CHECK (refundacja IN ('R', 'N')),
    status TEXT NOT NULL
        CHECK (status IN ('WYSTAWIONE', 'U_REALIZATORA', 'ZREALIZOWANE', 'ANULOWANE')),
    realizator_oid_root TEXT, realizator_oid_ext TEXT,
    refundacja_realizacji TEXT, data_wizyty TEXT, data_realizacji TEXT,
    zmieniono TEXT NOT NULL, utworzono TEXT NOT NULL,
    UNIQUE (pesel, kod_dostepu)
);
CREATE TABLE IF NOT EXISTS odmowa_skierowania (
    num INTEGER PRIMARY KEY AUTOINCREMENT,
    skierowanie_num INTEGER NOT NULL REFERENCES skierowanie(num),
    oid_root TEXT NOT NULL, oid_ext TEXT NOT NULL, komentarz TEXT NOT NULL, czas TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS historia_skierowania (
    num INTEGER PRIMARY KEY AUTOINCREMENT,
    skierowanie_num INTEGER NOT NULL REFERENCES skierowanie(num),
    operacja TEXT NOT NULL, oid_root TEXT, oid_ext TEXT, czas TEXT NOT NULL, status TEXT NOT NULL
);
"""


def _make_private(path: Path) -> None:
    """Its patients are made up, but a PESEL is a PESEL: the simulator's database (and so its
    -wal and -shm, which SQLite creates with the database's mode) only for its owner."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))  # SQLite fills an empty file
        if os.name == "posix":
            os.chmod(path, 0o600)
    except OSError:
        pass  # not ours to change: SQLite reports a file it cannot use


class Store:
    """Connections to the simulator's database, one per thread, and its write lock."""

    def __init__(self, data_dir: Path) -> None:
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.path = data_dir / DB_FILE
        _make_private(self.path)
        self._local = threading.local()
        self._write_lock = threading.RLock()
        self._all: list[sqlite3.Connection] = []
        self._all_lock = threading.Lock()
        self._closed = False
        with self._write_lock:
            conn = self._connection()
            conn.executescript(_SCHEMA)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        if self._closed:
            raise RuntimeError("the simulator's store is closed")
        # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE / BEGIN), never implied.
        conn = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, timeout=30
        )
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA busy_timeout = 30000")
        self._local.conn = conn
        with self._all_lock:
            self._all.append(conn)
        return conn

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One serialised write transaction: committed on success, rolled back on any error."""
        with self._write_lock:
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: one consistent snapshot, never blocking writers (WAL)."""
        conn = self._connection()
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            conn.execute("COMMIT")

    def reset(self) -> None:
        """Delete every row (IDs keep counting, see the module docstring)."""
        with self.write() as conn:
            for table in reversed(_TABLES):
                conn.execute(f"DELETE FROM {table}")

    def integrity_check(self) -> str:
        with self.read() as conn:
            return str(conn.execute("PRAGMA integrity_check").fetchone()[0])

    def get_setting(self, conn: sqlite3.Connection, key: str) -> str | None:
        row = conn.execute("SELECT wartosc FROM ustawienie WHERE klucz = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def put_setting(self, conn: sqlite3.Connection, key: str, value: str | None) -> None:
        if value is None:
            conn.execute("DELETE FROM ustawienie WHERE klucz = ?", (key,))
        else:
            conn.execute(
                "INSERT INTO ustawienie (klucz, wartosc) VALUES (?, ?) "
                "ON CONFLICT (klucz) DO UPDATE SET wartosc = excluded.wartosc",
                (key, value),
            )

    def close(self) -> None:
        self._closed = True
        with self._all_lock:
            conns, self._all = self._all, []
        for conn in conns:
            try:
                conn.close()
            except sqlite3.Error:  # pragma: no cover - closing a connection mid-use at shutdown
                pass


def make_id(prefix: str, num: int) -> str:
    return f"{prefix}-{num}"


def parse_id(prefix: str, value: str | None) -> int | None:
    """Row number of ``PREFIX-n``; None for anything else (which then is simply not found)."""
    if not value or not value.startswith(prefix + "-"):
        return None
    digits = value[len(prefix) + 1 :]
    if not digits.isdigit() or len(digits) > 18:
        return None
    return int(digits)
