"""Phone numbers: E.164, one number per field (CeR sends SMS to it), mobile or not."""

from __future__ import annotations

import pytest

from recepcja.domain.errors import ValidationError
from recepcja.domain.phone import (
    count_phone_numbers,
    format_phone,
    is_mobile,
    normalize_optional_phone,
    normalize_phone,
)

ONE_NUMBER_ONLY = "Enter only one phone number"


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("601 234 567", "+48601234567"),
        ("601234567", "+48601234567"),
        ("+48 601 234 567", "+48601234567"),
        ("+48601234567", "+48601234567"),
        ("0048601234567", "+48601234567"),
        ("00 48 601 234 567", "+48601234567"),
        ("601-234-567", "+48601234567"),
        ("601.234.567", "+48601234567"),
        ("(22) 123 45 67", "+48221234567"),
        ("+48 22 123-45-67", "+48221234567"),
        ("0048 (22) 123 45 67", "+48221234567"),
        ("  tel. 601 234 567 ", "+48601234567"),
        ("601\u00a0234\u00a0567", "+48601234567"),  # pasted, with non-breaking spaces
        ("+49 1512 3456789", "+4915123456789"),
        ("+380 67 123 4567", "+380671234567"),
        ("+44 20 7946 0958", "+442079460958"),
    ],
)
def test_common_forms_are_accepted_and_normalised(typed, e164):
    assert normalize_phone(typed) == e164


@pytest.mark.parametrize(
    "typed", ["022 123 45 67", "(0-22) 123 45 67", "0 601 234 567", "+48 (0) 601 234 567"]
)
def test_old_trunk_zero_notation_is_accepted(typed):
    assert normalize_phone(typed) in {"+48221234567", "+48601234567"}


@pytest.mark.parametrize(
    "typed",
    [
        "601 234 567, 602 345 678",
        "601234567 / 22 123 45 67",
        "601234567602345678",
        "601 234 567 602 345 678",
        "601234567;602345678",
        "601234567\n602345678",
        "601234567 lub 602345678",
        "601 234 567 i 602 345 678",
        "+48 601234567 +48 602345678",
        "+48601234567+48602345678",
        "22 123 45 67 / 601 234 567",
        "601234567 601234567",  # the same number twice is still two numbers in the field
        "mama 601 234 567, tata 602 345 678",
    ],
)
def test_two_numbers_in_one_field_are_rejected_with_the_reason(typed):
    with pytest.raises(ValidationError) as caught:
        normalize_phone(typed)
    message = str(caught.value)
    assert message.startswith(ONE_NUMBER_ONLY)
    assert "SMS" in message


def test_matcher_counts_numbers_in_free_text():
    assert count_phone_numbers("601 234 567, 602 345 678") == 2
    assert count_phone_numbers("+48 601 234 567") == 1
    assert count_phone_numbers("no number here") == 0


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("12345", "too short"),
        ("601 234 56", "too short"),
        ("6012345670", "too long"),
        ("6012345678901234567890", "too long"),
        ("+999 123 456 789", "country code"),
        ("000 000 000", "does not exist"),
        ("+", "not a phone number"),
    ],
)
def test_invalid_numbers_are_rejected(typed, reason):
    with pytest.raises(ValidationError, match=reason):
        normalize_phone(typed)


@pytest.mark.parametrize(
    "typed",
    ["601234567 (mama)", "+48601234567 wew. 12", "22 123 45 67 ext 5", "abc", "601 234 567!"],
)
def test_letters_and_notes_are_rejected_not_guessed(typed):
    # phonenumbers would read letters as keypad digits and invent a number
    with pytest.raises(ValidationError, match="only digits"):
        normalize_phone(typed)


@pytest.mark.parametrize("typed", ["", "   ", None])
def test_empty_phone(typed):
    with pytest.raises(ValidationError, match="Enter the phone number"):
        normalize_phone(typed)
    assert normalize_optional_phone(typed) is None


def test_optional_phone_still_validates():
    assert normalize_optional_phone("601 234 567") == "+48601234567"
    with pytest.raises(ValidationError, match=ONE_NUMBER_ONLY):
        normalize_optional_phone("601234567, 602345678")


def test_mobile_numbers_can_get_sms():
    assert is_mobile("+48601234567")
    assert is_mobile("+48501234567")
    assert is_mobile("+4915123456789")
    assert not is_mobile("+48221234567")  # Warsaw landline
    assert not is_mobile("+48800123456")  # toll-free
    assert not is_mobile("not a number")


def test_format_for_display():
    assert format_phone("+48601234567") == "601 234 567"
    assert format_phone("+48221234567") == "22 123 45 67"
    assert format_phone("+4915123456789") == "+49 1512 3456789"
    assert format_phone("garbage") == "garbage"


def test_polish_display_without_phonenumbers_matches_phonenumbers():
    """The day view formats Polish numbers without importing phonenumbers (cold start); for
    every three-digit prefix the result must be what phonenumbers' PL metadata gives."""
    from recepcja.domain.phone_display import polish_national

    for prefix in range(1000):
        for rest in ("000000", "123456", "987654"):
            e164 = f"+48{prefix:03d}{rest}"
            assert polish_national(e164) == format_phone(e164), e164
    assert polish_national("+4915123456789") is None  # foreign: phonenumbers decides
    assert polish_national("+4860123456") is None  # not nine digits
    assert polish_national("garbage") is None
