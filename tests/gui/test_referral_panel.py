"""The e-referral in the booking dialog (gui.referral_panel), driven as the desk drives it: a
barcode scanner types the 44 digits of the key and Enter, or the receptionist types the access
code with the patient's PESEL. Read off the UI thread from the simulator's P1 e-referral service
over loopback HTTP; each refusal shown in Polish and the booking refused with it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import requests
from PySide6.QtCore import Qt

from recepcja.cer.referrals import ReferralGateway
from recepcja.cer.types import CallContext, GatewayConfig
from recepcja.domain.model import WARSAW, Patient, PatientIdentifier, TermKind
from recepcja.domain.scopes import ScopeRegistry
from recepcja.gui.booking_dialog import BookingDialog
from recepcja.gui.referral_panel import ReferralPanel
from recepcja.gui.workers import BackgroundRunner
from recepcja.services.booking_terms import TermOffer
from recepcja.services.day_view import ScheduleInfo
from recepcja.simulator.server import SimulatorServer
from recepcja.store.records import Schedule

PESEL = "44051401359"
OTHER_PESEL = "02070803628"
ROOT = "2.16.840.1.113883.3.4424.2.3.1"
OURS = "000000012345"
FIRST, CONTINUATION = 11, 12  # slot ids


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory):
    with SimulatorServer(tmp_path_factory.mktemp("p1"), validate_responses=True) as server:
        yield server


def issue(sim: SimulatorServer, **spec) -> str:
    answer = requests.post(f"{sim.url}/_control/referrals", json={"pesel": PESEL, **spec},
                           timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()["key"]


def change(sim: SimulatorServer, key: str, status: str) -> None:
    answer = requests.post(f"{sim.url}/_control/referral-change",
                           json={"key": key, "status": status}, timeout=10)
    assert answer.status_code == 200, answer.text


def reader(url: str):
    def read(lookup):
        config = GatewayConfig(url=url, connect_timeout=2.0, read_timeout=5.0,
                               context=CallContext(ROOT, OURS, "PRACOWNIK_ADMINISTRACYJNY",
                                                   "rejestracja-1", ""))
        with ReferralGateway(config) as gateway:
            return gateway.read(lookup)
    return read


@pytest.fixture
def open_dialog(qtbot, sim):
    runner = BackgroundRunner()
    cardiology = ScopeRegistry.default().get("cardiology")
    kinds = {FIRST: TermKind.DEFAULT_PROCEDURE, CONTINUATION: TermKind.CONTINUING_TREATMENT}
    info = ScheduleInfo(Schedule(1, 1, "cardiology", "dr Nowak", id=1), "lek. Nowak",
                        "Poradnia")
    start = dt.datetime(2030, 3, 4, 9, 0, tzinfo=WARSAW)
    offers = [TermOffer(info, start, FIRST, str(kinds[FIRST]), "first visit"),
              TermOffer(info, start + dt.timedelta(hours=1), CONTINUATION,
                        str(kinds[CONTINUATION]), "continuation")]

    def make(url: str | None = None, pesel: str = PESEL) -> BookingDialog:
        patient = Patient(PatientIdentifier(pesel=pesel), "Jan", "Kowalski", id=7)
        panel = ReferralPanel(patient, reader(url or sim.url + "/p1/skierowania"), runner.run,
                              lambda slot: (cardiology, str(kinds[slot])))
        dialog = BookingDialog(patient, lambda _scope: offers,
                               scopes=[("cardiology", "kardiologia")], scope="cardiology",
                               selected_slot=FIRST, referral_required=lambda scope: True,
                               referral_panel=panel)
        qtbot.addWidget(dialog)
        dialog.show()
        return dialog

    yield make
    runner.wait()
    runner.shutdown()


def scan(qtbot, panel: ReferralPanel, text: str) -> None:
    """What a barcode scanner does: the digits, then Enter."""
    qtbot.keyClicks(panel.input, text)
    qtbot.keyClick(panel.input, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not panel.reading, timeout=10000)


def test_a_scanned_key_is_read_shown_and_booked_on(qtbot, sim, open_dialog):
    key = issue(sim, issued="2026-05-04", refunded=True)
    dialog = open_dialog()
    panel = dialog.referral_panel
    scan(qtbot, panel, key)
    assert dialog.isVisible() and dialog.request is None  # the scanner's Enter did not book
    details = panel.details.text()
    assert "Wystawione 2026-05-04 przez: Przychodnia Rodzinna (wystawca)" in details
    assert "Do: Poradnia kardiologiczna (1100)" in details
    assert "Refundowane przez NFZ: tak" in details
    assert "Status: wystawione, nieprzyjęte do realizacji" in details
    assert not panel.problem.isVisible()
    qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Ok),
                     Qt.MouseButton.LeftButton)
    assert dialog.request is not None and dialog.request.referral_key == key


def test_an_access_code_is_read_with_the_patients_pesel(qtbot, sim, open_dialog):
    key = issue(sim)
    code = requests.get(f"{sim.url}/_control/state?sections=referrals", timeout=10).json()[
        "referrals"][-1]["code"]
    dialog = open_dialog()
    assert dialog.referral_panel.pesel.text() == PESEL
    scan(qtbot, dialog.referral_panel, code)
    assert dialog.referral_panel.key == key


@pytest.mark.parametrize(("spec", "status", "polish"), [
    ({"specialty": "1200"}, None, "To e-skierowanie jest do: Poradnia (kod 1200), a nie do: "
                                  "kardiologia."),
    ({"pesel": OTHER_PESEL}, None, "To e-skierowanie wystawiono innemu pacjentowi."),
    ({}, "U_REALIZATORA", "To e-skierowanie jest w realizacji u innego świadczeniodawcy"),
    ({}, "ANULOWANE", "To e-skierowanie zostało anulowane przez lekarza, który je wystawił."),
    ({"status": "ZREALIZOWANE"}, None, "To e-skierowanie zostało już zrealizowane."),
], ids=["other-specialty", "other-patient", "held-elsewhere", "cancelled", "realised"])
def test_each_refusal_is_shown_in_polish_and_refuses_the_booking(qtbot, sim, open_dialog,
                                                                 spec, status, polish):
    key = issue(sim, **spec)
    if status:
        change(sim, key, status)
    dialog = open_dialog()
    panel = dialog.referral_panel
    scan(qtbot, panel, key)
    assert panel.problem.isVisible() and panel.problem.text().startswith(polish)
    assert panel.key is None
    dialog.accept()
    assert dialog.request is None
    assert dialog.error.text().startswith(polish)


def test_a_first_visit_needs_one_and_a_continuation_does_not(qtbot, open_dialog):
    dialog = open_dialog()
    dialog.accept()
    assert dialog.request is None
    assert dialog.error.text().startswith("Pierwsza wizyta wymaga e-skierowania")
    rows = [row for row in range(dialog.terms.count())
            if getattr(dialog.terms.item(row).data(Qt.ItemDataRole.UserRole), "slot_id", None)
            == CONTINUATION]
    dialog.terms.setCurrentRow(rows[0])  # the continuation term
    assert dialog.referral_panel.refusal() is None


def test_p1_away_keeps_a_scanned_key_for_the_queue(qtbot, open_dialog, tmp_path: Path):
    dialog = open_dialog(url="http://127.0.0.1:9/p1/skierowania")  # nobody listens there
    panel = dialog.referral_panel
    scan(qtbot, panel, "5" * 44)
    assert panel.key == "5" * 44
    assert "klucz jest zachowany" in panel.details.text()
    panel.input.clear()
    scan(qtbot, panel, "1234")
    assert panel.key is None
    assert "kod dostępu można odczytać tylko online" in panel.problem.text()
