"""Every operation of the contract over raw HTTP with hand-written envelopes.

Each answer is parsed and validated against cer.xsd by ``soap_raw`` (faults too), so a test
passing here means the simulator speaks the contract, independently of zeep.
"""

from __future__ import annotations

import datetime as dt

import requests
import soap_raw
from lxml import etree
from soap_raw import CER_NS, NS, PESEL_A, PESEL_B, SUCCESS

from recepcja.domain.model import WARSAW


def _tomorrow_at(hour: int, minute: int = 0, days: int = 1) -> dt.datetime:
    day = dt.datetime.now(WARSAW).date() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour, minute), WARSAW)


def test_sprawdz_status(simulator):
    answer = simulator.call("<cer:sprawdzStatus/>")
    assert answer.ok
    assert answer.text("wynik/kodMajor") == SUCCESS
    server_time = dt.datetime.fromisoformat(answer.text("czasSerwera"))
    assert server_time.utcoffset() is not None
    assert abs(server_time - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)


def test_zapisz_dane_mus_is_idempotent_by_rpwdl_codes(simulator):
    first = simulator.call(soap_raw.register_place())
    again = simulator.call(soap_raw.register_place(name="Poradnia Kardiologiczna nr 2"))
    other = simulator.call(soap_raw.register_place(codes=("000000012345", "01", "002")))
    assert first.ok and again.ok and other.ok
    assert first.text("stan") == "ZAREJESTROWANE"
    assert again.text("idMus") == first.text("idMus")
    assert other.text("idMus") != first.text("idMus")
    places = simulator.state()["places"]
    assert [place["name"] for place in places] == ["Poradnia Kardiologiczna nr 2",
                                                   "Poradnia Kardiologiczna"]


def test_importuj_mobilne_punkty_obslugi_per_item(simulator):
    mus_id = simulator.call(soap_raw.register_place(scopes=("MAMMOGRAFIA",))).text("idMus")

    def point(local_id: str, start: str, end: str | None = None) -> str:
        end_el = f"<cer:dataDo>{end}</cer:dataDo>" if end else ""
        return (f"<cer:punkt><cer:identyfikatorLokalny>{local_id}</cer:identyfikatorLokalny>"
                "<cer:nazwa>Mammobus 1</cer:nazwa><cer:adres><cer:ulica>Rynek 1</cer:ulica>"
                "<cer:kodPocztowy>05-800</cer:kodPocztowy><cer:miejscowosc>Pruszków"
                f"</cer:miejscowosc></cer:adres><cer:dataOd>{start}</cer:dataOd>{end_el}"
                "</cer:punkt>")

    body = (f"<cer:importujMobilnePunktyObslugi><cer:idMus>{mus_id}</cer:idMus>"
            + point("bus-1", "2026-06-01") + point("bus-2", "2026-06-10", "2026-06-01")
            + "</cer:importujMobilnePunktyObslugi>")
    answer = simulator.call(body)
    assert answer.ok
    items = answer.items()
    assert items[0]["status"] == "PRZYJETY" and items[0]["idCer"].startswith("PKT-")
    assert items[1]["status"] == "ODRZUCONY"
    again = simulator.call(body).items()
    assert again[0]["idCer"] == items[0]["idCer"]
    schedule = simulator.call(
        f"<cer:zapiszHarmonogram><cer:idMus>{mus_id}</cer:idMus>"
        "<cer:identyfikatorLokalny>bus-grafik</cer:identyfikatorLokalny>"
        "<cer:zakres>MAMMOGRAFIA</cer:zakres><cer:zasob><cer:typ>URZADZENIE</cer:typ>"
        "<cer:nazwa>Mammograf</cer:nazwa></cer:zasob>"
        f"<cer:idPunktuMobilnego>{items[0]['idCer']}</cer:idPunktuMobilnego>"
        "</cer:zapiszHarmonogram>"
    )
    assert schedule.ok
    assert simulator.state()["schedules"][0]["mobile_point"] == items[0]["idCer"]


