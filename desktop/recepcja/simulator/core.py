"""One simulated CeR: its state, clock, injected faults and background threads, in one object.

There is no global simulator: each ``SimulatorServer`` (a test, the training mode, ``recepcja
sim``) builds its own, so two can run side by side in one process on different data folders.
"""

from __future__ import annotations

import random
import threading
from pathlib import Path
from typing import Any

from recepcja.simulator.actors import PatientActors
from recepcja.simulator.clock import SimClock
from recepcja.simulator.db import Store
from recepcja.simulator.faults import ANY, FaultPlan, make_rule
from recepcja.simulator.notifications import NotificationPusher
from recepcja.simulator.services import operation_names


class Simulator:
    def __init__(self, data_dir: Path, seed: int | None = None) -> None:
        self.data_dir = data_dir
        self.store = Store(data_dir)
        self.clock = SimClock()
        self.faults = FaultPlan()
        self.pusher = NotificationPusher(self.store, seed=seed)
        self.actors = PatientActors(self.store, self.clock, self.pusher.wake)
        # Set when the server stops: sleeping faults (delay, timeout) wake up and give up.
        self.stopping = threading.Event()
        self._random = random.Random(seed)  # noqa: S311 - simulated patients, not secrets
        self._random_lock = threading.Lock()

    def rng(self) -> random.Random:
        """A private generator for one control call (seeded from the simulator's own)."""
        with self._random_lock:
            return random.Random(self._random.random())  # noqa: S311 - not for secrets

    def set_fault(self, spec: dict[str, Any]) -> None:
        """Inject a fault, as ``POST /_control/faults`` does (the training mode's outage switch
        calls this in-process); ``ValueError`` with a plain message for a bad spec."""
        rule = make_rule(spec)
        known = operation_names()
        if rule.operation != ANY and rule.operation not in known:
            raise ValueError(f"unknown operation {rule.operation!r}: use '*' or one of "
                             + ", ".join(known))
        self.faults.set(rule)

    def clear_faults(self, operation: str | None = None) -> None:
        self.faults.clear(operation)

    def start(self) -> None:
        self.stopping.clear()
        self.pusher.start()

    def reset(self) -> None:
        """Back to an empty CeR: no state, no faults, no actors, no push endpoint, real time."""
        self.actors.stop()
        self.faults.clear()
        self.pusher.configure(None)
        self.clock.reset()
        self.store.reset()

    def close(self) -> None:
        self.stopping.set()
        self.actors.stop()
        self.pusher.stop()
        self.store.close()
