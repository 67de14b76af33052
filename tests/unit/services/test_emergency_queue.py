"""The emergency queue as a spreadsheet: layout, types, password, and the import (row-by-row
validation, all good rows in one transaction, no duplicates on re-import)."""

from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import Workbook, load_workbook
from services_support import add_patient, build_practice, pesels

from recepcja.domain.entities import SlotSpec
from recepcja.domain.errors import ValidationError
from recepcja.domain.model import WARSAW, TermKind, Urgency, VisitSource, VisitState
from recepcja.services import booking
from recepcja.services.emergency import HEADERS, export_queue, import_queue, queue_entries
from recepcja.services.spreadsheet import read_rows
from recepcja.store.db import atomic


def _queue(repos, practice, count):
    ids = pesels(count)
    with atomic(repos.db):
        for index in range(count):
            patient = add_patient(repos, ids[index], "Nowak" + "a" * index)
            booking.book(repos, patient, practice.slot_ids[index],
                         Urgency.URGENT if index % 3 == 0 else Urgency.STABLE, user="ania",
                         central_request_id=f"ZGL-{index}", emergency=True, referral_id="SK-1")


def test_export_layout_and_types(repos, practice, tmp_path):
    _queue(repos, practice, 3)
    path = tmp_path / "kolejka.xlsx"
    assert export_queue(repos, path) == 3
    sheet = load_workbook(path).active
    assert tuple(cell.value for cell in sheet[1]) == HEADERS
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:U{4}"
    term = sheet.cell(2, HEADERS.index("Termin") + 1)
    assert isinstance(term.value, dt.datetime) and term.number_format == "yyyy-mm-dd hh:mm"
    first_slot = repos.slots.get(practice.slot_ids[0]).start.astimezone(WARSAW)
    assert term.value == first_slot.replace(tzinfo=None)
    assert sheet.cell(2, 1).value == 1  # a number, not text
    assert sheet.cell(2, HEADERS.index("Kategoria medyczna") + 1).value == "pilny"
    assert sheet.column_dimensions["C"].width >= 11  # a PESEL fits


def test_password_protected_export_reads_back_only_with_the_password(repos, practice,
                                                                     tmp_path):
    _queue(repos, practice, 2)
    path = tmp_path / "tajne.xlsx"
    export_queue(repos, path, password="s3cret")
    assert path.read_bytes()[:4] == b"\xd0\xcf\x11\xe0"  # an encrypted OLE container
    with pytest.raises(ValidationError):
        read_rows(path)
    with pytest.raises(ValidationError):
        read_rows(path, password="wrong")
    headers, rows = read_rows(path, password="s3cret")
    assert tuple(headers) == HEADERS and len(rows) == 2


