"""Acceptance of issue 4: the example practice onboarded through the CLI, as a subprocess,
against a real simulator over HTTP; interrupted after each step and resumed; activation refused
before 3 months are published; publish re-run is a no-op in CeR."""

from __future__ import annotations

import copy
import datetime as dt
from collections import Counter
from pathlib import Path

import pytest
from e2e_support import Cli

from recepcja.resources import resource
from recepcja.simulator.server import SimulatorServer
from support.polling import wait_until
from support.sim_control import SimControl

EXAMPLE = Path(__file__).resolve().parents[2] / "resources" / "practice.example.toml"
OPERATIONS = ("zapiszDaneMus", "importujMobilnePunktyObslugi", "zapiszHarmonogram",
              "zasilInicjalnie", "zapiszSloty", "aktywujMus")


class Sim(SimControl):
    def __init__(self, data: Path) -> None:
        self.server = SimulatorServer(data, validate_responses=True)
        self.url = self.server.start()

    def state(self, **filters: str) -> dict:
        return super().state(**(filters or {
            "sections": "places,mobile_points,schedules,slots,visits"}))


@pytest.fixture
def sim(tmp_path: Path):
    simulator = Sim(tmp_path / "sim")
    try:
        yield simulator
    finally:
        simulator.server.stop()


@pytest.fixture
def onboard_cli(cli, sim):
    cli.extra_env["RECEPCJA_CER_URL"] = sim.url + "/cer"
    return cli


def _initial_load_csv(folder: Path) -> Path:
    """Three good visits (next weeks' Monday/Tuesday terms) and two bad rows."""
    today = dt.date.today()
    monday = today + dt.timedelta(days=7 - today.weekday() + 7)  # a Monday 8-14 days ahead
    tuesday = monday + dt.timedelta(days=1)
    rows = [
        "visit_id;schedule;date;time;minutes;pesel;first_name;last_name;phone;urgency;"
        "referral_id",
        f"A1;Kardiologia - dr Nowak;{monday};08:00;;44051401359;Jan;Kowalski;600100200;stabilny;"
        "SK-1",
        f"A2;Kardiologia - dr Nowak;{monday};08:20;;02070803628;Anna;Nowak;;pilny;SK-2",
        f"A3;Mammobus 1;{tuesday};09:15;15;02070803628;Anna;Nowak;;;",
        f"A4;Nie ma takiego;{monday};08:40;;44051401359;Jan;Kowalski;;;SK-4",
        f"A5;Kardiologia - dr Nowak;{monday};08:40;;44051401358;Jan;Kowalski;;;SK-5",
    ]
    path = folder / "wizyty.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def _normalised(state: dict, after: dt.datetime | None = None) -> dict:
    """The parts of CeR's state onboarding decides, without volatile fields.

    ``after``: for two separate runs. Terms are published from five minutes after the moment
    of publishing on, so runs a minute apart may differ in today's first terms - and with them
    in every later term's row id: only the terms after ``after`` count, and whether each has
    our id (unique: ``_check_exactly_once``)."""
    slots = state["slots"] if after is None else [
        s for s in state["slots"] if dt.datetime.fromisoformat(s["start"]) > after]
    return {
        "places": sorted((p["rpwdl"]["czescVII"], p["state"], p["initial_load_sent"])
                         for p in state["places"]),
        "points": sorted(p["local_id"] for p in state["mobile_points"]),
        "schedules": sorted(s["local_id"] for s in state["schedules"]),
        "slots": sorted((s["schedule"], (s["local_id"] or "") if after is None
                         else bool(s["local_id"]), s["start"], s["end"], s["deleted"])
                        for s in slots),
        "visits": sorted((v["visit_uid"], v["start"], v["state"]) for v in state["visits"]),
    }


def _check_exactly_once(state: dict) -> None:
    slots = [s for s in state["slots"] if not s["deleted"]]
    assert len(slots) > 1000
    times = Counter((s["schedule"], s["start"]) for s in slots)
    assert max(times.values()) == 1  # no term twice
    local_ids = Counter((s["schedule"], s["local_id"]) for s in slots if s["local_id"])
    assert max(local_ids.values()) == 1
    uids = Counter(v["visit_uid"] for v in state["visits"])
    assert uids == {"IL-A1": 1, "IL-A2": 1, "IL-A3": 1}


def test_template_ships():
    assert resource("initial_load_template.csv").read_text(encoding="utf-8").startswith(
        "visit_id;schedule;date;time")
    assert resource("practice.example.toml").exists()


