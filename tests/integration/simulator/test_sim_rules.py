"""CeR's business rules as the simulator enforces them: life cycle, slots, bookings, restarts."""

from __future__ import annotations

import datetime as dt

import soap_raw
from soap_raw import NS, PESEL_A, PESEL_B, PESEL_C

from recepcja.domain.model import WARSAW

TODAY = dt.date(2026, 5, 20)  # a Wednesday; 3 months later is Thursday 2026-08-20


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), WARSAW)


def _freeze(sim, day: dt.date = TODAY, hour: int = 7) -> None:
    sim.control("POST", "clock", {"now": _at(day, hour).isoformat(), "frozen": True})


def _place_with_schedules(sim, count: int = 2) -> tuple[str, list[str]]:
    mus_id = sim.call(soap_raw.register_place()).text("idMus")
    schedules = [sim.call(soap_raw.save_schedule(mus_id, f"g{i}")).text("idHarmonogramu")
                 for i in range(count)]
    return mus_id, schedules


def _publish(sim, schedule_id: str, first: dt.date, last: dt.date, prefix: str) -> list[str]:
    answer = sim.call(soap_raw.save_slots(schedule_id,
                                          soap_raw.working_slots(first, last, prefix)))
    items = answer.items()
    assert all(item["status"] == "PRZYJETY" for item in items), items[:2]
    return [str(item["idCer"]) for item in items]


def _activate(sim, mus_id: str) -> soap_raw.SoapAnswer:
    return sim.call(f"<cer:aktywujMus><cer:idMus>{mus_id}</cer:idMus></cer:aktywujMus>")


def test_activation_needs_three_months_of_free_slots_in_every_schedule(simulator):
    _freeze(simulator)
    mus_id, (full, short) = _place_with_schedules(simulator)
    no_slots = _activate(simulator, mus_id)
    assert no_slots.minor == "NiewystarczajacyHoryzont"
    assert "brak wolnych terminów" in no_slots.fault["opis"]

    _publish(simulator, full, TODAY + dt.timedelta(days=1), dt.date(2026, 8, 20), "a")
    short_ids = _publish(simulator, short, TODAY + dt.timedelta(days=1), dt.date(2026, 8, 19), "b")
    refused = _activate(simulator, mus_id)
    assert refused.minor == "NiewystarczajacyHoryzont"
    opis = refused.fault["opis"]
    assert "2026-08-20" in opis and short in opis and "2026-08-19" in opis and full not in opis
    booking = simulator.call(soap_raw.book(short_ids[0], "za-wczesnie"))
    assert booking.minor == "NiedozwolonyStan"  # no bookings before activation

    _publish(simulator, short, dt.date(2026, 8, 20), dt.date(2026, 8, 20), "b")
    activated = _activate(simulator, mus_id)
    assert activated.ok and activated.text("stan") == "AKTYWNE"
    assert simulator.state()["places"][0]["stage"] == "active"
    late_load = simulator.call(f"<cer:zasilInicjalnie><cer:idMus>{mus_id}</cer:idMus>"
                               "</cer:zasilInicjalnie>")
    assert late_load.minor == "NiedozwolonyStan"


def test_booked_slots_do_not_count_towards_the_horizon(simulator):
    _freeze(simulator)
    mus_id, (schedule,) = _place_with_schedules(simulator, 1)
    ids = _publish(simulator, schedule, TODAY + dt.timedelta(days=1), dt.date(2026, 8, 21), "a")
    # The last 16 slots are those of 2026-08-20 and 08-21 (8 a day): with all of them booked,
    # the free terms reach only 2026-08-19.
    for slot_id in ids[-16:]:
        simulator.control("POST", "force-bookings", {"slot": slot_id, "count": 1,
                                                     "notify": False})
    assert _activate(simulator, mus_id).minor == "NiewystarczajacyHoryzont"


def test_activation_without_schedules_is_a_state_error(simulator):
    mus_id = simulator.call(soap_raw.register_place()).text("idMus")
    assert _activate(simulator, mus_id).minor == "NiedozwolonyStan"
    assert _activate(simulator, "MUS-4242").minor == "NieZnaleziono"


