"""Checks on what an agent types, before Jumio sees any of it.

Each check returns the cleaned value or raises `ValidationError`, whose message is one sentence naming the field in
words an agent understands.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from bot.countries import ALPHA_2, ALPHA_3

# Jumio forbids these in customerInternalReference (reference §2.1, union of both doc versions).
FORBIDDEN_REFERENCE_CHARACTERS = '<>"/;`%{}|'
MAX_REFERENCE_LENGTH = 100
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_LOCALE = re.compile(r"^[a-z]{2}(-[A-Z]{2})?$")


class ValidationError(ValueError):
    """A field an agent typed is not acceptable; `field` names it, the message says why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


# Characters that show as nothing (Hangul and halfwidth fillers, braille blank): category Lo/So, so named here.
INVISIBLE_FILLERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
_CARD_DIGITS = re.compile(r"^\d(?:[ -]?\d){12,18}$")
_PHONE = re.compile(r"^\+?[\d().\- ]{7,24}$")


def _script(character: str) -> str | None:
    """The script a letter belongs to, from its Unicode name (LATIN, CYRILLIC, GREEK, …); None for a non-letter."""
    if not character.isalpha():
        return None
    name = unicodedata.name(character, "")
    return name.split(" ", 1)[0] if name else None


def _luhn(digits: str) -> bool:
    total = 0
    for index, digit in enumerate(int(d) for d in reversed(digits)):
        total += digit if index % 2 == 0 else (digit * 2 - 9 if digit > 4 else digit * 2)
    return total % 10 == 0


def personal_data_kind(text: str) -> str | None:
    """What personal data `text` looks like ("an email address", "a phone number", "a card number"), if any."""
    if _EMAIL.match(text):
        return "an email address"
    digits = re.sub(r"\D", "", text)
    if _CARD_DIGITS.match(text) and _luhn(digits):
        return "a card number"
    # A phone number: + and 8–15 digits, or 10–15 digits written with separators ("(503) 123-4567", "0151 2345 6789").
    if _PHONE.match(text) and (
        (text.startswith("+") and 8 <= len(digits) <= 15) or (10 <= len(digits) <= 15 and re.search(r"[().\- ]", text))
    ):
        return "a phone number"
    return None


def character_problem(text: str) -> str | None:
    """Why `text` could be mistaken for another reference: invisible, format, combining or compatibility characters,
    or letters of more than one script (a Cyrillic "С" among Latin letters)."""
    for character in text:
        category = unicodedata.category(character)
        if category in ("Zs", "Zl", "Zp"):
            return "a space (a reference is one word, such as CUST-42)"
        if character in INVISIBLE_FILLERS or category == "Cf":
            return "an invisible character"
        if category in ("Mn", "Mc", "Me"):
            return "a combining accent (type the letter itself, such as é)"
    if unicodedata.normalize("NFKC", text) != text:
        return "a character written in a special form (such as full-width letters)"
    scripts = {script for script in map(_script, text) if script}
    if len(scripts) > 1:
        return f"letters of different alphabets ({', '.join(sorted(s.title() for s in scripts))}), which look alike"
    return None


def _reference(value: str | None, field: str, label: str, *, required: bool) -> str | None:
    text = (value or "").strip()
    if not text:
        if required:
            raise ValidationError(field, f"The {label} is empty: give the customer's reference, such as CUST-42.")
        return None
    if len(text) > MAX_REFERENCE_LENGTH:
        raise ValidationError(
            field, f"The {label} is {len(text)} characters long; Jumio accepts at most {MAX_REFERENCE_LENGTH}."
        )
    bad = sorted({ch for ch in text if ch in FORBIDDEN_REFERENCE_CHARACTERS})
    if bad:
        shown = " ".join(bad)
        raise ValidationError(
            field,
            f"The {label} contains {shown}, which Jumio does not accept "
            f"(not allowed: {' '.join(FORBIDDEN_REFERENCE_CHARACTERS)}).",
        )
    if any(unicodedata.category(ch) == "Cc" for ch in text):
        raise ValidationError(field, f"The {label} contains a control character; type it again as plain text.")
    kind = personal_data_kind(text)
    if kind:
        raise ValidationError(
            field,
            f"The {label} looks like {kind}. Jumio's reference must not contain personal "
            "data: use your own customer ID, such as CUST-42.",
        )
    problem = character_problem(text)
    if problem:
        raise ValidationError(field, f"The {label} contains {problem}; type it again with plain letters and digits.")
    return text


