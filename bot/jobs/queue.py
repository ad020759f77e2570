"""Queueing work by its declaration: the typed payload, its dedupe key, attempts and pacing slot in one insert."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from bot.jobs.kinds import KINDS, JobKind
from storage import Job, Pace, Store

P = TypeVar("P")


class Queue:
    """Adds jobs to the store's queue (inside the caller's transaction, if any) and wakes a worker once it commits.

    `rates` overrides a pacing bucket's declared rate (the simulator's limit in tests, a tenant's negotiated one)."""

    def __init__(self, store: Store, *, rates: Mapping[str, float] | None = None) -> None:
        self.store = store
        self.rates = dict(rates or {})
        self.wake: Callable[[], None] = lambda: None

    def add(self, kind: JobKind[P], payload: P, *, delay: float = 0.0) -> int:
        job_id = self.store.jobs.enqueue(
            kind.name,
            kind.encode(payload),
            dedupe_key=kind.dedupe_key(payload),
            delay=delay,
            max_attempts=kind.retry.attempts,
            pace=self.pace(kind),
            priority=kind.priority,
        )
        self.store.after_commit(self.wake)
        return job_id

    def add_again(self, job: Job) -> bool:
        """A dead job queued again with more attempts (a paced one in its next slot); False when it was not dead."""
        kind = KINDS.get(job.kind)
        if not self.store.jobs.requeue_dead(job.id, pace=None if kind is None else self.pace(kind)):
            return False
        self.store.after_commit(self.wake)
        return True

    def pace(self, kind: JobKind[P]) -> Pace | None:
        if kind.pacing is None:
            return None
        rate = self.rates.get(kind.pacing.bucket, kind.pacing.per_second)
        return Pace(kind.pacing.bucket, 1.0 / rate)
