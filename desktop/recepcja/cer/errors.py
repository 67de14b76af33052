"""Typed errors of the CeR gateway, and the one function that maps every failure onto them.

Callers decide from the class alone (the house style, after Anki's ``errors.py``):

================  ===========================================================================
CerUnreachable    nothing reached CeR: queue and wait (emergency mode). Subclasses say why
                  when an admin must act: ``CerAccessDenied`` (TLS / certificate / signature
                  refused), ``CerConfigError`` (bad address, unreadable key, no keyring or
                  password...). ``needs_administrator`` tells those apart: the work waits and
                  is retried, the desk is told to call the administrator.
CerTemporary      try again later. ``may_have_committed`` says the request may have been
                  processed (read timeout, connection dropped after sending, HTTP 500): the
                  replay must read CeR back by our own identifier before sending it again.
CerRejected       CeR refused on business grounds; ``major``, ``code`` (minor), ``description``.
CerConflict       a CerRejected that means "already taken" (term, visit identifier, slot).
CerBug            our fault: the request did not match the contract (or CeR's answer did not).
================  ===========================================================================

Every error carries ``may_have_committed`` (False unless said otherwise), so the replay asks
one question for all of them. Messages are English ``N_`` strings with ``{placeholders}``,
translated at the boundary like ``DomainError`` (``.message`` + ``.params``). They never
contain request or response bodies: those carry PESELs.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from recepcja.domain.errors import N_, ConfigurationError

if TYPE_CHECKING:
    from recepcja.cer.types import ItemResult

MAJOR_PREFIX = "urn:csioz:p1:kod:major:"
MINOR_PREFIX = "urn:csioz:p1:cer:kod:minor:"

MAJOR_SUCCESS = MAJOR_PREFIX + "Sukces"
MAJOR_SECURITY = MAJOR_PREFIX + "BladBezpieczenstwa"
MAJOR_VALIDATION = MAJOR_PREFIX + "BladWalidacji"
MAJOR_BUSINESS = MAJOR_PREFIX + "BladBiznesowy"
MAJOR_TECHNICAL = MAJOR_PREFIX + "BladTechniczny"

MINOR_NO_CONTEXT = MINOR_PREFIX + "BrakKontekstu"
MINOR_SCHEMA = MINOR_PREFIX + "NiezgodnoscZeSchematem"
MINOR_BAD_XML = MINOR_PREFIX + "NieprawidlowyXml"
MINOR_NOT_FOUND = MINOR_PREFIX + "NieZnaleziono"
MINOR_WRONG_STATE = MINOR_PREFIX + "NiedozwolonyStan"
MINOR_HORIZON = MINOR_PREFIX + "NiewystarczajacyHoryzont"
MINOR_OVERLAP = MINOR_PREFIX + "NakladajaceSieSloty"
MINOR_DUPLICATE_SLOT = MINOR_PREFIX + "DuplikatSlotu"
MINOR_TERM_TAKEN = MINOR_PREFIX + "TerminZajety"
MINOR_VISIT_ID_USED = MINOR_PREFIX + "IdentyfikatorWizytyUzyty"
MINOR_VISIT_CANCELLED = MINOR_PREFIX + "WizytaAnulowana"
MINOR_INTERNAL = MINOR_PREFIX + "BladWewnetrzny"
# A first visit of a scope with referrals booked (or moved onto) without a referral.
MINOR_NO_REFERRAL = MINOR_PREFIX + "BrakSkierowania"

# "Already taken": the replay's signal to look for another term (or, for a reused visit
# identifier, to read the visit back — the earlier attempt got through).
CONFLICT_CODES = frozenset(
    {MINOR_TERM_TAKEN, MINOR_VISIT_ID_USED, MINOR_OVERLAP, MINOR_DUPLICATE_SLOT}
)
# CeR says our request is malformed: validation happens before business rules, so nothing
# was committed, and retrying the same request can never succeed.
BUG_CODES = frozenset({MINOR_SCHEMA, MINOR_BAD_XML, MINOR_NO_CONTEXT})

# Messages used in more than one place (each N_ call marks the text for translation).
MSG_BAD_REQUEST = N_(
    "Recepcja built a request that CeR's contract does not allow (at {path}). "
    "Please report this error."
)
MSG_BAD_ANSWER = N_(
    "CeR's answer does not match the contract (at {path}). Please report this error."
)
MSG_CONTRACT_FAULT = N_(
    "CeR says our request does not match its contract: {description}. Please report this error."
)
MSG_UNREADABLE_ANSWER = N_(
    "CeR's answer could not be read (malformed or unsafe XML); the request may have been processed."
)
MSG_UNREADABLE_FILE = N_("A certificate or key file cannot be read: {path}")
MSG_UNUSABLE_KEY = N_(
    "The signing key cannot be used: wrong password, or not a PEM key and certificate."
)


class CerError(Exception):
    """Base of every gateway error. ``message`` is an ``N_`` template, ``params`` fill it."""

    def __init__(
        self,
        message: str,
        *,
        operation: str | None = None,
        may_have_committed: bool = False,
        **params: object,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.params = params
        self.operation = operation
        self.may_have_committed = may_have_committed
        # Items a chunked batch call finished before failing (see CerGateway.save_slots).
        self.partial: tuple[ItemResult, ...] = ()
        # Type name of the library exception this was mapped from (never its message: that may
        # quote a message body).
        self.cause: str | None = None

    def __str__(self) -> str:
        return self.message.format(**self.params)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.operation or '?'}: {self}"
            f"{', may have committed' if self.may_have_committed else ''})"
        )


class CerUnreachable(CerError):
    """Nothing reached CeR (refused, DNS, connect timeout, TLS handshake): safe to resend."""


class CerAccessDenied(CerUnreachable):
    """CeR (or its TLS front) refused our certificate or signature. Nothing was processed;
    every call will fail the same way until an administrator fixes the certificates."""


class CerConfigError(CerUnreachable):
    """The gateway cannot even try: bad address, unreadable certificate, unusable key."""


class CerTemporary(CerError):
    """A failure worth retrying later. Check ``may_have_committed`` before resending."""


class CerRejected(CerError):
    """CeR refused the request on business grounds; ``code`` is the minor code."""

    def __init__(
        self,
        message: str,
        *,
        major: str,
        code: str,
        description: str,
        operation: str | None = None,
        **params: Any,
    ) -> None:
        super().__init__(message, operation=operation, description=description, code=code, **params)
        self.major = major
        self.code = code
        self.description = description

    @property
    def minor(self) -> str:
        return self.code

    @property
    def reason(self) -> str:
        """The minor code without its URN prefix, e.g. ``TerminZajety``."""
        return self.code.rsplit(":", 1)[-1]


class CerConflict(CerRejected):
    """Already taken: the term, our visit identifier, or the slot's time."""


