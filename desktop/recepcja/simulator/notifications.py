"""Pushing notifications to the practice's endpoint, as CeR does, with retries and chaos.

Every notification row is pushed until the endpoint answers 2xx (retrying with a backoff from
0.2 s doubling to 5 s), and stays available to ``pobierzNotyfikacje`` whatever happens to the push:
pull is the safety net. The push configuration is kept in the simulator's database, so pushing
resumes after a restart.

Chaos for the receiver's tests: ``duplicate`` delivers every notification twice; ``shuffle``
collects a small batch and delivers it in random order (the duplicates too), so a receiver sees
version 2 of a visit before version 1 and must order by ``wersja``.

Each push is a SOAP 1.1 ``przekazNotyfikacje`` request (``SOAPAction`` naming it) with a
``kontekstWywolania`` naming CeR, and, when a secret is set, ``X-CeR-Signature: t=<unix time>,
n=<nonce>,sha256=<hex HMAC-SHA256(secret, "t.n." + body)>`` (``net.push_signature``, shared with
the practice's receiver) — the model's stand-in for P1 signing its own messages. Every delivery,
a retry or a chaos duplicate too, is signed afresh: a replayed request is what the receiver
refuses.
"""

from __future__ import annotations

import json
import logging
import random
import ssl
import threading
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from types import MappingProxyType
from typing import Any

from lxml import etree

from recepcja.net import push_signature
from recepcja.simulator import wire
from recepcja.simulator.db import Store
from recepcja.simulator.soap import CER_NS, CONTENT_TYPE, new_envelope, sub
from recepcja.simulator.visits import notification_record

logger = logging.getLogger(__name__)

SETTING = "push"
SIGNATURE_HEADER = push_signature.HEADER
SOAP_ACTION = f"{CER_NS}/przekazNotyfikacje"
# Who CeR says it is in the pushed message's P1 context header, by short names (model values).
CER_CONTEXT = MappingProxyType({
    "idPodmiotuOidRoot": "2.16.840.1.113883.3.4424.2.3.1",
    "idPodmiotuOidExt": "CeR",
    "rolaBiznesowa": "SYSTEM_CENTRALNY_CER",
})
BATCH = 20
SHUFFLE_BATCH = 6
SHUFFLE_GATHER_SECONDS = 0.3
FIRST_BACKOFF, MAX_BACKOFF = 0.2, 5.0
PUSH_TIMEOUT = 5.0


@dataclass(frozen=True, slots=True)
class PushConfig:
    url: str
    secret: str | None = None
    duplicate: bool = False
    shuffle: bool = False
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None

    @classmethod
    def from_json(cls, spec: dict[str, Any]) -> PushConfig:
        url = spec.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ValueError("url must be an http:// or https:// address")
        for name in ("secret", "ca_file", "cert_file", "key_file"):
            if spec.get(name) is not None and not isinstance(spec[name], str):
                raise ValueError(f"{name} must be a string")
        return cls(
            url=url, secret=spec.get("secret"), duplicate=bool(spec.get("duplicate", False)),
            shuffle=bool(spec.get("shuffle", False)), ca_file=spec.get("ca_file"),
            cert_file=spec.get("cert_file"), key_file=spec.get("key_file"),
        )


def push_body(record: dict[str, Any]) -> bytes:
    """The ``przekazNotyfikacje`` envelope for one notification record."""
    envelope, body = new_envelope(dict(CER_CONTEXT))
    request = sub(body, "przekazNotyfikacje")
    wire.add_notification(request, record)
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


def signature(secret: str, body: bytes) -> str:
    """The header value for sending ``body`` now: timestamp, fresh nonce, HMAC."""
    return push_signature.sign(secret, body)


