"""Patients' phone numbers: one valid number per field, stored in E.164.

CeR notifies patients by SMS (an assigned term, a change, a cancellation), sending to the number the
practice system gives it. Pilot practices lost weeks cleaning fields like "601 234 567, 602 345 678"
or "601234567 / 22 123 45 67" that their old software accepted: CeR cannot pick one, so the SMS goes
nowhere. Such a field is therefore rejected here with a message saying why, and every accepted
number is normalised to E.164 (``+48601234567``) so that equal numbers are equal strings.

python-phonenumbers does the parsing and validation, default region PL: a number without a
country code is Polish, ``00`` is the international prefix.
"""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import Leniency, NumberParseException, PhoneNumberFormat, PhoneNumberType
from phonenumbers import ValidationResult as Possibility

from recepcja.domain.errors import N_, ValidationError

DEFAULT_REGION = "PL"
POLAND = "PL"
POLAND_COUNTRY_CODE = 48
POLISH_NUMBER_DIGITS = 9

# E.164 allows at most 15 digits; more digits than that cannot be one number.
E164_MAX_DIGITS = 15

# Types that can receive an SMS. FIXED_LINE_OR_MOBILE is what phonenumbers says where a country's
# plan does not tell the two apart (e.g. the US); giving those the benefit of the doubt is better
# than telling the desk a patient will get no SMS when they will.
SMS_CAPABLE_TYPES = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})

# What people put between two numbers in one field.
_LIST_SEPARATORS = re.compile(r"[,;/|\\\n]|\b(?:lub|albo|oraz|i|or|and)\b", re.IGNORECASE)
# A label some people type before the number; harmless, so it is dropped rather than rejected.
_LABEL = re.compile(r"^\s*(?:tel(?:efon)?|kom(?:órka)?|mobile|phone)\s*[.:]?\s*", re.IGNORECASE)
# After the label, only what a written number contains. Letters are refused rather than guessed:
# phonenumbers reads letters as keypad digits ("mama" -> 6262), which would invent a number.
_ALLOWED = re.compile(r"[0-9+()\-. \t]+")
# A part of a field that has this many digits is meant as a phone number.
_MIN_NUMBER_DIGITS = 5
# The shortest part worth trying when splitting a run of digits in two: a Polish number has nine
# digits, and a foreign one written without + needs 00 and a country code, so it is longer.
_MIN_SPLIT_DIGITS = 9


def normalize_phone(text: str, region: str = DEFAULT_REGION) -> str:
    """Return the number in E.164, or raise ``ValidationError`` saying what is wrong.

    Accepts the forms people write: ``+48 601 234 567``, ``0048601234567``, ``601-234-567``,
    ``(22) 123 45 67``, and foreign numbers with their country code.
    """
    value = (text or "").strip()
    if not value:
        raise ValidationError(N_("Enter the phone number."))
    if _holds_two_numbers(value, region):
        raise ValidationError(
            N_("Enter only one phone number. CeR sends the patient's text messages (SMS) to "
               "this number and cannot choose between two; put another number in the notes.")
        )
    # Pasted numbers bring non-breaking and other Unicode spaces; one plain space each.
    value = _LABEL.sub("", " ".join(value.split()))
    if not _ALLOWED.fullmatch(value):
        raise ValidationError(
            N_("A phone number contains only digits, spaces and the characters + - ( ) . "
               "(no extensions or notes).")
        )
    try:
        number = phonenumbers.parse(value, region)
    except NumberParseException as error:
        raise _unparseable_reason(error) from None
    if not phonenumbers.is_valid_number(number):
        number = _without_trunk_zero(value, region) or number
    if not phonenumbers.is_valid_number(number):
        raise _invalid_reason(number)
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def normalize_optional_phone(text: str | None, region: str = DEFAULT_REGION) -> str | None:
    """Like ``normalize_phone``, but a blank field means "no phone" (the number is optional)."""
    if text is None or not text.strip():
        return None
    return normalize_phone(text, region)


def is_mobile(e164: str) -> bool:
    """True when the number can receive CeR's SMS notifications (a mobile number).

    Never raises: an unparseable value simply cannot receive an SMS.
    """
    try:
        number = phonenumbers.parse(e164, DEFAULT_REGION)
    except NumberParseException:
        return False
    return phonenumbers.number_type(number) in SMS_CAPABLE_TYPES


def format_phone(e164: str) -> str:
    """For display: Polish numbers as the desk writes them (``601 234 567``), foreign ones in the
    international form (``+49 1512 3456789``). Unparseable values come back unchanged."""
    try:
        number = phonenumbers.parse(e164, DEFAULT_REGION)
    except NumberParseException:
        return e164
    if phonenumbers.region_code_for_number(number) == DEFAULT_REGION:
        return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)


