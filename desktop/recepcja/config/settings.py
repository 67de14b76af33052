"""Settings: a human-readable TOML file in the data folder.

An admin may edit it by hand, so loading validates every value and names the offending key.
Secrets never go here (see ``config.secrets``); certificate *files* may, their passwords may not.
``RECEPCJA_CER_URL`` overrides the CeR endpoint without touching the file.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import tomli_w

from recepcja.domain.errors import N_, ValidationError

ENV_CER_URL = "RECEPCJA_CER_URL"
# P1's environments by name, with the hosts public P1 integrations use (to be confirmed in CeZ's
# integration documentation, docs/ADMIN.md section 3): the integration (test) platform, production.
P1_ENVIRONMENTS = MappingProxyType({
    "integration": "https://isus.ezdrowie.gov.pl",
    "production": "https://sus.ezdrowie.gov.pl",
})


@dataclass(slots=True)
class CerSettings:
    url: str = ""  # empty: not configured yet
    connect_timeout: float = 5.0
    read_timeout: float = 20.0
    verify_tls: bool = True
    ca_bundle: str = ""  # extra CA bundle file; empty = system CAs
    client_cert_file: str = ""  # mutual TLS (PEM); its key's password is in keyring
    client_key_file: str = ""
    signing_cert_file: str = ""  # WS-Security signing (PEM)
    signing_key_file: str = ""


@dataclass(slots=True)
class ProviderContext:
    """What goes into every call's kontekstWywolania header."""

    oid_root: str = "2.16.840.1.113883.3.4424.2.3.1"
    oid_extension: str = ""
    business_role: str = "PODMIOT_LECZNICZY"
    user: str = ""


@dataclass(slots=True)
class P1Settings:
    """P1's services besides CeR: the e-referral service (docs/ADMIN.md, section 3)."""

    environment: str = ""  # "", "integration" or "production" (P1_ENVIRONMENTS)
    referral_url: str = ""  # a full URL, or a path on the environment's host
    business_role: str = "PRACOWNIK_ADMINISTRACYJNY"  # P1's role for reception staff


@dataclass(slots=True)
class ReceiverSettings:
    """The notification endpoint CeR pushes to. Off by default (see docs/ADMIN.md)."""

    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = 8701
    max_body_bytes: int = 1_000_000
    # HTTPS served by the app itself (empty: plain HTTP, e.g. behind a TLS proxy); with a client
    # CA, only senders holding a certificate from it get through (docs/NOTIFICATIONS.md).
    tls_cert_file: str = ""
    tls_key_file: str = ""
    client_ca_file: str = ""


@dataclass(slots=True)
class PublishingSettings:
    horizon_months: int = 3
    margin_days: int = 14


@dataclass(slots=True)
class SyncSettings:
    """How the sync is watched: a change waiting for CeR longer than this is an alarm in
    ``status`` and the window's sync view."""

    outbox_alarm_minutes: int = 30


@dataclass(slots=True)
class DeskSettings:
    user: str = ""  # who is at the desk; defaults to the OS user
    language: str = "pl"


@dataclass(slots=True)
class PracticeSettings:
    """What the practice's printouts tell a patient: the number to call to cancel or move a
    visit (the registration desk's phone)."""

    phone: str = ""


@dataclass(slots=True)
class Settings:
    cer: CerSettings = field(default_factory=CerSettings)
    provider: ProviderContext = field(default_factory=ProviderContext)
    p1: P1Settings = field(default_factory=P1Settings)
    receiver: ReceiverSettings = field(default_factory=ReceiverSettings)
    publishing: PublishingSettings = field(default_factory=PublishingSettings)
    sync: SyncSettings = field(default_factory=SyncSettings)
    desk: DeskSettings = field(default_factory=DeskSettings)
    practice: PracticeSettings = field(default_factory=PracticeSettings)

    def effective_cer_url(self, environ: dict[str, str] | None = None) -> str:
        env = os.environ if environ is None else environ
        return env.get(ENV_CER_URL) or self.cer.url

    def effective_referral_url(self) -> str:
        """The e-referral service: ``[p1] referral_url`` as it is when it is a full URL, else
        that path on the host of ``[p1] environment``; empty when not configured."""
        url = self.p1.referral_url.strip()
        if not url or "://" in url:
            return url
        host = P1_ENVIRONMENTS.get(self.p1.environment)
        return f"{host}/{url.lstrip('/')}" if host else ""


def _coerce(section: str, key: str, value: Any, default: Any) -> Any:
    expected = type(default)
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
        raise ValidationError(
            N_("Settings: {key} must be of type {type}."),
            key=f"{section}.{key}",
            type=expected.__name__,
        )
    return value


def settings_from_dict(data: dict[str, Any]) -> Settings:
    settings = Settings()
    for section_field in dataclasses.fields(Settings):
        raw = data.get(section_field.name, {})
        if not isinstance(raw, dict):
            raise ValidationError(
                N_("Settings: [{key}] must be a section."), key=section_field.name
            )
        section = getattr(settings, section_field.name)
        known = {f.name for f in dataclasses.fields(section)}
        for key, value in raw.items():
            if key not in known:
                raise ValidationError(
                    N_("Settings: unknown key {key}."), key=f"{section_field.name}.{key}"
                )
            setattr(section, key, _coerce(section_field.name, key, value, getattr(section, key)))
    unknown_sections = set(data) - {f.name for f in dataclasses.fields(Settings)}
    if unknown_sections:
        raise ValidationError(
            N_("Settings: unknown section [{key}]."), key=sorted(unknown_sections)[0]
        )
    if settings.sync.outbox_alarm_minutes < 1:
        raise ValidationError(N_("Settings: {key} must be at least {minimum}."),
                              key="sync.outbox_alarm_minutes", minimum=1)
    if settings.practice.phone.strip():
        from recepcja.domain.phone import normalize_phone

        try:
            settings.practice.phone = normalize_phone(settings.practice.phone)
        except ValidationError as error:
            raise ValidationError(N_("Settings: {key} is not a valid phone number."),
                                  key="practice.phone") from error
    if settings.p1.environment and settings.p1.environment not in P1_ENVIRONMENTS:
        raise ValidationError(
            N_("Settings: {key} must be one of: {choices} (or empty)."), key="p1.environment",
            choices=", ".join(P1_ENVIRONMENTS))
    return settings


def load_settings(path: Path) -> Settings:
    """Settings from ``path``; defaults when the file does not exist yet."""
    if not path.exists():
        return Settings()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ValidationError(
            N_("Settings file {path} is not valid TOML: {error}"), path=str(path), error=str(exc)
        ) from exc
    return settings_from_dict(data)


def save_settings(path: Path, settings: Settings) -> None:
    """Write atomically (temp file + rename) so a crash never leaves half a settings file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".toml.tmp")
    tmp.write_text(
        "# Recepcja settings. Secrets are NOT stored here: they live in the OS keyring.\n"
        + tomli_w.dumps(dataclasses.asdict(settings)),
        encoding="utf-8",
    )
    os.replace(tmp, path)
