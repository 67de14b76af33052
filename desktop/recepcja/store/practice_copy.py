"""Copying a single-desk SQLite practice into an empty practice database (PostgreSQL), and
checking the copy row by row (``recepcja practice migrate``; ``services/practice_migrate.py``).

- The source is read through a READ-ONLY connection in one read transaction: the copy is the
  file as of one moment, and the file is never written (not even migrated).
- The target must be empty: no tables at all (it is set up by the migrations first) or a
  Recepcja schema whose tables hold no rows. Anything else is refused before a row is written.
- Every table is copied in ONE transaction of the target (all or nothing), parents before
  children (the foreign keys of the target's catalogue), ids kept as they are (``OVERRIDING
  SYSTEM VALUE``), a self-reference (a merged patient) filled in after its table; then the
  identity sequences continue after the highest id.
- Verification reads both sides back: the same number of rows per table and the same values
  row by row (keyed by the primary key), times and JSON compared by meaning (PostgreSQL keeps
  ``jsonb`` normalised and times as ``timestamptz``).

``change_journal`` is not copied (the target's triggers write their own), nor ``_migrations``
and ``database_identity`` (the practice database has its own identity).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from recepcja.domain.errors import N_, DomainError
from recepcja.store.db import Database, atomic

SKIPPED = ("_migrations", "database_identity", "change_journal")
BATCH = 2000


class CopyRefused(DomainError):
    """The copy cannot be made (the target is not empty, the source is not usable)."""


@dataclass(slots=True)
class CopyReport:
    """Rows per table on both sides, and the first differences found (empty: identical)."""

    source_rows: dict[str, int] = field(default_factory=dict)
    target_rows: dict[str, int] = field(default_factory=dict)
    differences: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences and self.source_rows == self.target_rows


def open_source(path: Path) -> sqlite3.Connection:
    """The SQLite file read-only (``mode=ro``): nothing this module does can write it."""
    if not path.is_file():
        raise CopyRefused(N_("There is no practice database file {path} to copy."),
                          path=str(path))
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True,
                           isolation_level=None, check_same_thread=False)
    conn.execute("BEGIN")  # one snapshot for the copy and its verification
    return conn


def source_migrations(source: sqlite3.Connection) -> list[str]:
    try:
        return [row[0] for row in source.execute("SELECT name FROM _migrations ORDER BY rowid")]
    except sqlite3.DatabaseError:
        return []


def target_state(target: Database) -> tuple[bool, dict[str, int]]:
    """(has the Recepcja schema, rows per table holding any) of the practice database."""
    tables = target.table_names()
    if "_migrations" not in tables:
        return False, {name: -1 for name in tables}  # tables, but not Recepcja's
    counts = {}
    for name in tables:
        if name in SKIPPED:
            continue
        count = target.conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
        if count:
            counts[name] = int(count)
    return True, counts


def _order(target: Database, tables: Iterable[str]) -> list[str]:
    """``tables`` with every table after the tables it references."""
    edges = target.conn.execute(
        "SELECT conrelid::regclass::text, confrelid::regclass::text FROM pg_constraint "
        "WHERE contype = 'f' AND conrelid <> confrelid").fetchall()
    parents: dict[str, set[str]] = {}
    for child, parent in edges:
        parents.setdefault(child.strip('"'), set()).add(parent.strip('"'))
    ordered: list[str] = []
    pending = sorted(tables)
    while pending:
        ready = [t for t in pending if not (parents.get(t, set()) & set(pending))]
        ready = ready or pending[:1]  # a cycle: the constraint itself will say
        ordered += ready
        pending = [t for t in pending if t not in ready]
    return ordered


def _columns(target: Database, table: str) -> list[str]:
    return [row[0] for row in target.conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = "
        "current_schema() AND table_name = ? AND is_generated = 'NEVER' ORDER BY ordinal_position",
        (table,))]


def _self_references(target: Database, table: str) -> list[str]:
    return [row[0] for row in target.conn.execute(
        "SELECT a.attname FROM pg_constraint AS c JOIN pg_attribute AS a "
        "ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey) "
        "WHERE c.contype = 'f' AND c.conrelid = c.confrelid AND c.conrelid = ?::regclass",
        (table,))]


def _key(target: Database, table: str) -> list[str]:
    return [row[0] for row in target.conn.execute(
        "SELECT a.attname FROM pg_index AS i JOIN pg_attribute AS a "
        "ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey) "
        "WHERE i.indisprimary AND i.indrelid = ?::regclass ORDER BY a.attnum", (table,))]


def _source_columns(source: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in source.execute(f'PRAGMA table_info("{table}")')]


def copied_tables(source: sqlite3.Connection, target: Database) -> list[str]:
    names = {row[0] for row in source.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")}
    return _order(target, [n for n in names if n not in SKIPPED and target.has_table(n)])


def copy_rows(source: sqlite3.Connection, target: Database) -> dict[str, int]:
    """Every table's rows into the (empty) target in one transaction; rows copied per table."""
    copied: dict[str, int] = {}
    with atomic(target):
        for table in copied_tables(source, target):
            have = set(_source_columns(source, table))
            columns = [c for c in _columns(target, table) if c in have]
            later = [c for c in _self_references(target, table) if c in columns]
            quoted = ", ".join(f'"{c}"' for c in columns)
            insert = (f'INSERT INTO "{table}" ({quoted}) OVERRIDING SYSTEM VALUE VALUES '
                      f"({', '.join('?' for _ in columns)})")
            cursor = source.execute(f'SELECT {quoted} FROM "{table}"')
            total = 0
            fixes: list[tuple[Any, ...]] = []
            while rows := cursor.fetchmany(BATCH):
                if later:
                    positions = [columns.index(c) for c in later]
                    fixes += [(*(row[p] for p in positions), row[columns.index("id")])
                              for row in rows if any(row[p] is not None for p in positions)]
                    rows = [tuple(None if i in positions else v for i, v in enumerate(row))
                            for row in rows]
                target.conn.executemany(insert, rows)
                total += len(rows)
            if fixes:
                sets = ", ".join(f'"{c}" = ?' for c in later)
                target.conn.executemany(f'UPDATE "{table}" SET {sets} WHERE id = ?', fixes)
            if "id" in columns:
                target.conn.execute(
                    f"SELECT setval(pg_get_serial_sequence(?, 'id'), "
                    f'(SELECT COALESCE(MAX(id), 0) + 1 FROM "{table}"), false)', (table,))
            copied[table] = total
    return copied


