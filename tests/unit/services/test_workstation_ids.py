"""Two desks in one outage: their local patient IDs never collide (each carries the
workstation's prefix), and a queue import keeps the other desk's ID findable — by the search,
by booking, for a patient new here and for one already here. IDs given before workstation
prefixes stay valid; one that two desks gave alike is refused as ambiguous, never guessed."""

from __future__ import annotations

from pathlib import Path

import pytest
from services_support import NOW, Clock, build_practice, pesels

from recepcja.config.paths import AppPaths
from recepcja.domain.entities import Patient, PatientIdentifier
from recepcja.domain.errors import ValidationError
from recepcja.domain.model import Urgency
from recepcja.services import booking
from recepcja.services.context import AppContext
from recepcja.services.emergency import export_queue, import_queue, queue_entries
from recepcja.services.patients import PatientInput, find_patients, register_patient
from recepcja.store.repos import Repositories


class Desk:
    """A workstation with its own data folder, as ``AppContext`` opens it."""

    def __init__(self, folder: Path, name: str, prefix: str = "") -> None:
        self.ctx = AppContext.load(AppPaths(folder))
        self.ctx.settings.workstation.name = name
        self.ctx.settings.workstation.prefix = prefix
        self.repos = Repositories.over(self.ctx.open_db(), Clock(NOW))
        self.practice = build_practice(self.repos)

    def register(self, pesel: str, last: str) -> Patient:
        return register_patient(self.repos.db, PatientInput("Jan", last, pesel=pesel), "ania")


@pytest.fixture
def desks(tmp_path):
    first = Desk(tmp_path / "desk-1", "recepcja-1")  # prefix derived from the host name
    second = Desk(tmp_path / "desk-2", "recepcja-2", prefix="R2")
    yield first, second
    first.repos.close()
    second.repos.close()


def test_two_desks_in_one_outage_never_give_the_same_local_id(desks):
    first, second = desks
    ids = pesels(4, start=300)
    mine = [first.register(ids[0], "Nowak").local_id, first.register(ids[1], "Lis").local_id]
    theirs = [second.register(ids[2], "Wróbel").local_id,
              second.register(ids[3], "Sowa").local_id]
    prefix = first.ctx.workstation.prefix
    assert mine == [f"L-{prefix}-000001", f"L-{prefix}-000002"]
    assert theirs == ["L-R2-000001", "L-R2-000002"]
    assert not set(mine) & set(theirs)
    # The desk reads its own IDs off paper without the prefix and the zeros, too.
    assert booking.find_patient(first.repos, "L-2").local_id == mine[1]
    assert [p.local_id for p in find_patients(first.repos.db, "L-2")] == [mine[1]]


def test_a_queue_import_keeps_the_other_desks_local_id_findable(desks, tmp_path):
    first, second = desks
    new_here, known_here = pesels(2, start=400)
    already = first.register(known_here, "Kowalczyk")
    for pesel, last in ((new_here, "Zając"), (known_here, "Kowalczyk")):
        patient = second.register(pesel, last)
        booking.book(second.repos, patient.id, second.practice.slot_ids[len(last)],
                     Urgency.STABLE, user="ola", emergency=True, referral_id="SK-1")
    slip = {e.last_name: e.patient_local_id for e in queue_entries(second.repos)}
    export_queue(second.repos, tmp_path / "druga.xlsx")

    report = import_queue(first.repos, tmp_path / "druga.xlsx", user="ania")
    assert report.imported == 2 and not report.problems
    # New here: the slip's ID is the patient's own ID here too.
    found = booking.find_patient(first.repos, slip["Zając"])
    assert found.last_name == "Zając" and found.local_id == slip["Zając"]
    # Already here under this desk's ID: the slip's ID finds the same patient.
    short = slip["Kowalczyk"].replace("00000", "")  # L-R2-2, as typed off the slip
    assert booking.find_patient(first.repos, short).id == already.id
    assert [p.id for p in find_patients(first.repos.db, slip["Kowalczyk"])] == [already.id]
    assert first.repos.patients.aliases(already.id) == [slip["Kowalczyk"]]
    # ... and books with it.
    result = booking.book(first.repos, booking.find_patient(first.repos, short).id,
                          first.practice.slot_ids[30], Urgency.URGENT, user="ania",
                          referral_id="SK-1")
    assert result.visit.patient_id == already.id


def test_an_id_two_old_desks_both_gave_is_refused_as_ambiguous(tmp_path):
    """Before prefixes both desks counted L-000001: the import keeps the other's as an alias
    and the desk is asked for the PESEL instead of one patient being picked silently."""
    repos = Repositories.open(tmp_path / "old.sqlite", Clock(NOW))
    try:
        ids = pesels(2, start=500)
        here = repos.patients.add(Patient(PatientIdentifier(pesel=ids[0]), "Anna", "Mak"), "a")
        other = repos.patients.add(Patient(PatientIdentifier(pesel=ids[1]), "Ewa", "Bąk"), "a")
        assert repos.patients.get(here).local_id == "L-000001"
        assert repos.patients.add_alias(other, "L-1", "a", source="kolejka.xlsx")
        with pytest.raises(ValidationError, match="PESEL"):
            booking.find_patient(repos, "L-000001")
        assert {p.id for p in repos.patients.search("L-1")} == {here, other}
        assert booking.find_patient(repos, ids[1]).id == other
    finally:
        repos.close()


def test_visit_identifiers_carry_the_desk_and_the_audit_log_names_it(desks):
    """Issue 15: several desks book into one CeR account; a visit's own identifier says which
    desk made it (never the same on two desks), and so does every audit entry."""
    first, second = desks
    ids = pesels(2, start=600)
    uids = []
    for desk, pesel in ((first, ids[0]), (second, ids[1])):
        patient = desk.register(pesel, "Nowak")
        result = booking.book(desk.repos, patient.id, desk.practice.slot_ids[3],
                              Urgency.STABLE, user="ola", emergency=True, referral_id="SK-1")
        uids.append(result.visit.visit_uid)
        entries = desk.repos.audit.for_patient(patient.id)
        assert entries and {entry.workstation for entry in entries} == {desk.ctx.workstation.name}
    assert uids[0].startswith(f"REC-{first.ctx.workstation.prefix}-")
    assert uids[1].startswith("REC-R2-")
    assert uids[0] != uids[1] and all(len(uid) <= 64 for uid in uids)
    # Without a workstation (tools, old callers) the identifier is as before.
    assert booking.new_visit_uid().startswith("REC-") and booking.new_visit_uid().count("-") == 1
