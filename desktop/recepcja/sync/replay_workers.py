"""The replay's worker threads (``sync.in_flight``) made from a ``Replayer``: each is a
``Replayer`` of its own over its own database connection and its own gateway, sharing the pass
(lease, report, CeR's free terms, lost terms) of the coordinator.

Where the connections come from: the ``Replayer``'s ``open_repos`` if given, else the same
SQLite file opened again (a configured connection, no migration: the coordinator's connection
has migrated it); a PostgreSQL store without ``open_repos`` is sent one row at a time. Gateways:
``make_gateway`` if given, else ``gateway.clone()``; a gateway that cannot be cloned (a test's
fake, a session given from outside) means one row at a time too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from recepcja.domain.urgency import URGENCY_RANK
from recepcja.store.db import connect
from recepcja.store.repos import Repositories
from recepcja.store.sender_lock import database_file
from recepcja.store.working_records import OutboxEntry
from recepcja.sync.in_flight import InFlight
from recepcja.sync.replay_rows import Chunk, ReplayPass

if TYPE_CHECKING:
    from recepcja.sync.replay import Replayer


class WorkerReplay:
    """One worker's ``Replayer`` and what it must close."""

    def __init__(self, replayer: Replayer, gateway: Any) -> None:
        self.replayer = replayer
        self.gateway = gateway

    def process(self, replay_pass: ReplayPass, chunk: Chunk, entry: OutboxEntry) -> None:
        self.replayer.process(replay_pass, chunk, entry)

    def flush(self, chunk: Chunk) -> None:
        self.replayer.rows.flush(chunk)

    def close(self) -> None:
        self.replayer.referrals.close()
        try:
            if hasattr(self.gateway, "close"):
                self.gateway.close()
        finally:
            self.replayer.repos.close()


def order_facts(repos: Repositories, due: Sequence[OutboxEntry]
                ) -> tuple[Callable[[OutboxEntry], int], Callable[[OutboxEntry], int | None]]:
    """(urgency rank, the visit's term) of each due row, read once for ``in_flight.plan``."""
    visits = {entry.visit_id: repos.visits.get(entry.visit_id)
              for entry in due if entry.visit_id is not None}

    def rank(entry: OutboxEntry) -> int:
        visit = visits.get(entry.visit_id) if entry.visit_id is not None else None
        return URGENCY_RANK.get(visit.urgency, len(URGENCY_RANK)) if visit else len(URGENCY_RANK)

    def visit_slot(entry: OutboxEntry) -> int | None:
        visit = visits.get(entry.visit_id) if entry.visit_id is not None else None
        return visit.slot_id if visit is not None else None

    return rank, visit_slot


def _repos_opener(owner: Replayer) -> Callable[[], Repositories] | None:
    if owner.open_repos is not None:
        return owner.open_repos
    db = owner.repos.db
    if db.dialect.is_postgresql:
        return None
    try:
        path = database_file(db)
    except ValueError:
        return None  # an in-memory database: only this connection sees it
    clock = owner.repos.outbox.clock

    def open_repos() -> Repositories:
        worker_db = connect(path)
        worker_db.workstation = db.workstation
        return Repositories.over(worker_db, clock)

    return open_repos


def _gateway_maker(owner: Replayer) -> Callable[[], Any] | None:
    if owner.make_gateway is not None:
        return owner.make_gateway
    clone = getattr(owner.rows.gateway, "clone", None)
    if clone is None:
        return None
    probe = clone()
    if probe is None:
        return None
    probe.close()

    def make_gateway() -> Any:
        gateway = clone()
        if gateway is None:
            raise RuntimeError("the gateway cannot be cloned")
        return gateway

    return make_gateway


def crew(owner: Replayer, replay_pass: ReplayPass) -> InFlight | None:
    """The pass's workers, or None when they cannot be had (one row at a time then)."""
    open_repos, make_gateway = _repos_opener(owner), _gateway_maker(owner)
    if open_repos is None or make_gateway is None:
        return None

    def make_worker(observe: Callable[[BaseException | None], None],
                    on_progress: Callable[[OutboxEntry, str, dict[str, Any]], None]
                    ) -> WorkerReplay:
        from recepcja.sync.replay import Replayer

        repos = open_repos()
        try:
            gateway = make_gateway()
        except BaseException:
            repos.close()
            raise
        replayer = Replayer(
            repos, gateway, clock=owner.rows.clock, on_progress=on_progress, observe=observe,
            scope_to_cer=owner.booking.scope_to_cer, backoff_cap=owner.rows.backoff_cap,
            user=owner.rows.user, sender_lock=owner.lock, referrals=owner.referrals.factory)
        # The pass's lease fences the workers too.
        replayer.rows.token, replayer.rows.fence = owner.rows.token, owner.rows.fence
        return WorkerReplay(replayer, gateway)

    token = replay_pass.lease.token
    return InFlight(owner.in_flight, make_worker,
                    claim=lambda ids: owner.repos.outbox.claim(ids, token),
                    release=lambda ids: owner.repos.outbox.release(ids, token),
                    observe=owner.rows.observe, on_progress=owner.on_progress,
                    on_chunk=owner.on_chunk)

