"""WS-Security signature checks (``--verify-signatures``), as P1 makes them.

P1 wants every call signed with the provider's certificate: an X.509 ``BinarySecurityToken``, an
XML-DSig ``Signature`` with RSA-SHA256 and SHA-256 digests over exclusive-c14n references to the
Body, and to the ``kontekstWywolania`` header and the ``wsu:Timestamp`` when the call has them.
A call that is unsigned, signed with another certificate, signed with SHA-1, whose context header
(P1's) is left unsigned, or whose signed parts were changed is
refused with
``BladBezpieczenstwa`` — before anything else is looked at, as P1's first validation stage.

The checks that matter beyond "xmlsec says the signature is valid": the Reference must point at
the envelope's *own* Body (an attacker can sign one Body and move it elsewhere — "signature
wrapping"), IDs must be unique, and the token must be the trusted certificate.
"""

from __future__ import annotations

import base64
import datetime as dt
import ssl
import threading
from pathlib import Path
from types import MappingProxyType

import xmlsec
from lxml import etree

from recepcja.simulator import errors
from recepcja.simulator.errors import CerError
from recepcja.simulator.soap import SOAP_NS, WSSE_NS, WSU_NS

DS_NS = "http://www.w3.org/2000/09/xmldsig#"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
# A token *type* URI, not a secret.
X509_TOKEN = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3"  # noqa: S105
CLOCK_SKEW = dt.timedelta(minutes=5)
_NS = MappingProxyType({"ds": DS_NS, "wsse": WSSE_NS, "wsu": WSU_NS, "soap": SOAP_NS})


def refused(opis: str) -> CerError:
    return CerError(errors.SECURITY, errors.BAD_SIGNATURE, opis)