def count_phone_numbers(text: str, region: str = DEFAULT_REGION) -> int:
    """How many phone numbers phonenumbers finds in free text (lenient: possible numbers)."""
    return sum(
        1 for _ in phonenumbers.PhoneNumberMatcher(text, region, leniency=Leniency.POSSIBLE)
    )


def _holds_two_numbers(text: str, region: str) -> bool:
    """Whether the field holds more than one number, in the three ways seen in practice:

    1. phonenumbers' matcher finds two or more numbers ("601 234 567, 602 345 678");
    2. separators split it into parts that each carry a number ("601234567 / 22 123 45 67"),
       which also catches parts the matcher does not recognise on their own;
    3. the digits, run together, split into two valid numbers ("601234567602345678",
       "601 234 567 602 345 678"), which the matcher sees as one over-long number.
    """
    if count_phone_numbers(text, region) >= 2:
        return True
    parts = [part for part in _LIST_SEPARATORS.split(text) if part]
    if sum(1 for part in parts if _digit_count(part) >= _MIN_NUMBER_DIGITS) >= 2:
        return True
    return _splits_into_two_valid_numbers(text, region)


def _splits_into_two_valid_numbers(text: str, region: str) -> bool:
    digits = re.sub(r"[^0-9+]", "", text)
    if "+" in digits[1:]:  # "+48601234567+48602345678": a + starts each number
        return True
    digits = digits.lstrip("+")
    if len(digits) <= E164_MAX_DIGITS and _is_valid_digits(text, region):
        return False
    # 2 x 9 digits for two Polish numbers; foreign ones with country codes are longer. Each half
    # must be a valid number on its own, so one long mistyped number is "invalid", not "two".
    return any(
        _is_valid_digits(digits[:cut], region) and _is_valid_digits(digits[cut:], region)
        for cut in range(_MIN_SPLIT_DIGITS, len(digits) - _MIN_SPLIT_DIGITS + 1)
    )


def _is_valid_digits(text: str, region: str) -> bool:
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(text, region))
    except NumberParseException:
        return False


def _without_trunk_zero(text: str, region: str) -> phonenumbers.PhoneNumber | None:
    """The Polish number in an old-style notation, or None.

    Until 2005 Polish numbers were dialled with a trunk 0 ("022 123 45 67", "(0-22) 123 45 67",
    "+48 (0) 601 234 567"); such numbers still sit in address books and old patient files. The 0 is
    dropped only when the nine digits after it form a valid Polish number.
    """
    digits = re.sub(r"[^0-9+]", "", text)
    prefixes = ("+480", "00480", "0") if region == POLAND else ("+480",)
    for prefix in prefixes:
        if digits.startswith(prefix) and not digits.startswith("00", len(prefix) - 1):
            rest = digits[len(prefix):]
            try:
                number = phonenumbers.parse(rest, POLAND)
            except NumberParseException:
                return None
            valid = len(rest) == POLISH_NUMBER_DIGITS and phonenumbers.is_valid_number(number)
            return number if valid else None
    return None


def _digit_count(text: str) -> int:
    return sum(1 for char in text if char.isdigit())


def _unparseable_reason(error: NumberParseException) -> ValidationError:
    if error.error_type == NumberParseException.TOO_LONG:
        return ValidationError(N_("This phone number is too long."))
    if error.error_type in (NumberParseException.TOO_SHORT_NSN,
                            NumberParseException.TOO_SHORT_AFTER_IDD):
        return ValidationError(N_("This phone number is too short or incomplete."))
    if error.error_type == NumberParseException.INVALID_COUNTRY_CODE:
        return _unknown_country_code()
    return ValidationError(N_("This is not a phone number."))


def _unknown_country_code() -> ValidationError:
    return ValidationError(
        N_("This phone number's country code does not exist. Polish numbers need no "
           "country code; foreign ones start with + and the country code.")
    )


def _invalid_reason(number: phonenumbers.PhoneNumber) -> ValidationError:
    if number.country_code == POLAND_COUNTRY_CODE:
        # phonenumbers calls 6 to 8 digits "possible" in Poland (short service numbers), but a
        # patient's number always has nine: say what is wrong instead of "does not exist".
        length = len(phonenumbers.national_significant_number(number))
        if length < POLISH_NUMBER_DIGITS:
            return ValidationError(N_("This phone number is too short or incomplete."))
        if length > POLISH_NUMBER_DIGITS:
            return ValidationError(N_("This phone number is too long."))
    reason = phonenumbers.is_possible_number_with_reason(number)
    if reason in (Possibility.TOO_SHORT, Possibility.INVALID_LENGTH):
        return ValidationError(N_("This phone number is too short or incomplete."))
    if reason == Possibility.TOO_LONG:
        return ValidationError(N_("This phone number is too long."))
    if reason == Possibility.INVALID_COUNTRY_CODE:
        return _unknown_country_code()
    return ValidationError(N_("This phone number does not exist. Check it for a typing mistake."))
