from __future__ import annotations

import logging

import keyring
import pytest
from keyring.backends import fail

from recepcja.config.logs import LOG_FILE, mask_personal_data, setup_logging
from recepcja.config.secrets import SecretStore, SecretStoreUnavailable
from recepcja.i18n import translate_error


def test_secret_round_trip_through_keyring(memory_keyring):
    store = SecretStore()
    store.set("cer-client-cert-password", "s3cret")
    assert store.get("cer-client-cert-password") == "s3cret"
    assert memory_keyring.secrets[("recepcja", "cer-client-cert-password")] == "s3cret"
    store.delete("cer-client-cert-password")
    assert store.get("cer-client-cert-password") is None


def test_no_keyring_backend_is_a_clear_error_not_a_fallback():
    keyring.set_keyring(fail.Keyring())
    store = SecretStore()
    assert not store.available()
    with pytest.raises(SecretStoreUnavailable) as info:
        store.set("x", "y")
    message = translate_error(info.value)
    assert "gnome-keyring" in message or "Windows" in message


def test_plaintext_keyring_is_refused():
    class PlaintextKeyring(keyring.backend.KeyringBackend):
        priority = 1

        def get_password(self, service, username):
            return None

        def set_password(self, service, username, password):
            raise AssertionError("must never be called")

        def delete_password(self, service, username):
            return None

    PlaintextKeyring.__module__ = "keyrings.alt.file"
    keyring.set_keyring(PlaintextKeyring())
    with pytest.raises(SecretStoreUnavailable):
        SecretStore().set("x", "y")


def test_pesel_masked_in_log_file(tmp_path):
    handler = setup_logging(tmp_path)
    try:
        logging.getLogger("recepcja.test").info("booked for %s ok", "44051401359")
        logging.getLogger("recepcja.test").warning("raw 02070803628 in message")
        handler.flush()
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()
    text = (tmp_path / LOG_FILE).read_text(encoding="utf-8")
    assert "44051401359" not in text and "02070803628" not in text
    assert "440514*****" in text and "020708*****" in text


def test_mask_covers_phones_and_leaves_other_numbers():
    assert mask_personal_data("slot 123456, phone +48601234567, id 44051401359") == (
        "slot 123456, phone [TEL], id 440514*****"
    )
