"""Secrets (certificate passwords, credentials) live only in the OS keyring.

There is deliberately no fallback: when no usable keyring backend exists, or the only one is a
plaintext file, the caller gets ``SecretStoreUnavailable`` with a message naming what to install.
A silent plaintext store is exactly the counterexample the house style warns about.
"""

from __future__ import annotations

import sys

import keyring
import keyring.errors

from recepcja.domain.errors import N_, ConfigurationError

SERVICE = "recepcja"

# Names of the secrets the app uses (keyring "username" under the SERVICE).
CLIENT_CERT_PASSWORD = "cer-client-cert-password"  # noqa: S105 - a key name, not a secret
SIGNING_KEY_PASSWORD = "cer-signing-key-password"  # noqa: S105
EXPORT_PASSWORD = "queue-export-password"  # noqa: S105
RECEIVER_SECRET = "notification-receiver-secret"  # noqa: S105
DATABASE_PASSWORD = "database-password"  # noqa: S105 - the practice database's (PostgreSQL)

_INSECURE_MODULES = ("keyrings.alt.file", "keyring.backends.fail", "keyring.backends.null")


class SecretStoreUnavailable(ConfigurationError):
    """No secure keyring backend, or the keyring cannot be read (locked, its service gone):
    the message says what to do. A configuration fault: work waiting for CeR stays queued."""


def _unreadable(exc: Exception) -> SecretStoreUnavailable:
    # Only the type: a backend's message may quote the service or account.
    return SecretStoreUnavailable(
        N_("The system keyring cannot be read ({kind}): unlock it or ask the administrator."),
        kind=type(exc).__name__,
    )


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
        except SecretStoreUnavailable:
            raise
        except Exception as exc:  # locked keyring, D-Bus gone, backend bug...
            raise _unreadable(exc) from exc

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


class ExportPasswordUnknown(SecretStoreUnavailable):
    """The keyring cannot be read, so whether an export must be encrypted is unknown."""


def export_password(store: SecretStore | None = None, *, unencrypted: bool = False) -> str | None:
    """The password exports are encrypted with (``queue-export-password``), or None when none
    is set. When the keyring cannot be read a password may well be set - written without it,
    the file would hold patients' data in the clear where the practice asked for encryption -
    so that is ExportPasswordUnknown, unless the user chose ``unencrypted`` knowingly."""
    if unencrypted:
        return None
    try:
        return (store or SecretStore()).get(EXPORT_PASSWORD) or None
    except SecretStoreUnavailable as error:
        raise ExportPasswordUnknown(
            N_("The keyring cannot be read, so the password for exports ('{name}') is unknown; "
               "nothing was written. Start or unlock the keyring, or write the file without a "
               "password knowingly (--unencrypted)."), name=EXPORT_PASSWORD) from error
