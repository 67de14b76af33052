"""Schedules, their exceptions, and their slots (terms).

The database refuses overlapping slots of one schedule (a trigger) and a second slot at the same
start (UNIQUE), so "two or three patients on the same hour" cannot start here. Day queries use the
stored Warsaw ``local_date``, never a UTC date that would put a 00:30 slot on the previous day.
"""

from __future__ import annotations

import builtins
import datetime as dt
import json
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from recepcja.domain.errors import N_, ConflictError
from recepcja.domain.model import WARSAW, SlotState, TermKind
from recepcja.store.codec import (
    day_text,
    from_json,
    local_date,
    optional_parse_utc,
    optional_utc_text,
    parse_utc,
    to_json,
    utc_now,
    utc_text,
)
from recepcja.store.db import Database, atomic, fetch_all, fetch_one, insert_id, scalar
from recepcja.store.dialect import SLOT_OVERLAP, SLOT_START

if TYPE_CHECKING:
    from recepcja.domain.entities import ScheduleException, Slot, SlotSpec
    from recepcja.store.records import Schedule
    from recepcja.store.working_records import ScheduleExceptionRecord

Clock = Callable[[], dt.datetime]

_SLOT_COLUMNS = "id, schedule_id, start_utc, end_utc, term_kind, state, cer_id"
_LIVE = "('pending', 'confirmed')"