def test_example_practice_onboards_end_to_end(onboard_cli, sim, tmp_path):
    cli = onboard_cli
    result = cli("setup", "--config", str(EXAMPLE))
    assert result.code == 0, result.err
    again = cli("setup", "--config", str(EXAMPLE), "--json")
    assert again.code == 0 and again.json()["changed"] is False

    load = cli("initial-load", str(_initial_load_csv(tmp_path)), "--json")
    assert load.code == 1  # rows with errors
    report = load.json()
    assert report["imported"] == 3
    assert [e["row"] for e in report["errors"]] == [5, 6]
    assert "Nie ma takiego" in report["errors"][0]["reason"]

    result = cli("onboard", "--json")
    assert result.code == 0, (result.out[-2000:], result.err)
    steps = result.json()["steps"]
    assert {s["status"] for s in steps} == {"done", "skipped"}
    assert [s["step"] for s in steps[:6]] == ["register_place", "mobile_points", "schedules",
                                              "initial_load", "publish", "activate"]
    load_steps = [s for s in steps if s["step"] == "initial_load"]
    assert sum(s["accepted"] for s in load_steps) == 3

    state = sim.state()
    assert [p["state"] for p in state["places"]] == ["AKTYWNE", "AKTYWNE"]
    assert len(state["mobile_points"]) == 1 and len(state["schedules"]) == 3
    _check_exactly_once(state)
    reference = _normalised(state)

    # Reading CeR back right after onboarding finds both sides in agreement: the terms CeR
    # gave the initial-load visits were read back by onboarding, nothing is left to adopt.
    agreed = cli("reconcile", "--json")
    assert agreed.code == 0, (agreed.out[-1500:], agreed.err)
    assert agreed.json()["in_agreement"] is True
    assert agreed.json()["items"] == [], agreed.json()["items"][:5]

    # Running again and publishing again change nothing in CeR.
    rerun = cli("onboard", "--json")
    assert rerun.code == 0
    assert {s["status"] for s in rerun.json()["steps"]} <= {"already_done", "skipped", "done"}
    publish = cli("publish", "--json")
    assert publish.code == 0, publish.err
    assert publish.json()["published"] == 0 and publish.json()["withdrawn"] == 0
    assert _normalised(sim.state()) == reference

    # After activation CeR takes no initial load: a "corrected" file is refused as a whole,
    # with one line saying to book such visits, and nothing is stored to stay local-only.
    fixed = tmp_path / "wizyty.csv"
    text = fixed.read_text(encoding="utf-8").replace("Nie ma takiego", "Kardiologia - dr Nowak")
    fixed.write_text(text.replace("44051401358", "44051401359"), encoding="utf-8")
    second = cli("initial-load", str(fixed), "--json")
    assert second.code == 1 and second.out == ""
    assert second.err.count("\n") == 1 and "recepcja book" in second.err
    assert cli("onboard").code == 0  # nothing stranded: every step done or already done

    status = cli("status", "--json")
    compliance = status.json()["compliance"]
    assert compliance["places"][0]["active"] is True
    assert compliance["places"][0]["initial_load_sent"] is True
    assert all(s["horizon_ok"] for p in compliance["places"] for s in p["schedules"])
    assert compliance["visits_not_confirmed_in_cer"] == 0  # nothing local-only
    assert [d["code"] for d in compliance["deadlines"]] == ["schedules_in_cer",
                                                          "booking_through_cer"]


def _onboard_from_setup(cli, sim: Sim, folder: Path, fault: str | None) -> dict:
    """Set up the example practice, load the initial visits and onboard against ``sim``;
    with ``fault``, CeR commits that operation but its answer never arrives once, the run stops
    there, and the next one resumes. CeR's state at the end."""
    try:
        cli.extra_env["RECEPCJA_CER_URL"] = sim.url + "/cer"
        assert cli("setup", "--config", str(EXAMPLE)).code == 0
        assert cli("initial-load", str(_initial_load_csv(folder))).code == 1
        if fault is not None:
            sim.control("POST", "faults", {"operation": fault, "kind": "drop_response",
                                           "count": 1})
            stopped = cli("onboard")
            assert stopped.code == 3, (stopped.out, stopped.err)
            assert sim.control("GET", "faults")["faults"] == []
        result = cli("onboard")
        assert result.code == 0, (result.out[-2000:], result.err)
        if fault is None:  # CeR's states as words, as in the onboarding view
            assert "aktywne w CeR" in result.out and "AKTYWNE" not in result.out
        state = sim.state()
    finally:
        sim.server.stop()
    _check_exactly_once(state)
    return state


