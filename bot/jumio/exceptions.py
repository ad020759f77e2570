"""Errors of the Jumio client.

Hierarchy::

    JumioError                   anything that went wrong talking to Jumio
    ├── AuthenticationFailed     401 after one token refresh, or the token endpoint refused the client (or an
    │                            `api.token` that Jumio no longer accepts)
    ├── Forbidden                403: missing permission, a missing or suspicious header, a token used up
    ├── InvalidRequest           400 (and 405, 413, 415, 422): Jumio refused the request; `jumio_message` says why
    ├── NotFound                 404: unknown account, execution or part
    ├── RateLimited              429 still answered after the retries
    ├── ServerError              5xx still answered after the retries
    ├── Unreachable              time-outs and dropped connections still happening after the retries
    │   └── OutcomeUnknown       a call that is not safe to repeat (POST/PUT /accounts: each makes a paid
    │                            transaction) got no answer it can read: Jumio may have done it; never retried
    └── InvalidResponse          Jumio answered 2xx with a body the client cannot read

Every message names the call (method and path, never a query string) and the status; none carries a token, secret or
Web Client link. `retryable` says whether trying the same call later may succeed.
"""

from __future__ import annotations

import re

_TOKENISH = re.compile(r"[A-Za-z0-9_\-]{16,}\.[A-Za-z0-9_\-]{16,}(?:\.[A-Za-z0-9_\-]+)?|[A-Za-z0-9_\-+/=]{40,}")


def scrub(text: str, limit: int = 300) -> str:
    """Jumio's words with anything that looks like a token removed, cut to `limit` characters."""
    cleaned = _TOKENISH.sub("[redacted]", text)
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


class JumioError(Exception):
    """Anything that went wrong talking to Jumio."""

    retryable = False

    def __init__(self, message: str, *, status: int | None = None, call: str | None = None) -> None:
        self.status = status
        self.call = call
        self.message = scrub(message)
        text = self.message if call is None else f"{call}: {self.message}"
        super().__init__(text)

    @property
    def safe_message(self) -> str:
        """The failure in words safe to log and show (no token, secret or link): what job runners read."""
        return str(self)


class AuthenticationFailed(JumioError):
    """Jumio did not accept the client credentials, the OAuth token or the credential's `api.token`."""


class Forbidden(JumioError):
    """403: a permission, header or token problem that trying again will not fix."""


class InvalidRequest(JumioError):
    """Jumio refused the request; `jumio_message` carries its reason."""

    def __init__(
        self, message: str, *, jumio_message: str | None = None, status: int | None = None, call: str | None = None
    ) -> None:
        super().__init__(message, status=status, call=call)
        self.jumio_message = scrub(jumio_message) if jumio_message else None


class NotFound(JumioError):
    """404: the account, execution or part does not exist (or no longer does)."""


class RateLimited(JumioError):
    """429 after every retry."""

    retryable = True


class ServerError(JumioError):
    """5xx after every retry."""

    retryable = True


class Unreachable(JumioError):
    """Time-outs or dropped connections after every retry."""

    retryable = True


class OutcomeUnknown(Unreachable):
    """A non-idempotent call (account create or update) failed after it may have reached Jumio: a time-out waiting
    for the answer, a dropped connection, a 5xx. Jumio documents no idempotency key and no 5xx as "not processed"
    (reference §8), so repeating it could make a second paid transaction: only a person decides to."""

    retryable = False


class InvalidResponse(JumioError):
    """A 2xx answer whose body is not what the API documents."""
