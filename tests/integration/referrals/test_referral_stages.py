"""P1's conventions on the e-referral service: faults by stage (XML, transport security, context,
XSD, business rules), P1's context header, the signature over Body, Timestamp and the header with
a short-lived Timestamp, injected faults — against the simulator over loopback HTTP."""

from __future__ import annotations

import base64
import datetime as dt
import ssl

import pytest
import requests
import trustme
import xmlsec
from lxml import etree
from referral_support import (
    KON_NS,
    MAJOR,
    OURS,
    PATH,
    PESEL,
    ROOT,
    SKR_NS,
    SOAP_NS,
    Referrals,
    context,
    envelope,
    gateway,
    p1_header,
    post,
    read_by_key,
)

from recepcja.cer.errors import CerAccessDenied, CerBug, CerTemporary, CerUnreachable
from recepcja.cer.security import WSU_NS, sign_envelope, verify_envelope
from recepcja.cer.types import SigningConfig
from recepcja.domain.referral import ReferralStatus, make_lookup
from recepcja.simulator.server import SimulatorServer

CER_NS = "urn:recepcja:model:csioz:p1:cer:v1"


def cer_style_header() -> str:
    items = "".join(f"<c:atrybut><c:nazwa>{n}</c:nazwa><c:wartosc>{v}</c:wartosc></c:atrybut>"
                    for n, v in context().items())
    return f'<c:kontekstWywolania xmlns:c="{CER_NS}">{items}</c:kontekstWywolania>'


# -- stages without signatures ------------------------------------------------------------------

def test_each_stage_refuses_with_its_own_fault_and_the_services_codes(referrals):
    key = referrals.issue()["key"]
    url = referrals.soap_url
    cases = [
        # (request bytes, major, minor)
        (b"<soap:Envelope", "BladWalidacji", "NieprawidlowyXml"),
        (envelope(read_by_key(key), header=""), "BladWalidacji", "BrakKontekstu"),
        # the CeR model's header is not P1's: not where the service looks
        (envelope(read_by_key(key), header=cer_style_header()), "BladWalidacji",
         "BrakKontekstu"),
        # P1's namespace with the model's short names: the names are urn:csioz:p1:kontekst:...
        (envelope(read_by_key(key), header=p1_header(context(), prefix="")), "BladWalidacji",
         "BrakKontekstu"),
        (envelope(read_by_key(key), header=p1_header(context(role=None))), "BladWalidacji",
         "BrakKontekstu"),
        (envelope(read_by_key(key), header=p1_header(context(role="PERSONEL_REJESTRACJI"))),
         "BladWalidacji", "BrakKontekstu"),
        (envelope(read_by_key(key), header=p1_header(context(role="FARMACEUTA"))),
         "BladBezpieczenstwa", "BrakUprawnien"),
        (envelope(read_by_key(key[:-1])), "BladWalidacji", "NiezgodnoscZeSchematem"),
        (envelope("<skr:odczytDokumentuSkierowaniaDoRealizacji><skr:kodDostepu>1234"
                  "</skr:kodDostepu></skr:odczytDokumentuSkierowaniaDoRealizacji>"),
         "BladWalidacji", "NiezgodnoscZeSchematem"),
        (envelope(f'<c:sprawdzStatus xmlns:c="{CER_NS}"/>'), "BladWalidacji",
         "NiezgodnoscZeSchematem"),
        (envelope("<skr:przyjecieDoRealizacjiSkierowania><skr:klucz>" + "1" * 44 +
                  "</skr:klucz><skr:refundacja>R</skr:refundacja>"
                  "</skr:przyjecieDoRealizacjiSkierowania>"), "BladBiznesowy", "NieZnaleziono"),
    ]
    for data, major, minor in cases:
        answer = post(url, data)
        assert answer.fault is not None, (minor, answer.payload)
        assert (answer.fault["major"], answer.minor) == (MAJOR + major, minor), answer.fault
    assert referrals.state(key)["status"] == "WYSTAWIONE"


