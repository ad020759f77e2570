"""What Jumio refuses, as the reference documents it: account bodies, callback URLs, images, supporting data; and
the sandbox's decision rule."""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from typing import Any
from urllib.parse import urlsplit

from bot.sandbox.images import image_format, image_size
from bot.sandbox.jumio.state import (
    ACCOUNT_FIELDS,
    FORBIDDEN_REFERENCE_CHARACTERS,
    MAX_PART_BYTES,
    REQUIRES_PREPARED_DATA,
    WORKFLOWS,
    lifetime_seconds,
)


def account_body_problem(body: Any, *, strict_callback_urls: bool) -> str | None:
    """Why Jumio would refuse this account create or update body (reference §2), or None."""
    if not isinstance(body, dict):
        return "Request body must be a JSON object"
    unknown = sorted(set(body) - ACCOUNT_FIELDS)
    if unknown:
        return f"Unrecognized field(s): {', '.join(unknown)}"
    reference = body.get("customerInternalReference")
    if isinstance(reference, int) and not isinstance(reference, bool):
        reference = str(reference)
    if not isinstance(reference, str) or not 1 <= len(reference) <= 100:
        return "customerInternalReference is required: a string of 1 to 100 characters"
    if any(ch in FORBIDDEN_REFERENCE_CHARACTERS for ch in reference):
        return "customerInternalReference contains characters that are not allowed"
    definition = body.get("workflowDefinition")
    if not isinstance(definition, dict) or "key" not in definition:
        return "workflowDefinition.key is required"
    try:
        key = int(definition["key"])
    except (TypeError, ValueError):
        return "workflowDefinition.key must be a number"
    if key not in WORKFLOWS:
        return f"Workflow definition {key} is not configured for this tenant"
    user_reference = body.get("userReference")
    if user_reference is not None and (not isinstance(user_reference, str) or not 1 <= len(user_reference) <= 100):
        return "userReference must be a string of 1 to 100 characters"
    criteria = body.get("reportingCriteria")
    if criteria is not None and (not isinstance(criteria, str) or not 1 <= len(criteria) <= 255):
        return "reportingCriteria must be a string of 1 to 255 characters"
    if "tokenLifetime" in body:
        try:
            lifetime_seconds(body["tokenLifetime"])
        except ValueError as exc:
            return str(exc)
    if "callbackUrl" in body:
        problem = callback_url_problem(body["callbackUrl"], strict=strict_callback_urls)
        if problem:
            return problem
    if "userConsent" in body:
        problem = consent_problem(body["userConsent"])
        if problem:
            return problem
    web_options = body.get("web")
    if web_options is not None:
        if not isinstance(web_options, dict) or set(web_options) - {"successUrl", "errorUrl", "locale"}:
            return "web may hold successUrl, errorUrl and locale only"
        locale = web_options.get("locale")
        if locale is not None and (not isinstance(locale, str) or not 2 <= len(locale) <= 5):
            return "web.locale must be a locale such as en or pt-BR (at most 5 characters)"
        for name in ("successUrl", "errorUrl"):
            if name in web_options and (not isinstance(web_options[name], str) or len(web_options[name]) > 255):
                return f"web.{name} must be a URL of at most 255 characters"
    return None


def callback_url_problem(url: Any, *, strict: bool) -> str | None:
    if not isinstance(url, str) or not 1 <= len(url) <= 255:
        return "callbackUrl must be a URL of 1 to 255 characters"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "callbackUrl is not a valid URL"
    if strict:
        try:
            ipaddress.ip_address(parts.hostname)
            return "callbackUrl must not use an IP address"
        except ValueError:
            pass
        if parts.scheme != "https" or parts.port is not None or parts.fragment:
            return "callbackUrl must be HTTPS without a port or fragment"
    return None


