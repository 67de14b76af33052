"""The SOAP services the simulator serves, each on its own path: CeR, and P1's e-referrals.

Both go through the same stages in ``app`` (size and XML, signature, context, schema, business
rules); what differs is described here: the contract files, the operations, where the context
header is and how its attributes are named, which business roles may call, the codes of the
stage faults, and whether a short-lived signed ``wsu:Timestamp`` is required.

Both take P1's call context (``soap.P1_CONTEXT``): the ``kontekstWywolania`` header in P1's
context namespace with ``urn:csioz:p1:kontekst:`` attribute names, valid against P1's context
schema (``kontekst.xsd``); the provider's OID and ``rolaBiznesowa`` are required, and the role
must be one P1 knows and that may do the service's work (reception staff:
``PRACOWNIK_ADMINISTRACYJNY``) — an unknown role is ``BrakKontekstu``, a known one without the
right ``BrakUprawnien``. With signatures verified, the signature must cover the Body, the context
header and a ``wsu:Timestamp`` that lives at most 5 minutes.

- ``/cer`` — the CeR model (``resources/cer``).
- ``/p1/skierowania`` — the e-referral model (``resources/p1-referral``); stage faults carry
  this service's codes (``urn:csioz:p1:skierowanie:kod:minor:…``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from recepcja.resources import resource
from recepcja.simulator import errors, referral_ops, referrals
from recepcja.simulator.errors import CerError
from recepcja.simulator.operations import OPERATIONS, Handler
from recepcja.simulator.soap import CER_NS, P1_CONTEXT, ContextRule, Contract, Envelope

# Business roles P1 knows (its public context attribute rolaBiznesowa); the ones a provider's
# staff call with, which may book in CeR and read and take referrals in the model, and the rest,
# which are known but refused.
STAFF_ROLES = frozenset({
    "PRACOWNIK_ADMINISTRACYJNY", "LEKARZ_LEK_DENTYSTA_FELCZER", "PIELEGNIARKA_POLOZNA",
    "FIZJOTERAPEUTA", "DIAGNOSTA_LABORATORYJNY", "INNY_PROFESJONALISTA_MEDYCZNY",
})
OTHER_P1_ROLES = frozenset({
    "FARMACEUTA", "TECHNIK_FARMACEUTYCZNY", "USLUGOBIORCA", "PELNOMOCNIK", "OPIEKUN",
})
P1_TIMESTAMP_LIFETIME = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class SoapService:
    """One SOAP endpoint of the simulator."""

    path: str  # "/cer"
    service_name: str  # the wsdl:service whose soap:address points at this server
    namespace: str  # of the requests, answers and the fault's wyjatek
    wsdl: Path
    schemas: Mapping[str, Path]  # ?xsd=NAME -> file (the WSDL's include first)
    operations: Mapping[str, Handler]
    context: ContextRule
    minor_prefix: str = errors.MINOR_PREFIX
    timestamp_lifetime: dt.timedelta | None = None  # None: the Timestamp is optional
    check_caller: Callable[[dict[str, str]], None] = lambda _caller: None
    contract: Contract = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "contract", Contract(next(iter(self.schemas.values()))))

    def caller(self, envelope: Envelope) -> dict[str, str]:
        """The context header's attributes (short names), checked: ``BrakKontekstu`` or the
        service's own refusal."""
        caller = self.contract.read_context(envelope, self.context)
        self.check_caller(caller)
        return caller

    def recode(self, error: CerError) -> CerError:
        """A stage fault raised with the CeR model's codes, with this service's minor code."""
        if self.minor_prefix == errors.MINOR_PREFIX or not error.minor.startswith(
                errors.MINOR_PREFIX):
            return error
        minor = self.minor_prefix + error.minor.removeprefix(errors.MINOR_PREFIX)
        return CerError(error.major, minor, error.opis)


def _role_check(no_permission: str, work: str) -> Callable[[dict[str, str]], None]:
    """The check of the caller's ``rolaBiznesowa``: a staff role passes; a role P1 knows but that
    may not do ``work`` is ``no_permission``; any other is ``BrakKontekstu``."""

    def check(caller: dict[str, str]) -> None:
        role = caller.get("rolaBiznesowa", "")
        if role in STAFF_ROLES:
            return
        if role in OTHER_P1_ROLES:
            raise CerError(errors.SECURITY, no_permission,
                           f"Rola biznesowa {role} nie uprawnia do {work}.")
        raise CerError(errors.VALIDATION, errors.NO_CONTEXT,
                       f"Nieznana rola biznesowa w kontekście wywołania: {role or '(pusta)'}.")

    return check


def all_services() -> tuple[SoapService, ...]:
    return (
        SoapService(
            path="/cer", service_name="CeRService", namespace=CER_NS,
            wsdl=resource("cer", "cer.wsdl"),
            schemas=MappingProxyType({
                "cer.xsd": resource("cer", "cer.xsd"),
                "kontekst.xsd": resource("p1-referral", "kontekst.xsd"),
            }),
            operations=OPERATIONS, context=P1_CONTEXT,
            timestamp_lifetime=P1_TIMESTAMP_LIFETIME,
            check_caller=_role_check(errors.NO_PERMISSION, "obsługi e-rejestracji"),
        ),
        SoapService(
            path="/p1/skierowania", service_name="ObslugaSkierowaniaService",
            namespace=referral_ops.NS,
            wsdl=resource("p1-referral", "skierowania.wsdl"),
            schemas=MappingProxyType({
                "skierowania.xsd": resource("p1-referral", "skierowania.xsd"),
                "kontekst.xsd": resource("p1-referral", "kontekst.xsd"),
            }),
            operations=referral_ops.OPERATIONS,
            context=P1_CONTEXT,
            minor_prefix=referrals.MINOR_PREFIX,
            timestamp_lifetime=P1_TIMESTAMP_LIFETIME,
            check_caller=_role_check(referrals.NO_PERMISSION, "realizacji skierowań"),
        ),
    )


def operation_names() -> tuple[str, ...]:
    """Every operation of every service (fault rules may name any of them)."""
    return (*OPERATIONS, *referral_ops.OPERATIONS)