def test_the_service_documents_are_served_and_point_at_this_server(simulator):
    base = simulator.url + PATH
    wsdl = etree.fromstring(requests.get(base + "?wsdl", timeout=10).content)
    address = wsdl.find(".//{http://schemas.xmlsoap.org/wsdl/soap/}address")
    assert address.get("location") == base
    include = wsdl.find(".//{http://www.w3.org/2001/XMLSchema}include")
    assert include.get("schemaLocation") == base + "?xsd=skierowania.xsd"
    xsd = etree.fromstring(requests.get(include.get("schemaLocation"), timeout=10).content)
    imported = xsd.find("{http://www.w3.org/2001/XMLSchema}import")
    assert imported.get("namespace") == KON_NS
    assert imported.get("schemaLocation") == base + "?xsd=kontekst.xsd"
    context_xsd = requests.get(imported.get("schemaLocation"), timeout=10)
    assert context_xsd.status_code == 200 and KON_NS.encode() in context_xsd.content
    assert requests.get(base + "?xsd=cer.xsd", timeout=10).status_code == 404
    assert requests.put(base, timeout=10).status_code == 405


def test_an_answer_uses_the_services_namespace_and_the_p1_header_is_accepted(referrals):
    key = referrals.issue()["key"]
    answer = post(referrals.soap_url, envelope(read_by_key(key)))
    assert answer.status == 200
    assert etree.QName(answer.payload).namespace == SKR_NS
    assert answer.text("wynik/kodMajor") == "urn:csioz:p1:kod:major:Sukces"


# -- what the gateway sends ---------------------------------------------------------------------

def _recording_session() -> tuple[requests.Session, list[bytes]]:
    session, sent = requests.Session(), []
    session.hooks["response"].append(lambda response, **_: sent.append(response.request.body))
    return session, sent


def test_the_gateway_sends_p1s_context_header_with_the_reception_role(referrals):
    key = referrals.issue()["key"]
    session, sent = _recording_session()
    with gateway(referrals.soap_url, session=session) as ours:
        assert ours.read(make_lookup(key=key)).status == ReferralStatus.ISSUED
    header = etree.fromstring(sent[-1]).find(f"{{{SOAP_NS}}}Header/{{{KON_NS}}}kontekstWywolania")
    assert header is not None
    pairs = [(item.findtext(f"{{{KON_NS}}}nazwa"), item.findtext(f"{{{KON_NS}}}wartosc"))
             for item in header.findall(f"{{{KON_NS}}}atrybut")]
    assert pairs == [
        ("urn:csioz:p1:kontekst:idPodmiotuOidRoot", ROOT),
        ("urn:csioz:p1:kontekst:idPodmiotuOidExt", OURS),
        ("urn:csioz:p1:kontekst:rolaBiznesowa", "PRACOWNIK_ADMINISTRACYJNY"),
        ("urn:csioz:p1:kontekst:idUzytkownikaOidExt", "rejestracja-1"),
    ]


@pytest.fixture(scope="module")
def signer(tmp_path_factory):
    """A provider's signing certificate (RSA) and a stranger's."""
    folder = tmp_path_factory.mktemp("p1-signer")
    files = {}
    for name, ca in (("ours", trustme.CA(key_type=trustme.KeyType.RSA)),
                     ("stranger", trustme.CA(key_type=trustme.KeyType.RSA))):
        leaf = ca.issue_cert(f"{name}.example.pl", key_type=trustme.KeyType.RSA)
        files[name] = (folder / f"{name}.key", folder / f"{name}.crt")
        leaf.private_key_pem.write_to_path(str(files[name][0]))
        leaf.cert_chain_pems[0].write_to_path(str(files[name][1]))
    return files


