"""The first-visit rule on the emergency queue import (issue 19), against the simulator over
loopback HTTP: a cardiology first visit without a referral is refused by row and never reaches
CeR; one with an e-referral key reaches CeR with it and takes the referral into realisation in
P1 with the visit date. (A continuation needing none: the unit test of the queue import.)"""

from __future__ import annotations

from emergency_support import cer_visits, pesels
from openpyxl import Workbook
from test_referral_replay import P1, desk, sync  # noqa: F401  (desk: a fixture)

from recepcja.domain.model import WARSAW
from recepcja.services.emergency import HEADERS, import_queue


def _row(number: int, pesel: str, slot, schedule_id: int, referral: str | None) -> list:
    row = dict.fromkeys(HEADERS)
    row.update({"Lp.": number, "PESEL lub dokument": pesel, "Imię": "Ewa",
                "Nazwisko": f"Zkartki{chr(64 + number)}", "Kategoria medyczna": "stabilny",
                "Termin": slot.start.astimezone(WARSAW).replace(tzinfo=None),
                "ID terminu w CeR": slot.cer_id, "ID harmonogramu": schedule_id,
                "Identyfikator wizyty": f"KARTKA-{number}", "Skierowanie": referral})
    return [row[h] for h in HEADERS]


def test_the_queue_import_checks_the_first_visit_rule_and_cer_gets_only_good_rows(
        repos, onboarded_simulator, desk, tmp_path):  # noqa: F811
    sim = onboarded_simulator
    _, free = desk
    p1 = P1(sim.url)
    with_key, without = pesels(2, start=900)
    key = p1.issue(with_key)
    first_terms = [repos.slots.get(slot_id) for slot_id in free[:2]]
    schedule_id = first_terms[0].schedule_id
    workbook = Workbook()
    workbook.active.append(HEADERS)
    workbook.active.append(_row(1, with_key, first_terms[0], schedule_id, key))
    workbook.active.append(_row(2, without, first_terms[1], schedule_id, None))
    path = tmp_path / "kolejka.xlsx"
    workbook.save(path)

    report = import_queue(repos, path, user="ania")
    assert report.imported == 1 and [problem.row for problem in report.problems] == [3]
    assert "pierwsza wizyta (kardiologia): wymaga skierowania" in report.problems[0].reason
    assert repos.visits.by_uid("KARTKA-2") is None

    sync(repos, sim)
    in_cer = {visit["visit_uid"]: visit for visit in cer_visits(sim)}
    assert "KARTKA-2" not in in_cer
    assert in_cer["KARTKA-1"]["referral"] == key
    day = first_terms[0].start.astimezone(WARSAW).date().isoformat()
    assert p1.state(key)["status"] == "U_REALIZATORA" and p1.state(key)["visit_date"] == day