def test_zapisz_harmonogram_idempotent_and_scope_checked(simulator):
    mus_id = simulator.call(soap_raw.register_place()).text("idMus")
    first = simulator.call(soap_raw.save_schedule(mus_id, "dr-nowak"))
    again = simulator.call(soap_raw.save_schedule(mus_id, "dr-nowak", doctor="dr Anna Nowak"))
    assert first.ok and again.ok
    assert first.text("idHarmonogramu") == again.text("idHarmonogramu")
    wrong_scope = simulator.call(soap_raw.save_schedule(mus_id, "x", scope="MAMMOGRAFIA"))
    assert wrong_scope.minor == "NieZnaleziono"
    unknown = simulator.call(soap_raw.save_schedule("MUS-999", "x"))
    assert unknown.status == 500 and unknown.minor == "NieZnaleziono"
    assert unknown.fault["code"] == "soap:Client"
    assert unknown.fault["major"] == soap_raw.MAJOR + "BladBiznesowy"


def test_zapisz_sloty_and_pobierz_sloty(simulator):
    mus_id = simulator.call(soap_raw.register_place()).text("idMus")
    schedule_id = simulator.call(soap_raw.save_schedule(mus_id, "g")).text("idHarmonogramu")
    start = _tomorrow_at(8)
    slots = [(f"s{i}", start + dt.timedelta(minutes=20 * i),
              start + dt.timedelta(minutes=20 * (i + 1))) for i in range(3)]
    answer = simulator.call(soap_raw.save_slots(schedule_id, slots))
    assert answer.ok
    assert "Przyjęto 3" in answer.text("wynik/komunikat")
    ids = [item["idCer"] for item in answer.items()]
    assert all(slot_id.startswith("SLT-") for slot_id in ids)
    read = simulator.call(
        f"<cer:pobierzSloty><cer:idHarmonogramu>{schedule_id}</cer:idHarmonogramu>"
        f"<cer:od>{soap_raw.iso(start + dt.timedelta(minutes=30))}</cer:od>"
        f"<cer:do>{soap_raw.iso(start + dt.timedelta(hours=2))}</cer:do></cer:pobierzSloty>"
    )
    assert read.ok
    # [08:30, 10:00) overlaps s1 (08:20-08:40) and s2 (08:40-09:00), not s0 (08:00-08:20).
    assert [el.findtext("cer:idSlotu", None, NS) for el in read.all("slot")] == ids[1:]
    first = read.all("slot")[0]
    assert first.findtext("cer:stan", None, NS) == "WOLNY"
    assert first.findtext("cer:identyfikatorLokalny", None, NS) == "s1"
    returned = dt.datetime.fromisoformat(first.findtext("cer:poczatek", None, NS))
    assert returned == slots[1][1] and returned.utcoffset() == slots[1][1].utcoffset()


def test_usun_sloty_per_item(onboarded_simulator):
    sim = onboarded_simulator
    schedule_id = sim.place.schedule_ids[0]
    free, booked = sim.place.slot_ids()[:2]
    assert sim.call(soap_raw.book(booked, "wiz-usun")).ok
    answer = sim.call(
        f"<cer:usunSloty><cer:idHarmonogramu>{schedule_id}</cer:idHarmonogramu>"
        f"<cer:idSlotu>{free}</cer:idSlotu><cer:idSlotu>{booked}</cer:idSlotu>"
        "<cer:idSlotu>SLT-999999</cer:idSlotu></cer:usunSloty>"
    )
    assert answer.ok
    items = answer.items()
    assert [item["status"] for item in items] == ["PRZYJETY", "ODRZUCONY", "ODRZUCONY"]
    assert items[1]["kodBledu"].endswith("TerminZajety")
    assert items[2]["kodBledu"].endswith("NieZnaleziono")
    slots = {slot["id"]: slot for slot in sim.state(schedule=schedule_id)["slots"]}
    assert slots[free]["state"] == "deleted" and slots[booked]["state"] == "booked"


