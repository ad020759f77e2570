"""How a job handler says what happened, and the protocol any exception meets to be retried or shown.

Hierarchy and protocol::

    RetryLater(reason, delay)   not yet: run again after `delay` s, without counting an attempt
    Abandon(reason)             cannot succeed: dead-letter now; `reason` is shown to the agent
    any other exception         `retryable` (default True) says whether another attempt may help;
                                `safe_message` (if present) is the failure in words safe to log and show

The runner imports no error type of Jumio, Slack or the journey: their exceptions carry these two attributes.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class Failure(Protocol):
    """What the runner reads of an exception."""

    retryable: bool

    @property
    def safe_message(self) -> str: ...


class RetryLater(Exception):
    """Run the job again after `delay` seconds (the attempt is not counted)."""

    retryable = True

    def __init__(self, reason: str, delay: float = 2.0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.delay = delay

    @property
    def safe_message(self) -> str:
        return self.reason


class Abandon(Exception):
    """The job cannot succeed; dead-letter it with `reason` (plain words for the agent)."""

    retryable = False

    def __init__(self, reason: str, *, code: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code  # the service's own word for it (Slack's `error`), when there is one

    @property
    def safe_message(self) -> str:
        return self.reason


def plain_reason(exc: BaseException) -> str:
    """Words for a failure: an exception's own `safe_message`, or only its type (its arguments may hold secrets)."""
    message = getattr(exc, "safe_message", None)
    return message if isinstance(message, str) and message else f"an unexpected {type(exc).__name__}"


def is_retryable(exc: BaseException) -> bool:
    return bool(getattr(exc, "retryable", True))
