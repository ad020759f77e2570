"""One failure vocabulary (`bot/failures.py`): every error the bot shows or retries offers words a person may read
and whether to retry, the Jumio client's by the same two attributes (it cannot derive from the bot's base)."""

from __future__ import annotations

from bot.failures import Failure, ReadableFailure, is_retryable, plain_reason
from bot.jobs import Abandon, RetryLater
from bot.journey.results import DetailsNotReady
from bot.jumio import InvalidRequest, JumioError, NotFound, ServerError
from bot.slack_errors import SlackFailed
from bot.slack_files import DownloadFailed, FileRejected, PhotoRefused


def test_every_failure_says_what_a_person_may_read_and_whether_to_retry() -> None:
    failures: list[BaseException] = [
        RetryLater("not yet"),
        Abandon("cannot succeed"),
        SlackFailed("ratelimited"),
        DownloadFailed("broke off"),
        PhotoRefused("Jumio refused it", reached_jumio=True),
        FileRejected("not a photo"),
        DetailsNotReady("soon"),
        InvalidRequest("Jumio refused the request (400)", status=400),
        ServerError("Jumio had a server error (503)"),
    ]
    assert all(isinstance(f, ReadableFailure) and plain_reason(f) for f in failures)
    assert [is_retryable(f) for f in failures] == [True, False, True, True, False, False, True, False, True]
    assert all(isinstance(f, Failure) for f in failures if not isinstance(f, JumioError))
    assert plain_reason(SlackFailed("ratelimited")) == "Slack answered ratelimited"
    assert not FileRejected("x").reached_jumio and isinstance(FileRejected("x"), PhotoRefused)
    assert plain_reason(NotFound("gone", status=404)).startswith("gone")


def test_anything_else_is_retried_and_shown_only_by_its_type() -> None:
    secret = KeyError("xoxb-secret-token")
    assert is_retryable(secret) and plain_reason(secret) == "an unexpected KeyError"
