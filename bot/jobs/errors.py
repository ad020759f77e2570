"""How a job handler says what happened: run again later, or give up now. Both are `bot.failures.Failure`s; any
other exception is read through the same two attributes (`retryable`, `safe_message`), see `bot.failures`.

The runner imports no error type of Jumio, Slack or the journey.
"""

from __future__ import annotations

from bot.failures import Failure, ReadableFailure, is_retryable, plain_reason

__all__ = ["Abandon", "Failure", "ReadableFailure", "RetryLater", "is_retryable", "plain_reason"]


class RetryLater(Failure):
    """Run the job again after `delay` seconds (the attempt is not counted)."""

    def __init__(self, reason: str, delay: float = 2.0) -> None:
        super().__init__(reason)
        self.delay = delay


class Abandon(Failure):
    """The job cannot succeed; dead-letter it with `reason` (plain words for the agent)."""

    retryable = False

    def __init__(self, reason: str, *, code: str | None = None) -> None:
        super().__init__(reason)
        self.code = code  # the service's own word for it (Slack's `error`), when there is one
