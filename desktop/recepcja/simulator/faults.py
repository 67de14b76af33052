"""Injected failures of CeR, per operation, set through ``POST /_control/faults``.

A rule names an operation (or ``*`` for all), a kind, and how long it lasts: for ``count`` calls,
for ``duration`` seconds, or until ``DELETE /_control/faults``. A rule for a named operation wins
over ``*``. Kinds, and what a client sees:

=============  ====================================================================================
kind           behaviour
=============  ====================================================================================
down           the connection is closed without a byte of answer (requests: ConnectionError,
               "Remote end closed connection without response"); nothing happens in CeR
delay          sleeps ``seconds`` (default 1), then processes and answers normally
timeout        holds the connection ``seconds`` (default 30) without answering, then closes it;
               nothing happens in CeR (a client with a shorter read timeout sees a timeout)
http500        HTTP 500 with a SOAP fault BladTechniczny/BladWewnetrzny; nothing happens in CeR
http503        HTTP 503 with an HTML page (as a proxy in front of P1 answers); nothing happens
malformed      HTTP 200, text/xml, an answer cut off mid-element; nothing happens in CeR
drop_response  the operation takes effect and is COMMITTED, then, after ``seconds`` (default 0),
               the connection is closed without an answer: the caller cannot know it succeeded
=============  ====================================================================================

For ``down``, ``http500``, ``http503`` and ``malformed`` (which hold nothing), ``seconds`` means how
long the rule lasts when ``duration`` is not given — so ``{"kind": "down", "seconds": 5}`` is a
five-second outage. Faults apply to SOAP calls on ``/cer``; the WSDL and the control API keep
answering, so a test can always switch a fault off.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

KINDS = ("down", "delay", "timeout", "http500", "http503", "malformed", "drop_response")
_HOLDING = MappingProxyType({"delay": 1.0, "timeout": 30.0, "drop_response": 0.0})
ANY = "*"


@dataclass(frozen=True, slots=True)
class FaultRule:
    operation: str
    kind: str
    seconds: float
    remaining: int | None  # calls still affected; None = unlimited
    expires: float | None  # time.monotonic() deadline; None = until deleted
    hits: int = 0

    def describe(self) -> dict[str, Any]:
        left = None if self.expires is None else max(0.0, round(self.expires - time.monotonic(), 3))
        return {"operation": self.operation, "kind": self.kind, "seconds": self.seconds,
                "remaining_calls": self.remaining, "remaining_seconds": left, "hits": self.hits}


def make_rule(spec: dict[str, Any]) -> FaultRule:
    """A rule from the control API's JSON; ``ValueError`` with a plain message when invalid."""
    kind = spec.get("kind")
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    operation = spec.get("operation", ANY)
    if not isinstance(operation, str) or not operation:
        raise ValueError("operation must be '*' or an operation name")
    seconds = _number(spec.get("seconds"), "seconds")
    duration = _number(spec.get("duration"), "duration")
    count = spec.get("count")
    if count is not None and (not isinstance(count, int) or isinstance(count, bool) or count < 1):
        raise ValueError("count must be a positive integer")
    if kind in _HOLDING:
        hold = _HOLDING[kind] if seconds is None else seconds
    else:
        hold = 0.0
        if duration is None:
            duration = seconds
    expires = None if duration is None else time.monotonic() + duration
    return FaultRule(operation, kind, hold, count, expires)


def _number(value: object, name: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ValueError(f"{name} must be a non-negative number")
    return float(value)


class FaultPlan:
    """The active rules; ``take`` is atomic, so ``count: 1`` affects exactly one call even when
    twenty arrive at once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: dict[str, FaultRule] = {}

    def set(self, rule: FaultRule) -> None:
        with self._lock:
            self._rules[rule.operation] = rule

    def clear(self, operation: str | None = None) -> None:
        with self._lock:
            if operation is None:
                self._rules.clear()
            else:
                self._rules.pop(operation, None)

    def take(self, operation: str) -> FaultRule | None:
        """The rule that applies to this call (counting it), or None."""
        now = time.monotonic()
        with self._lock:
            for key in (operation, ANY):
                rule = self._rules.get(key)
                if rule is None:
                    continue
                if rule.expires is not None and now >= rule.expires:
                    del self._rules[key]
                    continue
                remaining = None if rule.remaining is None else rule.remaining - 1
                if remaining == 0:
                    del self._rules[key]
                else:
                    self._rules[key] = replace(rule, remaining=remaining, hits=rule.hits + 1)
                return rule
        return None

    def describe(self) -> list[dict[str, Any]]:
        now = time.monotonic()
        with self._lock:
            live = [rule for rule in self._rules.values()
                    if rule.expires is None or rule.expires > now]
        return [rule.describe() for rule in live]
