"""The CeR gateway: every call the app makes to CeR, domain objects in, domain objects out.

``SoapGateway`` is the machinery every P1 service shares (session, zeep client, context header,
signing, one checked call, typed errors), bound to a ``ServiceContract``; ``CerGateway`` adds
CeR's operations (and ``referrals.ReferralGateway`` P1's e-referral operations).

One ``CerGateway`` per thread that talks to CeR (the sync thread, a CLI command, a benchmark):
it owns a ``requests.Session`` and a zeep client, which are cheap (~20 ms, built at the first
call, not in the constructor) but not meant to be shared between threads.

Every method raises only the typed errors of ``recepcja.cer.errors``. Nothing here logs
message bodies: one line per call with the operation, the duration and the outcome.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any, ClassVar, Self

from lxml import etree

from recepcja.cer import mapping as m
from recepcja.cer.contract import CER, ServiceContract
from recepcja.cer.deadline import CallBudget
from recepcja.cer.errors import (
    MINOR_NOT_FOUND,
    CerError,
    CerRejected,
    deadline_error,
    map_exception,
)
from recepcja.cer.types import (
    URGENCY_TO_WIRE,
    CerNotification,
    CerPatient,
    CerSlot,
    CerVisit,
    GatewayConfig,
    InitialVisit,
    ItemResult,
    MobilePoint,
    PlaceRegistration,
    PlaceResult,
    PlaceState,
    ScheduleRegistration,
    WaitingListPlacement,
)
from recepcja.cer.wire import q
from recepcja.domain.entities import CentralRequest, Patient, PatientIdentifier, SlotSpec
from recepcja.domain.model import Urgency

log = logging.getLogger("recepcja.cer")

MOBILE_POINTS_PER_CALL = 500  # the XSD's maxOccurs for punkt
NOTIFICATIONS_PER_CALL = 1000  # the XSD's maxOccurs for notyfikacja


class SoapGateway:
    """Calls one P1 service (``CONTRACT``) with the provider's identity (context header, TLS
    client certificate, signed messages); answers come back checked, failures as typed errors."""

    CONTRACT: ClassVar[ServiceContract] = CER

    def __init__(
        self, config: GatewayConfig, *, session: Any = None, signature_options: Any = None
    ) -> None:
        """``session``: a ``requests.Session`` to use (tests mount fake adapters on it); TLS
        settings from ``config`` are applied to it. ``signature_options``: keyword arguments
        for the signer (tests freeze its clock and ids)."""
        self._config = config
        self._session = session
        self._own_session = session is None
        self._signature_options = dict(signature_options or {})
        self._lock = threading.Lock()
        self._zeep: tuple[Any, Any, Any] | None = None
        self._budget = CallBudget()  # the total deadline of the call in progress

    @property
    def config(self) -> GatewayConfig:
        return self._config

    # -- plumbing ---------------------------------------------------------------------------

    def _ready(self) -> tuple[Any, Any, Any]:
        """(client, service, context header), built at the first call."""
        with self._lock:
            if self._zeep is None:
                import requests

                from recepcja.cer import client as zc
                from recepcja.cer.deadline_http import DeadlineAdapter
                from recepcja.cer.security import configure_session, load_signature

                session = self._session
                if session is None:
                    session = requests.Session()
                    adapter = DeadlineAdapter(self._budget)
                    session.mount("https://", adapter)
                    session.mount("http://", adapter)
                wsse = None
                signing = self._config.signing
                if signing is not None:
                    # The Timestamp lives no longer than the service's convention wants.
                    ttl = self.CONTRACT.context.timestamp_ttl_seconds
                    signing = replace(signing, timestamp_ttl_seconds=min(
                        signing.timestamp_ttl_seconds, ttl))
                    wsse = load_signature(signing, **self._signature_options)
                client, service = zc.build_client(self._config, session, wsse, self.CONTRACT)
                configure_session(session, self._config)  # after zeep set its User-Agent
                self._session = session
                self._zeep = (client, service,
                              zc.context_header(client, self._config.context, self.CONTRACT))
            return self._zeep

    @property
    def session(self) -> Any:
        """The ``requests.Session`` in use (built on first use): tests inspect its TLS settings."""
        self._ready()
        return self._session

    @property
    def transport(self) -> Any:
        """The zeep transport in use: tests check its timeouts."""
        return self._ready()[0].transport

    def clone(self) -> Self | None:
        """A new gateway to the same service with the same identity, for another thread (its
        own session and zeep client); None when this one was given a session from outside
        (tests with fake adapters): that cannot be copied."""
        if not self._own_session:
            return None
        return type(self)(self._config, signature_options=self._signature_options)

    def close(self) -> None:
        with self._lock:
            if self._session is not None:
                self._session.close()
            self._zeep = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _call(self, operation: str, **request: Any) -> etree._Element:
        """Send one request; return the checked answer element; raise only ``CerError``."""
        from recepcja.cer.client import read_answer

        started = time.perf_counter()
        budget = None
        try:
            _client, service, header = self._ready()
            with self._budget.running(self._config.call_deadline) as budget:
                response = getattr(service, operation)(**request, _soapheaders=[header])
            answer = read_answer(response, operation, validate=self._config.validate_responses,
                                 contract=self.CONTRACT)
        except Exception as exc:
            if budget is not None and budget.expired:
                error = deadline_error(operation, self._config.call_deadline, sent=budget.sent)
            else:
                error = map_exception(exc, operation, read_timeout=self._config.read_timeout)
            # A refusal is a normal business outcome (a taken term); the rest is trouble.
            log.log(
                logging.INFO if isinstance(error, CerRejected) else logging.WARNING,
                "%s %s failed after %.0f ms: %s%s%s",
                self.CONTRACT.name,
                operation,
                (time.perf_counter() - started) * 1000,
                type(error).__name__,
                f" {error.code}" if isinstance(error, CerRejected) else "",
                " (may have committed)" if error.may_have_committed else "",
            )
            if error is exc:
                raise
            error.cause = f"{type(exc).__module__}.{type(exc).__name__}"
            raise error from None  # the cause may quote a body; its type is kept above
        log.debug("%s %s ok in %.0f ms", self.CONTRACT.name, operation,
                  (time.perf_counter() - started) * 1000)
        return answer


class CerGateway(SoapGateway):
    """Calls CeR and maps answers and failures to domain values and typed errors."""

    def _batched(
        self, operation: str, items: Sequence[Any], size: int, build: Any
    ) -> list[ItemResult]:
        """Send ``items`` in chunks; collect the per-item answers. When a chunk fails, the
        error's ``partial`` holds what earlier chunks got (the batch operations are
        idempotent by local id, so resending everything is also safe)."""
        results: list[ItemResult] = []
        for chunk in m.chunks(list(items), size):
            try:
                results.extend(m.parse_items(self._call(operation, **build(chunk))))
            except CerError as error:
                error.partial = tuple(results)
                raise
        return results

    # -- liveness ---------------------------------------------------------------------------

    def status(self) -> dt.datetime:
        """CeR's clock (``sprawdzStatus``): the cheap probe of the connectivity monitor."""
        answer = self._call("sprawdzStatus")
        return m.parse_datetime(m.required(answer, "czasSerwera"), "czasSerwera")

    # -- onboarding (obligation 1) ----------------------------------------------------------

    def register_place(self, place: PlaceRegistration) -> PlaceResult:
        """Register or update the place of service (``zapiszDaneMus``; idempotent by its RPWDL
        codes). Returns CeR's id of the place and its state."""
        answer = self._call("zapiszDaneMus", **m.place_out(place))
        return PlaceResult(
            m.required(answer, "idMus"), m.parse_place_state(m.required(answer, "stan"))
        )

    def import_mobile_points(
        self, place_cer_id: str, points: Sequence[MobilePoint]
    ) -> list[ItemResult]:
        """Register mobile points of a place (``importujMobilnePunktyObslugi``), per item;
        ``ItemResult.cer_id`` is what ``ScheduleRegistration.mobile_point_cer_id`` wants."""
        return self._batched(
            "importujMobilnePunktyObslugi",
            points,
            min(MOBILE_POINTS_PER_CALL, self._config.batch_size),
            lambda chunk: {"idMus": place_cer_id, "punkt": [m.mobile_point_out(p) for p in chunk]},
        )

    def save_schedule(self, place_cer_id: str, schedule: ScheduleRegistration) -> str:
        """Create or update a schedule (``zapiszHarmonogram``; idempotent by its local id);
        returns CeR's schedule id."""
        answer = self._call("zapiszHarmonogram", **m.schedule_out(place_cer_id, schedule))
        return m.required(answer, "idHarmonogramu")

    def save_slots(
        self, schedule_cer_id: str, items: Sequence[tuple[object, SlotSpec]]
    ) -> list[ItemResult]:
        """Publish free terms (``zapiszSloty``), ``(local_id, spec)`` pairs, in batches of
        ``config.batch_size`` (≤ 1000 by default; the XSD allows 5000, but a smaller batch
        fails cheaper and keeps each call well inside the read timeout). Per-item answers:
        overlapping or duplicate slots come back rejected, the rest are accepted."""
        return self._batched(
            "zapiszSloty",
            items,
            self._config.batch_size,
            lambda chunk: {
                "idHarmonogramu": schedule_cer_id,
                "slot": [m.slot_out(local_id, spec) for local_id, spec in chunk],
            },
        )

    def delete_slots(self, schedule_cer_id: str, cer_ids: Sequence[str]) -> list[ItemResult]:
        """Withdraw free terms (``usunSloty``) by CeR id; per item (``local_id`` is the CeR id)."""
        return self._batched(
            "usunSloty",
            cer_ids,
            self._config.batch_size,
            lambda chunk: {"idHarmonogramu": schedule_cer_id, "idSlotu": list(chunk)},
        )

    def initial_load(self, place_cer_id: str, visits: Sequence[InitialVisit]) -> list[ItemResult]:
        """Send visits booked before joining (``zasilInicjalnie``), per item (``local_id`` is
        the visit's ``visit_uid``). An empty load is still sent once: it is a step of the
        place's life cycle ("nothing was booked before")."""
        if not visits:
            return m.parse_items(self._call("zasilInicjalnie", idMus=place_cer_id))
        return self._batched(
            "zasilInicjalnie",
            visits,
            self._config.batch_size,
            lambda chunk: {
                "idMus": place_cer_id,
                "wizyta": [m.initial_visit_out(v) for v in chunk],
            },
        )

    def activate_place(self, place_cer_id: str) -> PlaceState:
        """Activate the place (``aktywujMus``); CeR refuses (``NiewystarczajacyHoryzont``, a
        ``CerRejected``) while a schedule has less than 3 months of free terms."""
        answer = self._call("aktywujMus", idMus=place_cer_id)
        return m.parse_place_state(m.required(answer, "stan"))

    # -- booking (obligation 2) -------------------------------------------------------------

    def book(
        self,
        slot_cer_id: str,
        visit_uid: str,
        patient: Patient | CerPatient,
        urgency: Urgency,
        *,
        central_request_id: str | None = None,
        referral_id: str | None = None,
    ) -> CerVisit:
        """Book a term (``zarezerwujTermin``). ``visit_uid`` is our own id: after a failure with
        ``may_have_committed``, ``read_visit(visit_uid=...)`` tells whether it got through.
        A taken term raises ``CerConflict`` (``TerminZajety``); a reused ``visit_uid`` too
        (``IdentyfikatorWizytyUzyty``)."""
        request = m.booking_out(
            slot_cer_id=slot_cer_id,
            visit_uid=visit_uid,
            patient=patient,
            urgency=urgency,
            central_request_id=central_request_id,
            referral_id=referral_id,
        )
        return m.parse_visit(self._wizyta(self._call("zarezerwujTermin", **request)))

    def change_term(self, visit_cer_id: str, new_slot_cer_id: str, reason: str) -> CerVisit:
        """Move a visit to another term on the provider's side (``zmienTermin``); CeR notifies
        the patient. Returns the visit as CeR now has it."""
        answer = self._call(
            "zmienTermin", idWizyty=visit_cer_id, idSlotuNowego=new_slot_cer_id, powod=reason
        )
        return m.parse_visit(self._wizyta(answer))

    def cancel(self, visit_cer_id: str, reason: str) -> CerVisit:
        """Cancel a visit (``anulujWizyte``). Cancelling twice raises ``CerRejected`` with code
        ``WizytaAnulowana`` — for a replay that means "already done"."""
        answer = self._call("anulujWizyte", idWizyty=visit_cer_id, powod=reason)
        return m.parse_visit(self._wizyta(answer))

    def place_on_waiting_list(
        self,
        place_cer_id: str,
        entry_uid: str,
        scope_code: str,
        patient: Patient | CerPatient,
        urgency: Urgency,
        *,
        central_request_id: str | None = None,
    ) -> WaitingListPlacement:
        """Put a patient on the central waiting list (``umiescNaLiscieOczekujacych``);
        idempotent by our ``entry_uid``. Returns CeR's entry id and the position."""
        request: dict[str, Any] = {
            "idMus": place_cer_id,
            "identyfikatorWpisu": entry_uid,
            "zakres": scope_code,
            "pacjent": m.patient_out(patient),
            "kategoriaMedyczna": URGENCY_TO_WIRE[Urgency(urgency)],
        }
        if central_request_id:
            request["idZgloszeniaCentralnego"] = central_request_id
        answer = self._call("umiescNaLiscieOczekujacych", **request)
        position = m.required(answer, "pozycja")
        try:
            return WaitingListPlacement(m.required(answer, "idWpisu"), int(position))
        except ValueError:
            raise m.shape_error("pozycja") from None

    def central_requests(
        self, patient: PatientIdentifier | Patient | CerPatient, scope: str | None = None
    ) -> list[CentralRequest]:
        """A patient's central requests (``pobierzZgloszeniaCentralne``), optionally for one
        scope: their category and date decide the order of terms (art. 23d ust. 1)."""
        request: dict[str, Any] = {"pacjent": m.patient_out(patient)}
        if scope:
            request["zakres"] = scope
        answer = self._call("pobierzZgloszeniaCentralne", **request)
        return [m.parse_central_request(node) for node in answer.iterfind(q("zgloszenie"))]

    # -- read-back ----------------------------------------------------------------------------

    def read_slots(
        self, schedule_cer_id: str, start: dt.datetime, end: dt.datetime
    ) -> list[CerSlot]:
        """Slots of a schedule in ``[start, end)`` with their visits (``pobierzSloty``): what
        reconciliation compares with the local store."""
        answer = self._call(
            "pobierzSloty",
            idHarmonogramu=schedule_cer_id,
            od=m.aware(start, "from"),
            do=m.aware(end, "to"),
        )
        return [m.parse_slot(node) for node in answer.iterfind(q("slot"))]

    def read_visit(
        self, cer_id: str | None = None, visit_uid: str | None = None
    ) -> CerVisit | None:
        """One visit by CeR's id or by our own ``visit_uid`` (``pobierzWizyte``); None when CeR
        has none. This settles an ambiguous booking before anything is sent again."""
        if (cer_id is None) == (visit_uid is None):
            raise ValueError("read_visit takes exactly one of cer_id and visit_uid")
        request = {"idWizyty": cer_id} if cer_id is not None else {"identyfikatorWizyty": visit_uid}
        try:
            answer = self._call("pobierzWizyte", **request)
        except CerRejected as error:
            if error.code == MINOR_NOT_FOUND:
                return None
            raise
        node = answer.find(q("wizyta"))
        return m.parse_visit(node) if node is not None else None

    # -- notifications ------------------------------------------------------------------------

    def pull_notifications(
        self, cursor: int, limit: int = 500
    ) -> tuple[list[CerNotification], int]:
        """Notifications after ``cursor`` (``pobierzNotyfikacje``), at most ``limit`` (capped at
        the XSD's 1000). Returns them and the cursor to pass next time; acknowledge with
        ``ack_notifications`` once they are stored."""
        limit = max(1, min(int(limit), NOTIFICATIONS_PER_CALL))
        answer = self._call("pobierzNotyfikacje", kursor=int(cursor), limit=limit)
        notifications = [m.parse_notification(node) for node in answer.iterfind(q("notyfikacja"))]
        next_cursor = m.required(answer, "nastepnyKursor")
        try:
            return notifications, int(next_cursor)
        except ValueError:
            raise m.shape_error("nastepnyKursor") from None

    def ack_notifications(self, cursor: int) -> None:
        """Tell CeR everything up to ``cursor`` is stored here (``potwierdzNotyfikacje``)."""
        self._call("potwierdzNotyfikacje", kursor=int(cursor))

    # -- helpers ------------------------------------------------------------------------------

    @staticmethod
    def _wizyta(answer: etree._Element) -> etree._Element:
        node = answer.find(q("wizyta"))
        if node is None:
            raise m.shape_error(f"{etree.QName(answer).localname}/wizyta")
        return node


def describe(results: Iterable[ItemResult]) -> str:
    """ "accepted 998, rejected 2 (NakladajaceSieSloty ×2)": for logs and progress lines."""
    accepted = rejected = 0
    codes: dict[str, int] = {}
    for item in results:
        if item.accepted:
            accepted += 1
        else:
            rejected += 1
            code = (item.code or "?").rsplit(":", 1)[-1]
            codes[code] = codes.get(code, 0) + 1
    detail = ", ".join(f"{code} ×{count}" for code, count in sorted(codes.items()))
    return f"accepted {accepted}, rejected {rejected}" + (f" ({detail})" if detail else "")
