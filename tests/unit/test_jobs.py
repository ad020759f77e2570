"""The job runner's policy, read from each kind's declaration, on a real SQLite file: attempts, backoff within the
policy's bounds, dead-lettering, erasing personal fields, pacing that holds across a restart, failures in words."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.slack_response import SlackResponse

from bot.jobs import Abandon, JobKind, JobRunner, Pacing, Queue, RetryLater, RetryPolicy, RunnerOptions, plain_reason
from bot.jumio import ServerError
from bot.slack_errors import SlackFailed
from storage import Job, JobState, Store
from tests.conftest import wait_until


@dataclass(frozen=True)
class Work:
    name: str
    secret: str | None = None


FLAKY = JobKind(
    "test_flaky",
    Work,
    title="Flaky work",
    retry=RetryPolicy(attempts=3, backoff_base=4.0, backoff_cap=6.0),
    erase=("secret",),
)
STEADY = JobKind("test_steady", Work, title="Steady work", erase=("secret",))
PACED = JobKind("test_paced", Work, title="Paced work", pacing=Pacing("test-bucket", per_second=2.0))
BULK = JobKind("test_bulk", Work, title="Bulk work", priority=-1, concurrency=1)
FAST = RunnerOptions(concurrency=2, idle_wait=0.01, time_scale=0.001)


def _slack_error(data: object, status: int) -> SlackApiError:
    response = SlackResponse(
        client=None,
        http_verb="POST",
        api_url="http://127.0.0.1/api/chat.postMessage",
        req_args={},
        data=data,
        headers={},
        status_code=status,
    )  # type: ignore[arg-type]
    return SlackApiError("failed", response)


@pytest.fixture
def store(tmp_path: Path) -> Any:
    opened = Store(str(tmp_path / "jobs.sqlite3"))
    yield opened
    opened.close()


async def _run(store: Store, handlers: dict[JobKind[Any], Any], until: Any, **kwargs: Any) -> JobRunner:
    runner = JobRunner(store, handlers, options=FAST, **kwargs)
    runner.start()
    try:
        await wait_until(until)
    finally:
        await runner.stop(grace=1)
    return runner


def test_failures_are_named_whatever_the_body() -> None:
    assert (
        plain_reason(SlackFailed.from_error(_slack_error({"ok": False, "error": "ratelimited"}, 200)))
        == "Slack answered ratelimited"
    )
    assert (
        plain_reason(SlackFailed.from_error(_slack_error("<html>502 Bad Gateway</html>", 502))) == "Slack answered http_502"
    )
    assert plain_reason(ServerError("Jumio answered 503", status=503, call="GET /x")) == "GET /x: Jumio answered 503"
    assert plain_reason(KeyError("xoxb-secret")) == "an unexpected KeyError"


def test_a_kind_is_declared_once_and_erases_only_its_own_fields() -> None:
    with pytest.raises(ValueError, match="declared twice"):
        JobKind("test_flaky", Work, title="again")
    with pytest.raises(ValueError, match="erases fields"):
        JobKind("test_bad_erase", Work, title="bad", erase=("nope",))


def test_backoff_stays_within_the_declared_policy() -> None:
    runner = JobRunner.__new__(JobRunner)
    runner.options = RunnerOptions(time_scale=1.0)
    for attempt in range(1, FLAKY.retry.attempts):
        longest = min(FLAKY.retry.backoff_cap, FLAKY.retry.backoff_base * 2 ** (attempt - 1))
        for _ in range(50):
            assert longest / 2 <= runner.backoff(FLAKY, attempt) <= longest
    assert FLAKY.retry.least_horizon() == (4.0 + 6.0) / 2  # attempts 1 and 2 wait at least 2 s and 3 s


async def test_a_failing_job_gets_its_kinds_attempts_then_is_dead_and_erased(store: Store) -> None:
    tried: list[str] = []
    dead: list[tuple[str, Work, str]] = []

    async def always_fails(work: Work) -> None:
        tried.append(work.name)
        raise ServerError("Jumio answered 503", status=503)

    async def on_dead(kind: JobKind[Any], payload: Work, job: Job, reason: str) -> None:
        dead.append((kind.name, payload, reason))

    job_id = Queue(store).add(FLAKY, Work("a", secret="jane@example.com"))
    await _run(store, {FLAKY: always_fails}, lambda: store.jobs.get(job_id).state == JobState.DEAD, on_dead=on_dead)
    assert tried == ["a"] * FLAKY.retry.attempts
    assert dead == [("test_flaky", Work("a", secret="jane@example.com"), "Jumio answered 503")]
    assert store.jobs.get(job_id).payload == {"name": "a", "secret": None}  # personal data erased from the dead job


async def test_abandon_and_non_retryable_failures_are_dead_at_once(store: Store) -> None:
    async def abandons(work: Work) -> None:
        if work.name == "abandon":
            raise Abandon("cannot succeed")
        raise _NotRetryable()

    queue = Queue(store)
    first, second = queue.add(STEADY, Work("abandon")), queue.add(STEADY, Work("refused"))
    await _run(
        store, {STEADY: abandons}, lambda: {store.jobs.get(first).state, store.jobs.get(second).state} == {JobState.DEAD}
    )
    assert (store.jobs.get(first).attempts, store.jobs.get(first).last_error) == (1, "cannot succeed")
    assert (store.jobs.get(second).attempts, store.jobs.get(second).last_error) == (1, "an unexpected _NotRetryable")


class _NotRetryable(Exception):
    retryable = False


async def test_waiting_for_a_precondition_costs_no_attempt_and_done_erases(store: Store) -> None:
    runs: list[int] = []

    async def waits_twice(work: Work) -> None:
        runs.append(1)
        if len(runs) < 3:
            raise RetryLater("not yet", delay=0.01)

    job_id = Queue(store).add(STEADY, Work("w", secret="+14155550123"))
    await _run(store, {STEADY: waits_twice}, lambda: store.jobs.get(job_id).state == JobState.DONE)
    assert len(runs) == 3 and store.jobs.get(job_id).attempts == 1
    assert store.jobs.get(job_id).payload == {"name": "w", "secret": None}


async def test_paced_jobs_get_slots_that_hold_across_a_restart_and_hold_nothing_else_up(tmp_path: Path) -> None:
    path = str(tmp_path / "paced.sqlite3")
    store = Store(path)
    queue = Queue(store)
    paced = [queue.add(PACED, Work(f"p{i}")) for i in range(3)]
    store.close()
    store = Store(path)  # a restart: the bucket's next slot is in SQLite
    paced.append(Queue(store).add(PACED, Work("p3")))
    slots = [store.jobs.get(job_id).run_after for job_id in paced]
    gaps = [later - earlier for earlier, later in itertools.pairwise(slots)]
    assert gaps == pytest.approx([0.5, 0.5, 0.5], abs=1e-6)  # 2 per second
    other = Queue(store).add(STEADY, Work("meanwhile"))
    assert store.jobs.get(other).run_after < slots[1]  # unpaced work does not queue behind the bucket

    ran: list[str] = []

    async def record(work: Work) -> None:
        ran.append(work.name)

    await _run(store, {PACED: record, STEADY: record}, lambda: len(ran) == 5)
    assert ran[0] == "p0" and ran.index("meanwhile") < ran.index("p1")
    store.close()


async def test_bulk_work_yields_to_other_work_and_keeps_to_its_concurrency(store: Store) -> None:
    """A low-priority kind limited to one at a time: other work due later still runs first, and never waits for
    workers that the bulk kind holds."""
    import asyncio

    order: list[str] = []
    running: set[str] = set()
    most_at_once = 0
    release = asyncio.Event()

    async def bulk(work: Work) -> None:
        nonlocal most_at_once
        running.add(work.name)
        most_at_once = max(most_at_once, len(running))
        order.append(work.name)
        await release.wait()
        running.discard(work.name)

    async def steady(work: Work) -> None:
        order.append(work.name)

    queue = Queue(store)
    for i in range(4):
        queue.add(BULK, Work(f"bulk-{i}"))
    queue.add(STEADY, Work("urgent"))  # queued last, due last
    runner = JobRunner(store, {BULK: bulk, STEADY: steady}, options=FAST)
    runner.start()
    try:
        await wait_until(lambda: "urgent" in order)
        assert order[0] == "urgent"  # the first free worker took it, although the bulk was queued first
        assert most_at_once == 1
        release.set()
        await wait_until(lambda: len(order) == 5)
        assert most_at_once == 1
    finally:
        release.set()
        await runner.stop(grace=1)


async def test_a_worker_outlives_a_failure_it_cannot_record(store: Store) -> None:
    ran: list[str] = []

    class Unrecordable(Exception):
        @property
        def retryable(self) -> bool:
            raise RuntimeError("a bug while deciding whether to retry")

    async def handler(work: Work) -> None:
        ran.append(work.name)
        if work.name == "first":
            raise Unrecordable()

    queue = Queue(store)
    queue.add(STEADY, Work("first"))
    second = queue.add(STEADY, Work("second"))
    runner = JobRunner(store, {STEADY: handler}, options=RunnerOptions(concurrency=1, idle_wait=0.01))
    runner.start()
    try:
        await wait_until(lambda: store.jobs.get(second).state == JobState.DONE)
        assert ran == ["first", "second"]  # the one worker went on to the next job
    finally:
        await runner.stop(grace=1)


async def test_a_payload_this_version_cannot_read_is_dead_not_stuck(store: Store) -> None:
    job_id = store.jobs.enqueue(STEADY.name, {"unexpected": 1})
    await _run(store, {STEADY: lambda work: None}, lambda: store.jobs.get(job_id).state == JobState.DEAD)
    assert "payload is not one this version of the bot can read" in (store.jobs.get(job_id).last_error or "")
