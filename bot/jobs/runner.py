"""The durable job runner: workers lease jobs from SQLite, run them, and retry, dead-letter or finish them, each as
its kind's declaration says.

A job survives a crash: its lease runs out and another worker (or the restarted process) takes it again, so every
handler must be idempotent. A handler returns (done) or raises (see `bot.jobs.errors`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.jobs.errors import Abandon, RetryLater, is_retryable, plain_reason
from bot.jobs.kinds import JobKind
from bot.jobs.queue import Queue
from storage import Job, JobState, Store

log = logging.getLogger("bot.jobs")

Handler = Callable[[Any], Awaitable[None]]
OnDead = Callable[[JobKind[Any], Any, Job, str], Awaitable[None]]
GaveUp = Callable[[Any, str], None]  # what a kind does, beyond telling, when its job gives up: (payload, reason)


@dataclass
class RunnerOptions:
    concurrency: int = 8
    lease_seconds: float = 60.0
    idle_wait: float = 1.0
    time_scale: float = 1.0  # < 1 compresses every kind's backoff (tests, the demo)
    backoff_cap: float | None = None  # a ceiling on any backoff, over the kinds' own


class JobRunner:
    """Runs jobs of the kinds in `handlers` with `concurrency` workers until `stop()`."""

    def __init__(
        self,
        store: Store,
        handlers: Mapping[JobKind[Any], Handler],
        *,
        queue: Queue | None = None,
        on_dead: OnDead | None = None,
        options: RunnerOptions | None = None,
        owner: str | None = None,
    ) -> None:
        self.store = store
        self.handlers = {kind.name: (kind, handler) for kind, handler in handlers.items()}
        self.queue = queue or Queue(store)
        self.on_dead = on_dead
        self.options = options or RunnerOptions()
        self.owner = owner or worker_name()
        self._wake = asyncio.Event()
        self._stopping = False
        self._workers: list[asyncio.Task[None]] = []
        self._running: dict[int, asyncio.Task[None]] = {}
        self._running_kinds: dict[int, str] = {}

    @property
    def running_jobs(self) -> int:
        return len(self._running)

    def start(self) -> None:
        released = self.store.jobs.release_leases_of(owner_is_gone)
        if released:
            log.warning("took back %d job(s) left running by a process that is gone", released)
        self._stopping = False
        self._workers = [asyncio.create_task(self._work(i), name=f"job-worker-{i}") for i in range(self.options.concurrency)]

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
            if self.store.jobs.release(job_id, self.owner):
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
            due = self.store.jobs.next_due_in()
            if not self._running and (due is None or due > 0):
                return
            self.wake()
            await asyncio.sleep(0.01)
        raise TimeoutError("jobs still running")

    def _claimable(self) -> tuple[str, ...]:
        """The kinds a free worker may take now: those not at their declared concurrency."""
        running: dict[str, int] = {}
        for name in self._running_kinds.values():
            running[name] = running.get(name, 0) + 1
        return tuple(
            name
            for name, (kind, _) in self.handlers.items()
            if kind.concurrency is None or running.get(name, 0) < kind.concurrency
        )

    def backoff(self, kind: JobKind[Any], attempt: int) -> float:
        """Seconds before the next attempt, from the kind's policy and the runner's time scale."""
        wait = kind.retry.wait(attempt) * self.options.time_scale
        return wait if self.options.backoff_cap is None else min(wait, self.options.backoff_cap)

    async def _work(self, index: int) -> None:
        while not self._stopping:
            job = self.store.jobs.claim_next(self.owner, self.options.lease_seconds, self._claimable())
            if job is None:
                due = self.store.jobs.next_due_in()
                wait = self.options.idle_wait if due is None else min(self.options.idle_wait, max(due, 0.01))
                self._wake.clear()
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), wait + random.uniform(0, wait / 10))
                continue
            task = asyncio.create_task(self._run(job), name=f"job-{job.id}-{job.kind}")
            self._running[job.id] = task
            self._running_kinds[job.id] = job.kind
            try:
                await asyncio.shield(task)
            except asyncio.CancelledError:
                if not task.done():
                    raise
            except Exception as exc:  # noqa: BLE001 - a bug in recording a failure must not take the worker down
                log.error(
                    "job %s (%s): recording its outcome failed (%s); its lease runs out and it is retried",
                    job.id,
                    job.kind,
                    type(exc).__name__,
                )
            finally:
                self._running.pop(job.id, None)
                self._running_kinds.pop(job.id, None)

    async def _run(self, job: Job) -> None:
        kind, handler = self.handlers[job.kind]
        heartbeat = asyncio.create_task(self._keep_lease(job))
        try:
            payload = kind.decode(job.payload)
        except TypeError:
            await self._dead(kind, None, job, "its payload is not one this version of the bot can read")
            heartbeat.cancel()
            return
        try:
            await handler(payload)
        except RetryLater as later:
            self.store.jobs.retry(
                job.id, self.owner, later.reason, later.delay, count_attempt=False, pace=self.queue.pace(kind)
            )
        except Abandon as abandon:
            await self._dead(kind, payload, job, abandon.reason)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - recorded, never lost
            reason = plain_reason(exc)
            if not is_retryable(exc):
                await self._dead(kind, payload, job, reason)
            else:
                state = self.store.jobs.retry(
                    job.id,
                    self.owner,
                    reason,
                    self.backoff(kind, job.attempts),
                    pace=self.queue.pace(kind),
                    payload_if_dead=kind.erased(job.payload),
                )
                log.warning("job %s (%s) attempt %s failed: %s", job.id, job.kind, job.attempts, reason)
                if state == JobState.DEAD:
                    await self._notify_dead(kind, payload, job, reason)
        else:
            self.store.jobs.complete(job.id, self.owner, payload=kind.erased(job.payload))
        finally:
            heartbeat.cancel()

    async def _dead(self, kind: JobKind[Any], payload: Any, job: Job, reason: str) -> None:
        if self.store.jobs.fail(job.id, self.owner, reason, payload=kind.erased(job.payload)):
            await self._notify_dead(kind, payload, job, reason)

    async def _notify_dead(self, kind: JobKind[Any], payload: Any, job: Job, reason: str) -> None:
        log.error("job %s (%s) gave up: %s", job.id, job.kind, reason)
        if self.on_dead is not None and payload is not None:
            try:
                await self.on_dead(kind, payload, job, reason)
            except Exception as exc:  # noqa: BLE001 - recorded, never lost
                log.error("could not report the failed job %s: %s", job.id, plain_reason(exc))

    async def _keep_lease(self, job: Job) -> None:
        while True:
            await asyncio.sleep(self.options.lease_seconds / 3)
            self.store.jobs.extend_lease(job.id, self.owner, self.options.lease_seconds)


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