def test_zasil_inicjalnie_per_item(simulator):
    mus_id = simulator.call(soap_raw.register_place()).text("idMus")
    schedule_id = simulator.call(soap_raw.save_schedule(mus_id, "g")).text("idHarmonogramu")
    start = _tomorrow_at(9)

    def visit(uid: str, begin: dt.datetime, schedule: str = schedule_id) -> str:
        return (f"<cer:wizyta><cer:identyfikatorWizyty>{uid}</cer:identyfikatorWizyty>"
                f"<cer:idHarmonogramu>{schedule}</cer:idHarmonogramu>"
                f"<cer:poczatek>{soap_raw.iso(begin)}</cer:poczatek>"
                f"<cer:koniec>{soap_raw.iso(begin + dt.timedelta(minutes=30))}</cer:koniec>"
                "<cer:rodzajTerminu>KONTYNUACJA_LECZENIA</cer:rodzajTerminu>"
                f"{soap_raw.patient(PESEL_B, 'Ewa', 'Wójcik')}"
                "<cer:kategoriaMedyczna>PILNY</cer:kategoriaMedyczna></cer:wizyta>")

    body = (f"<cer:zasilInicjalnie><cer:idMus>{mus_id}</cer:idMus>"
            + visit("stara-1", start) + visit("stara-2", start + dt.timedelta(minutes=15))
            + visit("stara-3", start, "HRM-999") + "</cer:zasilInicjalnie>")
    items = simulator.call(body).items()
    assert items[0]["status"] == "PRZYJETY" and items[0]["idCer"].startswith("WIZ-")
    assert items[1]["kodBledu"].endswith("NakladajaceSieSloty")
    assert items[2]["kodBledu"].endswith("NieZnaleziono")
    # Re-sent: the same visit, not a second one.
    assert simulator.call(body).items()[0]["idCer"] == items[0]["idCer"]
    visits = simulator.state()["visits"]
    assert len(visits) == 1 and visits[0]["source"] == "ZASILENIE_INICJALNE"
    # The practice later publishes the same term as a slot of its own: adopted, not a duplicate.
    published = simulator.call(soap_raw.save_slots(
        schedule_id, [("s-09", start, start + dt.timedelta(minutes=30))])).items()
    assert published[0]["status"] == "PRZYJETY"
    assert published[0]["idCer"] == visits[0]["slot"]


def test_aktywuj_mus(onboarded_simulator):
    sim = onboarded_simulator
    answer = sim.call(f"<cer:aktywujMus><cer:idMus>{sim.place.mus_id}</cer:idMus></cer:aktywujMus>")
    assert answer.ok and answer.text("stan") == "AKTYWNE"  # already active: idempotent


