"""The durable job runner: workers lease jobs from SQLite, run them, and retry, dead-letter or finish them.

A job survives a crash: its lease runs out and another worker (or the restarted process) takes it again, so every
handler must be idempotent. A handler signals what happened by returning (done) or raising:
- `RetryLater(reason, delay)`: not yet (for example, the Jumio account does not exist yet);
- `Abandon(reason)`: it cannot succeed; the job is dead-lettered and `on_dead` tells the agent;
- a retryable `JumioError` or `DownloadFailed`: retried with exponential backoff until `max_attempts`;
- any other exception: retried the same way, logged with its type but never its arguments.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError

from storage import DEAD, Job, Store

log = logging.getLogger("bot.jobs")

Handler = Callable[[Job], Awaitable[None]]


class RetryLater(Exception):
    """Run the job again after `delay` seconds."""

    def __init__(self, reason: str, delay: float = 2.0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.delay = delay


class Abandon(Exception):
    """The job cannot succeed; dead-letter it with `reason` (plain words for the agent)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class RunnerOptions:
    concurrency: int = 8
    lease_seconds: float = 60.0
    idle_wait: float = 1.0
    backoff_base: float = 2.0
    backoff_cap: float = 300.0


class JobRunner:
    """Runs jobs of the kinds in `handlers` with `concurrency` workers until `stop()`."""

    def __init__(
        self,
        store: Store,
        handlers: dict[str, Handler],
        *,
        on_dead: Callable[[Job, str], Awaitable[None]] | None = None,
        options: RunnerOptions | None = None,
        owner: str | None = None,
    ) -> None:
        self.store = store
        self.handlers = handlers
        self.on_dead = on_dead
        self.options = options or RunnerOptions()
        self.owner = owner or worker_name()
        self._wake = asyncio.Event()
        self._stopping = False
        self._workers: list[asyncio.Task[None]] = []
        self._running: dict[int, asyncio.Task[None]] = {}

    @property
    def running_jobs(self) -> int:
        return len(self._running)

    def start(self) -> None:
        released = self.store.release_leases_of(owner_is_gone)
        if released:
            log.warning("took back %d job(s) left running by a process that is gone", released)
        self._stopping = False
        self._workers = [asyncio.create_task(self._work(i), name=f"job-worker-{i}")
                         for i in range(self.options.concurrency)]

    def wake(self) -> None:
        """A job was enqueued: let an idle worker look now rather than after its idle wait."""
        self._wake.set()

    async def stop(self, grace: float = 10.0) -> None:
        """Take no new jobs; give running ones `grace` seconds, then hand their leases back."""
        self._stopping = True
        self._wake.set()
        if self._running:
            await asyncio.wait(list(self._running.values()), timeout=grace)
        for job_id, task in list(self._running.items()):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
            if self.store.release_job(job_id, self.owner):
                log.info("handed job %s back for the next start", job_id)
        for worker in self._workers:
            worker.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        self._workers = []

    async def run_until_idle(self, timeout: float = 10.0) -> None:
        """Run due jobs until none is due (for tests and the demo)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            due = self.store.next_job_due_in()
            if not self._running and (due is None or due > 0):
                return
            self.wake()
            await asyncio.sleep(0.01)
        raise TimeoutError("jobs still running")

    async def _work(self, index: int) -> None:
        while not self._stopping:
            job = self.store.claim_next_job(self.owner, self.options.lease_seconds, tuple(self.handlers))
            if job is None:
                due = self.store.next_job_due_in()
                wait = self.options.idle_wait if due is None else min(self.options.idle_wait, max(due, 0.01))
                self._wake.clear()
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), wait + random.uniform(0, wait / 10))
                continue
            task = asyncio.create_task(self._run(job), name=f"job-{job.id}-{job.kind}")
            self._running[job.id] = task
            try:
                await asyncio.shield(task)
            except asyncio.CancelledError:
                if not task.done():
                    raise
            except Exception as exc:  # noqa: BLE001 - a bug in recording a failure must not take the worker down
                log.error("job %s (%s): recording its outcome failed (%s); its lease runs out and it is retried",
                          job.id, job.kind, type(exc).__name__)
            finally:
                self._running.pop(job.id, None)

    async def _run(self, job: Job) -> None:
        heartbeat = asyncio.create_task(self._keep_lease(job))
        try:
            await self.handlers[job.kind](job)
        except RetryLater as later:
            self.store.retry_job(job.id, self.owner, later.reason, later.delay, count_attempt=False)
        except Abandon as abandon:
            await self._dead(job, abandon.reason)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - recorded, never lost
            reason = plain_reason(exc)
            retryable = getattr(exc, "retryable", True)
            if not retryable:
                await self._dead(job, reason)
            else:
                delay = min(self.options.backoff_cap, self.options.backoff_base * 2 ** (job.attempts - 1))
                delay = random.uniform(delay / 2, delay)
                state = self.store.retry_job(job.id, self.owner, reason, delay)
                log.warning("job %s (%s) attempt %s failed: %s", job.id, job.kind, job.attempts, reason)
                if state == DEAD:
                    await self._notify_dead(job, reason)
        else:
            self.store.complete_job(job.id, self.owner, forget_payload=job.kind in FORGET_PAYLOAD_KINDS)
        finally:
            heartbeat.cancel()

    async def _dead(self, job: Job, reason: str) -> None:
        if self.store.fail_job(job.id, self.owner, reason):
            await self._notify_dead(job, reason)

    async def _notify_dead(self, job: Job, reason: str) -> None:
        log.error("job %s (%s) gave up: %s", job.id, job.kind, reason)
        if self.on_dead is not None:
            try:
                await self.on_dead(job, reason)
            except Exception as exc:  # noqa: BLE001 - recorded, never lost
                log.error("could not report the failed job %s: %s", job.id, plain_reason(exc))

    async def _keep_lease(self, job: Job) -> None:
        while True:
            await asyncio.sleep(self.options.lease_seconds / 3)
            self.store.extend_lease(job.id, self.owner, self.options.lease_seconds)


def worker_name() -> str:
    """host:pid:random, so that a restarted process can tell its dead predecessor's leases from live ones."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def owner_is_gone(owner: str) -> bool:
    """True for a worker of a process on this host that no longer runs (leases of other hosts just expire)."""
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit() or int(pid_text) == os.getpid():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


# Jobs whose payload may carry personal data (supporting data) drop it once done.
FORGET_PAYLOAD_KINDS = frozenset({"start", "upload_prepared_data"})


def plain_reason(exc: BaseException) -> str:
    """Words for a failure: our own exceptions carry safe messages; others show only their type."""
    from bot.jumio import JumioError
    from bot.slack_errors import error_code
    from bot.slack_files import DownloadFailed, FileRejected

    if isinstance(exc, JumioError | DownloadFailed | FileRejected):
        return str(exc)
    if isinstance(exc, SlackApiError):
        return f"Slack answered {error_code(exc)}"
    return f"an unexpected {type(exc).__name__}"
