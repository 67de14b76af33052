"""The workstation: which desk made a record, and the local patient IDs it hands out.

During an outage every desk gives new patients a local ID and writes it on the paper slip
(the FAQ's emergency procedure). Two desks counting on their own would both hand out
``L-000001``; so every new local ID carries the workstation's short prefix:
``L-<PREFIX>-<number>`` (``L-R1-000042``). IDs given before workstations existed
(``L-000042``) stay valid as they are.

The prefix is 2 to 4 characters, Latin capital letters and digits, starting with a letter. An
administrator sets it in ``settings.toml`` (``[workstation] prefix = "R1"``); otherwise it is
derived from the workstation's name (``[workstation] name``, by default the computer's host
name): a letter and two characters chosen by a hash of the name, from an alphabet without
look-alikes (no I, L, O, U, 0, 1), so it is stable for a name and differs between two names
with a chance of about 1 in 20,000 (22 x 30 x 30 prefixes). ``recepcja status`` shows both. A
later issue (several desks on one database) uses the same identity for visit identifiers.

No I/O here: the host name is read by ``config``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from recepcja.domain.errors import N_, ValidationError

LOCAL_ID_MARK = "L"
_PREFIX = re.compile(r"[A-Z][A-Z0-9]{1,3}")
# Local IDs as the desk types them (any case, zeros left out): L-000042, L42, L-R1-42, L-R1-.
_PREFIXED_ID = re.compile(r"[Ll]-([A-Za-z][A-Za-z0-9]{1,3})(?:-(\d*))?")
_PLAIN_ID = re.compile(r"[Ll]-?(\d*)")
# Crockford-like, without the letters that read as digits (I, L, O) and U; first a letter.
_LETTERS = "ABCDEFGHJKMNPQRSTVWXYZ"
_ALPHABET = _LETTERS + "23456789"


@dataclass(frozen=True, slots=True)
class Workstation:
    """A desk: its ``name`` (for people) and the ``prefix`` of the local IDs it gives."""

    name: str
    prefix: str

    @classmethod
    def named(cls, name: str, prefix: str = "") -> Workstation:
        """The workstation ``name`` with an explicit ``prefix`` (validated), or the one
        derived from the name when ``prefix`` is empty."""
        clean = " ".join((name or "").split())
        if not clean:
            raise ValidationError(N_("The workstation needs a name."))
        return cls(clean, validate_prefix(prefix) if prefix.strip() else derive_prefix(clean))

    def local_id(self, number: int) -> str:
        """The ``number``-th local ID of this workstation."""
        return format_local_id(number, self.prefix)


def derive_prefix(name: str) -> str:
    """A stable 3-character prefix for a workstation name (case and spaces ignored)."""
    import hashlib  # OpenSSL's library loads in ~2 ms: not before the window's first paint

    digest = hashlib.sha256(" ".join(name.split()).casefold().encode()).digest()
    first = _LETTERS[digest[0] % len(_LETTERS)]
    return first + "".join(_ALPHABET[byte % len(_ALPHABET)] for byte in digest[1:3])


def validate_prefix(prefix: str) -> str:
    """The prefix in capitals, or ``ValidationError`` saying what a prefix is."""
    value = (prefix or "").strip().upper()
    if not _PREFIX.fullmatch(value):
        raise ValidationError(
            N_("A workstation prefix has 2 to 4 Latin letters and digits and starts with a "
               "letter, e.g. R1 (found: \"{value}\")."), value=prefix)
    return value


def format_local_id(number: int, prefix: str | None = None) -> str:
    """``L-R1-000042`` (with a workstation prefix) or ``L-000042`` (without one)."""
    return f"{LOCAL_ID_MARK}-{prefix}-{number:06d}" if prefix else f"{LOCAL_ID_MARK}-{number:06d}"


@dataclass(frozen=True, slots=True)
class LocalIdQuery:
    """A local ID as typed: its ``prefix`` (None: an ID without one) and ``digits`` (maybe
    empty: "every ID of this prefix")."""

    prefix: str | None
    digits: str

    def exact(self) -> str | None:
        """The full ID this names, when it has a number."""
        return format_local_id(int(self.digits), self.prefix) if self.digits else None

    def start(self) -> str:
        """What every ID matching it starts with (for prefix search)."""
        head = f"{LOCAL_ID_MARK}-{self.prefix}-" if self.prefix else f"{LOCAL_ID_MARK}-"
        return head + self.digits


def parse_local_id(text: str) -> LocalIdQuery | None:
    """``l-r1-42`` → (R1, "42"); ``L42`` / ``L-000042`` → (None, "42" / "000042"); None when
    the text is not a local ID (a surname such as "Lis" never is: a prefix needs "L-")."""
    value = (text or "").strip()
    prefixed = _PREFIXED_ID.fullmatch(value)
    if prefixed is not None:
        return LocalIdQuery(prefixed.group(1).upper(), prefixed.group(2) or "")
    plain = _PLAIN_ID.fullmatch(value.replace(" ", ""))
    if plain is not None and len(value) > 1:
        return LocalIdQuery(None, plain.group(1))
    return None


def canonical_local_id(text: str) -> str:
    """The stored form of a local ID as typed (``l-r1-42`` → ``L-R1-000042``); text that is
    not a local ID comes back in capitals, stripped (another system's ID, kept as it is)."""
    query = parse_local_id(text)
    exact = query.exact() if query is not None else None
    return exact or " ".join((text or "").split()).upper()
