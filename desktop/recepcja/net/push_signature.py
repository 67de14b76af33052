"""The signature on a pushed notification: HMAC-SHA256 over a timestamp, a nonce and the body.

Shared by the sender (the CeR simulator) and the practice's receiver (``sync/receiver.py``), so
that both sign and check the same bytes. The header::

    X-CeR-Signature: t=<unix seconds>,n=<nonce>,sha256=<hex HMAC-SHA256(secret, "t.n." + body)>

A body-only HMAC can be captured once and replayed for ever; here the receiver refuses a
signature older (or newer) than ``window`` seconds, and remembers each nonce it accepted for as
long as its timestamp is within the window, so the same push replayed inside the window is
refused too. Standard library only (``net/`` imports nothing of the package).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

HEADER = "X-CeR-Signature"
WINDOW_SECONDS = 300
MAX_REMEMBERED = 100_000
_NONCE_CHARS = frozenset("0123456789abcdefABCDEF-_")


def _mac(secret: str, timestamp: int, nonce: str, body: bytes) -> str:
    message = f"{timestamp}.{nonce}.".encode("ascii") + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, *, timestamp: int | None = None,
         nonce: str | None = None) -> str:
    """The header value for sending ``body`` now (a fresh nonce each time)."""
    moment = int(time.time()) if timestamp is None else int(timestamp)
    once = nonce or secrets.token_hex(16)
    return f"t={moment},n={once},sha256={_mac(secret, moment, once, body)}"


@dataclass(frozen=True, slots=True)
class Signature:
    timestamp: int
    nonce: str
    mac: str


def parse(header: str | None) -> Signature | None:
    """The parts of a header value, or None when it is not of the form ``t=..,n=..,sha256=..``."""
    if not header or len(header) > 512:
        return None
    fields: dict[str, str] = {}
    for part in header.strip().split(","):
        key, sep, value = part.strip().partition("=")
        if not sep or key in fields:
            return None
        fields[key] = value
    if set(fields) != {"t", "n", "sha256"} or not fields["t"].isdigit():
        return None
    nonce = fields["n"]
    if not 16 <= len(nonce) <= 64 or not set(nonce) <= _NONCE_CHARS:
        return None
    return Signature(int(fields["t"]), nonce, fields["sha256"].lower())


class SignatureChecker:
    """Checks headers against one shared secret; thread-safe (one per receiver).

    ``check`` answers ``"ok"`` (and remembers the nonce), or why not: ``"missing"``,
    ``"malformed"``, ``"wrong"`` (the HMAC does not match), ``"expired"`` (outside the window)
    or ``"replayed"`` (this nonce was accepted before). ``forget`` releases a nonce whose
    request could not be stored, so that the sender's retry of the very same request succeeds.
    """

    def __init__(self, secret: str, *, window: float = WINDOW_SECONDS,
                 clock: Callable[[], float] = time.time,
                 max_remembered: int = MAX_REMEMBERED) -> None:
        if not secret:
            raise ValueError("a signature needs a shared secret")
        self._secret = secret
        self._window = window
        self._clock = clock
        self._max = max_remembered
        self._seen: OrderedDict[str, float] = OrderedDict()  # nonce -> when it may be dropped
        self._lock = threading.Lock()

    def check(self, body: bytes, header: str | None) -> str:
        if not header:
            return "missing"
        signature = parse(header)
        if signature is None:
            return "malformed"
        expected = _mac(self._secret, signature.timestamp, signature.nonce, body)
        if not hmac.compare_digest(expected.encode("ascii"),
                                   signature.mac.encode("ascii", "replace")):
            return "wrong"
        now = self._clock()
        if abs(now - signature.timestamp) > self._window:
            return "expired"
        with self._lock:
            self._drop_expired(now)
            if signature.nonce in self._seen:
                return "replayed"
            self._seen[signature.nonce] = signature.timestamp + self._window
            while len(self._seen) > self._max:
                self._seen.popitem(last=False)
        return "ok"

    def nonce(self, header: str | None) -> str | None:
        signature = parse(header)
        return None if signature is None else signature.nonce

    def forget(self, nonce: str | None) -> None:
        if nonce is None:
            return
        with self._lock:
            self._seen.pop(nonce, None)

    def _drop_expired(self, now: float) -> None:
        # Insertion order is close to expiry order (timestamps within one window of now).
        while self._seen:
            nonce, until = next(iter(self._seen.items()))
            if until >= now:
                break
            self._seen.popitem(last=False)
