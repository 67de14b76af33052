"""Exactly once, proved point by point (issue 12): the real ``recepcja`` command is killed with
SIGKILL right after each named commit (``recepcja.crashpoints``), restarted, one
``recepcja sync --once`` runs, and the local database and CeR's state (the simulator's
``/_control/state``) are exactly those of the same run without a kill.

Every point in ``CRASH_POINTS`` has a case here (a test fails when one is missing), and each
case checks that the process really died at its point. The replay's points are also hit for
each kind of row (booking, move, waiting list, cancellation, change) by scenarios where that row
comes first. The start states are built once per scenario (``crash_scenarios``) and copied for
every run.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import crash_scenarios as scenarios
import pytest
from emergency_support import pesels

from recepcja.crashpoints import CRASH_POINTS, ENV
from recepcja.simulator.server import SimulatorServer
from support import sim_control

pytestmark = pytest.mark.slow

SYNC = ("sync", "--once", "--json")
PULL = ("notifications", "pull", "--json")
RECONCILE = ("reconcile", "--json")
BOOK = ("book",)  # completed with the scenario's patient and term
BOOK_REFERRAL = ("book", "--referral")  # ... and the e-referral the patient brought
KILLED = -signal.SIGKILL

BUILDERS: dict[str, Callable[[scenarios.Built], None]] = {
    "bookings": scenarios.replay_bookings,
    "changes": scenarios.replay_changes,
    "waiting_list": scenarios.replay_waiting_list,
    "desk": scenarios.desk_booking,
    "notifications": scenarios.notifications,
    "reconcile": scenarios.reconcile_drift,
    "referral": scenarios.referral_booking,
    "referral_desk": scenarios.referral_desk,
}


@dataclass(frozen=True)
class Case:
    point: str
    scenario: str
    steps: tuple[tuple[tuple[str, ...], str | None], ...]  # (command, the point it dies at)
    faults: tuple[tuple[str, str], ...] = ()  # (operation, kind) once each, set before the run

    @property
    def id(self) -> str:
        return f"{self.point}-{self.scenario}"


def one(command: tuple[str, ...], point: str) -> tuple[tuple[tuple[str, ...], str | None], ...]:
    return ((command, point),)


CASES = [
    Case("desk.after_write", "desk", one(BOOK, "desk.after_write")),
    Case("replay.after_claim", "bookings", one(SYNC, "replay.after_claim")),
    Case("replay.after_cer_answer", "bookings", one(SYNC, "replay.after_cer_answer")),
    Case("replay.after_finish", "bookings", one(SYNC, "replay.after_finish")),
    Case("replay.after_move", "bookings", one(SYNC, "replay.after_move")),
    Case("replay.after_leave_term", "bookings", one(SYNC, "replay.after_leave_term")),
    Case("replay.after_release", "bookings", one(SYNC, "replay.after_release"),
         (("pobierzSloty", "http503"),)),
    Case("replay.after_failure", "bookings", one(SYNC, "replay.after_failure"),
         (("zarezerwujTermin", "drop_response"),)),
    Case("replay.after_recover", "bookings",
         ((SYNC, "replay.after_claim"), (SYNC, "replay.after_recover"))),
    Case("replay.after_requeue", "bookings",
         ((SYNC, "replay.after_claim"), (SYNC, "replay.after_requeue"))),
    Case("replay.after_cer_answer", "changes", one(SYNC, "replay.after_cer_answer")),
    Case("replay.after_finish", "changes", one(SYNC, "replay.after_finish")),
    Case("replay.after_put_back", "changes", one(SYNC, "replay.after_put_back")),
    Case("replay.after_cer_answer", "waiting_list", one(SYNC, "replay.after_cer_answer")),
    Case("replay.after_finish", "waiting_list", one(SYNC, "replay.after_finish")),
    # Booked, then the e-referral taken into realisation in P1: each exactly once.
    Case("replay.after_finish", "referral", one(SYNC, "replay.after_finish")),
    Case("referral.after_p1_answer", "referral", one(SYNC, "referral.after_p1_answer")),
    # `book --referral`: killed between the booking (stored with its take row) and sending.
    Case("desk.after_write", "referral_desk", one(BOOK_REFERRAL, "desk.after_write")),
    Case("notifications.after_patient", "notifications", one(PULL, "notifications.after_patient")),
    Case("notifications.after_store_visit", "notifications",
         one(PULL, "notifications.after_store_visit")),
    Case("notifications.after_applied", "notifications", one(PULL, "notifications.after_applied")),
    *[Case(point, "reconcile", one(RECONCILE, point)) for point in CRASH_POINTS
      if point.startswith("reconcile.")],
]


def test_every_crash_point_has_a_case():
    # The merge of a desk's offline queue has its cases in test_server_absence_merge.py.
    merge_points = {point for point in CRASH_POINTS if point.startswith("practice_merge.")}
    assert {case.point for case in CASES} == set(CRASH_POINTS) - merge_points


# --- running the command ------------------------------------------------------------------


@pytest.fixture(scope="module")
def start_states(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """A scenario's stopped start state, built at first use."""
    built: dict[str, Path] = {}

    def state(name: str) -> Path:
        if name not in built:
            root = tmp_path_factory.mktemp(f"start-{name}")
            scenarios.build(root, BUILDERS[name])
            built[name] = root
        return built[name]

    return state


