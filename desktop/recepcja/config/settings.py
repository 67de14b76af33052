"""Settings: a human-readable TOML file in the data folder.

An admin may edit it by hand, so loading validates every value and names the offending key.
Secrets never go here (see ``config.secrets``); certificate *files* may, their passwords may not.
``RECEPCJA_CER_URL`` overrides the CeR endpoint without touching the file, and
``RECEPCJA_DATABASE_URL`` the practice database (``[database] url``).
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from recepcja.config.toml_errors import toml_problem
from recepcja.domain.errors import N_, ValidationError
from recepcja.domain.horizon import check_configured_months
from recepcja.domain.workstation import Workstation, validate_prefix

ENV_CER_URL = "RECEPCJA_CER_URL"
ENV_REFERRAL_URL = "RECEPCJA_REFERRAL_URL"  # the e-referral service's full URL (tests, training)
# P1's environments by name, with the hosts public P1 integrations use (to be confirmed in CeZ's
# integration documentation, docs/ADMIN.md section 3): the integration (test) platform, production.
P1_ENVIRONMENTS = MappingProxyType({
    "integration": "https://isus.ezdrowie.gov.pl",
    "production": "https://sus.ezdrowie.gov.pl",
})
ENV_DATABASE_URL = "RECEPCJA_DATABASE_URL"
# P1's business role for reception staff (the context header's rolaBiznesowa) for CeR and the
# e-referral service alike.
RECEPTION_ROLE = "PRACOWNIK_ADMINISTRACYJNY"
# What [provider] business_role defaulted to before CeR took P1's header; not a role P1 knows,
# and saved into every settings file written then, so it reads as the current default.
_OLD_DEFAULT_ROLE = "PODMIOT_LECZNICZY"
MAX_IN_FLIGHT_CAP = 32  # [cer] max_in_flight: a good citizen of a national service
_URL_SCHEMES = ("postgresql://", "postgres://")


@dataclass(slots=True)
class CerSettings:
    url: str = ""  # empty: not configured yet
    connect_timeout: float = 5.0
    read_timeout: float = 20.0  # per read (restarted by every byte that arrives)
    call_deadline: float = 60.0  # every CeR call ends within this, however CeR behaves
    verify_tls: bool = True
    ca_bundle: str = ""  # extra CA bundle file; empty = system CAs
    client_cert_file: str = ""  # mutual TLS (PEM); its key's password is in keyring
    client_key_file: str = ""
    signing_cert_file: str = ""  # WS-Security signing (PEM)
    signing_key_file: str = ""
    # CeR calls the replay keeps in flight at once (sync.in_flight; lowered by itself while
    # CeR is busy or slow). 1: one at a time.
    max_in_flight: int = 12


@dataclass(slots=True)
class ProviderContext:
    """What goes into every call's kontekstWywolania header."""

    oid_root: str = "2.16.840.1.113883.3.4424.2.3.1"
    oid_extension: str = ""
    business_role: str = RECEPTION_ROLE  # rolaBiznesowa of CeR's calls
    user: str = ""


@dataclass(slots=True)
class P1Settings:
    """P1's services besides CeR: the e-referral service (docs/ADMIN.md, section 3)."""

    environment: str = ""  # "", "integration" or "production" (P1_ENVIRONMENTS)
    referral_url: str = ""  # a full URL, or a path on the environment's host
    business_role: str = RECEPTION_ROLE  # P1's role for reception staff
    # Marking a patient arrived marks the visit's e-referral realised in P1 (the outbox).
    realise_on_attendance: bool = False


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
    # Plain HTTP on a host other than this computer is refused unless this says the network
    # between a TLS proxy and the workstation is the practice's own (a loud warning then).
    allow_plain_http: bool = False


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
class DatabaseSettings:
    """Where the practice's data lives. Empty: the embedded SQLite file in the data folder (one
    desk). A ``postgresql://user@server/database`` URL: the practice database several desks
    share - without its password, which lives in the keyring (``database-password``) or in
    libpq's password file (docs/ADMIN.md)."""

    url: str = ""


@dataclass(slots=True)
class DeskSettings:
    user: str = ""  # who is at the desk; defaults to the OS user
    language: str = "pl"


@dataclass(slots=True)
class WorkstationSettings:
    """This computer as a desk (``domain.workstation``): its local patient IDs carry the prefix,
    so two desks in one outage never give the same ID."""

    name: str = ""  # empty: the computer's host name
    prefix: str = ""  # 2-4 letters/digits from a letter, e.g. "R1"; empty: derived from name


@dataclass(slots=True)
class PracticeSettings:
    """What the practice's printouts tell a patient: the number to call to cancel or move a
    visit (the registration desk's phone)."""

    phone: str = ""


def _host_name() -> str:
    """The computer's name (``socket.gethostname()``; on POSIX read without importing the
    socket module, which the desk's start does not otherwise need)."""
    if hasattr(os, "uname"):
        return os.uname().nodename
    import socket

    return socket.gethostname()