@pytest.fixture(scope="module")
def clean_onboarding(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """CeR's state after an uninterrupted onboarding from ``setup``: the same for every
    interrupted run to be compared with, so run once (each comparison copies it)."""
    folder = tmp_path_factory.mktemp("clean-onboarding")
    cli = Cli(home=folder / "home", extra_env={})
    return _onboard_from_setup(cli, Sim(folder / "sim"), folder, None)


@pytest.mark.slow
@pytest.mark.parametrize("operation", OPERATIONS)
def test_interrupted_onboarding_resumes_to_the_same_state(tmp_path, cli, operation,
                                                          clean_onboarding):
    """CeR commits the step's operation but the answer never arrives (the worst moment to
    crash); the run stops there. Running again ends in the state of an uninterrupted run."""
    resumed_state = _onboard_from_setup(cli, Sim(tmp_path / "sim-faulty"), tmp_path, operation)
    after = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=6)  # both runs' publishing lead
    clean, resumed = (_normalised(copy.deepcopy(state), after)
                      for state in (clean_onboarding, resumed_state))
    # Local ids are our row ids; both runs made the same rows, so CeR's view must match.
    assert resumed == clean


def test_activation_refused_before_three_months_with_explanation(onboard_cli, sim, tmp_path):
    """A horizon below the law is refused as a setting (``status`` says so instead of
    "horizon_ok"); a schedule that does not work after the deadline makes CeR refuse the
    activation, and the app says what to change — not "publish again", which would loop."""
    cli = onboard_cli
    cli.home.mkdir(parents=True, exist_ok=True)
    (cli.home / "settings.toml").write_text(
        "[publishing]\nhorizon_months = 1\nmargin_days = 0\n", encoding="utf-8")
    refused = cli("status", "--json")
    assert refused.code == 1 and refused.out == "" and refused.err.count("\n") == 1
    assert "horizon_months" in refused.err and "3" in refused.err
    (cli.home / "settings.toml").write_text("[publishing]\nmargin_days = 0\n", encoding="utf-8")

    today = dt.date.today()
    holiday = EXAMPLE.read_text(encoding="utf-8").replace(
        '{ first_day = 2026-12-28, last_day = 2026-12-31, reason = "urlop" },',
        f'{{ first_day = {today + dt.timedelta(days=30)}, '
        f'last_day = {today + dt.timedelta(days=900)}, reason = "urlop" }},')
    assert holiday != EXAMPLE.read_text(encoding="utf-8")
    (tmp_path / "praktyka.toml").write_text(holiday, encoding="utf-8")
    assert cli("setup", "--config", str(tmp_path / "praktyka.toml")).code == 0
    refused = cli("onboard")
    assert refused.code == 1
    assert "Kardiologia - dr Nowak" in refused.out and "aktywacj" in refused.out.lower()
    assert "recepcja setup" in refused.out  # the schedule must change: publishing cannot help
    states = {p["rpwdl"]["czescVII"]: p["state"] for p in sim.state()["places"]}
    assert states == {"001": "ZAREJESTROWANE", "002": "AKTYWNE"}  # only cardiology waits
    status = cli("status", "--json").json()["compliance"]
    nowak = status["places"][0]["schedules"][0]
    assert nowak["name"] == "Kardiologia - dr Nowak" and nowak["horizon_ok"] is False


def test_onboarding_killed_mid_publishing_resumes(onboard_cli, sim, tmp_path):
    """The process is killed (SIGKILL) while CeR is still working on a zapiszSloty batch, which
    CeR then commits; the next run completes without a duplicate."""
    import os
    import signal
    import subprocess
    import sys
    import time

    cli = onboard_cli
    assert cli("setup", "--config", str(EXAMPLE)).code == 0
    assert cli("initial-load", str(_initial_load_csv(tmp_path))).code == 1
    sim.control("POST", "faults", {"operation": "zapiszSloty", "kind": "delay", "seconds": 2,
                                   "count": 1})
    env = {**os.environ, "RECEPCJA_HOME": str(cli.home), "RECEPCJA_LANG": "pl",
           **cli.extra_env}
    process = subprocess.Popen([sys.executable, "-m", "recepcja", "onboard"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # the rule disappears when the call that sleeps takes it
        wait_until(lambda: not sim.control("GET", "faults")["faults"], "the delay rule taken")
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(10)
    time.sleep(2.5)  # CeR finishes and commits the batch nobody waits for any more
    assert sim.state()["places"][0]["state"] == "ZAREJESTROWANE"

    result = cli("onboard")
    assert result.code == 0, (result.out[-2000:], result.err)
    state = sim.state()
    assert [p["state"] for p in state["places"]] == ["AKTYWNE", "AKTYWNE"]
    _check_exactly_once(state)
