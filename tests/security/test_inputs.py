"""At every input: names that a spreadsheet would run are refused, every text cell the app
exports stays text in a real spreadsheet program (LibreOffice), and the practice file, the
initial load and the medical category are checked as the issue asks."""

from __future__ import annotations

import csv
import datetime as dt
import tomllib
from pathlib import Path

import openpyxl
import pytest
from openpyxl import load_workbook
from security_support import convert

from recepcja.cli.main import build_parser, main
from recepcja.domain.cell_text import is_formula_like, neutralise, restore
from recepcja.domain.entities import Patient, PatientIdentifier, SlotSpec
from recepcja.domain.errors import ValidationError
from recepcja.domain.model import WARSAW, Urgency
from recepcja.i18n import translate_error
from recepcja.services import booking
from recepcja.services.emergency import HEADERS, export_queue, import_queue
from recepcja.services.initial_load import import_initial_load
from recepcja.services.outages import export_outages
from recepcja.services.patients import PatientInput, validate_patient
from recepcja.services.practice_plan import plan_from_dict
from recepcja.services.practice_setup import apply_plan
from recepcja.store.db import atomic
from recepcja.store.records import Place, Provider, Resource, ResourceKind, Schedule
from recepcja.store.repos import Repositories
from recepcja.sync.incidents import LOCAL, OVERBOOKED, Incident, IncidentReport, IncidentVisit

EXAMPLE = Path(__file__).resolve().parents[2] / "resources" / "practice.example.toml"
PESEL = "44051401359"
FORMULAS = ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0",
            "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1"]


# --- names ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", FORMULAS)
def test_a_name_a_spreadsheet_would_run_is_refused(name, monkeypatch):
    monkeypatch.setenv("RECEPCJA_LANG", "en")
    for first, last in ((name, "Kowalski"), ("Jan", name)):
        with pytest.raises(ValidationError) as refused:
            validate_patient(PatientInput(first_name=first, last_name=last, pesel=PESEL))
        assert "formula" in translate_error(refused.value)


def test_ordinary_names_still_pass():
    for last in ("O'Brien", "Kowalska-Nowak", "Zięba", "de la Cruz"):
        assert validate_patient(PatientInput("Anna", last, pesel=PESEL)).last_name == last


def test_patients_add_refuses_it_in_one_line(monkeypatch, capsys, private_home):
    code = main(["patients", "add", "--pesel", PESEL, "--first-name", "Jan",
                 "--last-name", FORMULAS[0]])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and "formuł" in err
    repos = Repositories.open(private_home / "recepcja.sqlite")
    try:
        assert repos.patients.search("Jan") == [] and repos.patients.by_pesel(PESEL) is None
    finally:
        repos.close()


# --- every exported text cell stays text ----------------------------------------------------

def test_neutralise_and_restore_are_inverse():
    for text in [*FORMULAS, "Kowalski", "", "+48601234567", "-12", "'=already"]:
        assert restore(neutralise(text)) == text
        assert not is_formula_like(neutralise(text))
    assert neutralise("+48601234567") == "+48601234567"  # a phone number stays readable


def _legacy_practice(repos: Repositories, *, queued: bool = True) -> None:
    """A practice whose stored texts came in before the input rule (or from CeR): a formula
    in every text the exports carry (with ``queued``, a visit in the emergency queue)."""
    now = dt.datetime.now(dt.UTC)
    with atomic(repos.db):
        repos.practice.save_provider(Provider("=1+1"))
        place = repos.practice.add_place(Place('=HYPERLINK("http://place","p")', cer_id="MUS-1",
                                               scopes=["cardiology"]))
        doctor = repos.practice.add_resource(Resource(ResourceKind.DOCTOR, "@SUM(2+2)"))
        schedule = repos.schedules.add(Schedule(doctor, place, "cardiology", "-3+3",
                                                cer_id="HRM-1"))
        start = (now + dt.timedelta(days=2)).astimezone(WARSAW).replace(
            hour=9, minute=0, second=0, microsecond=0)
        repos.slots.add_many(schedule, [SlotSpec(start, start + dt.timedelta(minutes=20))])
        slot = repos.slots.at(schedule, start)
        if not queued:
            return
        patient = repos.patients.add(Patient(PatientIdentifier(pesel=PESEL),
                                             "+cmd|' /C calc'!A0", FORMULAS[0]), "=2+2")
        booking.book(repos, patient, slot.id, Urgency.URGENT, user="=cmd|' /C calc'!A0",
                     central_request_id="-5-5", referral_id="-6-6", emergency=True)
    outage = repos.outages.open("offline", error='=HYPERLINK("http://error","e")')
    repos.outages.close(outage)


