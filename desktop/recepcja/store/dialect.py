"""Everything the two engines say differently, in one place.

The repositories are written once, in SQL both engines understand, with SQLite's placeholders
(``?`` and ``:name``; ``store/pg.py`` turns them into psycopg's ``%s`` / ``%(name)s``). What cannot
be written portably comes from the :class:`Dialect` of the connection:

- JSON: ``json_extract`` / ``json_set`` / ``json_each`` on SQLite's text columns, jsonb operators
  on PostgreSQL;
- starting a writing transaction: ``BEGIN IMMEDIATE`` takes SQLite's one write lock up front;
  PostgreSQL runs READ COMMITTED and takes ONE transaction-level advisory lock at the start of
  every writing transaction, so writers of a practice database run one at a time exactly as on
  SQLite (see :data:`WRITE_LOCK_KEY`);
- which constraint a refused write broke (SQLite names it in the message, PostgreSQL in the
  error's diagnostics), as one engine-neutral name the repositories turn into a ConflictError;
- the catalogue (``sqlite_master`` vs ``information_schema``) and the migrations table.

Portable on both and so written directly: ``INSERT ... ON CONFLICT (...) DO NOTHING``,
``... RETURNING id`` (SQLite >= 3.35), ``CASE`` instead of the two-argument ``MAX`` (SQLite) /
``GREATEST`` (PostgreSQL), ``"user"`` quoted (a reserved word in PostgreSQL).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

# The practice-wide writer lock of a PostgreSQL practice database (pg_advisory_xact_lock key):
# "recepcja" as 8 ASCII bytes, a constant no other application on the server is likely to use.
# Held from a writing transaction's first statement to its COMMIT/ROLLBACK; readers never wait.
WRITE_LOCK_KEY = int.from_bytes(b"recepcja", "big") & 0x7FFF_FFFF_FFFF_FFFF

# Engine-neutral names of the constraints the repositories turn into a ConflictError.
SLOT_OVERLAP = "slots.overlap"
SLOT_START = "slots.schedule_id"
LIVE_VISIT_PER_SLOT = "visits.slot_id"
VISIT_UID = "visits.visit_uid"
VISIT_CER_ID = "visits.cer_id"
PATIENT_PESEL = "patients.pesel"
PATIENT_DOCUMENT = "patients.document_type"
PATIENT_LOCAL_ID = "patients.local_id"

_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: ([\w.]+)")

# PostgreSQL constraint names (migrations_pg.py) -> the names above.
_PG_CONSTRAINTS = {
    "slots_no_overlap": SLOT_OVERLAP,
    "slots_schedule_start": SLOT_START,
    "visits_one_live_per_slot": LIVE_VISIT_PER_SLOT,
    "visits_visit_uid_key": VISIT_UID,
    "visits_cer_id_key": VISIT_CER_ID,
    "patients_pesel_key": PATIENT_PESEL,
    "patients_document_key": PATIENT_DOCUMENT,
    "patients_local_id_key": PATIENT_LOCAL_ID,
}


@dataclass(frozen=True, slots=True)
class Dialect:
    """The engine differences the repositories need, as small SQL fragments."""

    name: str  # "sqlite" | "postgresql"

    @property
    def is_postgresql(self) -> bool:
        return self.name == "postgresql"

    # --- transactions ------------------------------------------------------------------------

    @property
    def begin(self) -> str:
        """The statement(s) that open a writing transaction holding the engine's write lock."""
        if self.is_postgresql:
            return f"BEGIN; SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})"
        return "BEGIN IMMEDIATE"

    # --- JSON ----------------------------------------------------------------------------------

    def json_text(self, column: str, key: str) -> str:
        """The text value of ``column``'s top-level ``key``."""
        if self.is_postgresql:
            return f"({column} ->> '{key}')"
        return f"json_extract({column}, '$.{key}')"

    def json_int(self, column: str, key: str) -> str:
        """The integer value of ``column``'s top-level ``key``."""
        if self.is_postgresql:
            return f"({column} ->> '{key}')::bigint"
        return f"json_extract({column}, '$.{key}')"

    def json_remove(self, column: str, key: str) -> str:
        """``column`` without its top-level ``key``."""
        if self.is_postgresql:
            return f"({column} - '{key}')"
        return f"json_remove({column}, '$.{key}')"

    def json_set_int(self, column: str, key: str, placeholder: str = "?") -> str:
        """``column`` with its top-level ``key`` set to the integer parameter."""
        if self.is_postgresql:
            return f"jsonb_set({column}, '{{{key}}}', to_jsonb({placeholder}::bigint))"
        return f"json_set({column}, '$.{key}', {placeholder})"

    def json_rows(self, placeholder: str, columns: Sequence[tuple[str, str]]) -> str:
        """A row source over a JSON array of arrays passed as ONE parameter (a bulk insert in
        one statement): ``SELECT k, <name>...`` where ``k`` is the row's position and each
        ``(name, postgresql_type)`` of ``columns`` is the array's next item."""
        if self.is_postgresql:
            items = ", ".join(f"(value ->> {index})::{kind} AS {name}"
                              for index, (name, kind) in enumerate(columns))
            return (f"SELECT k, {items} FROM jsonb_array_elements({placeholder}::jsonb) "
                    "WITH ORDINALITY AS rows (value, k)")
        items = ", ".join(f"json_extract(value, '$[{index}]') AS {name}"
                          for index, (name, _kind) in enumerate(columns))
        return f"SELECT key AS k, {items} FROM json_each({placeholder})"

    # --- refusals ------------------------------------------------------------------------------

    def violation(self, error: BaseException) -> str:
        """The engine-neutral name of the constraint a refused write broke ("" if unknown)."""
        if self.is_postgresql:
            diag = getattr(error, "diag", None)
            name = getattr(diag, "constraint_name", None) or ""
            return _PG_CONSTRAINTS.get(name, name)
        message = str(error)
        if "overlaps another slot" in message:
            return SLOT_OVERLAP
        found = _SQLITE_UNIQUE.search(message)
        return found.group(1) if found else ""

    # --- catalogue -----------------------------------------------------------------------------

    @property
    def table_exists_sql(self) -> str:
        """One parameter, the table name; a row when the table exists."""
        if self.is_postgresql:
            return ("SELECT 1 FROM information_schema.tables WHERE table_schema = "
                    "current_schema() AND table_name = ?")
        return "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"

    @property
    def table_names_sql(self) -> str:
        if self.is_postgresql:
            return ("SELECT table_name FROM information_schema.tables WHERE table_schema = "
                    "current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name")
        return ("SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name")

    @property
    def migrations_table(self) -> str:
        if self.is_postgresql:
            return ("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, "
                    "applied_at TIMESTAMPTZ NOT NULL, seq BIGINT GENERATED ALWAYS AS IDENTITY)")
        return ("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, "
                "applied_at TEXT NOT NULL)")

    @property
    def migrations_order(self) -> str:
        """The column that gives ``_migrations`` in the order the migrations were applied."""
        return "seq" if self.is_postgresql else "rowid"


SQLITE = Dialect("sqlite")
POSTGRESQL = Dialect("postgresql")