def _import_file(path, repos, practice, count, bad_rows):
    """``count`` rows in the export's layout for free terms; rows in ``bad_rows`` (1-based
    data rows) are broken in three different ways."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADERS)
    ids = pesels(count, 3000)
    for index in range(count):
        slot = repos.slots.get(practice.slot_ids[index])
        row = dict.fromkeys(HEADERS)
        row.update({
            "Lp.": index + 1, "PESEL lub dokument": ids[index], "Imię": "Ewa",
            "Nazwisko": "Inna" + chr(97 + index % 26) * (1 + index // 26), "Telefon": "601 234 567",
            "Termin": slot.start.astimezone(WARSAW).replace(tzinfo=None),
            "Kategoria medyczna": "stabilny", "ID terminu w CeR": slot.cer_id,
            "ID harmonogramu": practice.schedule_id, "Identyfikator wizyty": f"INNY-PC-{index}",
            "Skierowanie": f"SK-{index}",  # a first visit of cardiology carries one
        })
        sheet.append([row[h] for h in HEADERS])
    column = {h: HEADERS.index(h) + 1 for h in HEADERS}
    broken = iter(bad_rows)
    sheet.cell(next(broken) + 1, column["PESEL lub dokument"], "44051401358")  # check digit
    sheet.cell(next(broken) + 1, column["Kategoria medyczna"], "na wczoraj")
    row = next(broken) + 1
    sheet.cell(row, column["ID terminu w CeR"], "SLT-NIE-MA")
    sheet.cell(row, column["Termin"]).value = dt.datetime(2026, 9, 2, 3, 7)  # no such term
    workbook.save(path)


def test_import_reports_three_bad_rows_and_stores_the_47_others(repos, tmp_path):
    practice = build_practice(repos, days=5, per_day=16)
    path = tmp_path / "z-innego-komputera.xlsx"
    _import_file(path, repos, practice, 50, bad_rows=(4, 20, 33))
    report = import_queue(repos, path, user="ania")
    assert report.imported == 47
    assert [problem.row for problem in report.problems] == [5, 21, 34]  # sheet rows
    reasons = [problem.reason for problem in report.problems]
    assert "PESEL" in reasons[0] and "na wczoraj" in reasons[1] and "2026" in reasons[2]
    entries = queue_entries(repos)
    assert len(entries) == 47 and {e.state for e in entries} == {"queued"}
    visit = repos.visits.by_uid("INNY-PC-0")
    assert visit.source == VisitSource.EMERGENCY_IMPORT and visit.state == VisitState.PENDING
    # The same file again adds nothing.
    again = import_queue(repos, path, user="ania")
    assert again.imported == 0 and again.already_present == 47 and len(again.problems) == 3
    assert repos.visits.count() == 47 and len(queue_entries(repos)) == 47


def test_import_of_our_own_export_adds_nothing_and_conflicts_are_reported(repos, practice,
                                                                         tmp_path):
    _queue(repos, practice, 4)
    path = tmp_path / "kolejka.xlsx"
    export_queue(repos, path)
    report = import_queue(repos, path, user="ania")
    assert report.imported == 0 and report.already_present == 4 and not report.problems
    workbook = load_workbook(path)
    sheet = workbook.active
    sheet.cell(2, HEADERS.index("Identyfikator wizyty") + 1, "INNY-1")  # same term, new visit
    workbook.save(path)
    report = import_queue(repos, path, user="ania")
    assert report.imported == 0 and [p.row for p in report.problems] == [2]


def test_a_file_that_is_not_the_queue_is_refused_whole(repos, practice, tmp_path):
    workbook = Workbook()
    workbook.active.append(["Coś", "Innego"])
    workbook.save(tmp_path / "inne.xlsx")
    with pytest.raises(ValidationError):
        import_queue(repos, tmp_path / "inne.xlsx", user="ania")
    (tmp_path / "nie.xlsx").write_text("to nie jest arkusz")
    with pytest.raises(ValidationError):
        import_queue(repos, tmp_path / "nie.xlsx", user="ania")


def test_the_queue_carries_an_e_referral_key_and_its_import_queues_taking_it(repos, practice,
                                                                            tmp_path):
    patient = add_patient(repos, pesels(1)[0], "Nowak")
    key = "1234" * 11
    visit = booking.book(repos, patient, practice.slot_ids[0], Urgency.STABLE, user="ania",
                         emergency=True, referral_key=key).visit
    path = tmp_path / "kolejka.xlsx"
    export_queue(repos, path)
    booking.cancel(repos, visit.id, "test", user="ania")
    workbook = load_workbook(path)
    sheet = workbook.active
    sheet.cell(2, HEADERS.index("Identyfikator wizyty") + 1, "INNY-1")  # another desk's visit
    workbook.save(path)
    report = import_queue(repos, path, user="ania")
    assert report.imported == 1 and not report.problems
    imported = repos.visits.by_uid("INNY-1")
    assert imported.referral_key == key and imported.referral_id == key
    take = repos.outbox.by_key("referral_take:INNY-1")
    assert take is not None and take.payload["key"] == key and take.state == "queued"


def test_a_document_reads_as_words_in_the_sheet_and_imports_back(repos, practice, tmp_path):
    """The identifier column says "paszport AB999", never ``passport:AB999``; a PESEL stays
    whole (the sheet is imported on another desk and may be encrypted); a row from another
    desk imports back, in this form and in the older one."""
    from recepcja.domain.entities import Patient, PatientIdentifier
    from recepcja.domain.model import DocumentType

    foreigner = repos.patients.add(Patient(PatientIdentifier(
        document_type=DocumentType.PASSPORT, document_number="AB999"), "John", "Smith"), "ania")
    booking.book(repos, foreigner, practice.slot_ids[0], Urgency.STABLE, user="ania",
                 emergency=True, referral_id="SK-1")
    pesel = pesels(1)[0]
    booking.book(repos, add_patient(repos, pesel, "Nowak"), practice.slot_ids[1],
                 Urgency.URGENT, user="ania", emergency=True, referral_id="SK-1")
    path = tmp_path / "kolejka.xlsx"
    export_queue(repos, path)
    sheet = load_workbook(path).active
    column = HEADERS.index("PESEL lub dokument") + 1
    assert [sheet.cell(row, column).value for row in (2, 3)] == ["paszport AB999", pesel]

    for text, uid in (("paszport XY123", "PC2-1"), ("passport:ZZ777", "PC2-2")):
        workbook = load_workbook(path)
        sheet = workbook.active
        slot = repos.slots.get(practice.slot_ids[2 if uid.endswith("1") else 3])
        values = {"PESEL lub dokument": text, "Identyfikator wizyty": uid,
                  "ID lokalny pacjenta": None, "ID terminu w CeR": slot.cer_id,
                  "Termin": slot.start.astimezone(WARSAW).replace(tzinfo=None),
                  "Skierowanie": "1234" * 11}  # a first visit of cardiology carries one
        for header, value in values.items():
            sheet.cell(2, HEADERS.index(header) + 1, value)
        sheet.delete_rows(3)
        workbook.save(tmp_path / f"{uid}.xlsx")
        report = import_queue(repos, tmp_path / f"{uid}.xlsx", user="ania")
        assert report.imported == 1, report.problems
        patient = repos.patients.get(repos.visits.by_uid(uid).patient_id)
        assert patient.identifier.document_type == DocumentType.PASSPORT
        assert patient.identifier.document_number == text[-5:]


def test_the_import_refuses_a_first_visit_without_a_referral_not_a_continuation(
        repos, practice, tmp_path):
    """The first-visit rule, as at the desk: a row on a cardiology first-visit term without a
    referral is refused in one Polish line and nothing of it is stored; a continuation term
    needs none."""
    first_visit = repos.slots.get(practice.slot_ids[0])
    later = first_visit.start + dt.timedelta(days=30)
    repos.slots.add_many(practice.schedule_id, [SlotSpec(
        later, later + dt.timedelta(minutes=15), TermKind.CONTINUING_TREATMENT)])
    continuation = repos.slots.at(practice.schedule_id, later)
    workbook = Workbook()
    workbook.active.append(HEADERS)
    for number, (slot, pesel) in enumerate(zip((first_visit, continuation), pesels(2, 700),
                                               strict=True), 1):
        row = dict.fromkeys(HEADERS)
        row.update({"Lp.": number, "PESEL lub dokument": pesel, "Imię": "Ewa",
                    "Nazwisko": "Bezskierowania", "Kategoria medyczna": "stabilny",
                    "Termin": slot.start.astimezone(WARSAW).replace(tzinfo=None),
                    "ID harmonogramu": practice.schedule_id,
                    "Identyfikator wizyty": f"BEZ-SK-{number}"})
        workbook.active.append([row[h] for h in HEADERS])
    workbook.save(tmp_path / "kolejka.xlsx")
    report = import_queue(repos, tmp_path / "kolejka.xlsx", user="ania")
    assert report.imported == 1 and [p.row for p in report.problems] == [2]
    reason = report.problems[0].reason
    assert reason.startswith("Termin ") and "to pierwsza wizyta (kardiologia): wymaga " \
        "skierowania (klucz e-skierowania w kolumnie Skierowanie)." in reason
    assert repos.visits.by_uid("BEZ-SK-1") is None
    assert repos.visits.by_uid("BEZ-SK-2").slot_id == continuation.id