def _no_formula_after_csv(xlsx: Path, folder: Path) -> list[str]:
    """Every sheet of ``xlsx`` saved as CSV by LibreOffice, each CSV opened again by it (which
    evaluates formulas in a CSV): no cell may be a formula. Returns the CSV texts."""
    # 44,34,76,1,,0,false,true,false,false,false,-1: comma, quote, UTF-8, all sheets.
    sheets = convert(xlsx, "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,"
                           "false,false,-1", folder / "csv")
    assert sheets, "LibreOffice wrote no CSV"
    texts = []
    for sheet_csv in sheets:
        texts.append(sheet_csv.read_text(encoding="utf-8"))
        [reopened] = convert(sheet_csv, "xlsx", folder / f"again-{sheet_csv.stem}")
        for row in load_workbook(reopened).active.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet_csv.name} {cell.coordinate}: {cell.value}"
    return texts


def test_queue_and_outage_exports_stay_text_in_libreoffice(tmp_path):
    repos = Repositories.open(tmp_path / "db.sqlite")
    try:
        _legacy_practice(repos)
        queue = tmp_path / "kolejka.xlsx"
        assert export_queue(repos, queue) == 1
        outages = tmp_path / "przerwy.xlsx"
        export_outages(repos, outages)
    finally:
        repos.close()
    queue_csv = "".join(_no_formula_after_csv(queue, tmp_path / "queue"))
    for text in (FORMULAS[0], "+cmd|' /C calc'!A0", "@SUM(2+2)", "=cmd|' /C calc'!A0", "-5-5"):
        assert neutralise(text) in queue_csv.replace('""', '"')
    outage_csv = "".join(_no_formula_after_csv(outages, tmp_path / "outages"))
    assert "'=HYPERLINK" in outage_csv and "'@SUM(2+2)" in outage_csv


def test_the_incident_csv_stays_text_in_libreoffice(tmp_path):
    moment = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    visit = IncidentVisit("=1+1", "+2+2", "@SUM(3)", "-4+4", moment)
    report = IncidentReport([Incident(LOCAL, OVERBOOKED, '=HYPERLINK("http://s","s")', moment,
                                      moment + dt.timedelta(minutes=20), (visit,), "test")],
                            created_at=moment)
    _text, attachment = report.write(tmp_path / "incidents")
    rows = list(csv.reader(attachment.read_text(encoding="utf-8-sig").splitlines(),
                           delimiter=";"))
    assert all(not is_formula_like(cell) for row in rows for cell in row)
    [reopened] = convert(attachment, "xlsx", tmp_path / "lo")
    for row in load_workbook(reopened).active.iter_rows():
        assert all(cell.data_type != "f" for cell in row)


def test_an_imported_queue_file_gets_its_text_back(tmp_path):
    """The apostrophe is the export's, not the patient's: the import takes it off again (and
    then the name rule refuses the formula, row by row)."""
    repos = Repositories.open(tmp_path / "db.sqlite")
    try:
        _legacy_practice(repos)
        path = tmp_path / "kolejka.xlsx"
        export_queue(repos, path)
    finally:
        repos.close()
    sheet = load_workbook(path).active
    assert sheet.cell(2, HEADERS.index("Nazwisko") + 1).value == "'" + FORMULAS[0]
    other = Repositories.open(tmp_path / "other-desk.sqlite")  # the same practice elsewhere
    try:
        _legacy_practice(other, queued=False)
        report = import_queue(other, path, user="ania")
        assert report.imported == 0 and "formu" in report.problems[0].reason
    finally:
        other.close()