class CerBug(CerError):
    """Our request did not match the contract, or CeR's answer did not: report, don't retry."""


_MINOR_MESSAGES = MappingProxyType(
    {
        MINOR_TERM_TAKEN: N_("This term is already taken in CeR."),
        MINOR_VISIT_ID_USED: N_(
            "CeR already has a booking with this visit identifier: the earlier attempt got through."
        ),
        MINOR_VISIT_CANCELLED: N_("This visit is already cancelled in CeR."),
        MINOR_NO_REFERRAL: N_("CeR refused a first visit without a referral: {description}"),
        MINOR_NOT_FOUND: N_("CeR does not know this object: {description}"),
        MINOR_WRONG_STATE: N_("CeR does not allow this at this stage: {description}"),
        MINOR_HORIZON: N_(
            "CeR refused to activate the place: free terms must reach at least 3 months ahead."
        ),
        MINOR_OVERLAP: N_("CeR refused overlapping terms: {description}"),
        MINOR_DUPLICATE_SLOT: N_("CeR already has this term: {description}"),
    }
)


def needs_administrator(error: BaseException) -> bool:
    """Whether only an administrator can make calls work again: CeR refused our certificate or
    signature, or this workstation cannot even try (address, certificate files, keyring,
    password). Nothing was processed; the work waits, is retried, and the desk is told whom to
    call — never "rejected"."""
    return isinstance(error, CerAccessDenied | CerConfigError | ConfigurationError)


def parse_fault_detail(detail: Any) -> tuple[str, str, str] | None:
    """(kodBleduMajor, kodBleduMinor, opis) from a SOAP fault ``detail`` element, or None.

    Matches on local names so a namespace difference in the official contract does not turn
    a business fault into a "temporary" one.
    """
    if detail is None or isinstance(detail, str | bytes):
        return None
    for node in detail.iter():
        if isinstance(node.tag, str) and node.tag.rsplit("}", 1)[-1] == "wyjatek":
            values = {
                child.tag.rsplit("}", 1)[-1]: (child.text or "").strip()
                for child in node
                if isinstance(child.tag, str)
            }
            return (
                values.get("kodBleduMajor", ""),
                values.get("kodBleduMinor", ""),
                values.get("opis", ""),
            )
    return None


