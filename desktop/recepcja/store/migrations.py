"""Named schema migrations: the only way the schema changes.

``MIGRATIONS`` is an ordered tuple of ``(name, function)``. Each pending migration runs in ONE
transaction together with its row in ``_migrations`` (name, applied_at), so a crash leaves it
either fully applied and recorded or not at all; running them again is a no-op. A database that
records a migration this code does not know was written by a newer version: we refuse to touch
it rather than guess.

Append new migrations at the end; never edit or reorder one that has shipped. Each has a
PostgreSQL form in ``migrations_pg.POSTGRESQL`` under the same name (the SQLite function itself
when its SQL is portable): a practice database is migrated by the same names, and a test fails
when one is missing.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable, Mapping
from pathlib import Path

from recepcja.domain.errors import N_
from recepcja.store.codec import fold, utc_text
from recepcja.store.db import BUSY_TIMEOUT_MS, Database, UnusableDatabaseError, atomic

MigrationFunction = Callable[[Database], None]

def _run(db: Database, script: str) -> None:
    """Run ``;``-separated DDL statements one by one, inside the caller's transaction
    (``executescript`` would COMMIT first and break the one-transaction rule)."""
    for statement in _split(script):
        db.conn.execute(statement)


def _split(script: str) -> list[str]:
    """Split on ``;`` at the end of a line, keeping trigger bodies (``...; END;``) whole."""
    statements: list[str] = []
    current: list[str] = []
    in_trigger = False
    for line in script.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("--"):
            continue
        current.append(line)
        if stripped.upper().startswith("CREATE TRIGGER"):
            in_trigger = True
        if stripped.endswith(";") and (not in_trigger or stripped.upper() == "END;"):
            statements.append("\n".join(current))
            current = []
            in_trigger = False
    if current:
        statements.append("\n".join(current))
    return statements


# --- 0001: the base schema -------------------------------------------------------------------

_BASE_SCHEMA = """
CREATE TABLE provider (
    id INTEGER PRIMARY KEY CHECK (id = 1),  -- one practice per database
    name TEXT NOT NULL,
    nip TEXT,
    regon TEXT,
    oid_root TEXT,
    oid_extension TEXT,
    updated_at TEXT NOT NULL
);
CREATE TABLE places (
    id INTEGER PRIMARY KEY,
    provider_id INTEGER NOT NULL REFERENCES provider(id),
    name TEXT NOT NULL,
    rpwdl_codes TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(rpwdl_codes)),
    address TEXT,
    scopes TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(scopes)),
    cer_id TEXT UNIQUE,
    cer_registered_at TEXT,
    cer_active_at TEXT,
    created_at TEXT NOT NULL
);
CREATE TABLE mobile_points (
    id INTEGER PRIMARY KEY,
    place_id INTEGER NOT NULL REFERENCES places(id),
    name TEXT NOT NULL,
    code TEXT,
    address TEXT,
    cer_id TEXT UNIQUE,
    cer_imported_at TEXT,
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at TEXT NOT NULL
);
CREATE TABLE resources (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('doctor', 'device', 'room')),
    name TEXT NOT NULL,
    licence_number TEXT,
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at TEXT NOT NULL
);
CREATE TABLE schedules (
    id INTEGER PRIMARY KEY,
    resource_id INTEGER NOT NULL REFERENCES resources(id),
    place_id INTEGER NOT NULL REFERENCES places(id),
    mobile_point_id INTEGER REFERENCES mobile_points(id),
    scope_code TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    template TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(template)),
    cer_id TEXT UNIQUE,
    cer_created_at TEXT,
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at TEXT NOT NULL
);
CREATE TABLE schedule_exceptions (
    id INTEGER PRIMARY KEY,
    schedule_id INTEGER NOT NULL REFERENCES schedules(id),
    first_day TEXT NOT NULL,
    last_day TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    CHECK (last_day >= first_day)
);
CREATE TABLE slots (
    id INTEGER PRIMARY KEY,
    schedule_id INTEGER NOT NULL REFERENCES schedules(id),
    start_utc TEXT NOT NULL,
    end_utc TEXT NOT NULL,
    local_date TEXT NOT NULL,
    term_kind TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'free' CHECK (state IN ('free', 'booked', 'blocked')),
    cer_id TEXT UNIQUE,
    published_at TEXT,
    withdrawn_at TEXT,
    CHECK (end_utc > start_utc),
    UNIQUE (schedule_id, start_utc)
);
-- No two slots of one schedule overlap. Stored slots never overlap, so (sorted by start) their
-- ends are sorted too and the only candidate for a clash is the last slot starting before the
-- new one ends: one index seek instead of a scan of the schedule. An exact duplicate is left to
-- UNIQUE (schedule_id, start_utc), so INSERT OR IGNORE can skip it while a real overlap aborts.
CREATE TRIGGER slots_no_overlap_insert BEFORE INSERT ON slots
WHEN EXISTS (
    SELECT 1 FROM (
        SELECT start_utc, end_utc FROM slots
        WHERE schedule_id = NEW.schedule_id AND start_utc < NEW.end_utc
        ORDER BY start_utc DESC LIMIT 1
    ) AS previous
    WHERE previous.end_utc > NEW.start_utc
      AND NOT (previous.start_utc = NEW.start_utc AND previous.end_utc = NEW.end_utc)
)
BEGIN
    SELECT RAISE(ABORT, 'slot overlaps another slot of the same schedule');
