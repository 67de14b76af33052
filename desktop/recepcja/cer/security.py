"""P1 transport security: mutual TLS on the session, WS-Security signing of every message.

P1 authenticates a provider twice: the TLS client certificate, and an XML signature made with
the provider's certificate over the message (X.509 token, RSA-SHA256, SHA-256 digests,
exclusive c14n) covering the SOAP Body, a ``wsu:Timestamp`` (replay protection) and the
``kontekstWywolania`` header (so nobody can re-address a signed body to another provider or
user). zeep's own ``BinarySignature`` signs only Body and Timestamp and defaults to SHA-1, so the
signature is built here with xmlsec directly; its layout is the one zeep verifies
(``BinarySecurityToken`` + ``SecurityTokenReference``), so standard WS-Security stacks read it.

Secrets: the signing key's password comes from a caller-supplied provider (keyring), asked only
when the key file is actually encrypted. No zeep import: the plugin protocol is two methods.
"""

from __future__ import annotations

import base64
import datetime as dt
import ssl
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lxml import etree

from recepcja.cer.errors import MSG_UNREADABLE_FILE, MSG_UNUSABLE_KEY, CerConfigError
from recepcja.cer.types import GatewayConfig, SigningConfig
from recepcja.cer.wire import SOAP_NS
from recepcja.domain.errors import N_

WSSE_NS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU_NS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
DS_NS = "http://www.w3.org/2000/09/xmldsig#"
X509_PROFILE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0"
X509_TOKEN = X509_PROFILE + "#X509v3"
BASE64_ENCODING = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary"
)
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"

Clock = Callable[[], dt.datetime]
IdFactory = Callable[[str], str]


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _random_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4()}"


def _zulu(instant: dt.datetime) -> str:
    return instant.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{instant.microsecond // 1000:03d}Z"
    )


