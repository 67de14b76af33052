"""PESEL and identity documents: how the desk identifies a patient the way CeR does.

CeR identifies a patient by PESEL; patients without one (foreigners, newborns not yet registered)
by a document type and number. A mistyped PESEL books the visit for somebody else or makes CeR
reject the booking later, possibly during an emergency replay when nobody is at the desk to fix it,
so everything is checked here, at the moment of typing.

The checksum and the birth date/sex encoding come from python-stdnum (``stdnum.pl.pesel``); this
module adds messages a receptionist understands (each a ``ValidationError`` with an ``N_`` text),
the newborn form of the identifier, and masking for logs (PESELs must never reach a log file whole).
python-stdnum is imported at the first check, not with this module (its import pulls in ssl and
pydoc: ~10 ms of the desk's cold start).
"""

from __future__ import annotations

import datetime as dt
import re
from types import MappingProxyType

from recepcja.domain.entities import PatientIdentifier
from recepcja.domain.errors import N_, ValidationError
from recepcja.domain.model import DocumentType, Sex

PESEL_LENGTH = 11

# An 11-digit run not glued to other digits: finds PESELs in free text (log lines, exception
# messages) so they can be masked. It also catches other 11-digit numbers (e.g. a phone number
# written as 48601234567); for masking, hiding too much is the safe side.
PESEL_PATTERN = re.compile(r"(?<![0-9])[0-9]{11}(?![0-9])")

# Visible part of a masked PESEL: the birth date. The serial number, sex digit and checksum are
# hidden, which is what makes the number identifying.
MASK_VISIBLE = 6

# Passport and identity-card numbers as printed in the machine-readable zone: Latin capitals and
# digits. ICAO 9303 numbers are 9 characters, some national ones are shorter or longer; the range
# is a sanity check against a truncated or pasted-twice number, not a per-country rule.
DOCUMENT_NUMBER_PATTERN = re.compile(r"[A-Z0-9]{5,20}")
# Other identity documents (residence cards, foreign national IDs, ...) vary more: allow the
# separators people copy from them.
OTHER_DOCUMENT_PATTERN = re.compile(r"[A-Z0-9][A-Z0-9 ./-]{2,29}")
# A newborn without a PESEL: the parent's PESEL and the child's birth order ("44051401359/1";
# twins get /1 and /2).
NEWBORN_PATTERN = re.compile(r"([0-9]{11})/([1-9][0-9]?)")

# The century of the birth date is in the PESEL's month digits: this is added to the month.
CENTURY_MONTH_OFFSET = MappingProxyType({1800: 80, 1900: 0, 2000: 20, 2100: 40, 2200: 60})
SERIAL_LIMIT = 10_000  # the four digits after the birth date (the last one: odd male, even female)

_ASCII_DIGITS = re.compile(r"[0-9]+")
_SEPARATORS = re.compile(r"[\s-]+")


def normalize_pesel(text: str) -> str:
    """The PESEL without the spaces and dashes people type or paste into it."""
    return _SEPARATORS.sub("", text or "")


def validate_pesel(text: str, today: dt.date | None = None) -> str:
    """Return the normalised PESEL, or raise ``ValidationError`` saying what is wrong with it.

    With ``today`` given, a birth date after it is rejected too (a PESEL cannot belong to somebody
    not born yet); the date is a parameter so that this rule never reads the clock.
    """
    pesel = normalize_pesel(text)
    if not pesel:
        raise ValidationError(N_("Enter the PESEL."))
    if not _ASCII_DIGITS.fullmatch(pesel):
        raise ValidationError(N_("A PESEL contains only digits."))
    if len(pesel) != PESEL_LENGTH:
        raise ValidationError(
            N_("A PESEL has 11 digits (entered: {length})."), length=len(pesel)
        )
    from stdnum import exceptions as stdnum_errors
    from stdnum.pl import pesel as stdnum_pesel

    try:
        stdnum_pesel.validate(pesel)
    except stdnum_errors.InvalidChecksum:
        raise ValidationError(
            N_("This PESEL has a wrong check digit. Check it for a typing mistake.")
        ) from None
    except stdnum_errors.InvalidComponent:
        raise ValidationError(
            N_("This PESEL encodes a birth date that does not exist. "
               "Check it for a typing mistake.")
        ) from None
    except stdnum_errors.ValidationError:  # format/length: checked above, kept as a safety net
        raise ValidationError(N_("This is not a valid PESEL.")) from None
    if today is not None:
        born = stdnum_pesel.get_birth_date(pesel)
        if born > today:
            raise ValidationError(
                N_("This PESEL encodes a birth date in the future ({birth_date}). "
                   "Check it for a typing mistake."),
                birth_date=born,
            )
    return pesel


def is_valid_pesel(text: str, today: dt.date | None = None) -> bool:
    """True when ``validate_pesel`` would accept ``text``."""
    try:
        validate_pesel(text, today)
    except ValidationError:
        return False
    return True


def pesel_birth_date(text: str) -> dt.date:
    """Birth date encoded in a valid PESEL (the century is in the month digits)."""
    from stdnum.pl import pesel as stdnum_pesel

    return stdnum_pesel.get_birth_date(validate_pesel(text))


def pesel_sex(text: str) -> Sex:
    """Sex encoded in a valid PESEL (the tenth digit: even female, odd male)."""
    from stdnum.pl import pesel as stdnum_pesel

    gender = stdnum_pesel.get_gender(validate_pesel(text))
    return Sex.FEMALE if gender == "F" else Sex.MALE