def error_from_codes(major: str, minor: str, description: str, operation: str | None) -> CerError:
    """The typed error for a P1 fault (or a non-success ``wynik``) with these codes."""
    if major == MAJOR_SECURITY:
        return CerAccessDenied(
            N_("CeR refused our credentials (certificate or signature): {description}"),
            operation=operation,
            description=description,
        )
    if minor == MINOR_INTERNAL or major == MAJOR_TECHNICAL:
        return CerTemporary(
            N_(
                "CeR reported an internal error; the request may have been processed: {description}"
            ),
            operation=operation,
            may_have_committed=True,
            description=description,
        )
    if minor in BUG_CODES or major == MAJOR_VALIDATION:
        return CerBug(
            MSG_CONTRACT_FAULT,
            operation=operation,
            description=description,
        )
    message = _MINOR_MESSAGES.get(minor, N_("CeR rejected the request: {description}"))
    cls = CerConflict if minor in CONFLICT_CODES else CerRejected
    return cls(message, major=major, code=minor, description=description, operation=operation)


def _fault_error(exc: Any, operation: str | None) -> CerError:
    codes = parse_fault_detail(getattr(exc, "detail", None))
    if codes is not None:
        return error_from_codes(*codes, operation)
    code = str(getattr(exc, "code", "") or "")
    if code.endswith("Client"):
        return CerBug(
            MSG_CONTRACT_FAULT,
            operation=operation,
            description=code,
        )
    # No P1 detail: a proxy's or a server's generic error page, or a body that is not a fault
    # at a non-200 status. The request reached something; assume it may have been processed.
    return CerTemporary(
        N_(
            "CeR answered with an error the contract does not describe; "
            "the request may have been processed."
        ),
        operation=operation,
        may_have_committed=True,
    )


def _http_error(status: int, operation: str | None) -> CerError:
    if status == 503 or status in (408, 429):
        return CerTemporary(
            N_("CeR is temporarily unavailable (HTTP {status})."),
            operation=operation,
            status=status,
        )
    if status >= 500 or status == 0:
        return CerTemporary(
            N_(
                "CeR answered with a server error (HTTP {status}); "
                "the request may have been processed."
            ),
            operation=operation,
            may_have_committed=True,
            status=status,
        )
    if status in (401, 403, 495, 496):
        return CerAccessDenied(
            N_("CeR refused access (HTTP {status}): check the client certificate."),
            operation=operation,
            status=status,
        )
    if status in (404, 405, 410):
        return CerConfigError(
            N_("The CeR address answered HTTP {status}: check the address in the settings."),
            operation=operation,
            status=status,
        )
    return CerBug(
        N_("CeR refused our request (HTTP {status}). Please report this error."),
        operation=operation,
        status=status,
    )


def _iter_causes(exc: BaseException) -> Iterable[BaseException]:
    """The exception, its args and its causes: urllib3 wraps the real reason several levels deep
    (``ConnectionError(MaxRetryError(reason=NewConnectionError))``)."""
    seen: set[int] = set()
    stack: list[BaseException] = [exc]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        reason = getattr(current, "reason", None)
        for nested in (*current.args, reason, current.__cause__, current.__context__):
            if isinstance(nested, BaseException):
                stack.append(nested)


def _requests_error(
    exc: BaseException, operation: str | None, read_timeout: float | None
) -> CerError:
    import requests
    from urllib3 import exceptions as u3

    causes = list(_iter_causes(exc))
    if isinstance(exc, requests.exceptions.ConnectTimeout) or any(
        isinstance(c, u3.ConnectTimeoutError) and not isinstance(c, u3.NewConnectionError)
        for c in causes
    ):
        return CerUnreachable(
            N_("Cannot connect to CeR: no answer to the connection attempt. Nothing was sent."),
            operation=operation,
        )
    if isinstance(exc, requests.exceptions.SSLError):
        return CerAccessDenied(
            N_(
                "The secure connection to CeR failed (TLS): check the client certificate, its key "
                "and the trusted certificate authority. Nothing was processed."
            ),
            operation=operation,
        )
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return CerTemporary(
            N_("CeR did not answer within {seconds} s; the request may have reached CeR."),
            operation=operation,
            may_have_committed=True,
            seconds=read_timeout if read_timeout is not None else "?",
        )
    if isinstance(
        exc,
        requests.exceptions.InvalidURL
        | requests.exceptions.MissingSchema
        | requests.exceptions.InvalidSchema
        | requests.exceptions.URLRequired,
    ):
        return CerConfigError(
            N_("The CeR address in the settings is not valid."), operation=operation
        )
    if isinstance(exc, requests.exceptions.ConnectionError):
        if any(isinstance(c, u3.NameResolutionError) for c in causes):
            return CerUnreachable(
                N_("Cannot connect to CeR: the server name cannot be resolved. Nothing was sent."),
                operation=operation,
            )
        if any(isinstance(c, u3.NewConnectionError) for c in causes):
            return CerUnreachable(
                N_(
                    "Cannot connect to CeR: the connection was refused or the network is down. "
                    "Nothing was sent."
                ),
                operation=operation,
            )
        if any(isinstance(c, u3.MaxRetryError) for c in causes) and not any(
            isinstance(c, u3.ProtocolError) for c in causes
        ):
            return CerUnreachable(
                N_("Cannot connect to CeR: the connection could not be opened. Nothing was sent."),
                operation=operation,
            )
    # Connection reset or closed mid-exchange, broken chunked body...: the request was (at
    # least partly) sent, so CeR may have processed it.
    return CerTemporary(
        N_("The connection to CeR broke after the request was sent; it may have reached CeR."),
        operation=operation,
        may_have_committed=True,
    )


