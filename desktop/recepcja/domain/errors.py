"""Errors raised by domain rules.

Messages are English source strings marked with ``N_`` (a no-op marker, so the domain stays free
of I/O); the boundary (CLI, GUI) translates them with ``recepcja.i18n.translate_error``. Named
``{placeholders}`` are filled from ``params`` after translation.
"""

from __future__ import annotations


def N_(message: str) -> str:  # the gettext convention for "mark, translate later"
    return message


class DomainError(ValueError):
    """A rule was broken by the input; the message is for the user."""

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message)
        self.message = message
        self.params = params

    def __str__(self) -> str:
        return self.message.format(**self.params)


class ValidationError(DomainError):
    """Input that can never be accepted as it is (bad PESEL, two phone numbers in one field...)."""


class ConflictError(DomainError):
    """Input that clashes with existing state (overlapping slots, a taken term...)."""


class ConfigurationError(DomainError):
    """This workstation's own set-up is at fault (no CeR address, no keyring, an unreadable
    certificate or password): nothing is wrong with the input or with CeR, and retrying will
    not help until an administrator fixes it. Work waiting for CeR stays queued meanwhile."""
