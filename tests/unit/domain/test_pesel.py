"""PESEL validation, birth date and sex, documents for patients without a PESEL, log masking."""

from __future__ import annotations

import datetime as dt

import pytest
from stdnum.pl import pesel as stdnum_pesel

from recepcja.domain.entities import PatientIdentifier
from recepcja.domain.errors import ValidationError
from recepcja.domain.model import DocumentType, Sex
from recepcja.domain.pesel import (
    PESEL_PATTERN,
    is_valid_pesel,
    make_pesel,
    mask_pesel,
    mask_pesels,
    parse_document_type,
    patient_identifier,
    pesel_birth_date,
    pesel_sex,
    split_newborn_number,
    validate_document_number,
    validate_pesel,
)


def male_or_female(sex: Sex, serial: int = 57) -> int:
    """A four-digit serial whose last digit gives ``sex`` (odd male, even female)."""
    return serial * 10 + (1 if sex is Sex.MALE else 2)


def with_wrong_check_digit(pesel: str) -> str:
    return pesel[:-1] + str((int(pesel[-1]) + 1) % 10)


# --- valid numbers -----------------------------------------------------------------------------


@pytest.mark.parametrize("pesel", ["44051401359", "02070803628"])
def test_known_valid_pesels(pesel):
    assert validate_pesel(pesel) == pesel
    assert is_valid_pesel(pesel)


def test_generated_pesels_across_centuries_are_valid():
    for born in (
        dt.date(1899, 12, 31),
        dt.date(1944, 5, 14),
        dt.date(2000, 2, 29),
        dt.date(2024, 1, 1),
        dt.date(2150, 6, 1),
    ):
        for sex in (Sex.FEMALE, Sex.MALE):
            pesel = make_pesel(born, male_or_female(sex))
            assert validate_pesel(pesel) == pesel
            assert pesel_birth_date(pesel) == born
            assert pesel_sex(pesel) is sex


@pytest.mark.parametrize(("born", "month_digits"), [
    (dt.date(1800, 1, 1), "81"),
    (dt.date(1899, 12, 31), "92"),
    (dt.date(1900, 1, 1), "01"),
    (dt.date(1999, 12, 31), "12"),
    (dt.date(2000, 2, 29), "22"),
    (dt.date(2099, 12, 31), "32"),
    (dt.date(2100, 1, 1), "41"),
    (dt.date(2199, 12, 31), "52"),
    (dt.date(2200, 1, 1), "61"),
    (dt.date(2299, 12, 31), "72"),
])
@pytest.mark.parametrize("serial", [0, 1, 4567, 9998, 9999])
def test_make_pesel_in_every_century_is_what_stdnum_reads(born, month_digits, serial):
    pesel = make_pesel(born, serial)
    assert stdnum_pesel.validate(pesel) == pesel
    assert pesel[2:4] == month_digits  # the century's month offset
    assert pesel[6:10] == f"{serial:04d}"
    assert stdnum_pesel.get_birth_date(pesel) == born
    assert stdnum_pesel.get_gender(pesel) == ("M" if serial % 2 else "F")


def test_make_pesel_gives_the_published_examples():
    assert make_pesel(dt.date(1944, 5, 14), 135) == "44051401359"
    assert make_pesel(dt.date(1902, 7, 8), 362) == "02070803628"
    assert make_pesel(dt.date(2002, 1, 13), 758) == "02211307589"


@pytest.mark.parametrize(("born", "serial"), [
    (dt.date(1799, 12, 31), 1), (dt.date(2300, 1, 1), 1),
    (dt.date(1990, 1, 1), -1), (dt.date(1990, 1, 1), 10_000),
])
def test_make_pesel_refuses_what_a_pesel_cannot_hold(born, serial):
    with pytest.raises(ValueError, match="PESEL"):
        make_pesel(born, serial)


def test_birth_date_and_sex_of_known_pesels():
    assert pesel_birth_date("44051401359") == dt.date(1944, 5, 14)
    assert pesel_sex("44051401359") is Sex.MALE
    assert pesel_birth_date("02070803628") == dt.date(1902, 7, 8)
    assert pesel_sex("02070803628") is Sex.FEMALE
    assert pesel_birth_date("02211307589") == dt.date(2002, 1, 13)  # 21 = January, 2000s


