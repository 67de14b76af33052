"""What the printouts say (issue 14). The confirmation names the practice and its phone, how to
cancel, "zabierz skierowanie" where the scope needs a referral, the referral itself - and no
internal identifier; the PESEL is masked. The day list names its doctor and has urgency and
arrival columns, phones formatted. Printing is one button on the toolbar. The PDFs are read
back as text (pdftotext) where poppler is installed."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from recepcja.domain.model import Urgency
from recepcja.services import booking
from recepcja.store.repos import Repositories


def _select(window, hhmm: str) -> int:
    for number, row in enumerate(window.schedule_view.day_model.rows()):
        if row.entry.visit_id and row.start.strftime("%H:%M") == hhmm:
            window.schedule_view.day_table.setCurrentIndex(
                window.schedule_view.day_model.index(number, 0))
            return int(row.entry.visit_id)
    raise AssertionError(hhmm)


def _pdf_text(path: Path) -> str | None:
    if not shutil.which("pdftotext"):
        return None
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


def test_confirmation_names_the_practice_how_to_cancel_and_the_referral(window, desk_ctx,
                                                                        tmp_path, shown):
    desk_ctx.settings.practice.phone = "+48221234567"
    repos = Repositories.over(desk_ctx.open_db())
    try:
        free = next(r for r in window.schedule_view.day_model.rows()
                    if r.entry.visit_id is None and not r.is_past)
        patient = next(p for p in repos.patients.search("No", 50) if p.identifier.pesel)
        result = booking.book(repos, int(patient.id or 0), free.entry.slot_id, Urgency.URGENT,
                              user="test", referral_id="1234", now=window.clock())
        visit_uid = result.visit.visit_uid
    finally:
        repos.close()
    window.reload()
    shown(window)
    _select(window, free.start.strftime("%H:%M"))
    html, name = window.printout_html("confirmation")
    assert "Przychodnia Szkoleniowa sp. z o.o." in html  # the practice
    assert "22 123 45 67" in html and "Aby odwołać lub przełożyć wizytę" in html
    assert "pacjent.gov.pl" in html
    assert "zabierz skierowanie" in html  # cardiology needs a referral
    assert "Skierowanie" in html and ">1234<" in html
    assert "pilny" in html and "pierwszorazowa" in html
    assert visit_uid not in html and visit_uid not in name  # no internal identifier
    assert patient.local_id not in html
    pesel = str(patient.identifier.pesel)
    assert pesel not in html and f"*******{pesel[-4:]}" in html  # masked
    assert name == f"potwierdzenie-{free.start:%Y-%m-%d-%H%M}.pdf"
    path = window.printout("confirmation", pdf=True, path=tmp_path / "c.pdf")
    text = _pdf_text(path)
    if text is not None:
        assert "Przychodnia Szkoleniowa" in text and "22 123 45 67" in text
        assert pesel not in text and "skierowanie" in text


def test_confirmation_without_a_phone_setting_and_without_a_referral_rule(window, desk_ctx):
    _select(window, "10:20")
    html, _name = window.printout_html("confirmation")
    assert "powiadom rejestrację" in html and "tel." not in html
    assert "WIZ-2" in html  # the visit's number in CeR is the patient's to quote


def test_day_list_names_the_doctor_with_urgency_arrival_and_phones(window, tmp_path):
    html, name = window.printout_html("day")
    assert name == f"wizyty-{window.current_day.isoformat()}.pdf"
    assert "<h3>lek. Anna Nowak — Kardiologia — dr Nowak</h3>" in html
    headers = ["Godzina", "Pacjent", "Telefon", "Rodzaj terminu", "Tryb", "Przybycie", "CeR"]
    assert "".join(f"<th align='left'>{h}</th>" for h in headers) in html
    assert "stabilny" in html and "pierwszorazowa" in html
    phones = [row.entry.patient_phone for row in window.schedule_view.day_model.rows()
              if row.entry.visit_id and row.entry.patient_phone]
    assert phones and all(p not in html for p in phones)  # never +48601234567
    from recepcja.domain.phone_display import polish_national

    assert all(polish_national(p) in html for p in phones)
    path = window.printout("day", pdf=True, path=tmp_path / "d.pdf")
    text = _pdf_text(path)
    if text is not None:
        assert "lek. Anna Nowak" in text and "Przybycie" in text


def test_print_button_on_the_toolbar(window):
    button = window.actions_.print_button  # shown at 1366 pixels: tests/gui/test_window_fit.py
    assert button.text() == "Drukuj"
    menu = [action.objectName() for action in button.menu().actions()]
    assert menu == ["printConfirmation", "printDay", "pdfConfirmation", "pdfDay"]
    assert window.actions_.toolbar.widgetForAction(
        window.actions_.toolbar.actions()[-1]) is button


@pytest.mark.parametrize("value", ["22 123 45 67", "+48 22 123 45 67"])
def test_practice_phone_setting_is_checked(tmp_path, value):
    from recepcja.config.settings import settings_from_dict

    assert settings_from_dict({"practice": {"phone": value}}).practice.phone == "+48221234567"


def test_a_bad_practice_phone_is_refused():
    from recepcja.config.settings import settings_from_dict
    from recepcja.domain.errors import ValidationError

    with pytest.raises(ValidationError) as raised:
        settings_from_dict({"practice": {"phone": "12"}})
    assert raised.value.params == {"key": "practice.phone"}