def deadline_error(operation: str | None, seconds: float, *, sent: bool) -> CerError:
    """The call did not finish within its total deadline (``cer.deadline``). Before any byte
    of the request went out nothing reached CeR; after, CeR may have processed it."""
    if not sent:
        return CerUnreachable(
            N_("Cannot connect to CeR within {seconds} s, the limit for one call. "
               "Nothing was sent."),
            operation=operation, seconds=_seconds(seconds),
        )
    return CerTemporary(
        N_("CeR did not finish answering within {seconds} s, the limit for one call; "
           "the request may have reached CeR."),
        operation=operation, may_have_committed=True, seconds=_seconds(seconds),
    )


def _seconds(value: float) -> str:
    return f"{value:g}"


def map_exception(
    exc: BaseException, operation: str | None = None, *, read_timeout: float | None = None
) -> CerError:
    """The typed error for anything a gateway call raised (zeep, requests, urllib3, lxml,
    xmlsec, our own checks). The one place that knows those libraries' exception zoo."""
    if isinstance(exc, CerError):
        if exc.operation is None:
            exc.operation = operation
        return exc

    if isinstance(exc, ConfigurationError):
        # This workstation's set-up (keyring, certificate files, address): wait for the
        # administrator, never "our request was wrong" (which would reject the row for good).
        error = CerConfigError(exc.message, operation=operation)
        error.params = dict(exc.params)
        return error

    import requests
    from lxml import etree
    from zeep import exceptions as zx

    from recepcja.cer.wire import UnsafeXml

    if isinstance(exc, UnsafeXml):
        return CerTemporary(
            MSG_UNREADABLE_ANSWER,
            operation=operation,
            may_have_committed=True,
        )
    if isinstance(exc, requests.exceptions.RequestException):
        return _requests_error(exc, operation, read_timeout)
    if isinstance(exc, zx.Fault):
        return _fault_error(exc, operation)
    if isinstance(exc, zx.TransportError):
        if exc.status_code and exc.status_code != 200:
            return _http_error(int(exc.status_code), operation)
        return CerTemporary(
            MSG_UNREADABLE_ANSWER,
            operation=operation,
            may_have_committed=True,
        )
    if isinstance(
        exc,
        zx.DTDForbidden
        | zx.EntitiesForbidden
        | zx.ExternalReferenceForbidden
        | zx.XMLSyntaxError
        | etree.XMLSyntaxError,
    ):
        return CerTemporary(
            MSG_UNREADABLE_ANSWER,
            operation=operation,
            may_have_committed=True,
        )
    if isinstance(exc, zx.ValidationError):
        # Path only: zeep's message may quote the offending value (a PESEL, a phone number).
        path = ".".join(str(p) for p in getattr(exc, "path", []) or []) or "?"
        return CerBug(
            MSG_BAD_REQUEST,
            operation=operation,
            path=path,
        )
    if isinstance(exc, zx.XMLParseError | zx.UnexpectedElementError):
        return CerBug(MSG_BAD_ANSWER, operation=operation, may_have_committed=True, path="?")
    if isinstance(exc, zx.SignatureVerificationFailed):
        return CerTemporary(
            N_("CeR's answer failed signature verification; the request may have been processed."),
            operation=operation,
            may_have_committed=True,
        )
    if _is_xmlsec_error(exc):
        return CerConfigError(
            MSG_UNUSABLE_KEY,
            operation=operation,
        )
    if isinstance(exc, FileNotFoundError | PermissionError | IsADirectoryError):
        return CerConfigError(
            MSG_UNREADABLE_FILE,
            operation=operation,
            path=getattr(exc, "filename", None) or "?",
        )
    if isinstance(exc, TypeError | ValueError | zx.Error):
        return CerBug(
            MSG_BAD_REQUEST,
            operation=operation,
            path=type(exc).__name__,
        )
    # Unknown: we cannot tell how far the call got, so the replay must read back first.
    return CerBug(
        N_("Unexpected error while talking to CeR ({kind}). Please report this error."),
        operation=operation,
        may_have_committed=True,
        kind=type(exc).__name__,
    )


def _is_xmlsec_error(exc: BaseException) -> bool:
    module = type(exc).__module__ or ""
    return module.startswith("xmlsec")