def test_booking_change_cancel_and_read_back(onboarded_simulator):
    sim = onboarded_simulator
    first, second = sim.place.slot_ids()[:2]
    booked = sim.call(soap_raw.book(
        first, "moja-wizyta-1", urgency="PILNY",
        extra="<cer:idZgloszeniaCentralnego>ZGL-77</cer:idZgloszeniaCentralnego>"
              "<cer:idSkierowania>SKIER-1</cer:idSkierowania>"))
    assert booked.ok
    visit_id = booked.text("wizyta/idWizyty")
    assert visit_id.startswith("WIZ-")
    assert booked.text("wizyta/wersja") == "1"
    assert booked.text("wizyta/zrodlo") == "PLACOWKA"
    assert booked.text("wizyta/pacjent/pesel") == PESEL_A

    moved = sim.call(f"<cer:zmienTermin><cer:idWizyty>{visit_id}</cer:idWizyty>"
                     f"<cer:idSlotuNowego>{second}</cer:idSlotuNowego>"
                     "<cer:powod>Nieobecność lekarza</cer:powod></cer:zmienTermin>")
    assert moved.ok
    assert moved.text("wizyta/idSlotu") == second
    assert moved.text("wizyta/wersja") == "2"
    assert moved.text("wizyta/zmieniono") >= booked.text("wizyta/zmieniono")

    by_uid = sim.call("<cer:pobierzWizyte><cer:identyfikatorWizyty>moja-wizyta-1"
                      "</cer:identyfikatorWizyty></cer:pobierzWizyte>")
    assert by_uid.text("wizyta/idWizyty") == visit_id
    assert by_uid.text("wizyta/idSlotu") == second

    cancelled = sim.call(f"<cer:anulujWizyte><cer:idWizyty>{visit_id}</cer:idWizyty>"
                         "<cer:powod>Pacjent zrezygnował</cer:powod></cer:anulujWizyte>")
    assert cancelled.ok
    assert cancelled.text("wizyta/stan") == "ANULOWANA"
    assert cancelled.text("wizyta/wersja") == "3"
    by_id = sim.call(f"<cer:pobierzWizyte><cer:idWizyty>{visit_id}</cer:idWizyty>"
                     "</cer:pobierzWizyte>")
    assert by_id.text("wizyta/stan") == "ANULOWANA"
    absent = sim.call("<cer:pobierzWizyte><cer:identyfikatorWizyty>nie-ma"
                      "</cer:identyfikatorWizyty></cer:pobierzWizyte>")
    assert absent.ok and absent.text("wynik/kodMajor") == SUCCESS
    assert absent.all("wizyta") == []
    # Practice-made changes are not notified back to the practice.
    assert sim.state()["notifications"] == []


def test_waiting_list_and_central_requests(onboarded_simulator):
    sim = onboarded_simulator
    early = sim.control("POST", "central-requests", {
        "pesel": PESEL_B, "scope": soap_raw.CARDIOLOGY, "urgency": "STABILNY",
        "date": "2026-01-05T10:00:00+01:00"})
    assert early["id"].startswith("ZGL-")

    def place(uid: str, pesel: str, urgency: str, request: str = "") -> soap_raw.SoapAnswer:
        request_el = (f"<cer:idZgloszeniaCentralnego>{request}</cer:idZgloszeniaCentralnego>"
                      if request else "")
        return sim.call(
            f"<cer:umiescNaLiscieOczekujacych><cer:idMus>{sim.place.mus_id}</cer:idMus>"
            f"<cer:identyfikatorWpisu>{uid}</cer:identyfikatorWpisu>"
            f"<cer:zakres>{soap_raw.CARDIOLOGY}</cer:zakres>{soap_raw.patient(pesel)}"
            f"<cer:kategoriaMedyczna>{urgency}</cer:kategoriaMedyczna>{request_el}"
            "</cer:umiescNaLiscieOczekujacych>")

    stable_now = place("wpis-1", PESEL_A, "STABILNY")
    assert stable_now.ok and stable_now.text("pozycja") == "1"
    stable_early = place("wpis-2", PESEL_B, "STABILNY", early["id"])
    assert stable_early.text("pozycja") == "1"  # its central request is older
    urgent = place("wpis-3", PESEL_A, "PILNY")
    assert urgent.text("pozycja") == "1"  # urgent goes first
    again = place("wpis-1", PESEL_A, "STABILNY")
    assert again.text("idWpisu") == stable_now.text("idWpisu")
    assert again.text("pozycja") == "3"
    positions = {entry["entry_uid"]: entry["position"] for entry in sim.state()["waiting_list"]}
    assert positions == {"wpis-3": 1, "wpis-2": 2, "wpis-1": 3}

    requests_answer = sim.call(
        f"<cer:pobierzZgloszeniaCentralne>{soap_raw.patient(PESEL_B)}"
        f"<cer:zakres>{soap_raw.CARDIOLOGY}</cer:zakres></cer:pobierzZgloszeniaCentralne>")
    assert requests_answer.ok
    found = requests_answer.all("zgloszenie")
    assert [el.findtext("cer:idZgloszenia", None, NS) for el in found] == [early["id"]]
    assert found[0].findtext("cer:kategoriaMedyczna", None, NS) == "STABILNY"
    none = sim.call(f"<cer:pobierzZgloszeniaCentralne>{soap_raw.patient(PESEL_A)}"
                    "</cer:pobierzZgloszeniaCentralne>")
    assert none.ok and none.all("zgloszenie") == []


