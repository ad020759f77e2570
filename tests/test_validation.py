"""What agents type is checked before Jumio sees it; each failure names the field in plain words."""

from __future__ import annotations

import datetime as dt

import pytest

from bot import validation
from bot.validation import ValidationError


@pytest.mark.parametrize("value", ["CUST-42", "  CUST-42 ", "a", "x" * 100, "Müller & Söhne #7", "42"])
def test_good_customer_references(value: str) -> None:
    assert validation.customer_reference(value) == value.strip()


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
    data = validation.supporting_data({"first_name": "John", "last_name": "Smith", "phone_number": "+15031234567",
                                       "date_of_birth": "1972-11-16", "email": "", "line1": "1 Main St",
                                       "city": "Any Town", "country": "usa"})
    assert data.to_prepared_data() == {
        "firstName": "John", "lastName": "Smith", "phoneNumber": "+15031234567", "dateOfBirth": "1972-11-16",
        "address": {"line1": "1 Main St", "city": "Any Town", "country": "USA"},
    }
    assert "John" not in repr(data)
    assert validation.supporting_data({}).is_empty()
    assert validation.SupportingData.from_prepared_data(data.to_prepared_data()) == data
