"""Errors classified by what is safe next, through the real ``recepcja`` command against a
simulator over HTTP:

- a value CeR's contract does not allow (a 300-character referral) is refused before anything
  is saved: one line, exit 1, the term stays free, the queue stays empty;
- a booking CeR truly rejects is ``rejected`` (exit 1), never ``queued``, and stays visible in
  ``queue list`` (text and JSON) while its term is held here;
- with no usable keyring for the signing key's password the booking is queued and "waits for
  the administrator" — in ``book``, ``queue list`` and ``status`` — and goes through by
  itself once the set-up is fixed.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from e2e_support import published_free_terms

from support import sim_control

PESELS = ("44051401359", "02070803628")


def _free(cli) -> list[dict]:
    return published_free_terms(cli, dt.date.today() + dt.timedelta(days=2), 4, "cardiology")


def _signing_files(folder: Path) -> tuple[Path, Path]:
    import trustme

    leaf = trustme.CA(key_type=trustme.KeyType.RSA).issue_cert(
        "podmiot.example.pl", key_type=trustme.KeyType.RSA)
    key = serialization.load_pem_private_key(leaf.private_key_pem.bytes(), password=None)
    key_file, cert_file = folder / "podpis-klucz.pem", folder / "podpis-cert.pem"
    key_file.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"haslo")))
    leaf.cert_chain_pems[0].write_to_path(str(cert_file))
    return key_file, cert_file


def _withdraw_in_cer(cli, sim: str, slot: dict, monkeypatch) -> None:
    """CeR no longer has the term (withdrawn there by the provider's other system): a booking
    of it is refused for good. Done as this practice, through its own gateway."""
    from recepcja.config.paths import AppPaths
    from recepcja.services.context import AppContext
    from recepcja.services.gateway_factory import gateway_from_context
    from recepcja.store.repos import Repositories

    ctx = AppContext.load(AppPaths(cli.home))
    repos = Repositories.over(ctx.open_db())
    try:
        schedule = repos.schedules.get(slot["schedule"])
    finally:
        repos.close()
    monkeypatch.setenv("RECEPCJA_CER_URL", sim + "/cer")
    with gateway_from_context(ctx) as gateway:
        [item] = gateway.delete_slots(schedule.cer_id, [slot["cer_id"]])
    assert item.accepted


def test_contract_violation_rejection_and_administrator_waits(cli, onboarded, tmp_path,
                                                              monkeypatch):
    sim = onboarded  # the example practice, set up and onboarded
    for pesel, (first, last) in zip(PESELS, (("Jan", "Kowalski"), ("Anna", "Nowak")),
                                    strict=True):
        assert cli("patients", "add", "--pesel", pesel, "--first-name", first,
                   "--last-name", last).code == 0
    slots = _free(cli)

    # 1. Too long for CeR's contract: refused before anything is written.
    long = cli("book", "--patient", PESELS[0], "--slot", str(slots[0]["id"]),
               "--urgency", "stable", "--referral", "S" * 300, "--json")
    assert long.code == 1 and long.out == "", long.out
    assert long.err.count("\n") == 1 and "64" in long.err and "CeR" in long.err
    assert cli("queue", "list", "--json").json() == []
    free_ids = {s["id"] for s in _free(cli)}
    assert slots[0]["id"] in free_ids

    # 2. CeR refuses the booking for good: "rejected", exit 1, and it stays in the queue.
    _withdraw_in_cer(cli, sim, slots[1], monkeypatch)
    refused = cli("book", "--patient", PESELS[0], "--slot", str(slots[1]["id"]),
                  "--referral", "SKIER-1", "--urgency", "stable", "--json")
    assert refused.code == 1, (refused.out, refused.err)
    answer = refused.json()
    assert answer["state"] == "rejected" and answer["rejected"]
    assert refused.err.count("\n") == 1 and "odrzucił" in refused.err
    listed = cli("queue", "list", "--json").json()
    assert [(e["visit_id"], e["state"]) for e in listed] == [(answer["visit_id"], "rejected")]
    assert listed[0]["reason"] == answer["rejected"]
    text = cli("queue", "list")
    assert "odrzucone przez CeR" in text.out and answer["rejected"] in text.out

    # 3. No keyring for the signing key's password: waits for the administrator, is retried.
    key_file, cert_file = _signing_files(tmp_path)
    settings = cli.home / "settings.toml"
    settings.write_text(f'[cer]\nsigning_key_file = "{key_file}"\n'
                        f'signing_cert_file = "{cert_file}"\n', encoding="utf-8")
    cli.extra_env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    waiting = cli("book", "--patient", PESELS[1], "--slot", str(slots[2]["id"]),
                  "--referral", "SKIER-1", "--urgency", "urgent", "--json")
    assert waiting.code == 0, waiting.err
    booked = waiting.json()
    assert booked["state"] == "queued" and booked["waiting_for"] == "administrator"
    assert "sejf" in booked["reason"]
    human = cli("book", "--patient", PESELS[1], "--slot", str(slots[3]["id"]),
                "--referral", "SKIER-1", "--urgency", "stable")
    assert human.code == 0 and "administrator" in human.out
    listed = {e["visit_id"]: e for e in cli("queue", "list", "--json").json()}
    assert listed[booked["visit_id"]]["waiting_for"] == "administrator"
    assert listed[booked["visit_id"]]["state"] != "rejected"
    assert "czeka na administratora" in cli("queue", "list").out
    status = cli("status", "--json").json()
    assert "sejf" in status["cer"]["waiting_for_administrator"]["reason"]
    assert "administratora" in cli("status").out
    assert not [v for v in sim_control.state(sim, sections="visits")["visits"]
                if v["visit_uid"] == booked["visit_uid"]]

    settings.unlink()  # the administrator fixes the set-up (here: no signing key needed)
    del cli.extra_env["PYTHON_KEYRING_BACKEND"]
    sent = 0
    for _attempt in range(20):  # each row is due again after its backoff (1 s, then 2 s)
        synced = cli("sync", "--once", "--json")
        assert synced.code == 0, synced.err
        sent += synced.json()["done"]
        if synced.json()["pending"] == 0:
            break
    assert sent == 2
    assert cli("status", "--json").json()["cer"]["waiting_for_administrator"] is None
    remaining = cli("queue", "list", "--json").json()
    assert [e["state"] for e in remaining] == ["rejected"]  # still owed a person's decision


def test_book_against_a_hung_cer_ends_at_the_deadline_and_is_read_back(cli, onboarded):
    """CeR takes the booking and then trickles its answer a byte at a time: ``book`` ends at
    the call's deadline with the visit queued (its row "to be checked": the request may have
    reached CeR), and the next sync reads CeR back before sending anything again."""
    from misbehaving_cer import MisbehavingCer

    sim = onboarded  # the example practice, set up and onboarded
    assert cli("patients", "add", "--pesel", PESELS[0], "--first-name", "Jan",
               "--last-name", "Kowalski").code == 0
    slot = _free(cli)[0]
    (cli.home / "settings.toml").write_text("[cer]\ncall_deadline = 2\n", encoding="utf-8")
    with MisbehavingCer("trickle") as hung:
        cli.extra_env["RECEPCJA_CER_URL"] = hung.url
        booked = cli("book", "--patient", PESELS[0], "--slot", str(slot["id"]),
                     "--referral", "SKIER-1", "--urgency", "urgent", "--json", timeout=90)
        assert hung.requests_seen == 1
    assert booked.code == 0, booked.err
    answer = booked.json()
    assert answer["state"] == "queued" and "2 s" in answer["reason"], answer
    [entry] = cli("queue", "list", "--json").json()
    assert entry["state"] == "ambiguous"  # read back before any resend

    cli.extra_env["RECEPCJA_CER_URL"] = sim + "/cer"
    synced = cli("sync", "--once", "--json")
    assert synced.code == 0 and synced.json()["settled"] == 1 and synced.json()["done"] == 1
    visits = sim_control.state(sim, sections="visits")["visits"]
    assert [v["visit_uid"] for v in visits].count(answer["visit_uid"]) == 1