END;
CREATE TRIGGER slots_no_overlap_update BEFORE UPDATE OF schedule_id, start_utc, end_utc ON slots
WHEN EXISTS (
    SELECT 1 FROM (
        SELECT start_utc, end_utc FROM slots
        WHERE schedule_id = NEW.schedule_id AND start_utc < NEW.end_utc AND id <> NEW.id
        ORDER BY start_utc DESC LIMIT 1
    ) AS previous
    WHERE previous.end_utc > NEW.start_utc
      AND NOT (previous.start_utc = NEW.start_utc AND previous.end_utc = NEW.end_utc)
)
BEGIN
    SELECT RAISE(ABORT, 'slot overlaps another slot of the same schedule');
END;
CREATE TABLE patients (
    id INTEGER PRIMARY KEY,
    local_id TEXT NOT NULL UNIQUE,
    pesel TEXT UNIQUE CHECK (pesel IS NULL OR (length(pesel) = 11 AND pesel NOT GLOB '*[^0-9]*')),
    document_type TEXT,
    document_number TEXT,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    phone TEXT,
    birth_date TEXT,
    sex TEXT NOT NULL DEFAULT 'U' CHECK (sex IN ('F', 'M', 'U')),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    merged_into INTEGER REFERENCES patients(id),
    UNIQUE (document_type, document_number),
    -- exactly one identifier, as CeR identifies a patient: a PESEL or a complete document
    CHECK ((pesel IS NULL) <> (document_type IS NULL OR document_number IS NULL))
);
CREATE TABLE visits (
    id INTEGER PRIMARY KEY,
    visit_uid TEXT NOT NULL UNIQUE,
    patient_id INTEGER NOT NULL REFERENCES patients(id),
    slot_id INTEGER REFERENCES slots(id),
    scope_code TEXT,
    urgency TEXT NOT NULL CHECK (urgency IN ('urgent', 'stable')),
    central_request_id TEXT,
    central_request_date TEXT,
    referral_id TEXT,
    state TEXT NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'confirmed', 'cancelled', 'waiting_list')),
    attendance TEXT NOT NULL DEFAULT 'expected'
        CHECK (attendance IN ('expected', 'arrived', 'no_show')),
    cer_id TEXT UNIQUE,
    cer_version TEXT,
    source TEXT NOT NULL CHECK (source IN ('desk', 'portal', 'other_provider', 'waiting_room',
                                           'initial_load', 'emergency_import')),
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    cancelled_at TEXT,
    cancelled_reason TEXT,
    version INTEGER NOT NULL DEFAULT 1,
    CHECK (state <> 'waiting_list' OR slot_id IS NULL)
);
-- The database itself refuses two live visits in one slot, whatever the code above it does.
CREATE UNIQUE INDEX visits_one_live_per_slot ON visits (slot_id)
    WHERE slot_id IS NOT NULL AND state IN ('pending', 'confirmed');
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: id order is replay order
    op TEXT NOT NULL,
    visit_id INTEGER REFERENCES visits(id),
    payload TEXT NOT NULL CHECK (json_valid(payload)),
    state TEXT NOT NULL DEFAULT 'queued'
        CHECK (state IN ('queued', 'sending', 'sent', 'done', 'failed', 'rejected', 'ambiguous')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    last_error TEXT,
    result TEXT CHECK (result IS NULL OR json_valid(result)),
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    emergency INTEGER NOT NULL DEFAULT 0 CHECK (emergency IN (0, 1)),
    idempotency_key TEXT NOT NULL UNIQUE
);
CREATE TABLE notifications (
    id INTEGER PRIMARY KEY,
    cer_notification_id TEXT NOT NULL UNIQUE,  -- a duplicate push or pull is ignored
    kind TEXT NOT NULL,
    channel TEXT NOT NULL DEFAULT 'push' CHECK (channel IN ('push', 'pull')),
    cer_version TEXT,
    cer_timestamp TEXT,
    received_at TEXT NOT NULL,
    payload TEXT NOT NULL,
    applied_at TEXT,
    outcome TEXT
);
CREATE TABLE outage_log (
    id INTEGER PRIMARY KEY,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    state TEXT NOT NULL,
    error TEXT,
    detail TEXT CHECK (detail IS NULL OR json_valid(detail)),
    failed_calls INTEGER NOT NULL DEFAULT 0,
    CHECK (ended_at IS NULL OR ended_at >= started_at)
);
CREATE TABLE sync_state (
    key TEXT PRIMARY KEY,
    value TEXT,
    updated_at TEXT NOT NULL
);
"""


def _base_schema(db: Database) -> None:
    _run(db, _BASE_SCHEMA)


# --- 0002: patient search and day-view indexes -----------------------------------------------

_SEARCH_INDEXES = """
CREATE INDEX patients_by_folded_name ON patients (last_name_folded, first_name_folded);
CREATE INDEX patients_by_phone ON patients (phone) WHERE phone IS NOT NULL;
CREATE INDEX slots_by_day ON slots (schedule_id, local_date, start_utc);
CREATE INDEX slots_free_by_start ON slots (schedule_id, start_utc) WHERE state = 'free';
CREATE INDEX visits_by_slot ON visits (slot_id);
CREATE INDEX visits_by_patient ON visits (patient_id, created_at);
-- Only unfinished rows: done rows pile up forever, the rows the sync engine looks for stay few.
CREATE INDEX outbox_due ON outbox (state, next_attempt_at, id)
    WHERE state IN ('queued', 'sending', 'sent', 'failed', 'ambiguous');