# --- the practice file ----------------------------------------------------------------------

def _example() -> dict:
    return tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))


def test_nip_and_regon_check_digits(monkeypatch):
    monkeypatch.setenv("RECEPCJA_LANG", "en")
    plan_from_dict(_example())  # the example practice itself is valid (its REGON was not)
    for key, wrong in (("nip", "5260250994"), ("regon", "012345678"),
                       ("regon", "01234567500011")):
        data = _example()
        data["provider"][key] = wrong
        with pytest.raises(ValidationError) as refused:
            plan_from_dict(data)
        assert "check digit" in translate_error(refused.value) and wrong in str(refused.value)


def test_one_doctor_in_two_schedules_at_the_same_time_is_refused(monkeypatch):
    monkeypatch.setenv("RECEPCJA_LANG", "en")
    data = _example()
    second = dict(data["schedules"][1], name="Kardiologia - dr Nowak (wtorki)",
                  resource="dr-nowak",
                  rules=[{"weekday": "mon", "start": "11:00", "end": "13:00",
                          "slot_minutes": 20}])
    data["schedules"].append(second)
    with pytest.raises(ValidationError) as refused:
        plan_from_dict(data)
    text = translate_error(refused.value)
    assert "dr Anna Nowak" in text and "Kardiologia - dr Nowak" in text
    assert "11:00-12:00" in text
    second["rules"] = [{"weekday": "mon", "start": "12:00", "end": "14:00", "slot_minutes": 20}]
    assert len(plan_from_dict(data).schedules) == 4  # right after the first one: fine


# --- the initial load -----------------------------------------------------------------------

NOW = dt.datetime(2026, 3, 2, 7, 0, tzinfo=dt.UTC)  # Monday 2 March 2026, 08:00 in Warsaw
HEADER = "visit_id;schedule;date;time;minutes;pesel;first_name;last_name;phone;urgency"


@pytest.fixture
def practice(tmp_path):
    repos = Repositories.open(tmp_path / "practice.sqlite")
    apply_plan(repos.db, plan_from_dict(_example()), "admin")
    yield repos
    repos.close()


def test_initial_load_dates_grid_days_off_and_urgency(practice, tmp_path, monkeypatch):
    monkeypatch.setenv("RECEPCJA_LANG", "en")
    nowak = "Kardiologia - dr Nowak"
    rows = [
        f"B1;{nowak};2026-02-30;08:00;;{PESEL};Jan;Kowalski;;",  # no such day
        f"B2;{nowak};31.04.2026;08:00;;{PESEL};Jan;Kowalski;;",  # nor this one
        f"B3;{nowak};2026-12-28;08:00;;{PESEL};Jan;Kowalski;;",  # the doctor's leave
        f"B4;{nowak};2026-11-11;12:00;;{PESEL};Jan;Kowalski;;",  # a public holiday
        f"B5;{nowak};2026-03-09;08:10;;{PESEL};Jan;Kowalski;;",  # between two terms
        f"B6;{nowak};2026-03-10;08:00;;{PESEL};Jan;Kowalski;;",  # Tuesday: no hours
        f"B7;{nowak};2026-03-09;08:00;30;{PESEL};Jan;Kowalski;;",  # 20-minute terms
        f"B8;{nowak};2026-03-09;08:20;;{PESEL};Jan;Kowalski;;pilny",
        f"B9;{nowak};2026-03-09;08:40;;{PESEL};Jan;Kowalski;;urgent",
        f"B10;{nowak};2026-03-09;09:00;;{PESEL};Jan;Kowalski;;Stabilny",
        f"B11;{nowak};2026-03-09;09:20;;{PESEL};Jan;{FORMULAS[0].replace(';', ',')};;",
    ]
    path = tmp_path / "visits.csv"
    # first visits of cardiology: each with a (paper) referral
    path.write_text("\n".join((HEADER + ";referral_id", *(row + ";SK-1" for row in rows)))
                    + "\n", encoding="utf-8")
    result = import_initial_load(practice, path, "admin", now=NOW)
    reasons = {e.row - 1: translate_error(e.error) for e in result.errors}
    assert "does not exist" in reasons[1] and "does not exist" in reasons[2]
    assert "does not work on that day" in reasons[3] and "does not work" in reasons[4]
    assert "not a term of the schedule's template" in reasons[5]
    assert "not a term" in reasons[6] and "last 20 minutes, not 30" in reasons[7]
    assert "formula" in reasons[11]
    assert result.imported == 3
    urgencies = [practice.visits.by_uid(f"IL-B{n}").urgency for n in (8, 9, 10)]
    assert urgencies == [Urgency.URGENT, Urgency.URGENT, Urgency.STABLE]


