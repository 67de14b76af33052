"""Secrets (certificate passwords, credentials) live only in the OS keyring.

There is deliberately no fallback: when no usable keyring backend exists, or the only one is a
plaintext file, the caller gets ``SecretStoreUnavailable`` with a message naming what to install.
A silent plaintext store is exactly the counterexample the house style warns about.
"""

from __future__ import annotations

import sys

import keyring
import keyring.errors

from recepcja.domain.errors import N_, DomainError

SERVICE = "recepcja"

# Names of the secrets the app uses (keyring "username" under the SERVICE).
CLIENT_CERT_PASSWORD = "cer-client-cert-password"  # noqa: S105 - a key name, not a secret
SIGNING_KEY_PASSWORD = "cer-signing-key-password"  # noqa: S105
EXPORT_PASSWORD = "queue-export-password"  # noqa: S105
RECEIVER_SECRET = "notification-receiver-secret"  # noqa: S105
DATABASE_PASSWORD = "database-password"  # noqa: S105 - the practice database's (PostgreSQL)

_INSECURE_BACKENDS = ("PlaintextKeyring", "Keyring", "EncryptedKeyring")
_INSECURE_MODULES = ("keyrings.alt.file", "keyring.backends.fail", "keyring.backends.null")


class SecretStoreUnavailable(DomainError):
    """No secure keyring backend: the message says what to install."""


def _install_hint() -> str:
    if sys.platform.startswith("linux"):
        return N_(
            "No secure keyring is available. Install and start one, e.g. "
            "'apt-get install gnome-keyring' (Secret Service) or KWallet, then log in again."
        )
    return N_(
        "No secure keyring is available on this system (Windows Credential Manager or macOS "
        "Keychain is required)."
    )


def _backend_is_secure(backend: keyring.backend.KeyringBackend) -> bool:
    module = type(backend).__module__
    if any(module.startswith(prefix) for prefix in _INSECURE_MODULES):
        return False
    # keyring's chainer is secure only if it chains at least one secure backend.
    chained = getattr(backend, "backends", None)
    if chained is not None:
        return any(_backend_is_secure(b) for b in chained)
    return getattr(backend, "priority", 0) > 0


class SecretStore:
    """Thin, testable facade over keyring for the app's named secrets."""

    def __init__(self, service: str = SERVICE) -> None:
        self.service = service

    def _backend(self) -> keyring.backend.KeyringBackend:
        backend = keyring.get_keyring()
        if not _backend_is_secure(backend):
            raise SecretStoreUnavailable(_install_hint())
        return backend

    def available(self) -> bool:
        try:
            self._backend()
        except SecretStoreUnavailable:
            return False
        return True

    def get(self, name: str) -> str | None:
        try:
            return self._backend().get_password(self.service, name)
        except keyring.errors.NoKeyringError as exc:
            raise SecretStoreUnavailable(_install_hint()) from exc

    def set(self, name: str, value: str) -> None:
        try:
            self._backend().set_password(self.service, name, value)
        except keyring.errors.NoKeyringError as exc:
            raise SecretStoreUnavailable(_install_hint()) from exc

    def delete(self, name: str) -> None:
        try:
            self._backend().delete_password(self.service, name)
        except keyring.errors.PasswordDeleteError:
            return
        except keyring.errors.NoKeyringError as exc:
            raise SecretStoreUnavailable(_install_hint()) from exc