class NotificationPusher:
    """The background thread that delivers notifications to the configured endpoint."""

    def __init__(self, store: Store, seed: int | None = None) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._random = random.Random(seed)  # noqa: S311 - delivery order chaos, not secrets
        self._config: PushConfig | None = None
        self._stats: dict[str, Any] = {"deliveries": 0, "failures": 0, "last_error": None}
        with store.read() as conn:
            saved = store.get_setting(conn, SETTING)
        if saved:
            self._config = PushConfig(**json.loads(saved))

    # -- control ------------------------------------------------------------------------------
    def configure(self, config: PushConfig | None) -> None:
        with self._store.write() as conn:
            self._store.put_setting(
                conn, SETTING, None if config is None else json.dumps(asdict(config))
            )
        with self._lock:
            self._config = config
        self.wake()

    def wake(self) -> None:
        self._wake.set()

    def status(self) -> dict[str, Any]:
        with self._lock:
            config = self._config
            stats = dict(self._stats)
        with self._store.read() as conn:
            pending = conn.execute(
                "SELECT COUNT(*) FROM notyfikacja WHERE dostarczona = 0"
            ).fetchone()[0]
        described = None
        if config is not None:
            described = {**asdict(config), "secret": "***" if config.secret else None}
        return {"endpoint": described, "pending": pending, **stats}

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="cer-sim-push", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=PUSH_TIMEOUT * 2 + 1)
            self._thread = None

    # -- the thread ---------------------------------------------------------------------------
    def _run(self) -> None:
        backoff = FIRST_BACKOFF
        while not self._stop.is_set():
            with self._lock:
                config = self._config
            batch = self._pending(config)
            if not batch or config is None:
                self._wake.wait(0.5)
                self._wake.clear()
                continue
            if self._deliver_batch(config, batch):
                backoff = FIRST_BACKOFF
            else:
                self._stop.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)

    def _pending(self, config: PushConfig | None) -> list[dict[str, Any]]:
        if config is None:
            return []
        limit = SHUFFLE_BATCH if config.shuffle else BATCH
        rows = self._rows(limit)
        if config.shuffle and 0 < len(rows) < limit:
            # Let a few more arrive, so that there is an order to upset.
            self._stop.wait(SHUFFLE_GATHER_SECONDS)
            rows = self._rows(limit)
        return rows

    def _rows(self, limit: int) -> list[dict[str, Any]]:
        with self._store.read() as conn:
            rows = conn.execute(
                "SELECT * FROM notyfikacja WHERE dostarczona = 0 ORDER BY kursor LIMIT ?",
                (limit,),
            ).fetchall()
        return [notification_record(row) for row in rows]

    def _deliver_batch(self, config: PushConfig, batch: list[dict[str, Any]]) -> bool:
        """Deliver a batch (each copy until 2xx); False at the first failure (retried later)."""
        copies = [record for record in batch for _ in range(2 if config.duplicate else 1)]
        if config.shuffle:
            self._random.shuffle(copies)
        for record in copies:
            if self._stop.is_set():
                return True
            with self._lock:
                if self._config != config:
                    return True  # reconfigured: start over with the new endpoint
            if not self._post(config, record):
                return False
            with self._store.write() as conn:
                conn.execute(
                    "UPDATE notyfikacja SET dostarczona = 1, proby = proby + 1 WHERE kursor = ?",
                    (record["kursor"],),
                )
        return True

    def _post(self, config: PushConfig, record: dict[str, Any]) -> bool:
        body = push_body(record)
        headers = {"Content-Type": CONTENT_TYPE, "SOAPAction": f'"{SOAP_ACTION}"'}
        if config.secret:
            headers[SIGNATURE_HEADER] = signature(config.secret, body)
        request = urllib.request.Request(  # noqa: S310 - PushConfig allows only http(s) URLs
            config.url, data=body, headers=headers, method="POST"
        )
        # No proxies from the environment: the endpoint is the practice's, reached directly.
        handlers: list[urllib.request.BaseHandler] = [urllib.request.ProxyHandler({})]
        try:
            tls = self._tls(config)
            if tls is not None:
                handlers.append(urllib.request.HTTPSHandler(context=tls))
            opener = urllib.request.build_opener(*handlers)
            with opener.open(request, timeout=PUSH_TIMEOUT) as answer:
                answer.read()
                ok = 200 <= answer.status < 300
                error = None if ok else f"HTTP {answer.status}"
        except urllib.error.HTTPError as failure:
            ok, error = False, f"HTTP {failure.code}"
        except (OSError, ValueError) as failure:
            ok, error = False, type(failure).__name__
        with self._lock:
            if ok:
                self._stats["deliveries"] += 1
            else:
                self._stats["failures"] += 1
                self._stats["last_error"] = error
        if not ok:
            with self._store.write() as conn:
                conn.execute("UPDATE notyfikacja SET proby = proby + 1 WHERE kursor = ?",
                             (record["kursor"],))
            logger.info("push of %s failed: %s", record["idNotyfikacji"], error)
        return ok

    @staticmethod
    def _tls(config: PushConfig) -> ssl.SSLContext | None:
        if not config.url.startswith("https://"):
            return None
        context = ssl.create_default_context(cafile=config.ca_file)
        if config.cert_file:
            context.load_cert_chain(config.cert_file, config.key_file)
        return context