def test_slot_batches_are_answered_per_item(simulator):
    _freeze(simulator)
    _, (schedule,) = _place_with_schedules(simulator, 1)
    day = TODAY + dt.timedelta(days=2)
    stored = [("s1", _at(day, 8), _at(day, 8, 30)), ("s2", _at(day, 8, 30), _at(day, 9))]
    _publish_items = simulator.call(soap_raw.save_slots(schedule, stored)).items()
    assert [item["status"] for item in _publish_items] == ["PRZYJETY", "PRZYJETY"]
    batch = [
        ("n1", _at(day, 9), _at(day, 9, 30)),            # fine
        ("n2", _at(day, 8, 15), _at(day, 8, 45)),        # overlaps s1 and s2
        ("n3", _at(day, 8), _at(day, 8, 30)),            # same term as s1
        ("n4", _at(day, 9, 15), _at(day, 9, 45)),        # overlaps n1 of this batch
        ("n5", _at(day, 10), _at(day, 10)),              # end not after start
        ("n6", _at(TODAY - dt.timedelta(days=1), 8), _at(TODAY - dt.timedelta(days=1), 9)),
        ("n7", _at(day, 11), _at(day + dt.timedelta(days=2), 11)),  # longer than a day
        ("s1", _at(day, 12), _at(day, 12, 30)),          # s1's id with another term
        ("s2", _at(day, 8, 30), _at(day, 9)),            # s2 re-sent unchanged
    ]
    items = simulator.call(soap_raw.save_slots(schedule, batch)).items()
    outcome = [(item["identyfikatorLokalny"], item["status"],
                (item["kodBledu"] or "").removeprefix(soap_raw.MINOR)) for item in items]
    assert outcome == [
        ("n1", "PRZYJETY", ""),
        ("n2", "ODRZUCONY", "NakladajaceSieSloty"),
        ("n3", "ODRZUCONY", "DuplikatSlotu"),
        ("n4", "ODRZUCONY", "NakladajaceSieSloty"),
        ("n5", "ODRZUCONY", "NiedozwolonyStan"),
        ("n6", "ODRZUCONY", "NiedozwolonyStan"),
        ("n7", "ODRZUCONY", "NiedozwolonyStan"),
        ("s1", "ODRZUCONY", "DuplikatSlotu"),
        ("s2", "PRZYJETY", ""),
    ]
    assert items[8]["idCer"] == _publish_items[1]["idCer"]
    assert all(item["opis"] for item in items if item["status"] == "ODRZUCONY")
    assert len(simulator.state()["slots"]) == 3


