"""One failure vocabulary: what a person may read of a failure (`safe_message`) and whether trying again may help
(`retryable`). The job runner reads only these two; listeners and the journey show `safe_message` as it is.

Hierarchy::

    Failure                         reason: plain words, safe to log and show; retryable (default True)
    ├── RetryLater                  not yet: run the job again after `delay` s, the attempt not counted (bot.jobs)
    ├── Abandon                     cannot succeed: the job is dead-lettered now, `code` Slack's word if any (bot.jobs)
    ├── SlackFailed                 Slack answered what trying again may fix: rate limit, 5xx, no JSON
    │                               (bot.slack_errors)
    ├── DownloadFailed              a Slack file's download broke off, ended short or was too slow: retried
    │                               (bot.slack_files)
    ├── PhotoRefused                this photo will not go to Jumio: never retried; `reached_jumio` says whether
    │   │                           its bytes cost a request to Jumio (bot.slack_files)
    │   └── FileRejected            the bot refused it itself (not JPEG/PNG, too big, not a photo at all)
    └── DetailsNotReady             Jumio said PROCESSED and has no details yet (bot.journey.results)

    JumioError (bot.jumio.exceptions) meets the same two attributes without deriving from Failure: the Jumio client
    is a package of its own and imports nothing of the bot.

Any other exception is read through the same two attributes where it has them (`plain_reason`, `is_retryable`):
retried unless it says otherwise, and shown only by its type (its arguments may hold secrets).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable


class Failure(Exception):
    """A failure with words for a person, and whether another attempt may help."""

    retryable = True

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    @property
    def safe_message(self) -> str:
        return self.reason


@runtime_checkable
class ReadableFailure(Protocol):
    """What any failure the bot shows must offer (Failure, and JumioError which cannot derive from it)."""

    retryable: bool

    @property
    def safe_message(self) -> str: ...


def plain_reason(exc: BaseException) -> str:
    """Words for a failure: its own `safe_message`, or only its type (its arguments may hold secrets)."""
    message = getattr(exc, "safe_message", None)
    return message if isinstance(message, str) and message else f"an unexpected {type(exc).__name__}"


def is_retryable(exc: BaseException) -> bool:
    """Whether another attempt may help: an exception's own `retryable`, else yes."""
    return bool(getattr(exc, "retryable", True))