class SignatureVerifier:
    """Checks signatures against one trusted signer certificate (PEM)."""

    def __init__(self, trusted_cert: Path) -> None:
        pem = trusted_cert.read_text(encoding="ascii")
        self._trusted_der = ssl.PEM_cert_to_DER_cert(pem)
        self._pem = pem.encode("ascii")
        # xmlsec keeps global state; one verification at a time is plenty for a simulator.
        self._lock = threading.Lock()

    def verify(
        self, envelope: etree._Element, *, max_lifetime: dt.timedelta | None = None
    ) -> None:
        """Return quietly for a valid signature by the trusted certificate, else ``refused``.

        ``max_lifetime`` (P1's services): a signed ``wsu:Timestamp`` is required, and its
        ``Expires`` may lie at most that far after its ``Created``."""
        header = envelope.find(f"{{{SOAP_NS}}}Header")
        security = None if header is None else header.find(f"{{{WSSE_NS}}}Security")
        if security is None:
            raise refused("Brak podpisu WS-Security (nagłówek wsse:Security).")
        signature = security.find(f"{{{DS_NS}}}Signature")
        if signature is None:
            raise refused("Brak elementu ds:Signature w nagłówku wsse:Security.")
        self._check_token(security)
        self._check_algorithms(signature)
        body = envelope.find(f"{{{SOAP_NS}}}Body")
        referenced = self._referenced(envelope, signature)
        if body is None or body not in referenced:
            raise refused("Podpis nie obejmuje elementu Body koperty.")
        header = envelope.find(f"{{{SOAP_NS}}}Header")
        # The context header: P1's, by its local name.
        if any(etree.QName(child).localname == "kontekstWywolania" and child not in referenced
               for child in (header if header is not None else ()) if isinstance(child.tag, str)):
            raise refused("Podpis nie obejmuje nagłówka kontekstWywolania.")
        timestamp = security.find(f"{{{WSU_NS}}}Timestamp")
        if timestamp is None and max_lifetime is not None:
            raise refused("Brak znacznika czasu wsu:Timestamp w nagłówku wsse:Security.")
        if timestamp is not None:
            if timestamp not in referenced:
                raise refused("Podpis nie obejmuje znacznika czasu wsu:Timestamp.")
            self._check_timestamp(timestamp, max_lifetime)
        with self._lock:
            context = xmlsec.SignatureContext()
            for node in referenced:
                context.register_id(node, "Id", WSU_NS)
            context.key = xmlsec.Key.from_memory(
                self._pem, xmlsec.constants.KeyDataFormatCertPem, None)
            try:
                context.verify(signature)
            except xmlsec.Error:
                raise refused("Podpis nieprawidłowy: podpisana treść została zmieniona.") from None

    def _check_token(self, security: etree._Element) -> None:
        tokens = security.findall(f"{{{WSSE_NS}}}BinarySecurityToken")
        if len(tokens) != 1 or tokens[0].get("ValueType") != X509_TOKEN:
            raise refused(
                "Oczekiwano jednego tokenu wsse:BinarySecurityToken z certyfikatem X.509."
            )
        try:
            der = base64.b64decode("".join((tokens[0].text or "").split()), validate=True)
        except ValueError:
            raise refused("Token wsse:BinarySecurityToken nie zawiera certyfikatu.") from None
        if der != self._trusted_der:
            raise refused("Certyfikat podpisu nie jest zaufanym certyfikatem podmiotu.")

    @staticmethod
    def _check_algorithms(signature: etree._Element) -> None:
        method = signature.find("ds:SignedInfo/ds:SignatureMethod", _NS)
        c14n = signature.find("ds:SignedInfo/ds:CanonicalizationMethod", _NS)
        if method is None or method.get("Algorithm") != RSA_SHA256:
            raise refused("Wymagany algorytm podpisu RSA-SHA256.")
        if c14n is None or c14n.get("Algorithm") != EXC_C14N:
            raise refused("Wymagana kanonikalizacja wyłączna (exc-c14n).")
        for digest in signature.findall("ds:SignedInfo/ds:Reference/ds:DigestMethod", _NS):
            if digest.get("Algorithm") != SHA256:
                raise refused("Wymagany skrót SHA-256 dla każdej referencji.")

    @staticmethod
    def _referenced(envelope: etree._Element, signature: etree._Element) -> list[etree._Element]:
        nodes = []
        for reference in signature.findall("ds:SignedInfo/ds:Reference", _NS):
            uri = reference.get("URI") or ""
            if not uri.startswith("#") or len(uri) < 2:
                raise refused("Referencje podpisu muszą wskazywać elementy koperty (#Id).")
            found = envelope.xpath("//*[@wsu:Id=$id]", namespaces=dict(_NS), id=uri[1:])
            if len(found) != 1:
                raise refused(
                    "Referencja podpisu wskazuje element nieistniejący lub niejednoznaczny."
                )
            nodes.append(found[0])
        if not nodes:
            raise refused("Podpis bez referencji.")
        return nodes

    @staticmethod
    def _check_timestamp(timestamp: etree._Element, max_lifetime: dt.timedelta | None) -> None:
        expires = _instant(timestamp, "Expires")
        if expires is None:
            if max_lifetime is not None:
                raise refused("Znacznik czasu wsu:Timestamp bez wsu:Expires.")
            return
        # Real time, not the simulator's clock: the signer's clock is the real one.
        if expires + CLOCK_SKEW < dt.datetime.now(dt.UTC):
            raise refused("Podpisana wiadomość wygasła (wsu:Expires).")
        if max_lifetime is not None:
            created = _instant(timestamp, "Created")
            if created is None or expires - created > max_lifetime:
                raise refused("Znacznik czasu wsu:Timestamp musi mieć wsu:Created, a jego ważność "
                              f"nie może przekraczać {int(max_lifetime.total_seconds())} s.")


def _instant(timestamp: etree._Element, name: str) -> dt.datetime | None:
    """``wsu:Created`` / ``wsu:Expires`` as an aware instant; None when absent."""
    text = timestamp.findtext(f"{{{WSU_NS}}}{name}")
    if not text:
        return None
    try:
        instant = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise refused(f"Nieprawidłowy znacznik czasu wsu:{name}.") from None
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=dt.UTC)