class ScheduleRepo:
    def __init__(self, db: Database, clock: Clock = utc_now) -> None:
        self.db = db
        self.clock = clock

    def add(self, schedule: Schedule) -> int:
        with atomic(self.db):
            schedule_id = insert_id(
                self.db,
                "INSERT INTO schedules (resource_id, place_id, mobile_point_id, scope_code, name, "
                "template, cer_id, cer_created_at, active, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (
                    schedule.resource_id,
                    schedule.place_id,
                    schedule.mobile_point_id,
                    schedule.scope_code,
                    schedule.name,
                    to_json(schedule.template),
                    schedule.cer_id,
                    optional_utc_text(schedule.cer_created_at),
                    int(schedule.active),
                    utc_text(self.clock()),
                ),
            )
        schedule.id = int(schedule_id or 0)
        return schedule.id

    def get(self, schedule_id: int) -> Schedule | None:
        row = fetch_one(self.db, "SELECT * FROM schedules WHERE id = ?", (schedule_id,))
        return None if row is None else _schedule(row)

    def by_cer_id(self, cer_id: str) -> Schedule | None:
        row = fetch_one(self.db, "SELECT * FROM schedules WHERE cer_id = ?", (cer_id,))
        return None if row is None else _schedule(row)

    # Below this method ``list`` names it, not the builtin: annotations say ``builtins.list``.
    def list(
        self,
        *,
        active_only: bool = True,
        scope_code: str | None = None,
        place_id: int | None = None,
        resource_id: int | None = None,
    ) -> list[Schedule]:
        rows = fetch_all(
            self.db,
            "SELECT * FROM schedules WHERE (:active = 0 OR active = 1) "
            "AND (scope_code = :scope OR :scope IS NULL) "
            "AND (place_id = :place OR :place IS NULL) "
            "AND (resource_id = :resource OR :resource IS NULL) ORDER BY id",
            {
                "active": int(active_only),
                "scope": scope_code,
                "place": place_id,
                "resource": resource_id,
            },
        )
        return [_schedule(row) for row in rows]

    def in_use(self) -> tuple[builtins.list[str], builtins.list[tuple[int, str]],
                              builtins.list[tuple[int, str]]]:
        """What some active schedule uses: its scopes (sorted), places ``(id, name)`` by id and
        resources ``(id, name)`` by name - the desk's filters, read before the window's first
        paint without making a record (their module is not imported that early)."""
        active = "SELECT {} FROM schedules WHERE active = 1"
        scopes = {row["scope_code"] for row in fetch_all(
            self.db, active.format("DISTINCT scope_code"))}
        places = fetch_all(self.db, "SELECT id, name FROM places WHERE id IN ("
                           + active.format("place_id") + ") ORDER BY id")
        resources = fetch_all(self.db, "SELECT id, name FROM resources WHERE id IN ("
                              + active.format("resource_id") + ") ORDER BY name, id")
        return (sorted(scopes), [(int(row["id"]), row["name"]) for row in places],
                [(int(row["id"]), row["name"]) for row in resources])

    def mark_created_in_cer(
        self, schedule_id: int, cer_id: str, at: dt.datetime | None = None
    ) -> None:
        """CeR accepted ``zapiszHarmonogram`` and gave the schedule its id."""
        with atomic(self.db):
            self.db.conn.execute(
                "UPDATE schedules SET cer_id = ?, cer_created_at = ? WHERE id = ?",
                (cer_id, utc_text(at or self.clock()), schedule_id),
            )

    def set_active(self, schedule_id: int, active: bool) -> None:
        with atomic(self.db):
            self.db.conn.execute(
                "UPDATE schedules SET active = ? WHERE id = ?", (int(active), schedule_id)
            )

    def set_template(self, schedule_id: int, template: builtins.list[dict[str, Any]]) -> None:
        with atomic(self.db):
            self.db.conn.execute(
                "UPDATE schedules SET template = ? WHERE id = ?", (to_json(template), schedule_id)
            )

    def set_identity(self, schedule_id: int, *, place_id: int, resource_id: int,
                     scope_code: str, mobile_point_id: int | None) -> None:
        """Correct a schedule CeR does not know yet (practice set-up)."""
        with atomic(self.db):
            self.db.conn.execute(
                "UPDATE schedules SET place_id = ?, resource_id = ?, scope_code = ?, "
                "mobile_point_id = ? WHERE id = ? AND cer_id IS NULL",
                (place_id, resource_id, scope_code, mobile_point_id, schedule_id))

    def rename(self, schedule_id: int, name: str) -> None:
        """A schedule's name is the practice's own label (CeR knows it by its id)."""
        with atomic(self.db):
            self.db.conn.execute("UPDATE schedules SET name = ? WHERE id = ?", (name, schedule_id))

    def add_exception(self, schedule_id: int, exception: ScheduleException, user: str) -> int:
        with atomic(self.db):
            exception_id = insert_id(
                self.db,
                "INSERT INTO schedule_exceptions (schedule_id, first_day, last_day, reason, "
                "created_at, created_by) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                (
                    schedule_id,
                    day_text(exception.first_day),
                    day_text(exception.last_day),
                    exception.reason,
                    utc_text(self.clock()),
                    user,
                ),
            )
        return int(exception_id or 0)

    def exceptions(
        self, schedule_id: int, since: dt.date | None = None
    ) -> builtins.list[ScheduleExceptionRecord]:
        from recepcja.store.working_records import ScheduleExceptionRecord  # not before the paint

        rows = fetch_all(
            self.db,
            "SELECT * FROM schedule_exceptions WHERE schedule_id = :schedule "
            "AND (last_day >= :since OR :since IS NULL) ORDER BY first_day, id",
            {"schedule": schedule_id, "since": day_text(since)},
        )
        return [
            ScheduleExceptionRecord(
                id=row["id"],
                schedule_id=row["schedule_id"],
                first_day=dt.date.fromisoformat(row["first_day"]),
                last_day=dt.date.fromisoformat(row["last_day"]),
                reason=row["reason"],
                created_at=parse_utc(row["created_at"]),
                created_by=row["created_by"],
            )
            for row in rows
        ]