@dataclass(slots=True)
class Settings:
    cer: CerSettings = field(default_factory=CerSettings)
    provider: ProviderContext = field(default_factory=ProviderContext)
    p1: P1Settings = field(default_factory=P1Settings)
    receiver: ReceiverSettings = field(default_factory=ReceiverSettings)
    publishing: PublishingSettings = field(default_factory=PublishingSettings)
    sync: SyncSettings = field(default_factory=SyncSettings)
    desk: DeskSettings = field(default_factory=DeskSettings)
    workstation: WorkstationSettings = field(default_factory=WorkstationSettings)
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    practice: PracticeSettings = field(default_factory=PracticeSettings)

    def effective_cer_url(self, environ: dict[str, str] | None = None) -> str:
        """CeR: ``RECEPCJA_CER_URL``, else ``[cer] url`` - a full URL, or a path on the host of
        ``[p1] environment`` (CeR is a P1 service); empty when not configured."""
        env = os.environ if environ is None else environ
        return self._on_p1_host((env.get(ENV_CER_URL) or self.cer.url).strip())

    def effective_referral_url(self, environ: dict[str, str] | None = None) -> str:
        """The e-referral service: ``RECEPCJA_REFERRAL_URL``, else ``[p1] referral_url`` as it
        is when it is a full URL, else that path on the host of ``[p1] environment``; empty when
        not configured."""
        env = os.environ if environ is None else environ
        return self._on_p1_host((env.get(ENV_REFERRAL_URL) or self.p1.referral_url).strip())

    def _on_p1_host(self, url: str) -> str:
        """A full URL as it is; a path on the host of ``[p1] environment`` (P1's integration or
        production platform, by name); "" for a path without an environment."""
        if not url or "://" in url:
            return url
        host = P1_ENVIRONMENTS.get(self.p1.environment)
        return f"{host}/{url.lstrip('/')}" if host else ""

    def effective_workstation(self, host_name: str | None = None) -> Workstation:
        """This desk: ``[workstation] name`` (else the host name) and its prefix."""
        name = self.workstation.name or host_name or _host_name() or "recepcja"
        return Workstation.named(name, self.workstation.prefix)

    def effective_database_url(self, environ: dict[str, str] | None = None) -> str:
        """The practice database URL (the environment wins), or "" for the SQLite file."""
        env = os.environ if environ is None else environ
        url = (env.get(ENV_DATABASE_URL) or self.database.url).strip()
        if url and not url.startswith(_URL_SCHEMES):
            raise ValidationError(
                N_("The practice database address must start with postgresql:// (got {url})."),
                url=url.split("@")[-1],
            )
        return url


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
    if settings.provider.business_role == _OLD_DEFAULT_ROLE:
        settings.provider.business_role = RECEPTION_ROLE
    _check_values(settings)
    return settings


def _check_values(settings: Settings) -> None:
    """Values of the right type that still cannot work: refused with the key named."""
    cer = settings.cer
    for key in ("connect_timeout", "read_timeout", "call_deadline"):
        if getattr(cer, key) <= 0:
            raise ValidationError(N_("Settings: {key} must be a positive number of seconds."),
                                  key=f"cer.{key}")
    if not 1 <= cer.max_in_flight <= MAX_IN_FLIGHT_CAP:
        raise ValidationError(N_("Settings: {key} must be between {low} and {high}."),
                              key="cer.max_in_flight", low=1, high=MAX_IN_FLIGHT_CAP)
    # Below the law's 3 months CeR refuses activation while the desk would think all is well.
    check_configured_months(settings.publishing.horizon_months,
                            "Settings: publishing.horizon_months")
    if settings.publishing.margin_days < 0:
        raise ValidationError(N_("Settings: {key} must be 0 or more days."),
                              key="publishing.margin_days")
    if url_has_password(settings.database.url):
        raise ValidationError(
            N_("Settings: {key} must not contain a password. Remove it and store it with: "
               "recepcja secret set database-password"),
            key="database.url",
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
    if settings.workstation.prefix.strip():
        try:
            validate_prefix(settings.workstation.prefix)
        except ValidationError:
            raise ValidationError(
                N_("Settings: {key} has 2 to 4 Latin letters and digits and starts with a "
                   "letter, e.g. R1 (found: \"{value}\")."),
                key="workstation.prefix", value=settings.workstation.prefix) from None


def url_has_password(url: str) -> bool:
    """Whether a ``scheme://user:password@host`` URL or a ``password=`` parameter carries one."""
    authority = url.partition("://")[2].partition("/")[0]
    return ":" in authority.rpartition("@")[0] or "password=" in url.lower()


def load_settings(path: Path) -> Settings:
    """Settings from ``path``; defaults when the file does not exist yet."""
    if not path.exists():
        return Settings()
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValidationError(N_("Settings file {path} is not UTF-8 text: save it as UTF-8."),
                              path=str(path)) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValidationError(
            N_("Settings file {path}, line {line}: {what}. Correct the line or remove the "
               "file (the defaults are used then)."),
            path=str(path), **toml_problem(exc, text)) from None
    return settings_from_dict(data)


def save_settings(path: Path, settings: Settings) -> None:
    """Write atomically (temp file + rename) so a crash never leaves half a settings file;
    private to the user like every file the app writes."""
    import tomli_w

    from recepcja.config.private_files import private_folder, write_file

    private_folder(path.parent)
    text = ("# Recepcja settings. Secrets are NOT stored here: they live in the OS keyring.\n"
            + tomli_w.dumps(dataclasses.asdict(settings)))
    write_file(path, text.encode("utf-8"), overwrite=True)
