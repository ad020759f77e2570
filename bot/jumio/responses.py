"""Reading Jumio's HTTP answers: the JSON body, Retry-After, Jumio's own words, and the exception each status
means (`bot.jumio.exceptions`)."""

from __future__ import annotations

from typing import Any

import httpx

from bot.jumio.exceptions import (
    AuthenticationFailed,
    Forbidden,
    InvalidRequest,
    InvalidResponse,
    JumioError,
    NotFound,
    RateLimited,
    ServerError,
)


def json_body(response: httpx.Response, call: str) -> Any:
    if not response.content:
        return {}
    try:
        return response.json()
    except ValueError:
        raise InvalidResponse(
            "Jumio answered with a body that is not JSON", status=response.status_code, call=call
        ) from None


def retry_after_seconds(response: httpx.Response) -> float | None:
    # Jumio documents no Retry-After (reference §8, UNCONFIRMED); honour it if it comes, within reason.
    value = response.headers.get("Retry-After", "")
    try:
        return min(max(float(value), 0.0), 30.0)
    except ValueError:
        return None


def jumio_message(response: httpx.Response) -> str | None:
    # Only the 429 body is documented; error bodies of 400/403/404 are UNCONFIRMED, so read the usual keys.
    try:
        body = response.json()
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    for key in ("message", "detail", "error_description", "errorMessage", "title", "error"):
        value = body.get(key)
        if isinstance(value, str) and value:
            return value
    errors = body.get("errors")
    if isinstance(errors, list) and errors:
        return "; ".join(str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors[:3])
    return None


def error_for(response: httpx.Response, call: str) -> JumioError:
    status = response.status_code
    said = jumio_message(response)
    suffix = f": {said}" if said else ""
    if status == 401:
        return AuthenticationFailed(f"Jumio refused the credentials (401){suffix}", status=status, call=call)
    if status == 403:
        return Forbidden(f"Jumio refused the request (403){suffix}", status=status, call=call)
    if status == 404:
        return NotFound(f"Jumio does not know it (404){suffix}", status=status, call=call)
    if status == 429:
        return RateLimited(f"Jumio's rate limit was hit (429){suffix}", status=status, call=call)
    if status >= 500:
        return ServerError(f"Jumio had a server error ({status})", status=status, call=call)
    return InvalidRequest(f"Jumio refused the request ({status}){suffix}", jumio_message=said, status=status, call=call)