SUBCOMMANDS = ("status", "help", "erase")


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance: insertions, deletions and substitutions."""
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def near_subcommand(word: str) -> str | None:
    """The sub-command `word` is probably a typo of (edit distance at most 2), if any: `stauts` → `status`. Only an
    all-letter word of three or more is taken for one, so `HELP-1` stays a reference."""
    lowered = word.lower()
    if len(lowered) < 3 or not lowered.isalpha() or lowered in SUBCOMMANDS:
        return None
    distance, nearest = min((edit_distance(lowered, name), name) for name in SUBCOMMANDS)
    return nearest if distance <= 2 else None


def command_reference(text: str) -> str:
    """The customer reference of `/verify <reference>`: one word, checked like the form's, and not a typo of a
    sub-command (which would start a paid verification for "stauts CUST-42")."""
    words = text.split()
    if words and (nearest := near_subcommand(words[0])):
        typed = " ".join([nearest, *words[1:]])
        raise ValidationError(
            "customer_reference",
            f"Did you mean `/verify {typed}`? Nothing was started. (To verify "
            f"a customer whose reference is {words[0]}, use the form: "
            "`/verify` alone.)",
        )
    if len(words) > 1:
        raise ValidationError(
            "customer_reference",
            f"A customer reference is one word, such as CUST-42; you typed {len(words)} words. Nothing was started.",
        )
    return customer_reference(text)


def customer_reference(value: str | None) -> str:
    """The customer reference: 1–100 characters without the ones Jumio forbids."""
    result = _reference(value, "customer_reference", "customer reference", required=True)
    assert result is not None
    return result


def user_reference(value: str | None) -> str | None:
    """The optional user reference, under the same rules as the customer reference."""
    return _reference(value, "user_reference", "user reference", required=False)


def locale(value: str | None) -> str | None:
    """The Web Client language, such as `en`, `de` or `pt-BR` (Jumio: at most 5 characters)."""
    text = (value or "").strip()
    if not text:
        return None
    if not _LOCALE.match(text):
        raise ValidationError("locale", f"The language {text!r} is not a code such as en, de or pt-BR.")
    return text


@dataclass(frozen=True)
class Address:
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    postal_code: str | None = None
    subdivision: str | None = None
    country: str | None = None


@dataclass(frozen=True)
class SupportingData:
    """Supporting data an agent collected, sent to Jumio as Prepared Data. Personal data: never logged or stored."""

    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone_number: str | None = None
    date_of_birth: str | None = None
    address: Address = Address()

    def __repr__(self) -> str:
        return "SupportingData(<personal data withheld>)"

    def is_empty(self) -> bool:
        return not self.to_prepared_data()

    def to_prepared_data(self) -> dict[str, Any]:
        """The Prepared Data body in Jumio's field names (reference §4), leaving out what was not given."""
        body: dict[str, Any] = {
            key: value
            for key, value in (
                ("firstName", self.first_name),
                ("lastName", self.last_name),
                ("email", self.email),
                ("phoneNumber", self.phone_number),
                ("dateOfBirth", self.date_of_birth),
            )
            if value
        }
        address = {
            key: value
            for key, value in (
                ("line1", self.address.line1),
                ("line2", self.address.line2),
                ("city", self.address.city),
                ("postalCode", self.address.postal_code),
                ("subdivision", self.address.subdivision),
                ("country", self.address.country),
            )
            if value
        }
        if address:
            body["address"] = address
        return body

    @classmethod
    def from_prepared_data(cls, body: dict[str, Any]) -> SupportingData:
        address = body.get("address") or {}
        return cls(
            first_name=body.get("firstName"),
            last_name=body.get("lastName"),
            email=body.get("email"),
            phone_number=body.get("phoneNumber"),
            date_of_birth=body.get("dateOfBirth"),
            address=Address(
                line1=address.get("line1"),
                line2=address.get("line2"),
                city=address.get("city"),
                postal_code=address.get("postalCode"),
                subdivision=address.get("subdivision"),
                country=address.get("country"),
            ),
        )