def test_pobierz_and_potwierdz_notyfikacje(onboarded_simulator):
    sim = onboarded_simulator
    slot_id = sim.place.slot_ids()[5]
    booked = sim.control("POST", "portal-booking", {"slot": slot_id, "pesel": PESEL_B})
    answer = sim.call("<cer:pobierzNotyfikacje><cer:kursor>0</cer:kursor>"
                      "<cer:limit>10</cer:limit></cer:pobierzNotyfikacje>")
    assert answer.ok
    [notification] = answer.all("notyfikacja")
    assert notification.findtext("cer:rodzaj", None, NS) == "REZERWACJA_IKP"
    assert notification.findtext("cer:wizyta/cer:idWizyty", None, NS) == booked["visit"]["id"]
    assert notification.findtext("cer:wizyta/cer:zrodlo", None, NS) == "IKP"
    assert answer.text("nastepnyKursor") == str(booked["notification_cursor"])
    ack = sim.call(f"<cer:potwierdzNotyfikacje><cer:kursor>{answer.text('nastepnyKursor')}"
                   "</cer:kursor></cer:potwierdzNotyfikacje>")
    assert ack.ok
    assert sim.state()["acknowledged_cursor"] == booked["notification_cursor"]


def test_wsdl_and_xsd_are_served_pointing_at_this_server(simulator):
    wsdl = requests.get(simulator.soap_url + "?wsdl", timeout=5)
    assert wsdl.status_code == 200
    tree = etree.fromstring(wsdl.content)
    ns = {"wsdl": "http://schemas.xmlsoap.org/wsdl/", "soap": "http://schemas.xmlsoap.org/wsdl/soap/",
          "xs": "http://www.w3.org/2001/XMLSchema"}
    address = tree.find("wsdl:service[@name='CeRService']/wsdl:port/soap:address", ns)
    assert address.get("location") == simulator.soap_url
    include = tree.find(".//xs:include", ns)
    xsd = requests.get(include.get("schemaLocation"), timeout=5)
    assert xsd.status_code == 200
    assert etree.fromstring(xsd.content).get("targetNamespace") == CER_NS


def test_zeep_loads_the_remote_wsdl_and_talks_to_the_simulator(simulator):
    import zeep

    client = zeep.Client(simulator.soap_url + "?wsdl")
    assert client.service._binding_options["address"] == simulator.soap_url
    context = client.get_element(f"{{{soap_raw.KON_NS}}}kontekstWywolania")(atrybut=[
        {"nazwa": soap_raw.KON_PREFIX + name, "wartosc": value}
        for name, value in soap_raw.DEFAULT_CONTEXT.items()
    ])
    answer = client.service.sprawdzStatus(_soapheaders=[context])
    assert answer.wynik.kodMajor == SUCCESS


