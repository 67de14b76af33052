"""Patient actors: the rest of the country using CeR while the practice works.

Switched on with ``POST /_control/actors {"rate": per_second, "kinds": [...], "seed": n}``, a
background thread performs, at that rate, random realistic actions on the schedules of active
places: a patient books a free future term in IKP (``portal_booking``), another provider books one
(``other_provider``), the waiting room fills one (``waiting_room``), or a patient cancels a live
future visit in IKP (``portal_cancel``). Each goes through the same rules as every other change
and produces its notification in the same transaction. With a ``seed`` the choices repeat.

Random picks must stay cheap with ~20k slots: instead of ``ORDER BY random()`` over the table, a
random row number is drawn and the first eligible row from there on is taken (wrapping around).
"""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from recepcja.domain.pesel import make_pesel
from recepcja.simulator.clock import SimClock, to_db
from recepcja.simulator.db import Store, make_id
from recepcja.simulator.errors import CerError
from recepcja.simulator.records import LIVE, Patient
from recepcja.simulator.visits import book_outside, cancel

KINDS: Mapping[str, str | None] = MappingProxyType({
    "portal_booking": "IKP",
    "other_provider": "INNY_SWIADCZENIODAWCA",
    "waiting_room": "POCZEKALNIA",
    "portal_cancel": None,
})
MAX_RATE = 500.0

_FIRST_NAMES = ("Anna", "Maria", "Katarzyna", "Małgorzata", "Agnieszka", "Zofia", "Jan", "Piotr",
                "Krzysztof", "Andrzej", "Tomasz", "Paweł", "Łukasz", "Grzegorz", "Ewa", "Barbara")
_LAST_NAMES = ("Nowak", "Kowalska", "Wiśniewski", "Wójcik", "Kowalczyk", "Kamińska", "Lewandowski",
               "Zielińska", "Szymański", "Woźniak", "Dąbrowska", "Kozłowski", "Jankowska", "Mazur")


def random_pesel(rng: random.Random) -> str:
    """A PESEL with a valid checksum and a real birth date (1940–2009)."""
    born = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(70 * 365))
    return make_pesel(born, rng.randrange(10000))


def random_patient(rng: random.Random, pesel: str | None = None) -> Patient:
    phone = f"+48{rng.choice('5678')}{rng.randrange(10**8):08d}" if rng.random() < 0.8 else None
    return Patient(
        imie=rng.choice(_FIRST_NAMES), nazwisko=rng.choice(_LAST_NAMES),
        pesel=pesel or random_pesel(rng), telefon=phone,
    )


FREE_SLOT_SQL = (
    "SELECT s.num FROM slot s JOIN harmonogram h ON h.num = s.harmonogram_num "
    "JOIN mus m ON m.num = h.mus_num "
    "WHERE s.num {cmp} ? AND s.usuniety = 0 AND s.poczatek > ? AND m.stan = 'AKTYWNE' "
    "AND NOT EXISTS (SELECT 1 FROM wizyta w WHERE w.slot_num = s.num "
    f"AND w.stan = '{LIVE}') ORDER BY s.num LIMIT 1"
)
LIVE_VISIT_SQL = (
    "SELECT w.num FROM wizyta w JOIN slot s ON s.num = w.slot_num "
    "JOIN harmonogram h ON h.num = s.harmonogram_num JOIN mus m ON m.num = h.mus_num "
    f"WHERE w.num {{cmp}} ? AND w.stan = '{LIVE}' AND s.poczatek > ? "
    "AND m.stan = 'AKTYWNE' ORDER BY w.num LIMIT 1"
)


def _pick(
    conn: sqlite3.Connection, rng: random.Random, table: str, sql: str, now: str
) -> int | None:
    """Row number of a random eligible row: the first one at or after a random pivot."""
    top = conn.execute(f"SELECT MAX(num) FROM {table}").fetchone()[0]
    if not top:
        return None
    pivot = rng.randint(1, int(top))
    for cmp in (">=", "<"):
        row = conn.execute(sql.format(cmp=cmp), (pivot, now)).fetchone()
        if row is not None:
            return int(row[0])
    return None


class PatientActors:
    """The actor thread; ``start`` replaces a running one, ``stop`` returns once it has ended."""

    def __init__(self, store: Store, clock: SimClock, on_change: Callable[[], None]) -> None:
        self._store = store
        self._clock = clock
        self._on_change = on_change
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._settings: dict[str, Any] = {}
        self._stats: dict[str, Any] = {}

    def start(self, rate: float, kinds: list[str], seed: int | None = None) -> dict[str, Any]:
        if not 0 < rate <= MAX_RATE:
            raise ValueError(f"rate must be above 0 and at most {MAX_RATE:g} per second")
        unknown = [kind for kind in kinds if kind not in KINDS]
        if unknown or not kinds:
            raise ValueError(f"kinds must be a non-empty list of: {', '.join(KINDS)}")
        self.stop()
        with self._lock:
            self._settings = {"rate": rate, "kinds": list(kinds), "seed": seed}
            self._stats = {"actions": dict.fromkeys(kinds, 0), "idle": 0, "conflicts": 0}
        self._stop.clear()
        rng = random.Random(seed)  # noqa: S311 - simulated patients, not secrets
        self._thread = threading.Thread(
            target=self._run, args=(rate, list(kinds), rng), name="cer-sim-actors", daemon=True
        )
        self._thread.start()
        return self.status()

    def stop(self) -> dict[str, Any]:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join()
        return self.status()

    def status(self) -> dict[str, Any]:
        with self._lock:
            stats = {**self._stats, "actions": dict(self._stats.get("actions", {}))}
            running = self._thread is not None and self._thread.is_alive()
            return {"running": running, **self._settings, **stats}

    def _run(self, rate: float, kinds: list[str], rng: random.Random) -> None:
        interval = 1.0 / rate
        due = time.monotonic()
        while not self._stop.is_set():
            due += interval
            delay = due - time.monotonic()
            if delay > 0:
                if self._stop.wait(delay):
                    break
            elif delay < -1.0:
                due = time.monotonic()  # fell behind (a slow call): do not burst to catch up
            kind = rng.choice(kinds)
            outcome = self._act(kind, rng)
            with self._lock:
                if outcome == "done":
                    self._stats["actions"][kind] += 1
                else:
                    self._stats[outcome] += 1
            if outcome == "done":
                self._on_change()

    def _act(self, kind: str, rng: random.Random) -> str:
        now = self._clock.now()
        try:
            with self._store.write() as conn:
                if KINDS[kind] is None:
                    num = _pick(conn, rng, "wizyta", LIVE_VISIT_SQL, to_db(now))
                    if num is None:
                        return "idle"
                    cancel(conn, now, make_id("WIZ", num), by_patient=True)
                else:
                    num = _pick(conn, rng, "slot", FREE_SLOT_SQL, to_db(now))
                    if num is None:
                        return "idle"
                    book_outside(conn, now, make_id("SLT", num), patient=random_patient(rng),
                                 urgency=rng.choice(("PILNY", "STABILNY")),
                                 source=str(KINDS[kind]))
        except CerError:
            return "conflicts"
        return "done"