def _read(path: str, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError:
        raise CerConfigError(MSG_UNREADABLE_FILE, path=f"{what}: {path}") from None


def is_encrypted_pem(key_pem: bytes) -> bool:
    """PKCS#8 ``ENCRYPTED PRIVATE KEY`` or legacy ``Proc-Type: 4,ENCRYPTED``."""
    return b"ENCRYPTED" in key_pem


class P1Signature:
    """A zeep WSSE plugin (``apply``/``verify``) that signs each outgoing envelope.

    ``clock`` and ``make_id`` exist so tests can freeze time and randomness (golden files).
    Answers are not verified: the contract model does not sign them.
    """

    def __init__(
        self,
        key_pem: bytes,
        cert_pem: bytes,
        password: str | None = None,
        *,
        ttl_seconds: int = 300,
        sign_context_header: bool = True,
        clock: Clock = _utc_now,
        make_id: IdFactory = _random_id,
    ) -> None:
        import xmlsec

        self._key = xmlsec.Key.from_memory(key_pem, xmlsec.constants.KeyDataFormatPem, password)
        self._key.load_cert_from_memory(cert_pem, xmlsec.constants.KeyDataFormatCertPem)
        self._cert_der_b64 = _pem_to_der_b64(cert_pem)
        self._ttl = dt.timedelta(seconds=ttl_seconds)
        self._sign_context_header = sign_context_header
        self._clock = clock
        self._make_id = make_id

    def apply(
        self, envelope: etree._Element, headers: dict[str, Any]
    ) -> tuple[etree._Element, dict[str, Any]]:
        sign_envelope(
            envelope,
            self._key,
            self._cert_der_b64,
            created=self._clock(),
            ttl=self._ttl,
            make_id=self._make_id,
            sign_context_header=self._sign_context_header,
        )
        return envelope, headers

    def verify(self, envelope: etree._Element) -> etree._Element:
        return envelope


def _pem_to_der_b64(cert_pem: bytes) -> str:
    """The first certificate of a PEM file (ours; a chain may follow), base64 on one line."""
    text = cert_pem.decode("ascii", "replace")
    begin_marker, end_marker = "-----BEGIN CERTIFICATE-----", "-----END CERTIFICATE-----"
    begin = text.find(begin_marker)
    end = text.find(end_marker, begin)
    if begin < 0 or end < 0:
        raise ValueError("not a PEM certificate")
    der = base64.b64decode("".join(text[begin + len(begin_marker) : end].split()), validate=True)
    return base64.b64encode(der).decode("ascii")


def _ensure_id(node: etree._Element, make_id: IdFactory, prefix: str) -> str:
    key = f"{{{WSU_NS}}}Id"
    value = node.get(key)
    if not value:
        value = make_id(prefix)
        node.set(key, value)
    return str(value)


def sign_envelope(
    envelope: etree._Element,
    key: Any,
    cert_der_b64: str,
    *,
    created: dt.datetime,
    ttl: dt.timedelta,
    make_id: IdFactory = _random_id,
    sign_context_header: bool = True,
) -> etree._Element:
    """Add ``wsse:Security`` (Timestamp, BinarySecurityToken, Signature) to ``envelope``.

    Signed parts: Body, Timestamp, and with ``sign_context_header`` the ``kontekstWywolania``
    header (``SigningConfig.sign_context_header``, on by default).
    """
    import xmlsec

    header = envelope.find(f"{{{SOAP_NS}}}Header")
    body = envelope.find(f"{{{SOAP_NS}}}Body")
    if body is None:
        raise ValueError("not a SOAP 1.1 envelope")
    if header is None:
        header = etree.Element(f"{{{SOAP_NS}}}Header")
        envelope.insert(0, header)

    security = etree.SubElement(
        header,
        f"{{{WSSE_NS}}}Security",
        {f"{{{SOAP_NS}}}mustUnderstand": "1"},
        nsmap={"wsse": WSSE_NS, "wsu": WSU_NS},
    )
    timestamp = etree.SubElement(security, f"{{{WSU_NS}}}Timestamp")
    _ensure_id(timestamp, make_id, "TS")
    etree.SubElement(timestamp, f"{{{WSU_NS}}}Created").text = _zulu(created)
    etree.SubElement(timestamp, f"{{{WSU_NS}}}Expires").text = _zulu(created + ttl)

    token = etree.SubElement(
        security,
        f"{{{WSSE_NS}}}BinarySecurityToken",
        {"ValueType": X509_TOKEN, "EncodingType": BASE64_ENCODING},
    )
    token_id = _ensure_id(token, make_id, "X509")
    token.text = cert_der_b64

    signature = xmlsec.template.create(
        envelope,
        xmlsec.constants.TransformExclC14N,
        xmlsec.constants.TransformRsaSha256,
        ns="ds",
    )
    security.append(signature)
    ctx = xmlsec.SignatureContext()
    targets = [body, timestamp]
    # P1's context header (the same element for every service).
    context_header = next((child for child in header if isinstance(child.tag, str)
                           and etree.QName(child).localname == "kontekstWywolania"), None)
    if sign_context_header and context_header is not None:
        targets.append(context_header)
    for target, prefix in zip(targets, ("Body", "TS", "Ctx"), strict=False):
        node_id = _ensure_id(target, make_id, prefix)
        ctx.register_id(target, "Id", WSU_NS)
        ref = xmlsec.template.add_reference(
            signature, xmlsec.constants.TransformSha256, uri="#" + node_id
        )
        xmlsec.template.add_transform(ref, xmlsec.constants.TransformExclC14N)

    key_info = xmlsec.template.ensure_key_info(signature)
    reference_holder = etree.SubElement(key_info, f"{{{WSSE_NS}}}SecurityTokenReference")
    etree.SubElement(
        reference_holder,
        f"{{{WSSE_NS}}}Reference",
        {"URI": "#" + token_id, "ValueType": X509_TOKEN},
    )
    ctx.key = key
    ctx.sign(signature)
    return envelope


def verify_envelope(envelope: etree._Element, cert_pem: bytes | None = None) -> list[str]:
    """Verify a signed envelope; return the local names of the signed elements.

    For tests and tools (the simulator has its own verifier). With ``cert_pem`` None the
    certificate in the BinarySecurityToken is used — that proves integrity, not identity.
    Raises ``xmlsec.Error`` (or ValueError) when the signature does not hold.
    """
    import xmlsec

    security = envelope.find(f"{{{SOAP_NS}}}Header/{{{WSSE_NS}}}Security")
    if security is None:
        raise ValueError("no wsse:Security header")
    signature = security.find(f"{{{DS_NS}}}Signature")
    if signature is None:
        raise ValueError("no ds:Signature")
    if cert_pem is None:
        token = security.find(f"{{{WSSE_NS}}}BinarySecurityToken")
        if token is None or not token.text:
            raise ValueError("no BinarySecurityToken")
        der = base64.b64decode(token.text)
        key = xmlsec.Key.from_memory(der, xmlsec.constants.KeyDataFormatCertDer, None)
    else:
        key = xmlsec.Key.from_memory(cert_pem, xmlsec.constants.KeyDataFormatCertPem, None)
    ctx = xmlsec.SignatureContext()
    signed: list[str] = []
    for ref in signature.iterfind(f"{{{DS_NS}}}SignedInfo/{{{DS_NS}}}Reference"):
        ref_id = (ref.get("URI") or "")[1:]
        matches = envelope.xpath("//*[@wsu:Id=$id]", namespaces={"wsu": WSU_NS}, id=ref_id)
        if len(matches) != 1:
            raise ValueError("a signed reference does not resolve to exactly one element")
        ctx.register_id(matches[0], "Id", WSU_NS)
        signed.append(etree.QName(matches[0]).localname)
    ctx.key = key
    ctx.verify(signature)
    return signed


def load_signature(signing: SigningConfig, **kwargs: Any) -> P1Signature:
    """The signing plugin for ``signing``: reads the files, asks for the password only when the
    key is encrypted. Raises ``CerConfigError`` when the key cannot be used."""
    key_pem = _read(signing.key_file, "signing key")
    cert_pem = _read(signing.cert_file, "signing certificate")
    password = None
    if is_encrypted_pem(key_pem):
        password = _password(signing)
        if not password:
            raise CerConfigError(
                N_(
                    "The signing key is password-protected and no password was found in the "
                    "system keyring."
                )
            )
    try:
        return P1Signature(
            key_pem,
            cert_pem,
            password,
            ttl_seconds=signing.timestamp_ttl_seconds,
            sign_context_header=signing.sign_context_header,
            **kwargs,
        )
    except Exception as exc:  # xmlsec.Error, or ValueError from the certificate
        if type(exc).__module__.startswith("xmlsec") or isinstance(exc, ValueError):
            raise CerConfigError(MSG_UNUSABLE_KEY) from None
        raise


def _password(signing: SigningConfig) -> str | None:
    """The signing key's password from the caller's provider (the keyring). A keyring that is
    missing, locked or broken is this workstation's configuration fault, never a bug in the
    request: ``CerConfigError`` (wait, tell the administrator), keeping the provider's own
    message (it says what to install or unlock) when it has one."""
    if signing.password_provider is None:
        return None
    try:
        return signing.password_provider()
    except Exception as exc:
        message, params = getattr(exc, "message", None), getattr(exc, "params", None)
        if isinstance(message, str) and isinstance(params, dict):
            raise CerConfigError(message, **params) from None
        raise CerConfigError(
            N_("The signing key's password cannot be read from the system keyring ({kind})."),
            kind=type(exc).__name__,
        ) from None


def configure_session(session: Any, config: GatewayConfig) -> Any:
    """Apply TLS settings to a ``requests.Session``: verification (on unless a test says
    otherwise) and the client certificate for mutual TLS.

    An encrypted client key is refused up front: the TLS stack would otherwise ask for its
    password on a terminal, which in a desktop app means a hang.
    """
    session.verify = config.verify
    if isinstance(config.verify, str) and not Path(config.verify).exists():
        raise CerConfigError(MSG_UNREADABLE_FILE, path=f"CA bundle: {config.verify}")
    if config.client_cert is not None:
        cert_file, key_file = config.client_cert
        _read(cert_file, "client certificate")
        if is_encrypted_pem(_read(key_file, "client key")):
            raise CerConfigError(
                N_(
                    "The client certificate key is password-protected; TLS needs an unencrypted "
                    "key file (protect it with file permissions)."
                )
            )
        try:
            probe = ssl.create_default_context()
            probe.load_cert_chain(cert_file, key_file)
        except (ssl.SSLError, ValueError):
            raise CerConfigError(
                N_("The client certificate and its key do not match or are not PEM files.")
            ) from None
        session.cert = (cert_file, key_file)
    session.headers["User-Agent"] = "Recepcja (CeR gateway)"
    return session