def test_a_resumed_publish_creates_no_duplicates(simulator):
    _freeze(simulator)
    _, (schedule,) = _place_with_schedules(simulator, 1)
    wanted = soap_raw.working_slots(TODAY + dt.timedelta(days=1), TODAY + dt.timedelta(days=30),
                                    "p")
    half = simulator.call(soap_raw.save_slots(schedule, wanted[: len(wanted) // 2])).items()
    full = simulator.call(soap_raw.save_slots(schedule, wanted)).items()
    assert all(item["status"] == "PRZYJETY" for item in full)
    assert [item["idCer"] for item in full[: len(half)]] == [item["idCer"] for item in half]
    assert len(simulator.state()["slots"]) == len(wanted)


def test_a_withdrawn_slot_comes_back_under_its_id(simulator):
    _freeze(simulator)
    _, (schedule,) = _place_with_schedules(simulator, 1)
    day = TODAY + dt.timedelta(days=1)
    [slot_id] = _publish(simulator, schedule, day, day, "w")[:1]
    withdrawn = simulator.call(f"<cer:usunSloty><cer:idHarmonogramu>{schedule}"
                               f"</cer:idHarmonogramu><cer:idSlotu>{slot_id}</cer:idSlotu>"
                               "</cer:usunSloty>").items()
    assert withdrawn[0]["status"] == "PRZYJETY"
    local_id = soap_raw.working_slots(day, day, "w")[0]
    again = simulator.call(soap_raw.save_slots(schedule, [local_id])).items()
    assert again[0] == {**again[0], "status": "PRZYJETY", "idCer": slot_id}


def test_booking_conflicts(onboarded_simulator):
    sim = onboarded_simulator
    first, second = sim.place.slot_ids()[:2]
    assert sim.call(soap_raw.book(first, "w-1")).ok
    taken = sim.call(soap_raw.book(first, "w-2", pesel=PESEL_B))
    assert taken.status == 500 and taken.minor == "TerminZajety"
    assert taken.fault["major"] == soap_raw.MAJOR + "BladBiznesowy"
    reused = sim.call(soap_raw.book(second, "w-1"))
    assert reused.minor == "IdentyfikatorWizytyUzyty"
    assert "pobierzWizyte" in reused.fault["opis"]
    assert sim.call(soap_raw.book("SLT-999999", "w-3")).minor == "NieZnaleziono"
    visit = sim.call(soap_raw.book(second, "w-4", pesel=PESEL_B)).text("wizyta/idWizyty")
    other = sim.call("<cer:pobierzWizyte><cer:identyfikatorWizyty>w-1</cer:identyfikatorWizyty>"
                     "</cer:pobierzWizyte>").text("wizyta/idWizyty")
    move = sim.call(f"<cer:zmienTermin><cer:idWizyty>{visit}</cer:idWizyty>"
                    f"<cer:idSlotuNowego>{first}</cer:idSlotuNowego><cer:powod>x</cer:powod>"
                    "</cer:zmienTermin>")
    assert move.minor == "TerminZajety"
    cancel = f"<cer:anulujWizyte><cer:idWizyty>{other}</cer:idWizyty><cer:powod>x</cer:powod>" \
             "</cer:anulujWizyte>"
    assert sim.call(cancel).ok
    assert sim.call(cancel).minor == "WizytaAnulowana"
    assert sim.call(soap_raw.book(first, "w-5")).ok  # the cancelled visit's term is free again
    moved_cancelled = sim.call(f"<cer:zmienTermin><cer:idWizyty>{other}</cer:idWizyty>"
                               f"<cer:idSlotuNowego>{sim.place.slot_ids()[3]}</cer:idSlotuNowego>"
                               "<cer:powod>x</cer:powod></cer:zmienTermin>")
    assert moved_cancelled.minor == "WizytaAnulowana"
    unknown = sim.call("<cer:anulujWizyte><cer:idWizyty>WIZ-999999</cer:idWizyty>"
                       "<cer:powod>x</cer:powod></cer:anulujWizyte>")
    assert unknown.minor == "NieZnaleziono"
    slots = {slot["id"]: slot for slot in sim.state()["slots"]}
    assert all(slot["live_visits"] <= 1 for slot in slots.values())


def test_a_past_term_cannot_be_booked(onboarded_simulator):
    sim = onboarded_simulator
    slot_id, start, _ = sim.place.slots[sim.place.schedule_ids[0]][0]
    sim.control("POST", "clock", {"now": (start + dt.timedelta(hours=1)).isoformat()})
    assert sim.call(soap_raw.book(slot_id, "spoznione")).minor == "NiedozwolonyStan"
    sim.control("DELETE", "clock")
    assert sim.call(soap_raw.book(slot_id, "na-czas")).ok


def test_control_portal_booking_and_forced_overlaps(onboarded_simulator):
    sim = onboarded_simulator
    slot_id = sim.place.slot_ids()[10]
    sim.control("POST", "portal-booking", {"slot": slot_id, "pesel": PESEL_A})
    taken = sim.control("POST", "portal-booking", {"slot": slot_id, "pesel": PESEL_B},
                        expect=409)
    assert "zajęty" in taken["error"]
    sim.control("POST", "portal-booking", {"slot": slot_id, "pesel": PESEL_C}, expect=400)
    sim.control("POST", "portal-booking", {"slot": "SLT-999999", "pesel": PESEL_A}, expect=404)

    forced = sim.control("POST", "force-bookings", {"slot": slot_id, "count": 2})
    assert len(forced["visits"]) == 2 and all(visit["forced"] for visit in forced["visits"])
    read = sim.call(
        f"<cer:pobierzSloty><cer:idHarmonogramu>{sim.place.schedule_ids[0]}</cer:idHarmonogramu>"
        f"<cer:od>{soap_raw.iso(dt.datetime.now(WARSAW))}</cer:od>"
        f"<cer:do>{soap_raw.iso(dt.datetime.now(WARSAW) + dt.timedelta(days=200))}</cer:do>"
        "</cer:pobierzSloty>")
    [crowded] = [slot for slot in read.all("slot")
                 if slot.findtext("cer:idSlotu", None, NS) == slot_id]
    assert len(crowded.findall("cer:wizyta", NS)) == 3
    assert crowded.findtext("cer:stan", None, NS) == "ZAREZERWOWANY"
    state_slot = [slot for slot in sim.state()["slots"] if slot["id"] == slot_id][0]
    assert state_slot["live_visits"] == 3
    kinds = [n["kind"] for n in sim.state()["notifications"]]
    assert kinds == ["REZERWACJA_IKP"] * 3


def test_state_survives_a_restart(onboarded_simulator):
    sim = onboarded_simulator
    slot_id = sim.place.slot_ids()[0]
    visit_id = sim.call(soap_raw.book(slot_id, "po-restarcie")).text("wizyta/idWizyty")
    sim.control("POST", "portal-booking", {"slot": sim.place.slot_ids()[1], "pesel": PESEL_B})
    sim.control("POST", "notifications", {"url": "http://127.0.0.1:9/nikt"})
    before = sim.state(sections="places,schedules,slots,visits,notifications")
    sim.restart()
    after = sim.state(sections="places,schedules,slots,visits,notifications")
    for section in ("places", "schedules", "slots", "visits"):
        assert after[section] == before[section]
    assert [n["id"] for n in after["notifications"]] == [n["id"] for n in before["notifications"]]
    assert after["push"]["endpoint"]["url"] == "http://127.0.0.1:9/nikt"
    read = sim.call("<cer:pobierzWizyte><cer:identyfikatorWizyty>po-restarcie"
                    "</cer:identyfikatorWizyty></cer:pobierzWizyte>")
    assert read.text("wizyta/idWizyty") == visit_id
    # IDs keep counting after the restart: a new booking gets a new id.
    new = sim.call(soap_raw.book(sim.place.slot_ids()[2], "nowa")).text("wizyta/idWizyty")
    assert int(new.split("-")[1]) > int(visit_id.split("-")[1])


def test_reset_wipes_the_state(onboarded_simulator):
    sim = onboarded_simulator
    sim.control("POST", "faults", {"operation": "zarezerwujTermin", "kind": "http500"})
    sim.control("POST", "reset")
    state = sim.state()
    assert state["places"] == [] and state["slots"] == [] and state["faults"] == []
    assert sim.call("<cer:sprawdzStatus/>").ok


def test_initial_load_books_the_published_free_slot(simulator):
    _freeze(simulator)
    mus_id, (schedule,) = _place_with_schedules(simulator, 1)
    day = TODAY + dt.timedelta(days=1)
    slot_id = _publish(simulator, schedule, day, day, "p")[0]
    start = _at(day, 8)
    body = (f"<cer:zasilInicjalnie><cer:idMus>{mus_id}</cer:idMus><cer:wizyta>"
            "<cer:identyfikatorWizyty>przed-cer-1</cer:identyfikatorWizyty>"
            f"<cer:idHarmonogramu>{schedule}</cer:idHarmonogramu>"
            f"<cer:poczatek>{soap_raw.iso(start)}</cer:poczatek>"
            f"<cer:koniec>{soap_raw.iso(start + dt.timedelta(minutes=30))}</cer:koniec>"
            f"<cer:rodzajTerminu>PROCEDURA_DOMYSLNA</cer:rodzajTerminu>{soap_raw.patient()}"
            "</cer:wizyta></cer:zasilInicjalnie>")
    [item] = simulator.call(body).items()
    assert item["status"] == "PRZYJETY"
    [visit] = simulator.state()["visits"]
    assert visit["slot"] == slot_id and visit["id"] == item["idCer"]
    assert len(simulator.state()["slots"]) == 8  # no extra slot was created
    taken = simulator.call(body.replace("przed-cer-1", "przed-cer-2")).items()
    assert taken[0]["kodBledu"].endswith("TerminZajety")