def test_cer_requires_p1s_context_header(simulator):
    """CeR's context stage, as P1's: the header in P1's context namespace with
    ``urn:csioz:p1:kontekst:`` names, the provider's OID and a business role P1 knows."""
    ok = simulator.call("<cer:sprawdzStatus/>")
    assert ok.ok, ok.fault
    old_model_header = (
        "<cer:kontekstWywolania>" + "".join(
            f"<cer:atrybut><cer:nazwa>{name}</cer:nazwa><cer:wartosc>{value}</cer:wartosc>"
            "</cer:atrybut>" for name, value in soap_raw.DEFAULT_CONTEXT.items())
        + "</cer:kontekstWywolania>")
    refused = {
        "the CeR model's header of old": soap_raw.envelope(
            "<cer:sprawdzStatus/>", with_context=False, extra_header=old_model_header),
        "names without P1's urn": soap_raw.envelope(
            "<cer:sprawdzStatus/>", with_context=False, extra_header=soap_raw.context_header(
                soap_raw.DEFAULT_CONTEXT).replace(soap_raw.KON_PREFIX, "")),
        "no business role": soap_raw.envelope("<cer:sprawdzStatus/>", context={
            name: value for name, value in soap_raw.DEFAULT_CONTEXT.items()
            if name != "rolaBiznesowa"}),
        "a role P1 does not know": soap_raw.envelope("<cer:sprawdzStatus/>", context={
            **soap_raw.DEFAULT_CONTEXT, "rolaBiznesowa": "PODMIOT_LECZNICZY"}),
    }
    for what, data in refused.items():
        answer = soap_raw.parse_answer(soap_raw.post(simulator.soap_url, data))
        assert answer.status == 500, what
        assert (answer.fault["major"], answer.minor) == (
            soap_raw.MAJOR + "BladWalidacji", "BrakKontekstu"), (what, answer.fault)
    pharmacist = simulator.call("<cer:sprawdzStatus/>", context={
        **soap_raw.DEFAULT_CONTEXT, "rolaBiznesowa": "FARMACEUTA"})
    assert (pharmacist.fault["major"], pharmacist.minor) == (
        soap_raw.MAJOR + "BladBezpieczenstwa", "BrakUprawnien")
    # the served WSDL's schema imports P1's context schema from this server
    cer_xsd = requests.get(simulator.soap_url + "?xsd=cer.xsd", timeout=5)
    location = etree.fromstring(cer_xsd.content).find(
        "{http://www.w3.org/2001/XMLSchema}import").get("schemaLocation")
    kontekst = requests.get(location, timeout=5)
    assert etree.fromstring(kontekst.content).get("targetNamespace") == soap_raw.KON_NS


def test_validation_stages_answer_with_p1_faults(simulator):
    no_context = soap_raw.parse_answer(soap_raw.post(
        simulator.soap_url, soap_raw.envelope("<cer:sprawdzStatus/>", with_context=False)))
    assert no_context.status == 500 and no_context.minor == "BrakKontekstu"
    partial = simulator.call("<cer:sprawdzStatus/>",
                             context={"idPodmiotuOidRoot": "2.16.840.1.113883.3.4424.2.3.1"})
    assert partial.minor == "BrakKontekstu" and "idPodmiotuOidExt" in partial.fault["opis"]
    bad_pesel = simulator.call(soap_raw.book("SLT-1", "x", pesel="123"))
    assert bad_pesel.minor == "NiezgodnoscZeSchematem"
    assert bad_pesel.fault["major"] == soap_raw.MAJOR + "BladWalidacji"
    unknown = simulator.call("<cer:usunWszystko/>")
    assert unknown.minor == "NiezgodnoscZeSchematem"
    naive = simulator.call(
        "<cer:pobierzSloty><cer:idHarmonogramu>HRM-1</cer:idHarmonogramu>"
        "<cer:od>2026-06-01T08:00:00</cer:od><cer:do>2026-06-02T08:00:00+02:00</cer:do>"
        "</cer:pobierzSloty>")
    assert naive.minor == "NiezgodnoscZeSchematem" and "przesunięcia" in naive.fault["opis"]
    not_xml = soap_raw.parse_answer(soap_raw.post(simulator.soap_url, b"to nie jest XML"))
    assert not_xml.minor == "NieprawidlowyXml"
    soap12 = soap_raw.parse_answer(soap_raw.post(simulator.soap_url, (
        b'<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body/></e:Envelope>'
    )))
    assert soap12.fault["code"] == "soap:VersionMismatch"
    assert simulator.call("<cer:sprawdzStatus/>").ok