def test_initial_load_restores_a_pesel_excel_made_a_number(practice, tmp_path):
    path = tmp_path / "visits.xlsx"
    book = openpyxl.Workbook()
    book.active.append(HEADER.split(";"))
    # 02070803628 (born in 2002) typed into Excel becomes the number 2070803628.
    book.active.append(["X1", "Mammobus 1", dt.date(2026, 3, 10), dt.time(9, 15), None,
                        2070803628, "Ala", "Nowak", None, None])
    book.save(path)
    result = import_initial_load(practice, path, "admin", now=NOW)
    assert result.errors == [] and result.imported == 1
    visit = practice.visits.by_uid("IL-X1")
    assert practice.patients.get(visit.patient_id).identifier.pesel == "02070803628"


# --- the medical category, in both languages, everywhere --------------------------------------

@pytest.mark.parametrize(("word", "urgency"), [
    ("pilny", Urgency.URGENT), ("urgent", Urgency.URGENT), ("stabilny", Urgency.STABLE),
    ("stable", Urgency.STABLE)])
def test_book_takes_both_vocabularies(word, urgency):
    args = build_parser(["desk"]).parse_args(["book", "--patient", PESEL, "--slot", "1",
                                              "--urgency", word])
    assert args.urgency == urgency


def test_book_refuses_another_word_in_one_line(capsys):
    with pytest.raises(SystemExit) as usage:
        main(["book", "--patient", PESEL, "--slot", "1", "--urgency", "sometimes"])
    assert usage.value.code == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_queue_import_takes_both_vocabularies(tmp_path):
    repos = Repositories.open(tmp_path / "db.sqlite")
    try:
        _legacy_practice(repos)
        schedule = repos.schedules.list()[0]
        start = (dt.datetime.now(dt.UTC) + dt.timedelta(days=3)).astimezone(WARSAW).replace(
            hour=10, minute=0, second=0, microsecond=0)
        repos.slots.add_many(schedule.id, [SlotSpec(start, start + dt.timedelta(minutes=20)),
                                           SlotSpec(start + dt.timedelta(minutes=20),
                                                    start + dt.timedelta(minutes=40))])
        book = openpyxl.Workbook()
        book.active.append(list(HEADERS))
        for number, (word, pesel) in enumerate((("urgent", "02070803628"),
                                                ("stabilny", "85010112345")), 1):
            row = dict.fromkeys(HEADERS)
            row.update({"PESEL lub dokument": pesel, "Imię": "Ewa", "Nazwisko": "Inna",
                        "Termin": (start + dt.timedelta(minutes=20 * (number - 1))).replace(
                            tzinfo=None),
                        "Kategoria medyczna": word, "ID harmonogramu": schedule.id,
                        "Skierowanie": f"SK-{number}"})
            book.active.append([row[h] for h in HEADERS])
        path = tmp_path / "import.xlsx"
        book.save(path)
        report = import_queue(repos, path, user="ania")
        assert report.problems == [] and report.imported == 2
    finally:
        repos.close()