@pytest.fixture(scope="module")
def calm_runs() -> dict[tuple[Any, ...], dict[str, Any]]:
    """End states of runs without a kill, by (scenario, commands, faults)."""
    return {}


def _command(home: Path, command: tuple[str, ...]) -> tuple[str, ...]:
    if command not in (BOOK, BOOK_REFERRAL):
        return command
    terms = json.loads((home.parent / "terms.json").read_text())
    referral = (("--referral", json.loads((home.parent / "extra.json").read_text())["referral"])
                if command == BOOK_REFERRAL else ())
    return ("book", "--patient", pesels(1, start=100)[0], "--slot", str(terms[0][0]),
            "--urgency", "stable", *referral, "--json")


def _recepcja(home: Path, sim: SimulatorServer, command: tuple[str, ...],
              crash_at: str | None) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != ENV}
    env.update(RECEPCJA_HOME=str(home), RECEPCJA_CER_URL=sim.url + "/cer", RECEPCJA_LANG="pl",
               RECEPCJA_REFERRAL_URL=sim.url + "/p1/skierowania")
    if crash_at is not None:
        env[ENV] = crash_at
    return subprocess.run([sys.executable, "-m", "recepcja", *_command(home, command)],
                          check=False, capture_output=True, text=True, env=env, timeout=120,
                          stdin=subprocess.DEVNULL)


@dataclass
class Run:
    end: dict[str, Any]
    results: list[subprocess.CompletedProcess[str]]


def _run(state: Path, folder: Path, steps: list[tuple[tuple[str, ...], str | None]],
         faults: tuple[tuple[str, str], ...]) -> Run:
    shutil.copytree(state, folder)
    sim = SimulatorServer(folder / "sim", validate_responses=True)
    sim.start()
    try:
        for operation, kind in faults:
            sim_control.control(sim.url, "POST", "faults",
                                {"operation": operation, "kind": kind, "count": 1})
        results = [_recepcja(folder / "home", sim, command, crash_at)
                   for command, crash_at in steps]
        return Run(scenarios.snapshot(folder / "home", sim.url), results)
    finally:
        sim.stop()


def _open_rows(end: dict[str, Any]) -> list[Any]:
    return [row for row in end["outbox"] if row[2] not in ("done", "rejected")]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_a_kill_right_after_a_commit_ends_as_a_run_without_it(
        case: Case, start_states, calm_runs, tmp_path: Path) -> None:
    state = start_states(case.scenario)
    commands = tuple(command for command, _ in case.steps)
    key = (case.scenario, commands, case.faults)
    if key not in calm_runs:
        calm = _run(state, tmp_path / "calm", [(command, None) for command in commands]
                    + [(SYNC, None)], case.faults)
        assert calm.end["integrity"] == "ok" and not _open_rows(calm.end), calm.end["outbox"]
        calm_runs[key] = calm.end
    expected = calm_runs[key]

    # Killed at the point, then restarted (a desk command is not repeated: its change is
    # stored, the sync sends it), then one sync.
    last = commands[-1]
    restart = [] if last in (BOOK, BOOK_REFERRAL) else [(last, None)]
    crashed = _run(state, tmp_path / "crashed", [*case.steps, *restart, (SYNC, None)],
                   case.faults)
    for (command, point), result in zip(case.steps, crashed.results, strict=False):
        if point is not None:
            assert result.returncode == KILLED, (
                f"{' '.join(command)} did not die at {point}: exit {result.returncode}\n"
                f"{result.stdout[-1500:]}\n{result.stderr[-1500:]}")
    sync = crashed.results[-1]
    assert sync.returncode == 0, sync.stderr[-2000:]
    assert crashed.end == expected
    if case.scenario.startswith("referral"):  # booked, and the e-referral taken once
        assert [referral[1:3] + [referral[4]] for referral in crashed.end["p1_referrals"]] == [
            ["U_REALIZATORA", ["2.16.840.1.113883.3.4424.2.3.1", "000000012345"],
             ["wystawienie", "przyjecie"]]]
        assert [row[3] for row in crashed.end["outbox"]] == ["booked", "referral_taken"]


@pytest.fixture(autouse=True)
def _no_stray_crash_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv(ENV, raising=False)
    yield
