"""Where patients' data may travel unencrypted: nowhere but this computer.

One rule for every address the app talks to or listens on. Plain ``http://`` is allowed only for
the loopback interface (``localhost``, ``127.0.0.0/8``, ``::1``): the CeR simulator in training
and tests, or a TLS proxy on the same machine. Anything else must be ``https://`` - a CeR
address in the settings or in ``RECEPCJA_CER_URL`` alike - and is refused before a byte is sent.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from recepcja.domain.errors import N_, ValidationError


def is_loopback_host(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (an IPv6 one with or without brackets)."""
    host = (host or "").strip().strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def url_is_loopback(url: str) -> bool:
    return is_loopback_host(urlsplit(url).hostname or "")


def require_secure_url(url: str) -> str:
    """``url`` when it is ``https://``, or ``http://`` to this computer; ValidationError for
    plain HTTP to anywhere else and for any other scheme."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme == "https" and parts.hostname:
        return url
    if scheme == "http" and parts.hostname:
        if is_loopback_host(parts.hostname):
            return url
        raise ValidationError(
            N_("The CeR address {url} is plain HTTP: patients' data would travel unencrypted. "
               "Use https:// (plain http:// only for a CeR simulator on this computer: "
               "localhost, 127.0.0.1, ::1). Nothing was sent."), url=url)
    raise ValidationError(
        N_("The CeR address {url} is not an https:// address. Nothing was sent."), url=url)