class SlotRepo:
    def __init__(self, db: Database, clock: Clock = utc_now) -> None:
        self.db = db
        self.clock = clock

    def add_many(self, schedule_id: int, specs: Iterable[SlotSpec]) -> int:
        """Store generated slots; exact duplicates (same start and end) are skipped, so running
        the generator again over the same months is harmless. Returns how many were inserted.

        Raises ConflictError (and stores none of them) when a slot overlaps another one of the
        schedule, e.g. a template changed from 15- to 20-minute slots over existing terms.
        """
        terms = list(specs)
        rows: list[tuple[str, str, str, str]] = []
        end: dt.datetime | None = None
        end_text = ""
        for spec in terms:
            # Generated slots follow each other: a start is often the previous end.
            start_text = end_text if spec.start is end else utc_text(spec.start)
            end, end_text = spec.end, utc_text(spec.end)
            rows.append((start_text, end_text, local_date(spec.start), str(spec.term_kind)))
        with atomic(self.db):
            try:
                # A savepoint: a refused statement aborts a whole PostgreSQL transaction, and
                # the search below must go on inside this one.
                with atomic(self.db):
                    inserted = self._insert_new(schedule_id, json.dumps(rows))
            except self.db.IntegrityError as error:
                if not _clash(self.db, error):
                    raise
                # Which term? Only on a refusal: insert them one by one until it recurs.
                for spec, row in zip(terms, rows, strict=True):
                    try:
                        self._insert_new(schedule_id, json.dumps([row]))
                    except self.db.IntegrityError as refusal:
                        if not _clash(self.db, refusal):
                            raise
                        raise ConflictError(
                            N_("The term {start} overlaps another term of this schedule."),
                            start=spec.start.astimezone(WARSAW).strftime("%Y-%m-%d %H:%M"),
                        ) from error
                raise
            return inserted

    def _insert_new(self, schedule_id: int, rows_json: str) -> int:
        """Insert the slots of a JSON array of ``[start, end, local_date, term_kind]`` rows in
        ONE statement (each row through the engine's overlap guard), skipping exact duplicates
        (same start and end) so running the generator again over the same months is harmless;
        anything else at a taken time is refused by the database (an overlap, or a different
        end at the same start). Returns how many were inserted."""
        rows = self.db.dialect.json_rows("?", (("start_utc", "timestamptz"),
                                              ("end_utc", "timestamptz"),
                                              ("local_date", "date"), ("term_kind", "text")))
        cursor = self.db.conn.execute(
            "INSERT INTO slots (schedule_id, start_utc, end_utc, local_date, term_kind, state) "
            f"SELECT ?, n.start_utc, n.end_utc, n.local_date, n.term_kind, 'free' FROM ({rows}) "
            "AS n WHERE NOT EXISTS (SELECT 1 FROM slots AS s WHERE s.schedule_id = ? "
            "AND s.start_utc = n.start_utc AND s.end_utc = n.end_utc) ORDER BY n.k",
            (schedule_id, rows_json, schedule_id),
        )
        return max(int(cursor.rowcount), 0)

    def get(self, slot_id: int) -> Slot | None:
        row = fetch_one(self.db, f"SELECT {_SLOT_COLUMNS} FROM slots WHERE id = ?", (slot_id,))
        return None if row is None else _slot(row)

    def by_cer_id(self, cer_id: str) -> Slot | None:
        row = fetch_one(self.db, f"SELECT {_SLOT_COLUMNS} FROM slots WHERE cer_id = ?", (cer_id,))
        return None if row is None else _slot(row)

    def adopt_from_cer(
        self,
        schedule_id: int,
        start: dt.datetime,
        end: dt.datetime,
        *,
        term_kind: TermKind,
        cer_id: str,
        at: dt.datetime | None = None,
    ) -> int:
        """The local slot for a term CeR holds (a notification or read-back named a term this
        store does not know): the slot with that CeR id, else the schedule's slot with the same
        start and end (it gets the CeR id), else a new published free slot. Returns its id.

        Raises ConflictError when the term clashes with a different local slot (other times,
        or the slot at that start is already another CeR term): a human must look."""
        stamp = utc_text(at or self.clock())
        with atomic(self.db):
            existing = scalar(self.db, "SELECT id FROM slots WHERE cer_id = ?", (cer_id,))
            if existing is not None:
                return int(existing)
            row = fetch_one(
                self.db,
                "SELECT id, end_utc, cer_id FROM slots WHERE schedule_id = ? AND start_utc = ?",
                (schedule_id, utc_text(start)),
            )
            if row is not None:
                if row["cer_id"] is not None or row["end_utc"] != utc_text(end):
                    raise ConflictError(
                        N_("The CeR term {start} clashes with a different local term."),
                        start=start.astimezone(WARSAW).strftime("%Y-%m-%d %H:%M"),
                    )
                self.db.conn.execute(
                    "UPDATE slots SET cer_id = ?, published_at = ?, withdrawn_at = NULL "
                    "WHERE id = ?",
                    (cer_id, stamp, row["id"]),
                )
                return int(row["id"])
            try:
                slot_id = insert_id(
                    self.db,
                    "INSERT INTO slots (schedule_id, start_utc, end_utc, local_date, term_kind, "
                    "state, cer_id, published_at) VALUES (?, ?, ?, ?, ?, 'free', ?, ?) "
                    "RETURNING id",
                    (
                        schedule_id,
                        utc_text(start),
                        utc_text(end),
                        local_date(start),
                        str(term_kind),
                        cer_id,
                        stamp,
                    ),
                )
            except self.db.IntegrityError as error:
                if not _clash(self.db, error):
                    raise
                raise ConflictError(
                    N_("The CeR term {start} clashes with a different local term."),
                    start=start.astimezone(WARSAW).strftime("%Y-%m-%d %H:%M"),
                ) from error
            return int(slot_id or 0)

    def at(self, schedule_id: int, start: dt.datetime) -> Slot | None:
        """The slot of a schedule starting at ``start`` (how CeR read-backs are matched)."""
        row = fetch_one(
            self.db,
            f"SELECT {_SLOT_COLUMNS} FROM slots WHERE schedule_id = ? AND start_utc = ?",
            (schedule_id, utc_text(start)),
        )
        return None if row is None else _slot(row)

    def for_day(self, schedule_id: int, day: dt.date) -> list[Slot]:
        """All slots of one schedule on one Warsaw calendar day, in time order."""
        return self.for_days(schedule_id, day, day)

    def for_days(self, schedule_id: int, first_day: dt.date, last_day: dt.date) -> list[Slot]:
        rows = fetch_all(
            self.db,
            f"SELECT {_SLOT_COLUMNS} FROM slots WHERE schedule_id = ? AND local_date >= ? "
            "AND local_date <= ? ORDER BY local_date, start_utc",
            (schedule_id, first_day.isoformat(), last_day.isoformat()),
        )
        return [_slot(row) for row in rows]

    def free_from(self, schedule_id: int, from_dt: dt.datetime, limit: int = 20) -> list[Slot]:
        """The first free slots of a schedule starting at or after ``from_dt``."""
        rows = fetch_all(
            self.db,
            f"SELECT {_SLOT_COLUMNS} FROM slots WHERE schedule_id = ? AND state = 'free' "
            "AND start_utc >= ? ORDER BY start_utc LIMIT ?",
            (schedule_id, utc_text(from_dt), limit),
        )
        return [_slot(row) for row in rows]

    def free_for_scope(
        self,
        scope_code: str,
        from_dt: dt.datetime,
        limit: int = 20,
        place_id: int | None = None,
    ) -> list[Slot]:
        """The first free slots of any active schedule of a scope (nearest term first)."""
        rows = fetch_all(
            self.db,
            "SELECT slots.id, slots.schedule_id, slots.start_utc, slots.end_utc, "
            "slots.term_kind, slots.state, slots.cer_id FROM schedules "
            "JOIN slots ON slots.schedule_id = schedules.id "
            "WHERE schedules.scope_code = :scope AND schedules.active = 1 "
            "AND (schedules.place_id = :place OR :place IS NULL) "
            "AND slots.state = 'free' AND slots.start_utc >= :start "
            "ORDER BY slots.start_utc, slots.id LIMIT :limit",
            {"scope": scope_code, "place": place_id, "start": utc_text(from_dt), "limit": limit},
        )
        return [_slot(row) for row in rows]

    def set_state(self, slot_id: int, state: SlotState) -> None:
        """Block or unblock a slot. A slot a live visit holds cannot be made free: cancel or
        move the visit (VisitRepo) instead, which frees the slot in the same transaction."""
        with atomic(self.db):
            if state == SlotState.FREE and self._held(slot_id):
                raise ConflictError(N_("This term is held by a visit; cancel or move it first."))
            self.db.conn.execute("UPDATE slots SET state = ? WHERE id = ?", (str(state), slot_id))

    def unpublished(self, schedule_id: int, until: dt.datetime | None = None) -> list[Slot]:
        """Free slots CeR has not been sent yet (``zapiszSloty``), in time order."""
        rows = fetch_all(
            self.db,
            f"SELECT {_SLOT_COLUMNS} FROM slots WHERE schedule_id = :schedule "
            "AND state = 'free' AND published_at IS NULL "
            "AND (start_utc < :until OR :until IS NULL) ORDER BY start_utc",
            {"schedule": schedule_id, "until": optional_utc_text(until)},
        )
        return [_slot(row) for row in rows]

    def unpublished_specs(
        self, schedule_id: int, *, after: dt.datetime, until: dt.datetime
    ) -> list[tuple[int, SlotSpec]]:
        """``(slot id, spec)`` of the free slots CeR has not been sent yet that start after
        ``after`` and before ``until``, in time order: what publishing sends. The bulk path
        (tens of thousands of rows): no full :class:`Slot` per row, and a start equal to the
        previous row's end reuses its parsed time."""
        cursor = self.db.conn.execute(
            "SELECT id, start_utc, end_utc, term_kind FROM slots WHERE schedule_id = ? "
            "AND state = 'free' AND published_at IS NULL AND start_utc >= ? AND start_utc <= ? "
            "ORDER BY start_utc",
            # Whole seconds in the text: the exact bounds are checked below.
            (schedule_id, utc_text(after), utc_text(until)),
        )
        from recepcja.domain.entities import SlotSpec as spec  # not before the first paint

        kinds = {str(kind): kind for kind in TermKind}
        items: list[tuple[int, SlotSpec]] = []
        end_text, end = "", None
        for slot_id, start_text, next_end_text, kind in cursor:
            start = end if start_text == end_text and end is not None else parse_utc(start_text)
            end_text, end = next_end_text, parse_utc(next_end_text)
            if after < start < until:
                items.append((slot_id, spec(start, end, kinds[kind])))
        return items

    def mark_published(
        self, published: Iterable[tuple[int, str | None]], at: dt.datetime | None = None
    ) -> int:
        """Record ``(slot_id, cer_id)`` pairs CeR accepted; returns how many were updated."""
        stamp = utc_text(at or self.clock())
        with atomic(self.db):
            cursor = self.db.conn.executemany(
                "UPDATE slots SET published_at = ?, withdrawn_at = NULL, "
                "cer_id = COALESCE(?, cer_id) WHERE id = ?",
                ((stamp, cer_id, slot_id) for slot_id, cer_id in published),
            )
        return max(int(cursor.rowcount), 0)

    def mark_withdrawn(self, slot_ids: Iterable[int], at: dt.datetime | None = None) -> int:
        """CeR withdrew these slots: they are blocked locally too."""
        stamp = utc_text(at or self.clock())
        with atomic(self.db):
            cursor = self.db.conn.executemany(
                "UPDATE slots SET withdrawn_at = ?, state = 'blocked' WHERE id = ?",
                ((stamp, slot_id) for slot_id in slot_ids),
            )
        return max(int(cursor.rowcount), 0)

    def last_published_start(
        self, schedule_id: int, *, free_only: bool = False
    ) -> dt.datetime | None:
        """Start of the latest term CeR holds for the schedule (the publication horizon);
        ``free_only``: of the latest free one (what CeR's activation check counts)."""
        value = scalar(
            self.db,
            "SELECT MAX(start_utc) FROM slots WHERE schedule_id = ? "
            "AND published_at IS NOT NULL AND withdrawn_at IS NULL "
            "AND (? = 0 OR state = 'free')",
            (schedule_id, int(free_only)),
        )
        return optional_parse_utc(value)

    def with_publication(
        self, schedule_id: int, first_day: dt.date, last_day: dt.date
    ) -> list[tuple[Slot, bool]]:
        """Slots of Warsaw days ``first_day``..``last_day`` with whether CeR holds them now
        (published and not withdrawn): what publishing compares a template with."""
        rows = fetch_all(
            self.db,
            f"SELECT {_SLOT_COLUMNS}, (published_at IS NOT NULL AND withdrawn_at IS NULL) AS live "
            "FROM slots WHERE schedule_id = ? AND local_date >= ? AND local_date <= ? "
            "ORDER BY start_utc",
            (schedule_id, first_day.isoformat(), last_day.isoformat()),
        )
        return [(_slot(row), bool(row["live"])) for row in rows]

    def to_withdraw(self, schedule_id: int) -> list[Slot]:
        """Blocked slots CeR still offers as free: ``usunSloty`` must withdraw them."""
        rows = fetch_all(
            self.db,
            f"SELECT {_SLOT_COLUMNS} FROM slots WHERE schedule_id = ? AND state = 'blocked' "
            "AND published_at IS NOT NULL AND withdrawn_at IS NULL AND cer_id IS NOT NULL "
            "ORDER BY start_utc",
            (schedule_id,),
        )
        return [_slot(row) for row in rows]

    def delete_unused(self, slot_ids: Iterable[int]) -> int:
        """Delete slots no visit ever referenced and CeR does not hold (a changed template's
        old terms), so the new template's terms can take their time. Returns how many."""
        with atomic(self.db):
            cursor = self.db.conn.executemany(
                "DELETE FROM slots WHERE id = ? AND state <> 'booked' "
                "AND (published_at IS NULL OR withdrawn_at IS NOT NULL) "
                "AND NOT EXISTS (SELECT 1 FROM visits WHERE visits.slot_id = slots.id)",
                ((slot_id,) for slot_id in slot_ids),
            )
        return max(int(cursor.rowcount), 0)

    def count(self, schedule_id: int | None = None, state: SlotState | None = None) -> int:
        return int(
            scalar(
                self.db,
                "SELECT COUNT(*) FROM slots WHERE (schedule_id = :schedule OR :schedule IS NULL) "
                "AND (state = :state OR :state IS NULL)",
                {"schedule": schedule_id, "state": None if state is None else str(state)},
            )
        )

    def _held(self, slot_id: int) -> bool:
        return bool(
            scalar(
                self.db,
                f"SELECT 1 FROM visits WHERE slot_id = ? AND state IN {_LIVE}",
                (slot_id,),
            )
        )


def _clash(db: Database, error: Exception) -> bool:
    """Whether the database refused a slot because its time is taken in its schedule."""
    return db.violation(error) in (SLOT_OVERLAP, SLOT_START)


def _slot(row: dict[str, Any]) -> Slot:
    from recepcja.domain.entities import Slot  # imported with the first slot read

    return Slot(
        schedule_id=row["schedule_id"],
        start=parse_utc(row["start_utc"]),
        end=parse_utc(row["end_utc"]),
        term_kind=TermKind(row["term_kind"]),
        state=SlotState(row["state"]),
        cer_id=row["cer_id"],
        id=row["id"],
    )


def _schedule(row: dict[str, Any]) -> Schedule:
    from recepcja.store.records import Schedule  # imported with the first schedule read

    return Schedule(
        resource_id=row["resource_id"],
        place_id=row["place_id"],
        scope_code=row["scope_code"],
        name=row["name"],
        template=from_json(row["template"]),
        mobile_point_id=row["mobile_point_id"],
        cer_id=row["cer_id"],
        cer_created_at=optional_parse_utc(row["cer_created_at"]),
        active=bool(row["active"]),
        id=row["id"],
    )