def test_spaces_and_dashes_are_removed():
    assert validate_pesel(" 440514 01359 ") == "44051401359"
    assert validate_pesel("440514-01359") == "44051401359"
    assert validate_pesel("4405\u00a014\t01359") == "44051401359"


# --- invalid numbers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pesel",
    ["44051401358", "02070803627", with_wrong_check_digit(make_pesel(dt.date(1990, 3, 1), 1231))],
)
def test_wrong_check_digit_is_rejected(pesel):
    with pytest.raises(ValidationError, match="check digit"):
        validate_pesel(pesel)
    assert not is_valid_pesel(pesel)


def test_every_single_digit_typo_is_caught():
    pesel = "44051401359"
    for position in range(11):
        for digit in "0123456789":
            if digit == pesel[position]:
                continue
            typo = pesel[:position] + digit + pesel[position + 1 :]
            assert not is_valid_pesel(typo), typo


@pytest.mark.parametrize("text", ["4405140135", "440514013590", "1", "123456789012345"])
def test_wrong_length_says_how_many_digits(text):
    with pytest.raises(ValidationError) as caught:
        validate_pesel(text)
    assert caught.value.message == "A PESEL has 11 digits (entered: {length})."
    assert caught.value.params == {"length": len(text)}
    assert str(caught.value) == f"A PESEL has 11 digits (entered: {len(text)})."


@pytest.mark.parametrize("text", ["4405140135X", "abcdefghijk", "44051401359a", "٤٤٠٥١٤٠١٣٥٩"])
def test_non_digits_are_rejected(text):
    with pytest.raises(ValidationError, match="only digits"):
        validate_pesel(text)


@pytest.mark.parametrize("text", ["", "   ", None])
def test_empty_pesel_asks_for_one(text):
    with pytest.raises(ValidationError, match="Enter the PESEL"):
        validate_pesel(text)


def test_impossible_birth_date_is_rejected_even_with_a_right_check_digit():
    # 13th month / 30 February / month 0
    for first_ten in ("0238130758", "9902300000", "0013010000", "9900000000"):
        pesel = first_ten + stdnum_pesel.calc_check_digit(first_ten)
        with pytest.raises(ValidationError, match="does not exist"):
            validate_pesel(pesel)


def test_birth_date_after_today_is_rejected_only_when_today_is_given():
    pesel = make_pesel(dt.date(2031, 1, 1), 1231)
    assert validate_pesel(pesel) == pesel
    with pytest.raises(ValidationError, match="future") as caught:
        validate_pesel(pesel, today=dt.date(2026, 5, 1))
    assert caught.value.params == {"birth_date": dt.date(2031, 1, 1)}
    assert validate_pesel(pesel, today=dt.date(2031, 1, 1)) == pesel


def test_birth_date_and_sex_of_an_invalid_pesel_raise():
    with pytest.raises(ValidationError):
        pesel_birth_date("44051401358")
    with pytest.raises(ValidationError):
        pesel_sex("123")


# --- masking -----------------------------------------------------------------------------------


def test_mask_keeps_only_the_birth_date():
    assert mask_pesel("44051401359") == "440514*****"
    assert mask_pesel("440514 01359") == "440514*****"


def test_mask_never_raises_and_hides_short_values():
    assert mask_pesel("") == ""
    assert mask_pesel("1234") == "****"
    assert mask_pesel("123456") == "******"
    assert mask_pesel("1234567") == "123456*"


def test_pattern_finds_eleven_digit_runs_only():
    text = "patient 44051401359 booked; visit 123456789012 and 02070803628/1, tel 601234567"
    assert PESEL_PATTERN.findall(text) == ["44051401359", "02070803628"]


def test_mask_pesels_in_free_text():
    text = "PESEL=44051401359, parent 02070803628/2; slot 12345"
    assert mask_pesels(text) == "PESEL=440514*****, parent 020708*****/2; slot 12345"
    assert "44051401359" not in mask_pesels(f"error for {'44051401359'}")


# --- documents ---------------------------------------------------------------------------------


def test_patient_identifier_with_pesel():
    identifier = patient_identifier(pesel=" 44051401359 ")
    assert identifier == PatientIdentifier(pesel="44051401359")
    assert identifier.key == "44051401359"


