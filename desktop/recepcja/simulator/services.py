"""The SOAP services the simulator serves, each on its own path: CeR, and P1's e-referrals.

Both go through the same stages in ``app`` (size and XML, signature, context, schema, business
rules); what differs is described here: the contract files, the operations, where the context
header is and how its attributes are named, which business roles may call, the codes of the
stage faults, and whether a short-lived signed ``wsu:Timestamp`` is required.

- ``/cer`` — the CeR model (``resources/cer``): context header in the model's namespace with
  short attribute names.
- ``/p1/skierowania`` — the e-referral model (``resources/p1-referral``): P1's context
  namespace and ``urn:csioz:p1:kontekst:`` attribute names; ``rolaBiznesowa`` is required and
  must be a P1 role allowed to take referrals (reception staff: ``PRACOWNIK_ADMINISTRACYJNY``);
  stage faults carry this service's codes (``urn:csioz:p1:skierowanie:kod:minor:…``); with
  signatures verified, the Timestamp must be signed and live at most 5 minutes.
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
from recepcja.simulator.soap import CER_CONTEXT, CER_NS, ContextRule, Contract, Envelope

P1_CONTEXT_NS = "http://csioz.gov.pl/p1/kontekst/mt/v20180509"
P1_CONTEXT_PREFIX = "urn:csioz:p1:kontekst:"
# Business roles P1 knows (its public context attribute rolaBiznesowa); the ones that may read and
# take referrals in the model, and the rest, which are known but refused.
REFERRAL_ROLES = frozenset({
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


def _check_referral_role(caller: dict[str, str]) -> None:
    role = caller.get("rolaBiznesowa", "")
    if role in REFERRAL_ROLES:
        return
    if role in OTHER_P1_ROLES:
        raise CerError(errors.SECURITY, referrals.NO_PERMISSION,
                       f"Rola biznesowa {role} nie uprawnia do realizacji skierowań.")
    raise CerError(errors.VALIDATION, errors.NO_CONTEXT,
                   f"Nieznana rola biznesowa w kontekście wywołania: {role or '(pusta)'}.")


def all_services() -> tuple[SoapService, ...]:
    return (
        SoapService(
            path="/cer", service_name="CeRService", namespace=CER_NS,
            wsdl=resource("cer", "cer.wsdl"),
            schemas=MappingProxyType({"cer.xsd": resource("cer", "cer.xsd")}),
            operations=OPERATIONS, context=CER_CONTEXT,
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
            context=ContextRule(f"{{{P1_CONTEXT_NS}}}kontekstWywolania", P1_CONTEXT_PREFIX,
                                ("idPodmiotuOidRoot", "idPodmiotuOidExt", "rolaBiznesowa")),
            minor_prefix=referrals.MINOR_PREFIX,
            timestamp_lifetime=P1_TIMESTAMP_LIFETIME,
            check_caller=_check_referral_role,
        ),
    )


def operation_names() -> tuple[str, ...]:
    """Every operation of every service (fault rules may name any of them)."""
    return (*OPERATIONS, *referral_ops.OPERATIONS)