CREATE INDEX outbox_by_visit ON outbox (visit_id) WHERE visit_id IS NOT NULL;
CREATE INDEX notifications_unapplied ON notifications (id) WHERE applied_at IS NULL;
CREATE INDEX schedule_exceptions_by_schedule ON schedule_exceptions (schedule_id, first_day);
CREATE INDEX schedules_by_resource ON schedules (resource_id);
"""


def _patient_search(db: Database) -> None:
    """Folded names for case/diacritic-insensitive prefix search ("zolw" finds "Żółw"), back-
    filled in Python (SQLite's lower() knows no Polish letters), plus the indexes behind the
    desk's searches and day views."""
    db.conn.execute("ALTER TABLE patients ADD COLUMN last_name_folded TEXT NOT NULL DEFAULT ''")
    db.conn.execute("ALTER TABLE patients ADD COLUMN first_name_folded TEXT NOT NULL DEFAULT ''")
    rows = db.conn.execute("SELECT id, first_name, last_name FROM patients").fetchall()
    db.conn.executemany(
        "UPDATE patients SET last_name_folded = ?, first_name_folded = ? WHERE id = ?",
        [(fold(last), fold(first), patient_id) for patient_id, first, last in rows],
    )
    _run(db, _SEARCH_INDEXES)


# --- 0003: the audit log ---------------------------------------------------------------------

_AUDIT_LOG = """
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    user TEXT NOT NULL,
    action TEXT NOT NULL,
    patient_id INTEGER REFERENCES patients(id),
    visit_id INTEGER REFERENCES visits(id),
    detail TEXT  -- never a PESEL: AuditLog masks 11-digit runs before writing
);
CREATE INDEX audit_by_patient ON audit_log (patient_id, at) WHERE patient_id IS NOT NULL;
CREATE INDEX audit_by_time ON audit_log (at);
"""


def _audit_log(db: Database) -> None:
    """Who saw or changed which patient's data, and when (GDPR accountability)."""
    _run(db, _AUDIT_LOG)


# --- 0004: rejected bookings stay in the queue until a person acts -------------------------------


def outbox_rejected_index(db: Database) -> None:
    """The queue lists bookings CeR rejected while their visit still holds a term here; done
    rows pile up forever, rejected ones stay few: a partial index finds them without a scan."""
    db.conn.execute("CREATE INDEX outbox_rejected ON outbox (id) WHERE state = 'rejected'")


# --- 0005: another desk's local ID for a patient stays findable --------------------------------

_PATIENT_ALIASES = """
CREATE TABLE patient_aliases (
    alias TEXT NOT NULL,  -- e.g. L-R2-000007: the local ID another desk gave this patient
    patient_id INTEGER NOT NULL REFERENCES patients(id),
    source TEXT NOT NULL DEFAULT '',  -- where it came from (a queue import's file name)
    created_at TEXT NOT NULL,
    PRIMARY KEY (alias, patient_id)
);
CREATE INDEX patient_aliases_by_patient ON patient_aliases (patient_id);
"""


def _patient_aliases(db: Database) -> None:
    """Local IDs other workstations gave a patient (a queue import from another desk): the
    paper slip the patient holds names one of them, so search and booking find it."""
    _run(db, _PATIENT_ALIASES)


# --- 0006: the database's identity ------------------------------------------------------------


def _database_identity(db: Database) -> None:
    """A UUID made when the database is set up: a desk pointed at a practice database remembers
    it and refuses a database of another practice (``services/database.py``)."""
    import uuid  # here: the module (and platform, which it imports) is not needed to start

    db.conn.execute(
        "CREATE TABLE database_identity (id INTEGER PRIMARY KEY CHECK (id = 1), "
        "uuid TEXT NOT NULL, created_at TEXT NOT NULL)"
    )
    db.conn.execute(
        "INSERT INTO database_identity (id, uuid, created_at) VALUES (1, ?, ?)",
        (str(uuid.uuid4()), utc_text(dt.datetime.now(dt.UTC))),
    )


# --- 0007: who claimed an outbox row -------------------------------------------------------


def _outbox_claimed_by(db: Database) -> None:
    """The lease token of the sender that claimed a row (``store.sender_lock``): at start a
    sender takes over only rows claimed under another token - a sender that is gone. And the
    few finished rows whose visit waits to be put on the term CeR holds it on
    (``result.put_back``), found without reading every finished row."""
    db.conn.execute("ALTER TABLE outbox ADD COLUMN claimed_by TEXT")
    db.conn.execute("CREATE INDEX outbox_put_back ON outbox (id) "
                    "WHERE json_extract(result, '$.put_back') IS NOT NULL")


# --- 0008: the patient card: notes and the call history ------------------------------------

_PATIENT_CARD = """
ALTER TABLE patients ADD COLUMN notes TEXT NOT NULL DEFAULT '';
CREATE TABLE patient_calls (
    id INTEGER PRIMARY KEY,
    patient_id INTEGER NOT NULL REFERENCES patients(id),
    visit_id INTEGER REFERENCES visits(id),
    called_at TEXT NOT NULL,
    called_by TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    outcome TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX patient_calls_by_patient ON patient_calls (patient_id, called_at);
"""


def _patient_card(db: Database) -> None:
    """What the patient card shows besides the register: the desk's notes about the patient and
    the calls made to the patient about visits (``store/patient_card.py``). Plain portable DDL:
    a column with a default, a table, an index."""
    _run(db, _PATIENT_CARD)


# --- 0009: the e-referral a visit is booked on ----------------------------------------------


def _visit_referral(db: Database) -> None:
    """The key (44 digits) of the e-referral a visit is booked on: the outbox takes it into
    realisation, gives it back or marks it realised by it (``sync/replay_referrals.py``)."""
    db.conn.execute("ALTER TABLE visits ADD COLUMN referral_key TEXT")


# --- 0010: several desks on one practice database ------------------------------------------

_PRACTICE_DESKS = """
ALTER TABLE audit_log ADD COLUMN workstation TEXT NOT NULL DEFAULT '';
CREATE TABLE change_journal (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    workstation TEXT NOT NULL DEFAULT '',
    entity TEXT NOT NULL,
    local_date TEXT
);
"""


def _practice_desks(db: Database) -> None:
    """Which desk wrote an audit entry (``[workstation] name``), and the change journal other
    desks of a practice database follow (``store/journal.py``). On SQLite - one desk - the
    journal stays empty: nothing else reads the file."""
    _run(db, _PRACTICE_DESKS)


# --- 0011: a desk's offline changes merged into the practice database, each once --------------

_PRACTICE_MERGES = """
CREATE TABLE practice_merges (
    key TEXT PRIMARY KEY,  -- the desk's outbox idempotency key: merged once, whoever asks again
    workstation TEXT NOT NULL,
    op TEXT NOT NULL,
    outcome TEXT NOT NULL,
    visit_id INTEGER REFERENCES visits(id),
    original_start TEXT,
    detail TEXT CHECK (detail IS NULL OR json_valid(detail)),
    merged_at TEXT NOT NULL
);
CREATE INDEX practice_merges_calls ON practice_merges (merged_at)
    WHERE outcome IN ('moved', 'waiting_list');
"""


def _practice_merges(db: Database) -> None:
    """What became of each change a desk made while the practice server was away
    (``sync/practice_merge.py``): the key makes the merge exactly once, the moved and
    waiting-listed ones are the call list's."""
    _run(db, _PRACTICE_MERGES)


MIGRATIONS: tuple[tuple[str, MigrationFunction], ...] = (
    ("0001_base_schema", _base_schema),
    ("0002_patient_search", _patient_search),
    ("0003_audit_log", _audit_log),
    ("0004_outbox_rejected_index", outbox_rejected_index),
    ("0005_patient_aliases", _patient_aliases),
    ("0006_database_identity", _database_identity),
    ("0007_outbox_claimed_by", _outbox_claimed_by),
    ("0008_patient_card", _patient_card),
    ("0009_visit_referral", _visit_referral),
    ("0010_practice_desks", _practice_desks),
    ("0011_practice_merges", _practice_merges),
)


def pending_in_file(path: Path) -> list[str]:
    """Migrations this version would apply to the SQLite file at ``path`` (empty for a missing
    file or an up-to-date one). Read-only: deciding whether to copy the file first must not
    change it. ``sqlite3.DatabaseError`` when the file is not a database."""
    path = Path(path)
    if not path.is_file():
        return []
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True,
                           timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        applied = set(recorded_in(conn))
    finally:
        conn.close()
    return [name for name, _ in MIGRATIONS if name not in applied]


def recorded_in(conn: sqlite3.Connection) -> list[str]:
    """The migrations recorded in a plain SQLite connection's ``_migrations``, in the order they
    were applied (none without the table)."""
    found = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_migrations'").fetchone()
    if found is None:
        return []
    return [row[0] for row in conn.execute("SELECT name FROM _migrations ORDER BY rowid")]


def applied_migrations(db: Database) -> list[str]:
    """Names recorded in ``_migrations``, in the order they were applied."""
    if not db.has_table("_migrations"):
        return []
    order = db.dialect.migrations_order
    return [row[0] for row in db.conn.execute(f"SELECT name FROM _migrations ORDER BY {order}")]


def database_uuid(db: Database) -> str | None:
    """The identity the database was given at set-up (None before migration 0006)."""
    if not db.has_table("database_identity"):
        return None
    row = db.conn.execute("SELECT uuid FROM database_identity WHERE id = 1").fetchone()
    return None if row is None else str(row[0])


class MissingPostgresqlMigration(UnusableDatabaseError):
    """This version has a migration without its PostgreSQL form: it cannot set up or update a
    practice database (a test catches it before release)."""


def _variant(name: str, function: MigrationFunction, db: Database,
             postgresql: Mapping[str, MigrationFunction] | None) -> MigrationFunction:
    if not db.dialect.is_postgresql:
        return function
    if postgresql is None:
        from recepcja.store.migrations_pg import POSTGRESQL

        postgresql = POSTGRESQL
    variant = postgresql.get(name)
    if variant is None:
        raise MissingPostgresqlMigration(
            N_("This version of Recepcja cannot update a practice database: migration {name} "
               "has no PostgreSQL form."),
            name=name,
        )
    return variant


def _check_not_newer(applied: list[str], known: list[str]) -> None:
    unknown = [name for name in applied if name not in known]
    if unknown:
        raise UnusableDatabaseError(
            N_(
                "This database was written by a newer version of Recepcja "
                "(unknown migrations: {names}). Update the application."
            ),
            names=", ".join(unknown),
        )


def migrate(
    db: Database,
    *,
    target: str | None = None,
    migrations: tuple[tuple[str, MigrationFunction], ...] = MIGRATIONS,
    postgresql: Mapping[str, MigrationFunction] | None = None,
    now: dt.datetime | None = None,
) -> list[str]:
    """Apply pending migrations in order (up to and including ``target``); return their names.

    Each runs in its own ``atomic`` transaction (the write lock: SQLite's, or the practice
    database's writer lock); the applied set is re-read under it, so two processes opening the
    same new database cannot both apply a migration. On PostgreSQL each migration runs in its
    form from ``postgresql`` (default ``migrations_pg.POSTGRESQL``).
    """
    known = [name for name, _ in migrations]
    if target is not None and target not in known:
        raise ValueError(f"unknown migration: {target}")
    wanted = known if target is None else known[: known.index(target) + 1]
    applied = applied_migrations(db)
    _check_not_newer(applied, known)
    if all(name in applied for name in wanted):
        return []  # the usual case: no write lock taken just to open the file
    done: list[str] = []
    for name, function in migrations:
        with atomic(db):
            if db.dialect.is_postgresql:  # a migration may rewrite a large table
                db.conn.execute("SET LOCAL statement_timeout = 0")
            db.conn.execute(db.dialect.migrations_table)
            applied = applied_migrations(db)
            _check_not_newer(applied, known)
            if name not in applied:
                _variant(name, function, db, postgresql)(db)
                stamp = utc_text(now or dt.datetime.now(dt.UTC))
                db.conn.execute(
                    "INSERT INTO _migrations (name, applied_at) VALUES (?, ?)", (name, stamp)
                )
                done.append(name)
        if name == target:
            break
    return done