def test_patient_identifier_with_pesel_rejects_a_bad_one():
    with pytest.raises(ValidationError, match="check digit"):
        patient_identifier(pesel="44051401358")


def test_blank_fields_from_a_form_count_as_missing():
    identifier = patient_identifier(pesel="44051401359", document_type="", document_number="  ")
    assert identifier.pesel == "44051401359"
    identifier = patient_identifier(pesel="", document_type="passport", document_number="ab1234567")
    assert identifier.document_number == "AB1234567"


def test_patient_identifier_needs_exactly_one_way():
    with pytest.raises(ValidationError, match="not both"):
        patient_identifier(
            pesel="44051401359", document_type=DocumentType.PASSPORT, document_number="AB1234567"
        )
    with pytest.raises(ValidationError, match="not both"):
        patient_identifier(pesel="44051401359", document_type=DocumentType.PASSPORT)
    with pytest.raises(ValidationError, match="Enter the PESEL or"):
        patient_identifier()
    with pytest.raises(ValidationError, match="Choose the document type"):
        patient_identifier(document_number="AB1234567")
    with pytest.raises(ValidationError, match="Enter the document number"):
        patient_identifier(document_type=DocumentType.ID_CARD)


@pytest.mark.parametrize(
    ("kind", "typed", "stored"),
    [
        (DocumentType.PASSPORT, "ab 1234567", "AB1234567"),
        (DocumentType.PASSPORT, "FE123456", "FE123456"),
        (DocumentType.ID_CARD, "abc-123456", "ABC123456"),
        (DocumentType.ID_CARD, "T22000129", "T22000129"),
        (DocumentType.OTHER, " karta  pobytu rp/123 ", "KARTA POBYTU RP/123"),
    ],
)
def test_document_numbers_are_normalised(kind, typed, stored):
    identifier = patient_identifier(document_type=kind, document_number=typed)
    assert identifier.document_type is kind
    assert identifier.document_number == stored
    assert identifier.key == f"{kind}:{stored}"


@pytest.mark.parametrize(
    "number", ["AB12", "ABCDEFGHIJ", "AB#1234567", "AB1234567AB1234567AB1", "АВ1234567"]
)
def test_bad_passport_numbers(number):  # too short, no digit, symbol, too long, Cyrillic letters
    with pytest.raises(ValidationError, match="passport or identity card"):
        validate_document_number(DocumentType.PASSPORT, number)


@pytest.mark.parametrize("number", ["A1", "NO NUMBER", "X" * 29 + "12", "AB#12"])
def test_bad_other_document_numbers(number):
    with pytest.raises(ValidationError, match="3 to 30 characters"):
        validate_document_number(DocumentType.OTHER, number)


def test_document_type_from_text():
    assert parse_document_type("passport") is DocumentType.PASSPORT
    assert parse_document_type(" ID_CARD ") is DocumentType.ID_CARD
    assert parse_document_type(DocumentType.NEWBORN) is DocumentType.NEWBORN
    with pytest.raises(ValidationError, match="Unknown document type") as caught:
        parse_document_type("driving licence")
    assert "passport" in caught.value.params["known"]


def test_newborn_identifier():
    identifier = patient_identifier(document_type="newborn", document_number="44051401359 / 2")
    assert identifier.document_type is DocumentType.NEWBORN
    assert identifier.document_number == "44051401359/2"
    assert split_newborn_number("02070803628/1") == ("02070803628", 1)
    assert split_newborn_number("02070803628/12") == ("02070803628", 12)


@pytest.mark.parametrize(
    "number",
    [
        "44051401359",
        "44051401359/0",
        "44051401359/01",
        "44051401359/",
        "4405140135/1",
        "44051401359/1/2",
        "44051401359-1",
        "44051401359/100",
    ],
)
def test_newborn_identifier_form_is_checked(number):
    with pytest.raises(ValidationError, match="birth order"):
        validate_document_number(DocumentType.NEWBORN, number)


def test_newborn_identifier_needs_a_valid_parent_pesel():
    with pytest.raises(ValidationError, match="parent's PESEL"):
        validate_document_number(DocumentType.NEWBORN, "44051401358/1")