def make_pesel(born: dt.date, serial: int) -> str:
    """A valid PESEL for a birth date and a four-digit serial (its last digit gives the sex: odd
    male, even female), the check digit by python-stdnum.

    The one generator of the package, for made-up people only: training patients, the simulator's
    portal actors, tests and benches. ``ValueError`` for a year outside 1800-2299 or a serial
    outside 0-9999 (the number has no room for them).
    """
    offset = CENTURY_MONTH_OFFSET.get(born.year // 100 * 100)
    if offset is None:
        raise ValueError(f"a PESEL encodes birth years 1800-2299, not {born.year}")
    if not 0 <= serial < SERIAL_LIMIT:
        raise ValueError(f"a PESEL's serial has four digits, not {serial}")
    from stdnum.pl import pesel as stdnum_pesel

    first_ten = f"{born.year % 100:02d}{born.month + offset:02d}{born.day:02d}{serial:04d}"
    return first_ten + stdnum_pesel.calc_check_digit(first_ten)


def mask_pesel(text: str) -> str:
    """``"44051401359"`` -> ``"440514*****"``, for logs and diagnostics.

    Never validates and never raises: masking runs inside logging, where an exception would lose
    the log line. Anything too short to hold a PESEL is masked entirely.
    """
    value = normalize_pesel(text)
    if len(value) <= MASK_VISIBLE:
        return "*" * len(value)
    return value[:MASK_VISIBLE] + "*" * (len(value) - MASK_VISIBLE)


def mask_pesels(text: str) -> str:
    """Free text with every PESEL-like 11-digit run masked (see ``PESEL_PATTERN``)."""
    return PESEL_PATTERN.sub(lambda match: mask_pesel(match.group()), text)


def parse_document_type(value: DocumentType | str) -> DocumentType:
    """A ``DocumentType`` from its value (``"passport"``...), with a clear error otherwise."""
    if isinstance(value, DocumentType):
        return value
    key = (value or "").strip().lower()
    try:
        return DocumentType(key)
    except ValueError:
        raise ValidationError(
            N_("Unknown document type \"{value}\". Known types: {known}."),
            value=value,
            known=", ".join(member.value for member in DocumentType),
        ) from None


def split_newborn_number(number: str) -> tuple[str, int]:
    """``"44051401359/1"`` -> (parent's PESEL, birth order), both checked."""
    compact = re.sub(r"\s+", "", number or "")
    match = NEWBORN_PATTERN.fullmatch(compact)
    if not match:
        raise ValidationError(
            N_("For a newborn without a PESEL enter the parent's PESEL, a slash and the child's "
               "birth order, e.g. 44051401359/1.")
        )
    parent, ordinal = match.groups()
    if not is_valid_pesel(parent):
        raise ValidationError(
            N_("The parent's PESEL in the newborn's identifier is not valid. "
               "Check it for a typing mistake.")
        )
    return parent, int(ordinal)


def validate_document_number(document_type: DocumentType | str, number: str) -> str:
    """Return the normalised document number, or raise ``ValidationError``.

    Passport and identity-card numbers lose spaces and dashes and are upper-cased, so the same
    document typed twice gives the same identifier (and so the same patient).
    """
    kind = parse_document_type(document_type)
    text = (number or "").strip()
    if not text:
        raise ValidationError(N_("Enter the document number."))
    if kind is DocumentType.NEWBORN:
        parent, ordinal = split_newborn_number(text)
        return f"{parent}/{ordinal}"
    if kind is DocumentType.OTHER:
        value = re.sub(r"\s+", " ", text).upper()
        if not OTHER_DOCUMENT_PATTERN.fullmatch(value) or not re.search(r"[0-9]", value):
            raise ValidationError(
                N_("A document number has 3 to 30 characters: Latin letters, digits and the "
                   "separators space . / - ; it contains at least one digit.")
            )
        return value
    value = _SEPARATORS.sub("", text).upper()
    if not DOCUMENT_NUMBER_PATTERN.fullmatch(value) or not re.search(r"[0-9]", value):
        raise ValidationError(
            N_("A passport or identity card number has 5 to 20 Latin letters and digits, "
               "as printed on the document (entered: \"{number}\")."),
            number=text,
        )
    return value


def patient_identifier(
    pesel: str | None = None,
    document_type: DocumentType | str | None = None,
    document_number: str | None = None,
    *,
    today: dt.date | None = None,
) -> PatientIdentifier:
    """The patient's identifier for CeR from what the desk typed: a PESEL, or a document.

    Blank fields count as not given, because forms hand over empty strings. Exactly one way of
    identification must remain.
    """
    has_pesel = bool(pesel and pesel.strip())
    has_number = bool(document_number and document_number.strip())
    has_type = bool(document_type)
    if has_pesel and (has_number or has_type):
        raise ValidationError(
            N_("Enter either the PESEL or a document, not both. A document identifies only "
               "patients without a PESEL.")
        )
    if has_pesel:
        return PatientIdentifier(pesel=validate_pesel(pesel or "", today))
    if not has_type and not has_number:
        raise ValidationError(
            N_("Enter the PESEL or, for a patient without one, the document type and number.")
        )
    if not has_type:
        raise ValidationError(N_("Choose the document type."))
    kind = parse_document_type(document_type or "")
    return PatientIdentifier(
        document_type=kind, document_number=validate_document_number(kind, document_number or "")
    )
