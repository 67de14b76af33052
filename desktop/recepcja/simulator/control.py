"""The JSON control API under ``/_control/``: what tests and trainers use to steer the simulator.

Not part of CeR: it is how a test makes "the rest of the world" happen (portal patients, other
providers, outages) and looks inside CeR afterwards. Answers are JSON; a refused request answers
``{"error": "..."}`` with 400 (bad input), 404 (unknown object or route) or 409 (conflict, e.g. a
taken term). Full reference with curl examples: ``docs/SIMULATOR.md``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from types import MappingProxyType
from typing import Any

from recepcja.domain.pesel import is_valid_pesel
from recepcja.simulator import errors, referrals
from recepcja.simulator.actors import random_patient
from recepcja.simulator.clock import parse_iso, to_wire
from recepcja.simulator.core import Simulator
from recepcja.simulator.errors import CerError
from recepcja.simulator.notifications import PushConfig
from recepcja.simulator.records import Patient
from recepcja.simulator.state import read_state, visit_json
from recepcja.simulator.visits import (
    BOOKING_NOTIFICATION,
    add_central_request,
    book_outside,
    cancel,
    force_bookings,
    term_for_waiting_entry,
)

MAX_CONTROL_BODY = 1_000_000
Answer = tuple[int, dict[str, Any]]


class ControlError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _field(payload: dict[str, Any], name: str, kind: type | tuple[type, ...] = str) -> Any:
    value = payload.get(name)
    if value is None or not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise ControlError(400, f"'{name}' is required ({getattr(kind, '__name__', kind)})")
    return value


def _cer_refusal(error: CerError) -> ControlError:
    status = 404 if error.minor in (errors.NOT_FOUND, referrals.NOT_FOUND) else 409
    return ControlError(status, error.opis)


def _pesel(payload: dict[str, Any]) -> str:
    pesel = _field(payload, "pesel")
    if not is_valid_pesel(pesel):
        raise ControlError(400, "'pesel' is not a valid PESEL (11 digits with a valid checksum)")
    return pesel


# -- handlers ---------------------------------------------------------------------------------
def get_state(sim: Simulator, query: dict[str, str], _: dict[str, Any]) -> Answer:
    try:
        state = read_state(sim.store, query)
    except ValueError as error:
        raise ControlError(400, str(error)) from None
    state.update(clock=sim.clock.describe(), faults=sim.faults.describe(),
                 actors=sim.actors.status(), push=sim.pusher.status())
    return 200, state


def get_health(sim: Simulator, query: dict[str, str], _: dict[str, Any]) -> Answer:
    return 200, {"ok": True, "integrity_check": sim.store.integrity_check(),
                 "clock": sim.clock.describe()}


def set_fault(sim: Simulator, query: dict[str, str], payload: dict[str, Any]) -> Answer:
    try:
        sim.set_fault(payload)
    except ValueError as error:
        raise ControlError(400, str(error)) from None
    return 200, {"faults": sim.faults.describe()}


def clear_faults(sim: Simulator, query: dict[str, str], _: dict[str, Any]) -> Answer:
    sim.clear_faults(query.get("operation"))
    return 200, {"faults": sim.faults.describe()}


def get_faults(sim: Simulator, query: dict[str, str], _: dict[str, Any]) -> Answer:
    return 200, {"faults": sim.faults.describe()}


def start_actors(sim: Simulator, query: dict[str, str], payload: dict[str, Any]) -> Answer:
    rate = _field(payload, "rate", (int, float))
    kinds = payload.get("kinds", ["portal_booking", "portal_cancel", "other_provider",
                                  "waiting_room"])
    seed = payload.get("seed")
    if not isinstance(kinds, list) or (seed is not None and not isinstance(seed, int)):
        raise ControlError(400, "'kinds' must be a list and 'seed' an integer")
    try:
        return 200, sim.actors.start(float(rate), kinds, seed)
    except ValueError as error:
        raise ControlError(400, str(error)) from None


def stop_actors(sim: Simulator, query: dict[str, str], _: dict[str, Any]) -> Answer:
    return 200, sim.actors.stop()


def get_actors(sim: Simulator, query: dict[str, str], _: dict[str, Any]) -> Answer:
    return 200, sim.actors.status()


def portal_booking(sim: Simulator, query: dict[str, str], payload: dict[str, Any]) -> Answer:
    slot = _field(payload, "slot")
    pesel = _pesel(payload)
    source = payload.get("source", "IKP")
    if source not in BOOKING_NOTIFICATION:
        raise ControlError(400, f"'source' must be one of {', '.join(BOOKING_NOTIFICATION)}")
    urgency = payload.get("urgency", "STABILNY")
    if urgency not in ("PILNY", "STABILNY"):
        raise ControlError(400, "'urgency' must be PILNY or STABILNY")
    generated = random_patient(sim.rng(), pesel)
    patient = Patient(
        imie=payload.get("first_name") or generated.imie,
        nazwisko=payload.get("last_name") or generated.nazwisko,
        pesel=pesel, telefon=generated.telefon,
    )
    now = sim.clock.now()
    try:
        with sim.store.write() as conn:
            visit = book_outside(conn, now, slot, patient=patient, urgency=urgency,
                                 source=source)
            cursor = conn.execute("SELECT MAX(kursor) FROM notyfikacja").fetchone()[0]
    except CerError as error:
        raise _cer_refusal(error) from None
    sim.pusher.wake()
    return 200, {"visit": visit_json(visit), "notification_cursor": cursor}


def portal_cancel(sim: Simulator, query: dict[str, str], payload: dict[str, Any]) -> Answer:
    visit_id = _field(payload, "visit")
    now = sim.clock.now()
    try:
        with sim.store.write() as conn:
            visit = cancel(conn, now, visit_id, by_patient=True)
            cursor = conn.execute("SELECT MAX(kursor) FROM notyfikacja").fetchone()[0]
    except CerError as error:
        raise _cer_refusal(error) from None
    sim.pusher.wake()
    return 200, {"visit": visit_json(visit), "notification_cursor": cursor}


def waiting_list_term(sim: Simulator, query: dict[str, str], payload: dict[str, Any]) -> Answer:
    """A central waiting-list entry gets its term: CeR books it there, the practice is told."""
    entry, slot = _field(payload, "entry"), _field(payload, "slot")
    now = sim.clock.now()
    try:
        with sim.store.write() as conn:
            visit = term_for_waiting_entry(conn, now, entry, slot)
            cursor = conn.execute("SELECT MAX(kursor) FROM notyfikacja").fetchone()[0]
    except CerError as error:
        raise _cer_refusal(error) from None
    sim.pusher.wake()
    return 200, {"visit": visit_json(visit), "notification_cursor": cursor}


def force(sim: Simulator, query: dict[str, str], payload: dict[str, Any]) -> Answer:
    slot = _field(payload, "slot")
    count = _field(payload, "count", int)
    source = payload.get("source", "IKP")
    if count < 1 or source not in BOOKING_NOTIFICATION:
        raise ControlError(400, "'count' must be >= 1 and 'source' one of "
                           + ", ".join(BOOKING_NOTIFICATION))
    rng = sim.rng()
    patients = [random_patient(rng) for _ in range(count)]
    now = sim.clock.now()
    try:
        with sim.store.write() as conn:
            created = force_bookings(conn, now, slot, patients, source,
                                     notify=bool(payload.get("notify", True)))
    except CerError as error:
        raise _cer_refusal(error) from None
    except ValueError as error:
        raise ControlError(400, str(error)) from None
    sim.pusher.wake()
    return 200, {"visits": [visit_json(visit) for visit in created]}


def central_request(sim: Simulator, query: dict[str, str], payload: dict[str, Any]) -> Answer:
    pesel = _pesel(payload)
    scope = _field(payload, "scope")
    urgency = _field(payload, "urgency")
    if urgency not in ("PILNY", "STABILNY"):
        raise ControlError(400, "'urgency' must be PILNY or STABILNY")
    now = sim.clock.now()
    try:
        filed = parse_iso(payload["date"]) if payload.get("date") else now
    except (TypeError, ValueError):
        raise ControlError(400, "'date' must be an ISO date-time") from None
    with sim.store.write() as conn:
        request_id = add_central_request(conn, now, pesel=pesel, scope=scope, urgency=urgency,
                                         filed=filed)
    return 200, {"id": request_id, "date": to_wire(filed)}


def set_push(sim: Simulator, query: dict[str, str], payload: dict[str, Any]) -> Answer:
    try:
        config = PushConfig.from_json(payload)
    except ValueError as error:
        raise ControlError(400, str(error)) from None
    if payload.get("skip_existing"):
        with sim.store.write() as conn:
            conn.execute("UPDATE notyfikacja SET dostarczona = 1 WHERE dostarczona = 0")
    sim.pusher.configure(config)
    return 200, sim.pusher.status()


def clear_push(sim: Simulator, query: dict[str, str], _: dict[str, Any]) -> Answer:
    sim.pusher.configure(None)
    return 200, sim.pusher.status()


def get_push(sim: Simulator, query: dict[str, str], _: dict[str, Any]) -> Answer:
    return 200, sim.pusher.status()


def set_clock(sim: Simulator, query: dict[str, str], payload: dict[str, Any]) -> Answer:
    try:
        instant = parse_iso(_field(payload, "now"))
    except ValueError:
        raise ControlError(400, "'now' must be an ISO date-time") from None
    sim.clock.set(instant, frozen=bool(payload.get("frozen", False)))
    return 200, sim.clock.describe()


def reset_clock(sim: Simulator, query: dict[str, str], _: dict[str, Any]) -> Answer:
    sim.clock.reset()
    return 200, sim.clock.describe()


def get_clock(sim: Simulator, query: dict[str, str], _: dict[str, Any]) -> Answer:
    return 200, sim.clock.describe()


def add_referral(sim: Simulator, query: dict[str, str], payload: dict[str, Any]) -> Answer:
    """Issue an e-referral as a doctor elsewhere would have (P1 state, not CeR's)."""
    spec = _referral_spec(sim, payload)
    try:
        with sim.store.write() as conn:
            row = referrals.issue(conn, sim.rng(), sim.clock.now(), spec)
            answer = referrals.as_json(conn, row)
    except ValueError as error:
        raise ControlError(409, str(error)) from None
    return 200, answer


def change_referral(sim: Simulator, query: dict[str, str], payload: dict[str, Any]) -> Answer:
    """What happens to a referral elsewhere meanwhile: cancelled by its issuer, taken, given back
    or realised by another provider."""
    key = _field(payload, "key")
    status = _field(payload, "status")
    if status not in referrals.STATUSES:
        raise ControlError(400, f"'status' must be one of {', '.join(referrals.STATUSES)}")
    holder = _holder(payload, status)
    try:
        with sim.store.write() as conn:
            row = referrals.change(conn, sim.clock.now(), key, status, holder)
            answer = referrals.as_json(conn, row)
    except CerError as error:
        raise _cer_refusal(error) from None
    return 200, answer


REFERRAL_SPECIALTY = ("1100", "Poradnia kardiologiczna")
OTHER_PROVIDER = referrals.Provider("2.16.840.1.113883.3.4424.2.3.1", "000000099999")


def _holder(payload: dict[str, Any], status: str) -> referrals.Provider | None:
    """``holder``: [root, ext] or an extension under the usual root; required with
    U_REALIZATORA / ZREALIZOWANE (default: a provider that is not the practice)."""
    if status not in (referrals.HELD, referrals.DONE):
        if payload.get("holder") is not None:
            raise ControlError(400, "'holder' goes only with U_REALIZATORA or ZREALIZOWANE")
        return None
    holder = payload.get("holder")
    if holder is None:
        return OTHER_PROVIDER
    if isinstance(holder, str) and holder:
        return referrals.Provider(OTHER_PROVIDER.root, holder)
    if (isinstance(holder, list) and len(holder) == 2
            and all(isinstance(part, str) and part for part in holder)):
        return referrals.Provider(holder[0], holder[1])
    raise ControlError(400, "'holder' must be [oid_root, oid_ext] or an OID extension")


def _referral_spec(sim: Simulator, payload: dict[str, Any]) -> dict[str, Any]:
    pesel = _pesel(payload)
    status = payload.get("status", referrals.ISSUED)
    if status not in referrals.STATUSES:
        raise ControlError(400, f"'status' must be one of {', '.join(referrals.STATUSES)}")
    refunded = payload.get("refunded", True)
    if not isinstance(refunded, bool):
        raise ControlError(400, "'refunded' must be true or false")
    issued = payload.get("issued")
    try:
        day = dt.date.fromisoformat(issued) if issued else sim.clock.today()
    except (TypeError, ValueError):
        raise ControlError(400, "'issued' must be a date (YYYY-MM-DD)") from None
    specialty = payload.get("specialty", REFERRAL_SPECIALTY[0])
    spec: dict[str, Any] = {
        "pesel": pesel, "status": status, "refunded": "R" if refunded else "N",
        "issued": day.isoformat(), "holder": _holder(payload, status),
        "specialty": specialty,
        "specialty_name": payload.get("specialty_name") or (
            REFERRAL_SPECIALTY[1] if specialty == REFERRAL_SPECIALTY[0]
            else f"Poradnia (kod {specialty})"),
        "first_name": payload.get("first_name") or "Jan",
        "last_name": payload.get("last_name") or "Kowalski",
        "issuer": payload.get("issuer") or "Przychodnia Rodzinna (wystawca)",
        "doctor": payload.get("doctor") or "lek. Adam Wystawiający",
        "key": payload.get("key"), "code": payload.get("code"),
    }
    for name, pattern, what in (("specialty", r"[0-9]{4}", "4 digits"),
                                ("key", r"[0-9]{44}", "44 digits"),
                                ("code", r"[0-9]{4}", "4 digits")):
        value = spec[name]
        if value is not None and not (isinstance(value, str) and re.fullmatch(pattern, value)):
            raise ControlError(400, f"'{name}' must be {what}")
    for name in ("first_name", "last_name", "issuer", "doctor", "specialty_name"):
        if not isinstance(spec[name], str) or len(spec[name]) > errors.TEXT_LIMIT:
            raise ControlError(400, f"'{name}' must be a text of at most 500 characters")
    return spec


def reset(sim: Simulator, query: dict[str, str], _: dict[str, Any]) -> Answer:
    sim.reset()
    return 200, {"reset": True}


Handler = Callable[[Simulator, dict[str, str], dict[str, Any]], Answer]
ROUTES: MappingProxyType[tuple[str, str], Handler] = MappingProxyType({
    ("GET", "state"): get_state,
    ("GET", "health"): get_health,
    ("GET", "faults"): get_faults,
    ("POST", "faults"): set_fault,
    ("DELETE", "faults"): clear_faults,
    ("GET", "actors"): get_actors,
    ("POST", "actors"): start_actors,
    ("DELETE", "actors"): stop_actors,
    ("POST", "portal-booking"): portal_booking,
    ("POST", "portal-cancel"): portal_cancel,
    ("POST", "force-bookings"): force,
    ("POST", "waiting-list-term"): waiting_list_term,
    ("POST", "central-requests"): central_request,
    ("GET", "notifications"): get_push,
    ("POST", "notifications"): set_push,
    ("DELETE", "notifications"): clear_push,
    ("GET", "clock"): get_clock,
    ("POST", "clock"): set_clock,
    ("DELETE", "clock"): reset_clock,
    ("POST", "referrals"): add_referral,
    ("POST", "referral-change"): change_referral,
    ("POST", "reset"): reset,
})


def handle(sim: Simulator, method: str, name: str, query: dict[str, str], body: bytes) -> Answer:
    """Route one control request; always returns (HTTP status, JSON-able answer)."""
    handler = ROUTES.get((method, name))
    if handler is None:
        known = sorted({route for _, route in ROUTES})
        if any(route == name for _, route in ROUTES):
            return 405, {"error": f"method {method} not allowed for /_control/{name}"}
        return 404, {"error": f"unknown control route /_control/{name}", "routes": known}
    try:
        payload = json.loads(body) if body.strip() else {}
    except ValueError:
        return 400, {"error": "the body must be JSON"}
    if not isinstance(payload, dict):
        return 400, {"error": "the body must be a JSON object"}
    try:
        return handler(sim, query, payload)
    except ControlError as error:
        return error.status, {"error": error.message}
