"""The e-referral in the booking dialog's one referral field (gui.referral_input), driven as the
desk drives it: a barcode scanner types the 44 digits of the key and Enter, or the receptionist
types the access code with the patient's PESEL. Read off the UI thread from the simulator's P1
e-referral service over loopback HTTP as soon as the key is complete; each refusal shown in
Polish and the booking refused with it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import requests
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit

from recepcja.cer.referrals import ReferralGateway
from recepcja.cer.types import CallContext, GatewayConfig
from recepcja.domain.entities import Patient, PatientIdentifier
from recepcja.domain.model import WARSAW, TermKind
from recepcja.domain.scopes import ScopeRegistry
from recepcja.gui.booking_dialog import BookingDialog
from recepcja.gui.referral_input import ReferralInput
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
        field = ReferralInput(patient.identifier.pesel,
                              reader(url or sim.url + "/p1/skierowania"), runner.run,
                              lambda slot: (cardiology, str(kinds[slot])))
        dialog = BookingDialog(patient, lambda _scope: offers,
                               scopes=[("cardiology", "kardiologia")], scope="cardiology",
                               selected_slot=FIRST, referral_required=lambda scope: True,
                               referral_panel=field)
        qtbot.addWidget(dialog)
        dialog.show()
        return dialog

    make.runner = runner
    yield make
    runner.wait()
    runner.shutdown()


def scan(qtbot, field: ReferralInput, text: str) -> None:
    """What a barcode scanner does: the digits, then Enter."""
    qtbot.keyClicks(field.edit, text)
    qtbot.keyClick(field.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not field.reading, timeout=10000)


def test_a_scanned_key_is_read_shown_and_booked_on(qtbot, sim, open_dialog):
    key = issue(sim, issued="2026-05-04", refunded=True)
    dialog = open_dialog()
    field = dialog.referral
    qtbot.keyClicks(field.edit, key)
    assert field.reading  # the key is complete: read at once, before the scanner's Enter
    scan(qtbot, field, "")
    assert dialog.isVisible() and dialog.request is None  # the scanner's Enter did not book
    details = field.details.text()
    assert "Wystawione 04.05.2026 przez: Przychodnia Rodzinna (wystawca)" in details
    assert "Do: Poradnia kardiologiczna (1100)" in details
    assert "Refundowane przez NFZ: tak" in details
    assert "Status: wystawione, nieprzyjęte do realizacji" in details
    assert field.problem() is None
    assert field.hint.text() == "E-skierowanie jest ważne dla tej wizyty."
    qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Ok),
                     Qt.MouseButton.LeftButton)
    assert dialog.request is not None and dialog.request.referral_key == key


def test_one_referral_field_in_the_dialog(qtbot, open_dialog):
    dialog = open_dialog()
    assert len(dialog.findChildren(ReferralInput)) == 1
    assert [edit.objectName() for edit in dialog.findChildren(QLineEdit)
            if "referral" in edit.objectName().lower()] == ["referral", "referralPesel"]
    assert not dialog.referral.pesel.isVisibleTo(dialog)  # only with an access code
    qtbot.keyClicks(dialog.referral.edit, "12")
    assert dialog.referral.pesel.isVisibleTo(dialog) and "2 z 4" in dialog.referral.hint.text()


def test_an_access_code_is_read_with_the_patients_pesel(qtbot, sim, open_dialog):
    key = issue(sim)
    code = requests.get(f"{sim.url}/_control/state?sections=referrals", timeout=10).json()[
        "referrals"][-1]["code"]
    dialog = open_dialog()
    assert dialog.referral.pesel.text() == PESEL
    scan(qtbot, dialog.referral, code)  # typed, then Enter: read, and booked once P1 confirms
    assert dialog.referral.key == key
    qtbot.waitUntil(lambda: dialog.request is not None, timeout=5000)
    assert dialog.request.referral_key == key and dialog.request.referral_id is None


def test_a_typed_code_is_read_after_a_pause(qtbot, sim, open_dialog):
    key = issue(sim)
    code = requests.get(f"{sim.url}/_control/state?sections=referrals", timeout=10).json()[
        "referrals"][-1]["code"]
    dialog = open_dialog()
    qtbot.keyClicks(dialog.referral.edit, code)
    qtbot.waitUntil(lambda: dialog.referral.key == key, timeout=10000)  # no Enter needed
    assert "Poradnia kardiologiczna" in dialog.referral.details.text()
    assert dialog.request is None  # nothing booked without Enter


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
    field = dialog.referral
    scan(qtbot, field, key)
    assert dialog.request is None
    assert field.hint.text().startswith(polish) and field.problem().startswith(polish)
    assert field.key is None
    qtbot.keyClick(field.edit, Qt.Key.Key_Return)  # she presses Enter again: still refused
    assert dialog.request is None and dialog.error.text().startswith(polish)
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
    assert dialog.referral.problem() is None


def test_p1_away_keeps_a_scanned_key_for_the_queue(qtbot, open_dialog, tmp_path: Path):
    dialog = open_dialog(url="http://127.0.0.1:9/p1/skierowania")  # nobody listens there
    field = dialog.referral
    scan(qtbot, field, "5" * 44)
    assert field.key == "5" * 44 and dialog.request is None
    assert "klucz jest zachowany" in field.hint.text()
    field.edit.clear()
    scan(qtbot, field, "1234")
    assert field.key is None and dialog.request is None
    assert "kod dostępu można odczytać tylko online" in field.problem()


def test_a_read_that_ends_after_the_dialog_closed_is_not_shown(qtbot, sim, open_dialog):
    key = issue(sim)
    dialog = open_dialog()
    field = dialog.referral
    qtbot.keyClicks(field.edit, key)
    assert field.reading
    with qtbot.waitSignal(open_dialog.runner.finished, timeout=10000):
        dialog.reject()  # the patient hung up; P1 answers afterwards
    assert field.referral is None and dialog.request is None