def _plain(value: str | None, field: str, label: str, limit: int = 100) -> str | None:
    text = (value or "").strip()
    if not text:
        return None
    if len(text) > limit:
        raise ValidationError(field, f"The {label} is longer than {limit} characters.")
    if any(not ch.isprintable() for ch in text):
        raise ValidationError(field, f"The {label} contains a control character.")
    return text


def phone_number(value: str | None) -> str | None:
    text = re.sub(r"[\s\-().]", "", value or "")
    if not text:
        return None
    if not _E164.match(text):
        raise ValidationError(
            "phone_number", "The phone number must be in international form with the country code, such as +15031234567."
        )
    return text


def date_of_birth(value: str | None, today: dt.date | None = None) -> str | None:
    text = (value or "").strip()
    if not text:
        return None
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise ValueError
        born = dt.date.fromisoformat(text)
    except ValueError:
        raise ValidationError(
            "date_of_birth", f"The date of birth {text!r} is not a date in the form YYYY-MM-DD, such as 1972-11-16."
        ) from None
    today = today or dt.date.today()
    if born > today or born.year < 1900:
        raise ValidationError("date_of_birth", "The date of birth must be between 1900 and today.")
    return text


def email(value: str | None) -> str | None:
    text = (value or "").strip()
    if not text:
        return None
    if len(text) > 254 or not _EMAIL.match(text):
        raise ValidationError("email", f"The email address {text!r} is not valid, such as name@example.com.")
    return text


def country(value: str | None) -> str | None:
    text = (value or "").strip().upper()
    if not text:
        return None
    if text not in ALPHA_2 and text not in ALPHA_3:
        raise ValidationError("country", f"The country {text!r} is not an ISO 3166 code such as US or USA.")
    return text


def supporting_data(fields: dict[str, str | None]) -> SupportingData:
    """Supporting data from form fields keyed as the `SupportingData`/`Address` attributes.

    Raises the first problem; `supporting_data_problems` lists them all (for a form).
    """
    data, problems = _supporting_data(fields)
    if problems:
        raise problems[0]
    assert data is not None
    return data


def supporting_data_problems(fields: dict[str, str | None]) -> tuple[SupportingData | None, list[ValidationError]]:
    """The supporting data and every field's problem, so a form can show each under its field."""
    return _supporting_data(fields)


def _supporting_data(fields: dict[str, str | None]) -> tuple[SupportingData | None, list[ValidationError]]:
    problems: list[ValidationError] = []

    def check(function: Any, *args: Any) -> Any:
        try:
            return function(*args)
        except ValidationError as error:
            problems.append(error)
            return None

    data = SupportingData(
        first_name=check(_plain, fields.get("first_name"), "first_name", "first name"),
        last_name=check(_plain, fields.get("last_name"), "last_name", "last name"),
        email=check(email, fields.get("email")),
        phone_number=check(phone_number, fields.get("phone_number")),
        date_of_birth=check(date_of_birth, fields.get("date_of_birth")),
        address=Address(
            line1=check(_plain, fields.get("line1"), "line1", "address line 1", 200),
            line2=check(_plain, fields.get("line2"), "line2", "address line 2", 200),
            city=check(_plain, fields.get("city"), "city", "city"),
            postal_code=check(_plain, fields.get("postal_code"), "postal_code", "postal code", 20),
            subdivision=check(_plain, fields.get("subdivision"), "subdivision", "state or region", 20),
            country=check(country, fields.get("country")),
        ),
    )
    return (None if problems else data), problems
