"""Wiring the sync layer to the workstation (settings, keyring, data folder).

- ``engine_for_context(ctx, ...)``: the ``SyncEngine`` the GUI starts (its thread opens its own
  connection and gateway);
- ``sync_entry_now(ctx, repos, entry_id)``: ONE immediate try of one outbox row with short
  timeouts (what ``recepcja book`` does after storing the booking): if CeR cannot be reached the
  row simply stays queued — that is emergency mode — and the failure is on the outage record;
  if another process is sending this data folder's outbox (``report.busy``) the row stays
  queued for that process to send;
- ``sync_once(ctx, repos)``: one full pass (``recepcja sync --once``); it waits up to
  ``SYNC_WAIT`` seconds for another sender to finish, then leaves with ``report.busy``.

The engine also keeps the downtime printout fresh while online:
``<data folder>/exports/wydruk-awaryjny.pdf`` (``services.downtime``).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from typing import Any

from recepcja.cer.gateway import CerGateway
from recepcja.crashpoints import crash_point
from recepcja.i18n import error_text
from recepcja.services.context import AppContext
from recepcja.services.gateway_factory import (
    CerNotConfigured,
    TlsVerificationRequired,
    gateway_from_context,
)
from recepcja.store.records import OutboxState
from recepcja.store.repos import Repositories
from recepcja.sync.engine import SyncEngine
from recepcja.sync.monitor import ConnectivityMonitor
from recepcja.sync.replay import Replayer
from recepcja.sync.replay_report import ReplayReport

log = logging.getLogger("recepcja.services.sync")

QUICK_CONNECT_TIMEOUT = 2.0
QUICK_READ_TIMEOUT = 5.0
QUICK_CALL_DEADLINE = 10.0
QUICK_WAIT = 2.0  # the immediate try waits this long for another sender, then leaves the row
SYNC_WAIT = 10.0  # ``sync --once`` waits this long for another sender


def place_cer_id(repos: Repositories) -> str:
    """The place of service named in the call context (the first registered one)."""
    for place in repos.practice.places():
        if place.cer_id:
            return place.cer_id
    return ""


def quick_gateway(ctx: AppContext, repos: Repositories) -> CerGateway:
    """A gateway with short timeouts: a desk command must not hang on a dead CeR."""
    gateway = gateway_from_context(ctx, place_cer_id=place_cer_id(repos))
    config = dataclasses.replace(
        gateway.config,
        connect_timeout=min(gateway.config.connect_timeout, QUICK_CONNECT_TIMEOUT),
        read_timeout=min(gateway.config.read_timeout, QUICK_READ_TIMEOUT),
        call_deadline=min(gateway.config.call_deadline, QUICK_CALL_DEADLINE),
    )
    return CerGateway(config)


def sync_entry_now(ctx: AppContext, repos: Repositories, entry_id: int) -> ReplayReport:
    """Try to send one outbox row now. Never raises for CeR trouble: the row stays queued (and
    is flagged as an emergency entry); ``report.stopped_by`` says why. Another process sending
    this data folder's outbox (``report.busy``) is not an outage: the row is left to it."""
    crash_point("desk.after_write")
    monitor = ConnectivityMonitor(repos)
    if monitor.manual_emergency:
        repos.outbox.set_emergency(entry_id)
        return ReplayReport(stopped_by="emergency mode is switched on")
    try:
        gateway = quick_gateway(ctx, repos)
    except (CerNotConfigured, TlsVerificationRequired) as error:
        repos.outbox.set_emergency(entry_id)  # kept: the settings need fixing, not the booking
        monitor.note_configuration_problem(error)  # the queue and status say whom to call
        return ReplayReport(stopped_by=error_text(error))
    with gateway:
        report = Replayer(repos, gateway, observe=monitor.observe, wait=QUICK_WAIT,
                          referrals=referral_gateways(ctx)).run_entry(entry_id)
    entry = repos.outbox.get(entry_id)
    if (report.busy is None and entry is not None
            and entry.state not in (OutboxState.DONE, OutboxState.REJECTED)):
        repos.outbox.set_emergency(entry_id)
    return report


