"""Sync health: what ``recepcja status --json`` (key ``sync``) and the compliance view show.

Proof that the local schedule and CeR are kept in step: when CeR last told us something, when
the two were last compared, what is still open, and what CeR has not confirmed yet.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from recepcja.domain.model import VisitState
from recepcja.sync.pull import CURSOR_KEY, LAST_PULL_KEY
from recepcja.sync.reconcile import LAST_INCIDENT_KEY, LAST_RUN_KEY, OPEN_ITEMS_KEY

if TYPE_CHECKING:
    from recepcja.store.repos import Repositories


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def sync_health(repos: Repositories, *, receiver_enabled: bool = False) -> dict[str, Any]:
    state = repos.sync_state
    open_items = state.get(OPEN_ITEMS_KEY)
    return {
        "receiver_enabled": receiver_enabled,
        "last_notification_at": _iso(repos.notifications.last_received_at()),
        "unapplied_notifications": repos.notifications.count_unapplied(),
        "notification_cursor": int(state.get(CURSOR_KEY, "0") or 0),
        "last_pull_at": _iso(state.get_time(LAST_PULL_KEY)),
        "last_reconciliation_at": _iso(state.get_time(LAST_RUN_KEY)),
        "open_drift_items": None if open_items is None else int(open_items),
        "last_incident_report": state.get(LAST_INCIDENT_KEY),
        "unconfirmed_local_visits": repos.visits.count(VisitState.PENDING),
        "pending_outbox": repos.outbox.count_pending(),
    }