@pytest.fixture
def signing_simulator(tmp_path, signer):
    server = SimulatorServer(tmp_path / "sig-sim", verify_signatures=True,
                             trusted_signer_cert=signer["ours"][1], validate_responses=True)
    server.start()
    yield server
    server.stop()


def test_signed_calls_cover_body_timestamp_and_p1_header_with_a_one_minute_timestamp(
        signing_simulator, signer):
    referrals = Referrals(signing_simulator.url)
    key = referrals.issue()["key"]
    key_file, cert_file = signer["ours"]
    session, sent = _recording_session()
    with gateway(referrals.soap_url, session=session,
                 signing=SigningConfig(str(key_file), str(cert_file))) as ours:
        assert ours.take(key, refunded=True).held_by_us
    signed = etree.fromstring(sent[-1])
    assert sorted(verify_envelope(signed, cert_file.read_bytes())) == [
        "Body", "Timestamp", "kontekstWywolania"]
    header = signed.find(f"{{{SOAP_NS}}}Header/{{{KON_NS}}}kontekstWywolania")
    assert header.get(f"{{{WSU_NS}}}Id")  # the header carries its wsu:Id
    stamp = signed.find(f".//{{{WSU_NS}}}Timestamp")
    created, expires = (dt.datetime.fromisoformat(stamp.findtext(f"{{{WSU_NS}}}{name}"))
                        for name in ("Created", "Expires"))
    assert expires - created == dt.timedelta(seconds=60)  # P1's short lifetime, not CeR's 300 s


def _sign(root: etree._Element, files, *, ttl: int, sign_header: bool = True) -> bytes:
    """The app's signer, with the lifetime and coverage a test wants (the gateway itself always
    signs the header and keeps P1's one minute)."""
    key_file, cert_file = files
    key = xmlsec.Key.from_file(str(key_file), xmlsec.constants.KeyDataFormatPem)
    token = base64.b64encode(ssl.PEM_cert_to_DER_cert(cert_file.read_text())).decode("ascii")
    sign_envelope(root, key, token, created=dt.datetime.now(dt.UTC),
                  ttl=dt.timedelta(seconds=ttl), sign_context_header=sign_header)
    return etree.tostring(root)


def _signed(key: str, signer, *, ttl: int = 60, sign_header: bool = True,
            who: str = "ours") -> bytes:
    return _sign(etree.fromstring(envelope(read_by_key(key))), signer[who], ttl=ttl,
                 sign_header=sign_header)


def test_the_signature_stage_refuses_what_p1_would(signing_simulator, signer):
    referrals = Referrals(signing_simulator.url)
    key = referrals.issue()["key"]
    url = referrals.soap_url
    assert post(url, _signed(key, signer)).fault is None
    refusals = {
        "unsigned": post(url, envelope(read_by_key(key))),
        "stranger": post(url, _signed(key, signer, who="stranger")),
        "header not signed": post(url, _signed(key, signer, sign_header=False)),
        "long-lived timestamp": post(url, _signed(key, signer, ttl=3600)),
    }
    for what, answer in refusals.items():
        assert answer.fault is not None, what
        assert (answer.fault["major"], answer.minor) == (
            MAJOR + "BladBezpieczenstwa", "NieprawidlowyPodpis"), (what, answer.fault)
    assert "kontekstWywolania" in refusals["header not signed"].fault["opis"]
    assert "300 s" in refusals["long-lived timestamp"].fault["opis"]
    # the gateway's mapping: a refused signature is access denied (an administrator must act)
    with gateway(url) as unsigned, pytest.raises(CerAccessDenied):
        unsigned.read(make_lookup(key=key))