def image_problem(data: bytes) -> str | None:
    """Why Jumio would refuse these bytes as an ID or selfie image (reference §3), or None."""
    if not data:
        return "The file is empty"
    if len(data) > MAX_PART_BYTES:
        return "File exceeds the maximum size of 15 MB"
    if image_format(data) is None:
        return "Unsupported file type: only JPEG and PNG are accepted"
    size = image_size(data)
    if size is None:
        return "The image could not be read"
    width, height = size
    if max(width, height) <= 300:
        return "The image is too small: the longest side must be more than 300 pixels"
    if width > 8000 or height > 8000:
        return "The image is too large: at most 8000 x 8000 pixels"
    return None


def prepared_data_problem(body: Any) -> str | None:
    """Why Jumio would refuse this supporting data (reference §4; the exact status and body are UNCONFIRMED)."""
    if not isinstance(body, dict) or not body:
        return "Prepared data must be a non-empty JSON object"
    phone = body.get("phoneNumber")
    if phone is not None and not (isinstance(phone, str) and re.fullmatch(r"\+[1-9]\d{6,14}", phone)):
        return "phoneNumber must be in E.164 format"
    birth = body.get("dateOfBirth")
    if birth is not None:
        if not (isinstance(birth, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", birth)):
            return "dateOfBirth must be YYYY-MM-DD"
        try:
            dt.date.fromisoformat(birth)
        except ValueError:
            return "dateOfBirth must be YYYY-MM-DD"
    email = body.get("email")
    if email is not None and not (isinstance(email, str) and re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email)):
        return "email is not valid"
    country = (body.get("address") or {}).get("country")
    if country is not None and not (isinstance(country, str) and re.fullmatch(r"[A-Z]{2,3}", country)):
        return "address.country must be an ISO 3166-1 alpha-2 or alpha-3 code"
    return None


def decide(customer_reference: str, received: set[str], workflow_key: int) -> str:
    """The sandbox's documented decision rule; a workflow that requires supporting data and got none is NOT_EXECUTED
    whatever the photos (D-PREP; the label it gives is UNCONFIRMED, see `answers`)."""
    if workflow_key in REQUIRES_PREPARED_DATA and "PREPARED_DATA" not in received:
        return "NOT_EXECUTED"
    reference = customer_reference.lower()
    if "reject" in reference:
        return "REJECTED"
    if "warn" in reference:
        return "WARNING"
    if "FRONT" not in received or "FACE" not in received:
        return "NOT_EXECUTED"
    return "PASSED"


CONSENT_OBTAINED = ("yes", "no", "na")
_OBTAINED_AT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")


def consent_problem(consent: Any) -> str | None:
    """Why Jumio would refuse a `userConsent` object (reference §2.1), or None."""
    if not isinstance(consent, dict) or set(consent) - {"userIp", "userLocation", "consent"}:
        return "userConsent may hold userIp, userLocation and consent only"
    ip = consent.get("userIp")
    if ip is not None:
        try:
            ipaddress.ip_address(ip)
        except (TypeError, ValueError):
            return "userConsent.userIp must be an IP address"
    location = consent.get("userLocation")
    if (
        not isinstance(location, dict)
        or not isinstance(location.get("country"), str)
        or not re.fullmatch(r"[A-Z]{3}", location["country"])
    ):
        return "userConsent.userLocation.country must be an ISO 3166-1 alpha-3 code"
    state = location.get("state")
    if state is not None and (not isinstance(state, str) or not 1 <= len(state) <= 100):
        return "userConsent.userLocation.state must be a string of at most 100 characters"
    given = consent.get("consent")
    if not isinstance(given, dict) or given.get("obtained") not in CONSENT_OBTAINED:
        return "userConsent.consent.obtained must be yes, no or na"
    if given["obtained"] == "yes" and not (
        isinstance(given.get("obtainedAt"), str) and _OBTAINED_AT.fullmatch(given["obtainedAt"])
    ):
        return "userConsent.consent.obtainedAt must be YYYY-MM-DDThh:mm:ss.SSSZ when consent was obtained"
    if location["country"] == "USA" and given["obtained"] == "na":
        return "userConsent.consent.obtained is mandatory for the USA"
    return None


def consent_given(consent: dict[str, Any] | None) -> bool:
    """Whether a (valid) `userConsent` says the end user consented."""
    return consent is not None and (consent.get("consent") or {}).get("obtained") == "yes"
