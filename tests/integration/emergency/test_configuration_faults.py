"""Local trouble is not CeR's rejection: with no usable keyring (so no password for the signing
key) a booking waits for the administrator — retried, shown with a Polish reason — and goes
through once the keyring works again. Real simulator over HTTP, real signing key, a real
keyring backend that refuses (``keyring.backends.fail``)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import keyring
import keyring.backends.fail
import pytest
import soap_raw
from cryptography.hazmat.primitives import serialization
from emergency_support import add_patient, pesels

from recepcja.cer.errors import CerConfigError, needs_administrator
from recepcja.config.paths import AppPaths
from recepcja.config.secrets import SIGNING_KEY_PASSWORD, SecretStore, SecretStoreUnavailable
from recepcja.domain.model import Urgency, VisitState
from recepcja.services import booking
from recepcja.services.context import AppContext
from recepcja.services.emergency import queue_entries, queue_row
from recepcja.services.gateway_factory import gateway_from_context
from recepcja.store.records import OutboxState
from recepcja.sync.monitor import ConnectivityMonitor
from recepcja.sync.replay import Replayer
from recepcja.sync.terms import configuration_problem

PASSWORD = "haslo-do-klucza"  # a test key's password


@pytest.fixture
def signing_files(tmp_path: Path) -> tuple[Path, Path]:
    """A provider certificate and its password-protected key (as a real signing key is)."""
    import trustme

    ca = trustme.CA(key_type=trustme.KeyType.RSA)
    leaf = ca.issue_cert("podmiot.example.pl", key_type=trustme.KeyType.RSA)
    key = serialization.load_pem_private_key(leaf.private_key_pem.bytes(), password=None)
    key_file, cert_file = tmp_path / "podpis-klucz.pem", tmp_path / "podpis-cert.pem"
    key_file.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(PASSWORD.encode())))
    leaf.cert_chain_pems[0].write_to_path(str(cert_file))
    return key_file, cert_file


def _context(tmp_path: Path, soap_url: str, signing: tuple[Path, Path]) -> AppContext:
    ctx = AppContext.load(AppPaths(tmp_path / "home"))
    cer = ctx.settings.cer
    cer.url = soap_url
    cer.signing_key_file, cer.signing_cert_file = str(signing[0]), str(signing[1])
    provider = ctx.settings.provider
    provider.oid_root = soap_raw.DEFAULT_CONTEXT["idPodmiotuOidRoot"]
    provider.oid_extension = soap_raw.DEFAULT_CONTEXT["idPodmiotuOidExt"]
    return ctx


def test_no_keyring_keeps_the_booking_waiting_for_the_administrator(
        repos, local, onboarded_simulator, tmp_path, signing_files, memory_keyring):
    sim = onboarded_simulator
    ctx = _context(tmp_path, sim.soap_url, signing_files)
    patient = add_patient(repos, pesels(1, start=70)[0], 70)
    start = dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
    [slot] = [s.id for s in repos.slots.free_from(local.schedule_ids[0], start, 1)]
    result = booking.book(repos, patient, slot, Urgency.STABLE, user="ania")
    monitor = ConnectivityMonitor(repos)

    keyring.set_keyring(keyring.backends.fail.Keyring())  # a workstation without a keyring
    with pytest.raises(SecretStoreUnavailable):
        SecretStore().get(SIGNING_KEY_PASSWORD)
    with gateway_from_context(ctx) as gw:
        report = Replayer(repos, gw, observe=monitor.observe).run()
    assert report.rejected == 0 and report.stopped_by
    entry = repos.outbox.get(result.outbox_id)
    assert entry.state == OutboxState.FAILED, entry  # waiting and retried, not rejected
    assert entry.next_attempt_at is not None
    assert repos.visits.get(result.visit.id).state == VisitState.PENDING
    problem = configuration_problem(repos)
    assert problem is not None and "sejf" in problem["reason"], problem  # Polish, says what
    [queued] = queue_entries(repos)
    assert queued.waiting_for == "administrator" and queued.reason == problem["reason"]
    assert problem["reason"] in queue_row(1, queued)[17]  # the dock's and sheet's outcome
    assert not [v for v in sim.state(sections="visits")["visits"]
                if v["visit_uid"] == result.visit.visit_uid]  # nothing reached CeR

    keyring.set_keyring(memory_keyring)  # the administrator installs and fills the keyring
    SecretStore().set(SIGNING_KEY_PASSWORD, PASSWORD)
    later = entry.next_attempt_at + dt.timedelta(seconds=1)  # its retry is due
    with gateway_from_context(ctx) as gw:
        again = Replayer(repos, gw, observe=monitor.observe, clock=lambda: later).run()
    assert again.done == 1, again
    assert repos.visits.get(result.visit.id).state == VisitState.CONFIRMED
    assert configuration_problem(repos) is None  # a good call clears it
    assert queue_entries(repos) == []


def test_a_keyring_fault_is_a_configuration_error_never_a_bug(signing_files, memory_keyring):
    from recepcja.cer.errors import map_exception
    from recepcja.cer.security import load_signature
    from recepcja.cer.types import SigningConfig

    def locked() -> str:
        raise keyring.errors.KeyringLocked("locked")

    key, cert = signing_files
    with pytest.raises(CerConfigError) as info:
        load_signature(SigningConfig(str(key), str(cert), locked))
    assert needs_administrator(info.value)
    with pytest.raises(CerConfigError) as info:  # an unreadable password: the same
        load_signature(SigningConfig(str(key), str(cert), lambda: "not the password"))
    assert needs_administrator(info.value)
    error = map_exception(SecretStoreUnavailable("no keyring"), "zarezerwujTermin")
    assert isinstance(error, CerConfigError) and needs_administrator(error)
    store = SecretStore()
    keyring.set_keyring(_Locked())
    with pytest.raises(SecretStoreUnavailable):
        store.get(SIGNING_KEY_PASSWORD)


class _Locked(keyring.backend.KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("the user did not unlock it")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.KeyringLocked("the user did not unlock it")

    def delete_password(self, service: str, username: str) -> None:
        raise keyring.errors.KeyringLocked("the user did not unlock it")
