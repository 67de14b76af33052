"""What the outbox replay reports: the outcomes of a row, the pass report, the backoff rule.

Split from ``sync.replay`` so callers (the engine, the CLI, the GUI's queue panel, the call
list) can use the vocabulary without the worker itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from typing import Any

from recepcja.cer.errors import CerError
from recepcja.domain.errors import DomainError
from recepcja.i18n import _, error_text
from recepcja.store.records import OutboxOp
from recepcja.store.working_records import OutboxEntry

HANDLED_OPS = (OutboxOp.BOOK, OutboxOp.CANCEL, OutboxOp.CHANGE, OutboxOp.WAITING_LIST,
               OutboxOp.WITHDRAW_SLOTS, OutboxOp.REFERRAL_TAKE, OutboxOp.REFERRAL_GIVE_BACK,
               OutboxOp.REFERRAL_REALISE, OutboxOp.REFERRAL_DATE)
REPLAY_USER = "replay"


class Outcome(StrEnum):
    """What became of one outbox row (``result.outcome``; the engine's ``on_entry_done``)."""

    BOOKED = "booked"  # CeR has the booking on the term the desk gave
    MOVED = "moved"  # the term was taken in CeR: booked on the nearest allowed term
    WAITING_LIST = "waiting_list"  # no allowed term left in CeR: the central waiting list
    CANCELLED = "cancelled"
    CHANGED = "changed"
    SKIPPED = "skipped"  # nothing to send (cancelled before it ever reached CeR)
    WITHDRAWN = "withdrawn"  # blocked free terms taken out of CeR (sync.withdrawals)
    REJECTED = "rejected"  # CeR refused (terminal; the reason is kept for the desk)
    # P1's e-referral service (sync.replay_referrals)
    REFERRAL_TAKEN = "referral_taken"
    REFERRAL_REFUSED = "referral_refused"  # unusable at replay: the call list, with the reason
    REFERRAL_GIVEN_BACK = "referral_given_back"
    REFERRAL_REALISED = "referral_realised"
    REFERRAL_DATE_SET = "referral_date_set"  # P1's visit date follows the moved visit


# Patients the desk must phone: their term changed in the replay.
CALL_OUTCOMES = (Outcome.MOVED, Outcome.WAITING_LIST)


class Attempt(Enum):
    """What one booking attempt on one term came to."""

    DONE = "done"  # finished: booked, read back, or rejected
    TAKEN = "taken"  # CeR has the term taken (or does not know it): look for another


class Stop(Exception):  # control flow, not an error
    """CeR is not there (or not answering), or this desk may no longer send (its lease as the
    practice's CeR client lapsed): end this pass, keep the row for later."""

    def __init__(self, error: CerError | DomainError) -> None:
        super().__init__(str(error))
        self.error = error


@dataclass(slots=True)
class ReplayReport:
    """What one pass did. ``stopped_by``: the error that ended it early (CeR unreachable);
    ``busy``: the pass did not run because another process is sending this data folder's
    outbox (the message names it); ``recovered``: rows of a sender that is gone, taken over."""

    done: int = 0
    moved: int = 0
    waiting_list: int = 0
    rejected: int = 0
    retry_later: int = 0
    settled: int = 0
    recovered: int = 0
    stopped_by: str | None = None
    busy: str | None = None
    outcomes: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "done": self.done, "moved": self.moved, "waiting_list": self.waiting_list,
            "rejected": self.rejected, "retry_later": self.retry_later, "settled": self.settled,
            "recovered": self.recovered, "stopped_by": self.stopped_by, "busy": self.busy,
            "outcomes": self.outcomes,
        }


Progress = Callable[[OutboxEntry, str, dict[str, Any]], None]  # entry, outcome, detail
Observer = Callable[[BaseException | None], None]  # the connectivity monitor's ``observe``


def backoff_seconds(attempts: int, start: float = 1.0, cap: float = 300.0) -> float:
    """1 s, 2 s, 4 s ... up to ``cap`` for the n-th failed attempt."""
    return min(cap, start * 2.0 ** max(0, attempts - 1))


def describe(why: str | BaseException) -> str:
    """A rejection reason as the desk reads it: an error translated with its values filled in
    (``i18n.error_text``), or an ``N_``-marked reason translated."""
    return error_text(why) if isinstance(why, BaseException) else _(why)