def test_the_cer_service_takes_p1s_header_and_short_timestamp_too(signing_simulator, signer):
    """One set of P1 conventions for both services: CeR takes P1's signed header with a
    Timestamp of at most 5 minutes, and no longer the CeR model's header of old."""

    def status(header: str, ttl: int) -> requests.Response:
        root = etree.fromstring(
            f'<soap:Envelope xmlns:soap="{SOAP_NS}"><soap:Header>{header}'
            f'</soap:Header><soap:Body><c:sprawdzStatus xmlns:c="{CER_NS}"/></soap:Body>'
            "</soap:Envelope>")
        return requests.post(signing_simulator.url + "/cer",
                             data=_sign(root, signer["ours"], ttl=ttl),
                             headers={"Content-Type": "text/xml",
                                      "SOAPAction": f'"{CER_NS}/sprawdzStatus"'}, timeout=10)

    assert status(p1_header(context()), ttl=60).status_code == 200
    long_lived = status(p1_header(context()), ttl=3600)
    assert long_lived.status_code == 500 and b"NieprawidlowyPodpis" in long_lived.content
    old_header = status(cer_style_header(), ttl=60)
    assert old_header.status_code == 500 and b"BrakKontekstu" in old_header.content


# -- injected faults ------------------------------------------------------------------------------

@pytest.mark.parametrize(("kind", "expected", "committed"), [
    ("http500", CerTemporary, True), ("http503", CerTemporary, False),
    ("malformed", CerTemporary, True), ("down", CerTemporary, True)])
def test_injected_faults_reach_the_gateway_as_typed_errors(simulator, referrals, kind, expected,
                                                           committed):
    key = referrals.issue()["key"]
    simulator.control("POST", "faults", {"operation": "przyjecieDoRealizacjiSkierowania",
                                         "kind": kind, "count": 1})
    with gateway(referrals.soap_url) as ours:
        with pytest.raises(expected) as raised:
            ours.take(key, refunded=True)
        assert raised.value.may_have_committed is committed
        assert referrals.state(key)["status"] == "WYSTAWIONE"  # nothing happened in P1
        assert ours.take(key, refunded=True).held_by_us  # the fault was for one call


def test_a_dropped_answer_commits_and_the_resend_is_answered_as_done(simulator, referrals):
    key = referrals.issue()["key"]
    simulator.control("POST", "faults", {"operation": "przyjecieDoRealizacjiSkierowania",
                                         "kind": "drop_response", "count": 1})
    with gateway(referrals.soap_url) as ours:
        with pytest.raises(CerTemporary) as raised:
            ours.take(key, refunded=True)
        assert raised.value.may_have_committed
        assert referrals.state(key)["status"] == "U_REALIZATORA"  # it did happen
        assert ours.take(key, refunded=True).held_by_us  # the resend
    history = [h["operation"] for h in referrals.state(key)["history"]]
    assert history.count("przyjecie") == 1


def test_an_outage_of_p1_takes_the_referral_service_down_too(simulator, referrals):
    key = referrals.issue()["key"]
    simulator.control("POST", "faults", {"operation": "*", "kind": "down", "count": 1})
    with gateway(referrals.soap_url) as ours:
        with pytest.raises(CerTemporary):
            ours.read(make_lookup(key=key))
        assert ours.read(make_lookup(key=key)).key == key


def test_nothing_listening_is_unreachable_and_a_contract_breach_is_our_bug(referrals):
    with gateway("http://127.0.0.1:9" + PATH) as nowhere, pytest.raises(CerUnreachable):
        nowhere.read(make_lookup(key="1" * 44))
    with gateway(referrals.soap_url, role="") as no_role, pytest.raises(CerBug):
        no_role.read(make_lookup(code="1234", pesel=PESEL))


def test_a_fault_rule_must_name_a_known_operation(simulator):
    simulator.control("POST", "faults", {"operation": "odczytDokumentuSkierowaniaDoRealizacji",
                                         "kind": "down"})
    answer = simulator.control("POST", "faults", {"operation": "odczytSkierowania",
                                                  "kind": "down"}, expect=400)
    assert "odczytDokumentuSkierowaniaDoRealizacji" in answer["error"]

