"""What agents type is checked before Jumio sees it; each failure names the field in plain words."""

from __future__ import annotations

import datetime as dt

import pytest

from bot import validation
from bot.validation import ValidationError


@pytest.mark.parametrize(
    "value",
    ["CUST-42", "  CUST-42 ", "a", "x" * 100, "Müller&Söhne#7", "42", "Иван-42", "ORD-2024-000123", "12345678", "HELP-1"],
)
def test_good_customer_references(value: str) -> None:
    assert validation.customer_reference(value) == value.strip()


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("jane.doe@example.com", "looks like an email address"),
        ("+15031234567", "looks like a phone number"),
        ("(503)123-4567", "looks like a phone number"),
        ("0151-2345-6789", "looks like a phone number"),
        ("4111111111111111", "looks like a card number"),
        ("4111-1111-1111-1111", "looks like a card number"),
        ("\u3164", "invisible character"),
        ("CUST\u200b42", "invisible character"),
        ("\u0421UST-42", "different alphabets (Cyrillic, Latin)"),
        ("e" + "\u0301" * 99, "combining accent"),
        ("\uff23\uff35\uff33\uff34", "special form"),
        ("CUST 42", "a space"),
    ],
    ids=[
        "email",
        "phone-e164",
        "phone-us",
        "phone-national",
        "card",
        "card-dashes",
        "hangul-filler",
        "zero-width",
        "cyrillic-c",
        "combining",
        "full-width",
        "space",
    ],
)
def test_references_that_are_personal_data_or_look_like_others_are_refused(value: str, words: str) -> None:
    with pytest.raises(ValidationError) as refused:
        validation.customer_reference(value)
    assert words in refused.value.message and refused.value.field == "customer_reference"


def test_a_number_that_fails_luhn_is_no_card() -> None:
    assert validation.personal_data_kind("4111111111111112") is None


@pytest.mark.parametrize(
    ("text", "nearest"), [("stauts CUST-42", "status"), ("stat CUST-42", "status"), ("hepl", "help"), ("STATSU", "status")]
)
def test_a_typo_of_a_subcommand_starts_nothing(text: str, nearest: str) -> None:
    with pytest.raises(ValidationError) as refused:
        validation.command_reference(text)
    assert f"Did you mean `/verify {nearest}" in refused.value.message and "Nothing was started" in refused.value.message


def test_a_command_reference_is_one_word() -> None:
    with pytest.raises(ValidationError) as refused:
        validation.command_reference("CUST-42 please")
    assert "one word" in refused.value.message and "2 words" in refused.value.message
    assert validation.command_reference("  CUST-42 ") == "CUST-42"


def test_edit_distance() -> None:
    assert validation.edit_distance("stauts", "status") == 2
    assert validation.edit_distance("", "help") == 4
    assert validation.near_subcommand("customer") is None and validation.near_subcommand("HELP-1") is None


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("", "empty"),
        ("   ", "empty"),
        (None, "empty"),
        ("x" * 101, "101 characters long; Jumio accepts at most 100"),
        ("CUST<42>", "contains < >"),
        ('CUST"42', 'contains "'),
        ("CUST/42", "contains /"),
        ("CUST;42", "contains ;"),
        ("CUST`42", "contains `"),
        ("CUST%42", "contains %"),
        ("CUST{42}", "contains { }"),
        ("CUST|42", "contains |"),
        ("CUST\t42", "control character"),
    ],
)
def test_bad_customer_references(value: str | None, words: str) -> None:
    with pytest.raises(ValidationError) as error:
        validation.customer_reference(value)
    assert error.value.field == "customer_reference"
    assert "customer reference" in error.value.message and words in error.value.message


def test_user_reference_is_optional_but_checked() -> None:
    assert validation.user_reference("") is None
    assert validation.user_reference("agent-7") == "agent-7"
    with pytest.raises(ValidationError) as error:
        validation.user_reference("a|b")
    assert error.value.field == "user_reference"


def test_phone_number() -> None:
    assert validation.phone_number("+1 503 123-4567") == "+15031234567"
    assert validation.phone_number("") is None
    for bad in ("5031234567", "+0123456789", "+1234", "+1503123456789012", "+1 503 CALL ME"):
        with pytest.raises(ValidationError, match="international form") as error:
            validation.phone_number(bad)
        assert error.value.field == "phone_number"


def test_date_of_birth() -> None:
    assert validation.date_of_birth("1972-11-16") == "1972-11-16"
    for bad in ("16.11.1972", "1972-13-01", "1972-02-30", "72-11-16"):
        with pytest.raises(ValidationError, match="YYYY-MM-DD"):
            validation.date_of_birth(bad)
    with pytest.raises(ValidationError, match="between 1900 and today"):
        validation.date_of_birth("2030-01-01", today=dt.date(2026, 11, 27))
    with pytest.raises(ValidationError, match="between 1900 and today"):
        validation.date_of_birth("1850-01-01")


def test_email_and_country() -> None:
    assert validation.email(" jane@example.com ") == "jane@example.com"
    for bad in ("jane", "jane@", "jane@example", "ja ne@example.com"):
        with pytest.raises(ValidationError, match="not valid"):
            validation.email(bad)
    assert validation.country("usa") == "USA"
    assert validation.country("DE") == "DE"
    for bad in ("XX", "Germany", "UK"):
        with pytest.raises(ValidationError, match="ISO 3166"):
            validation.country(bad)


def test_locale() -> None:
    assert validation.locale("pt-BR") == "pt-BR"
    assert validation.locale("") is None
    with pytest.raises(ValidationError):
        validation.locale("english")


def test_supporting_data_to_prepared_data() -> None:
    data = validation.supporting_data(
        {
            "first_name": "John",
            "last_name": "Smith",
            "phone_number": "+15031234567",
            "date_of_birth": "1972-11-16",
            "email": "",
            "line1": "1 Main St",
            "city": "Any Town",
            "country": "usa",
        }
    )
    assert data.to_prepared_data() == {
        "firstName": "John",
        "lastName": "Smith",
        "phoneNumber": "+15031234567",
        "dateOfBirth": "1972-11-16",
        "address": {"line1": "1 Main St", "city": "Any Town", "country": "USA"},
    }
    assert "John" not in repr(data)
    assert validation.supporting_data({}).is_empty()
    assert validation.SupportingData.from_prepared_data(data.to_prepared_data()) == data