def sync_once(ctx: AppContext, repos: Repositories, *, wait: float = SYNC_WAIT
              ) -> ReplayReport:
    """One pass of the sync engine on the calling thread (probe, then replay under the data
    folder's sender lock, taking over the rows of a sender that is gone)."""
    engine = SyncEngine(lambda: repos, lambda: gateway_from_context(
        ctx, place_cer_id=place_cer_id(repos)), make_referral_gateway=referral_gateways(ctx),
        max_in_flight=ctx.settings.cer.max_in_flight, worker_repos=ctx.repositories)
    return engine.run_once(repos=repos, wait=wait)


def engine_for_context(
    ctx: AppContext,
    *,
    on_state: Callable[..., Any] | None = None,
    on_queue_count: Callable[[int], Any] | None = None,
    on_entry_done: Callable[..., Any] | None = None,
    idle_interval: float = 2.0,
) -> SyncEngine:
    """The background sync engine for this workstation (not started: call ``start()``).
    Callbacks run on the sync thread; the GUI turns them into signals."""

    def make_gateway() -> CerGateway:
        with ctx.repositories() as repos:
            return gateway_from_context(ctx, place_cer_id=place_cer_id(repos))

    from recepcja.services.database import shares_practice_database
    from recepcja.services.downtime import FILE_NAME, DowntimeRefresher
    from recepcja.sync.practice_owner import PracticeOwnership

    ownership = PracticeOwnership(ctx.open_db if shares_practice_database(ctx) else None)
    return SyncEngine(ctx.repositories, make_gateway, on_state=on_state,
                      on_queue_count=on_queue_count, on_entry_done=on_entry_done,
                      idle_interval=idle_interval,
                      after_pass=DowntimeRefresher(ctx.paths.exports / FILE_NAME),
                      make_referral_gateway=referral_gateways(ctx),
                      ownership=ownership, max_in_flight=ctx.settings.cer.max_in_flight,
                      worker_repos=ctx.repositories)


def notifications_beside(ctx: AppContext, engine: SyncEngine, *,
                         listeners: list[Callable[[Any], Any]] | None = None
                         ) -> tuple[Any, Any]:
    """CeR's notifications beside the headless engine (``recepcja sync``): the notification
    thread, working while the engine is its practice's CeR client, and - with ``[receiver]
    enabled`` and its secret - the receiver, listening only while the engine is
    (``sync.owner_receiver``); without the receiver the thread pulls by cursor. Both started;
    stop them with ``worker.stop()`` and ``receiver.close()``."""
    from recepcja.sync.notification_worker import NotificationWorker
    from recepcja.sync.owner_receiver import OwnerReceiver
    from recepcja.sync.receiver import NotificationReceiver

    worker = NotificationWorker(ctx.repositories, lambda: gateway_from_context(ctx),
                                pull=True, pull_seconds=30.0, listeners=listeners or [],
                                may_work=lambda: engine.owns_practice)
    receiver = None
    if ctx.settings.receiver.enabled:
        try:
            receiver = OwnerReceiver(
                NotificationReceiver.from_context(ctx, on_stored=worker.wake),
                ownership=engine.ownership, on_failed=lambda: worker.set_pull(True))
        except Exception:  # no secret: pull by cursor instead
            log.exception("the notification receiver cannot run; pulling instead")
        else:
            worker.set_pull(False)
    worker.start()
    if receiver is not None:
        receiver.start()
    return worker, receiver


def referral_gateways(ctx: AppContext) -> Callable[[], Any]:
    """Makes the calling thread's gateway to P1's e-referral service (the replay's e-referral
    rows); it raises ``ReferralServiceNotConfigured`` when there is no address, and the rows
    wait."""
    from recepcja.services.referrals import referral_gateway

    return lambda: referral_gateway(ctx)
