"""``recepcja reconcile [--json]`` and ``recepcja notifications pull`` against the simulator."""

from __future__ import annotations

import json

import pytest
import soap_raw
from notif_support import make_gateway, mirror

from recepcja.cli.main import main
from recepcja.config.settings import save_settings
from recepcja.services.context import AppContext
from recepcja.store import Repositories


@pytest.fixture
def cli_practice(onboarded_simulator, monkeypatch):
    monkeypatch.setenv("RECEPCJA_CER_URL", onboarded_simulator.soap_url)
    ctx = AppContext.load()
    # The app calls CeR as the provider that registered the place (soap_raw's OID): the
    # simulator refuses anyone else on that place.
    ctx.settings.provider.oid_extension = soap_raw.DEFAULT_CONTEXT["idPodmiotuOidExt"]
    save_settings(ctx.paths.settings, ctx.settings)
    repos = Repositories.open(ctx.paths.database)
    gateway = make_gateway(onboarded_simulator.soap_url)
    place = onboarded_simulator.place
    try:
        mirror(repos, gateway, place.mus_id, place.schedule_ids)
    finally:
        gateway.close()
        repos.close()
    return onboarded_simulator, ctx


def test_reconcile_json_agrees_then_reports_overbooking(cli_practice, capsys):
    sim, ctx = cli_practice
    sim.control("POST", "portal-booking", {"slot": sim.place.slot_ids()[2],
                                           "pesel": "44051401359"})
    assert main(["reconcile", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["in_agreement"] is True and result["schedules"] == 2
    assert result["slots_compared"] > 1000 and result["incidents"] is None

    slot = sim.place.slot_ids()[20]
    forced = {v["id"] for v in sim.control("POST", "force-bookings",
                                           {"slot": slot, "count": 3})["visits"]}
    assert main(["reconcile"]) == 1
    out = capsys.readouterr().out
    assert "CeR" in out and ".txt" in out
    incidents = sorted((ctx.paths.exports / "incidents").glob("*.txt"))
    assert incidents and all(visit in incidents[-1].read_text(encoding="utf-8")
                             for visit in forced)

    repos = Repositories.open(ctx.paths.database)
    try:
        assert repos.sync_state.get("reconcile.open_items") == "1"
    finally:
        repos.close()
    assert main(["status", "--json"]) == 0
    sync = json.loads(capsys.readouterr().out)["sync"]
    assert sync["open_drift_items"] == 1 and sync["last_reconciliation_at"]
    assert sync["last_notification_at"] and sync["unapplied_notifications"] == 0
    assert sync["last_incident_report"].endswith(".txt")


def test_notifications_pull_json(cli_practice, capsys):
    sim, _ctx = cli_practice
    sim.control("POST", "portal-booking", {"slot": sim.place.slot_ids()[4],
                                           "pesel": "02070803628"})
    assert main(["notifications", "pull", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["stored"] == 1 and result["applied"][0]["outcome"] == "applied"
    assert main(["notifications", "pull", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["received"] == 0


def test_reconcile_without_cer_is_one_line_and_exit_3(monkeypatch, capsys):
    monkeypatch.setenv("RECEPCJA_CER_URL", "http://127.0.0.1:9/cer")
    code = main(["reconcile", "--json"])
    err = capsys.readouterr().err
    assert code == 3 and err.count("\n") == 1 and err.startswith("recepcja:")


def test_notifications_serve_without_a_secret_says_so(monkeypatch, capsys):
    monkeypatch.setenv("RECEPCJA_CER_URL", "http://127.0.0.1:9/cer")
    assert main(["notifications", "serve"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "notification-receiver-secret" in err
