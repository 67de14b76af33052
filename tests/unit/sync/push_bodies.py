"""Hand-written ``przekazNotyfikacje`` envelopes (as the simulator pushes them) and hostile ones."""

from __future__ import annotations

import datetime as dt

from recepcja.domain.model import WARSAW

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
CER_NS = "urn:recepcja:model:csioz:p1:cer:v1"
KINDS = {
    "portal_booking": "REZERWACJA_IKP",
    "portal_cancel": "ANULOWANIE_IKP",
    "other_provider_booking": "REZERWACJA_INNY_SWIADCZENIODAWCA",
    "waiting_room_booking": "REZERWACJA_POCZEKALNIA",
}
SOURCES = {"portal_booking": "IKP", "portal_cancel": "IKP",
           "other_provider_booking": "INNY_SWIADCZENIODAWCA",
           "waiting_room_booking": "POCZEKALNIA"}
START = dt.datetime(2030, 3, 4, 8, 0, tzinfo=WARSAW)


def push_body(
    notification_id: str = "NOT-1",
    kind: str = "portal_booking",
    *,
    visit: str = "WIZ-1",
    slot: str = "SLT-1",
    schedule: str = "HRM-1",
    start: dt.datetime = START,
    minutes: int = 30,
    version: int = 1,
    pesel: str = "44051401359",
    first: str = "Maria",
    last: str = "Kamińska",
    changed: dt.datetime | None = None,
) -> bytes:
    end = start + dt.timedelta(minutes=minutes)
    changed = changed or dt.datetime(2030, 1, 1, 12, 0, tzinfo=WARSAW) + dt.timedelta(
        minutes=version
    )
    state = "ANULOWANA" if kind == "portal_cancel" else "ZAREZERWOWANA"
    return (
        "<?xml version='1.0' encoding='UTF-8'?>"
        f'<soap:Envelope xmlns:soap="{SOAP_NS}" xmlns:cer="{CER_NS}"><soap:Header/><soap:Body>'
        "<cer:przekazNotyfikacje><cer:notyfikacja>"
        f"<cer:idNotyfikacji>{notification_id}</cer:idNotyfikacji>"
        f"<cer:rodzaj>{KINDS[kind]}</cer:rodzaj><cer:czas>{changed.isoformat()}</cer:czas>"
        "<cer:idMus>MUS-1</cer:idMus><cer:wizyta>"
        f"<cer:idWizyty>{visit}</cer:idWizyty><cer:idHarmonogramu>{schedule}</cer:idHarmonogramu>"
        f"<cer:idSlotu>{slot}</cer:idSlotu><cer:poczatek>{start.isoformat()}</cer:poczatek>"
        f"<cer:koniec>{end.isoformat()}</cer:koniec><cer:pacjent><cer:pesel>{pesel}</cer:pesel>"
        f"<cer:imie>{first}</cer:imie><cer:nazwisko>{last}</cer:nazwisko></cer:pacjent>"
        f"<cer:kategoriaMedyczna>STABILNY</cer:kategoriaMedyczna><cer:zrodlo>{SOURCES[kind]}"
        f"</cer:zrodlo><cer:stan>{state}</cer:stan><cer:wersja>{version}</cer:wersja>"
        f"<cer:zmieniono>{changed.isoformat()}</cer:zmieniono></cer:wizyta>"
        "</cer:notyfikacja></cer:przekazNotyfikacje></soap:Body></soap:Envelope>"
    ).encode()
