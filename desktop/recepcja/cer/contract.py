"""Which P1 service a gateway talks to: its contract files, binding, namespace and context header.

Two services share one client machinery (``client``, ``gateway.SoapGateway``, ``security``):
CeR (``resources/cer``) and P1's e-referrals (``resources/p1-referral``). What differs between
them is described here, so the machinery has no service-specific branches.

Both services are told who calls the same way, P1's (``P1_CONTEXT``, one builder of the header):
the ``kontekstWywolania`` header in P1's context namespace
``http://csioz.gov.pl/p1/kontekst/mt/v20180509`` with names ``urn:csioz:p1:kontekst:…`` (one
schema, ``resources/p1-referral/kontekst.xsd``, which ``cer.xsd`` imports too), signed together
with the Body and a ``wsu:Timestamp`` of one minute. Nothing in this package branches on the
service.

No zeep here: the gateway imports this module at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from recepcja.cer.types import CallContext
from recepcja.cer.wire import CER_NS, ContractSchema, schema_for

if TYPE_CHECKING:
    from lxml import etree

P1_CONTEXT_NS = "http://csioz.gov.pl/p1/kontekst/mt/v20180509"
P1_CONTEXT_PREFIX = "urn:csioz:p1:kontekst:"
REFERRALS_NS = "urn:recepcja:model:csioz:p1:skierowania:v1"


@dataclass(frozen=True, slots=True)
class ContextStyle:
    """How a service wants to be told who calls: the ``kontekstWywolania`` element's namespace,
    the attribute names' prefix, and the signed Timestamp's lifetime."""

    namespace: str
    name_prefix: str
    timestamp_ttl_seconds: int

    @property
    def element(self) -> str:
        """Clark name of the header element."""
        return f"{{{self.namespace}}}kontekstWywolania"

    def attributes(self, context: CallContext) -> tuple[tuple[str, str], ...]:
        """The ``atrybut`` name/value pairs: the context's attributes with the prefix, empty
        values left out (the user and the place of work go by their OID extension only: the
        model does not know their roots, see resources/p1-referral/README.md)."""
        return tuple((self.name_prefix + name, value)
                     for name, value in context.attributes() if value)


# P1's conventions: its context namespace and names, and a Timestamp that lives one minute.
P1_CONTEXT = ContextStyle(P1_CONTEXT_NS, P1_CONTEXT_PREFIX, timestamp_ttl_seconds=60)


@dataclass(frozen=True, slots=True)
class ServiceContract:
    """One SOAP service as the client sees it."""

    name: str  # in log lines
    wsdl: tuple[str, ...]  # resource path parts
    xsd: tuple[str, ...]
    binding: str  # Clark name of the WSDL binding
    namespace: str  # of requests, answers (``wynik``) and faults
    context: ContextStyle

    def q(self, name: str) -> str:
        """Clark name of an element in the service's namespace."""
        return f"{{{self.namespace}}}{name}"

    def schema(self) -> ContractSchema:
        return schema_for(*self.xsd)

    def text(self, node: etree._Element | None, name: str) -> str | None:
        """Text of the child ``name`` of ``node`` in the service's namespace, None if absent."""
        if node is None:
            return None
        child = node.find(self.q(name))
        return None if child is None else child.text or ""


CER = ServiceContract(
    name="cer",
    wsdl=("cer", "cer.wsdl"),
    xsd=("cer", "cer.xsd"),
    binding=f"{{{CER_NS}}}CeRBinding",
    namespace=CER_NS,
    context=P1_CONTEXT,
)
REFERRALS = ServiceContract(
    name="p1-referral",
    wsdl=("p1-referral", "skierowania.wsdl"),
    xsd=("p1-referral", "skierowania.xsd"),
    binding=f"{{{REFERRALS_NS}}}ObslugaSkierowaniaBinding",
    namespace=REFERRALS_NS,
    context=P1_CONTEXT,
)
