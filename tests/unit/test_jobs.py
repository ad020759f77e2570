"""The job runner's own logic, on a real SQLite file: failures in words, and a worker that outlives a bug."""

from __future__ import annotations

from pathlib import Path

from slack_sdk.errors import SlackApiError
from slack_sdk.web.slack_response import SlackResponse

from bot.jobs import JobRunner, RunnerOptions, plain_reason
from storage import DONE, Job, Store
from tests.conftest import wait_until


def _slack_error(data: object, status: int) -> SlackApiError:
    response = SlackResponse(client=None, http_verb="POST", api_url="http://127.0.0.1/api/chat.postMessage",
                             req_args={}, data=data, headers={}, status_code=status)  # type: ignore[arg-type]
    return SlackApiError("failed", response)


def test_slack_failures_are_named_whatever_the_body() -> None:
    assert plain_reason(_slack_error({"ok": False, "error": "channel_not_found"}, 200)) == \
        "Slack answered channel_not_found"
    assert plain_reason(_slack_error("<html>502 Bad Gateway</html>", 502)) == "Slack answered http_502"
    assert plain_reason(KeyError("xoxb-secret")) == "an unexpected KeyError"


class _Unrecordable(Exception):
    @property
    def retryable(self) -> bool:
        raise RuntimeError("a bug while deciding whether to retry")


async def test_a_worker_outlives_a_failure_it_cannot_record(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "jobs.sqlite3"))
    ran: list[str] = []

    async def handler(job: Job) -> None:
        ran.append(job.payload["name"])
        if job.payload["name"] == "first":
            raise _Unrecordable()

    runner = JobRunner(store, {"work": handler}, options=RunnerOptions(concurrency=1, idle_wait=0.01))
    store.enqueue("work", {"name": "first"})
    second = store.enqueue("work", {"name": "second"})
    runner.start()
    try:
        await wait_until(lambda: store.job(second).state == DONE)
        assert ran == ["first", "second"]  # the one worker went on to the next job
    finally:
        await runner.stop(grace=1)
        store.close()