def verify(source: sqlite3.Connection, target: Database) -> CopyReport:
    """Both sides read back: counts per table and every value, by primary key."""
    report = CopyReport()
    for table in copied_tables(source, target):
        have = set(_source_columns(source, table))
        columns = [c for c in _columns(target, table) if c in have]
        key = _key(target, table) or columns
        quoted = ", ".join(f'"{c}"' for c in columns)
        mine = source.execute(f'SELECT {quoted} FROM "{table}"').fetchall()
        theirs = target.conn.execute(f'SELECT {quoted} FROM "{table}"').fetchall()
        report.source_rows[table], report.target_rows[table] = len(mine), len(theirs)
        positions = [columns.index(c) for c in key]
        by_key = {tuple(row[p] for p in positions): row for row in theirs}
        for row in mine:
            other = by_key.get(tuple(row[p] for p in positions))
            if other is None:
                report.differences.append(f"{table}: row {row[positions[0]]} missing")
            else:
                wrong = [c for c, a, b in zip(columns, row, other, strict=True) if not same(a, b)]
                if wrong:
                    report.differences.append(
                        f"{table}: row {row[positions[0]]} differs in {', '.join(wrong)}")
            if len(report.differences) >= 20:
                return report
    return report


def same(mine: Any, theirs: Any) -> bool:
    """Equal, or equal in meaning (JSON text, an instant written two ways)."""
    if mine == theirs:
        return True
    if isinstance(mine, str) and isinstance(theirs, str):
        try:
            return bool(json.loads(mine) == json.loads(theirs))
        except ValueError:
            pass
        try:
            return _instant(mine) == _instant(theirs)
        except ValueError:
            return False
    if isinstance(mine, int | float) and isinstance(theirs, int | float):
        return float(mine) == float(theirs)
    return False


def _instant(text: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).replace(microsecond=0)
