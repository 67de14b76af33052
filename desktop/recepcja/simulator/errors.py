"""CeR's error codes, as the simulator raises them.

The codes are the contract's (``resources/cer/README.md``): a P1 fault carries a *major* code saying
which validation stage refused the call (security, validation, business, technical) and a *minor*
code saying why. The business rules raise ``CerError`` without knowing about SOAP; the SOAP layer
turns it into a fault, so the same rule can also answer the JSON control API.
"""

from __future__ import annotations

MAJOR_PREFIX = "urn:csioz:p1:kod:major:"
MINOR_PREFIX = "urn:csioz:p1:cer:kod:minor:"

SUCCESS = MAJOR_PREFIX + "Sukces"
SECURITY = MAJOR_PREFIX + "BladBezpieczenstwa"
VALIDATION = MAJOR_PREFIX + "BladWalidacji"
BUSINESS = MAJOR_PREFIX + "BladBiznesowy"
TECHNICAL = MAJOR_PREFIX + "BladTechniczny"

NO_CONTEXT = MINOR_PREFIX + "BrakKontekstu"
SCHEMA = MINOR_PREFIX + "NiezgodnoscZeSchematem"
BAD_XML = MINOR_PREFIX + "NieprawidlowyXml"
NOT_FOUND = MINOR_PREFIX + "NieZnaleziono"
WRONG_STATE = MINOR_PREFIX + "NiedozwolonyStan"
HORIZON = MINOR_PREFIX + "NiewystarczajacyHoryzont"
OVERLAP = MINOR_PREFIX + "NakladajaceSieSloty"
DUPLICATE = MINOR_PREFIX + "DuplikatSlotu"
TAKEN = MINOR_PREFIX + "TerminZajety"
VISIT_ID_USED = MINOR_PREFIX + "IdentyfikatorWizytyUzyty"
CANCELLED = MINOR_PREFIX + "WizytaAnulowana"
# A first visit (a term for the default procedure) of a scope that needs a referral, booked or
# moved there without one (``idSkierowania``).
NO_REFERRAL = MINOR_PREFIX + "BrakSkierowania"
# The caller's OID (kontekstWywolania) is not the one that registered the MUŚ it acts on.
NO_PERMISSION = MINOR_PREFIX + "BrakUprawnien"
INTERNAL = MINOR_PREFIX + "BladWewnetrzny"
# The contract lists no dedicated minor code for a bad signature; P1 answers with the security
# major and a minor that names the problem, so the model does the same.
BAD_SIGNATURE = MINOR_PREFIX + "NieprawidlowyPodpis"
# The SOAPAction HTTP header does not name the operation in the body (SOAP 1.1 binding).
BAD_SOAP_ACTION = MINOR_PREFIX + "NieprawidlowaAkcjaSoap"

# The contract's text fields (``cer:Tekst``) hold at most 500 characters.
TEXT_LIMIT = 500


def clip(text: str, limit: int = TEXT_LIMIT) -> str:
    """Text cut to what ``cer:Tekst`` allows, so that no answer ever fails its own schema."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


class CerError(Exception):
    """A refusal CeR answers with a fault: ``major``/``minor`` codes and a Polish ``opis``."""

    def __init__(self, major: str, minor: str, opis: str) -> None:
        super().__init__(opis)
        self.major = major
        self.minor = minor
        self.opis = clip(opis)

    @property
    def client_side(self) -> bool:
        """SOAP 1.1 ``soap:Client`` (the caller must change the request) vs ``soap:Server``."""
        return self.major != TECHNICAL


def business(minor: str, opis: str) -> CerError:
    return CerError(BUSINESS, minor, opis)


def not_found(opis: str) -> CerError:
    return CerError(BUSINESS, NOT_FOUND, opis)


def wrong_state(opis: str) -> CerError:
    return CerError(BUSINESS, WRONG_STATE, opis)


class ItemRejected(Exception):
    """One item of a batch refused (``pozycja`` with status ``ODRZUCONY``); the batch goes on."""

    def __init__(self, minor: str, opis: str) -> None:
        super().__init__(opis)
        self.minor = minor
        self.opis = clip(opis)
