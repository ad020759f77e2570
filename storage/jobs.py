"""The job queue: durable jobs with leases, dedupe keys and dead-lettering, and the pacing slots of paced kinds.

The queue knows kinds only by name; what a kind means (its payload, retries, pacing) is declared by the bot.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from storage.connection import TableGroup
from storage.models import Job
from storage.statuses import JobState

DONE_JOB_RETENTION = 7 * 24 * 3600


@dataclass(frozen=True)
class Pace:
    """At most one run of a bucket's jobs every `interval` seconds, reserved when the job is queued."""

    bucket: str
    interval: float


class JobQueue(TableGroup):
    """The `jobs` and `pacing` tables."""

    def has_queued(self, kind: str, execution: int) -> bool:
        """Whether a job of `kind` about `execution` waits to run (not one already running)."""
        return (
            self.db.execute(
                "SELECT 1 FROM jobs WHERE kind = ? AND state = ? AND json_extract(payload, '$.execution') = ? LIMIT 1",
                (kind, JobState.QUEUED, execution),
            ).fetchone()
            is not None
        )

    def last_added(self, kind: str, execution: int) -> float | None:
        """When the newest job of `kind` about `execution` was added (whatever became of it), if any is kept."""
        row = self.db.execute(
            "SELECT max(created_at) FROM jobs WHERE kind = ? AND json_extract(payload, '$.execution') = ?", (kind, execution)
        ).fetchone()
        return None if row is None or row[0] is None else float(row[0])

    def enqueue(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        dedupe_key: str | None = None,
        delay: float = 0.0,
        max_attempts: int = 8,
        pace: Pace | None = None,
        priority: int = 0,
    ) -> int:
        """Queue a job; with a `dedupe_key` already used, the existing job's id comes back and nothing is added.
        A paced job runs no sooner than its bucket's next free slot, which it takes; of the jobs due, the highest
        `priority` runs first."""
        now = self.clock()
        with self._write() as db:
            if pace is not None and dedupe_key is not None:  # a slot is only taken by a job that is added
                found = db.execute("SELECT id FROM jobs WHERE dedupe_key = ?", (dedupe_key,)).fetchone()
                if found:
                    return int(found[0])
            cursor = db.execute(
                "INSERT OR IGNORE INTO jobs (kind, payload, state, attempts, max_attempts, run_after, dedupe_key, "
                "priority, created_at, updated_at) VALUES (?, ?, ?, 0, ?, ?, ?, ?, ?, ?)",
                (
                    kind,
                    json.dumps(payload),
                    JobState.QUEUED,
                    max_attempts,
                    self._slot(pace, now + delay),
                    dedupe_key,
                    priority,
                    now,
                    now,
                ),
            )
            if cursor.rowcount == 1:
                return int(cursor.lastrowid or 0)
            return int(db.execute("SELECT id FROM jobs WHERE dedupe_key = ?", (dedupe_key,)).fetchone()[0])

    def _slot(self, pace: Pace | None, not_before: float) -> float:
        """The first free slot of `pace`'s bucket at or after `not_before`, taken (inside a write transaction)."""
        if pace is None:
            return not_before
        row = self.db.execute("SELECT next_slot FROM pacing WHERE bucket = ?", (pace.bucket,)).fetchone()
        slot = max(not_before, row[0] if row else 0.0)
        self.db.execute(
            "INSERT INTO pacing (bucket, next_slot) VALUES (?, ?) "
            "ON CONFLICT (bucket) DO UPDATE SET next_slot = excluded.next_slot",
            (pace.bucket, slot + pace.interval),
        )
        return slot

    def claim_next(self, owner: str, lease_seconds: float, kinds: tuple[str, ...] | None = None) -> Job | None:
        """Lease the next due job (or one whose lease ran out: its process died) to `owner`."""
        now = self.clock()
        kind_filter = f" AND kind IN ({','.join('?' * len(kinds))})" if kinds else ""
        with self._write() as db:
            rows = self._rows(
                "SELECT * FROM jobs WHERE ((state = ? AND run_after <= ?) OR (state = ? AND lease_expires < ?))"
                f"{kind_filter} ORDER BY priority DESC, run_after, id LIMIT 1",
                (JobState.QUEUED, now, JobState.RUNNING, now, *(kinds or ())),
            )
            if not rows:
                return None
            row = rows[0]
            if row["state"] == JobState.RUNNING and row["attempts"] >= row["max_attempts"]:
                db.execute(
                    "UPDATE jobs SET state = ?, lease_owner = NULL, lease_expires = NULL, updated_at = ?, "
                    "last_error = coalesce(last_error, 'its worker died on every attempt') WHERE id = ?",
                    (JobState.DEAD, now, row["id"]),
                )
                return None
            db.execute(
                "UPDATE jobs SET state = ?, attempts = attempts + 1, lease_owner = ?, lease_expires = ?, updated_at = ? "
                "WHERE id = ?",
                (JobState.RUNNING, owner, now + lease_seconds, now, row["id"]),
            )
        return self.get(row["id"])

    def get(self, job_id: int) -> Job:
        try:
            return Job.from_row(self.db.table("jobs").get(job_id))
        except sqlite_utils.db.NotFoundError:
            raise KeyError(f"no job {job_id}") from None

    def listed(self, *, kind: str | None = None, state: str | None = None) -> list[Job]:
        clauses = {"kind = :kind": kind, "state = :state": state}
        where = " AND ".join(clause for clause, value in clauses.items() if value) or None
        rows = self.db.table("jobs").rows_where(where, {"kind": kind, "state": state}, order_by="id")
        return [Job.from_row(row) for row in rows]

    def next_due_in(self) -> float | None:
        """Seconds until the next queued job is due (0 if one is due now); None when nothing is queued."""
        row = self.db.execute(
            "SELECT min(run_after) FROM (SELECT run_after FROM jobs WHERE state = ? "
            "UNION ALL SELECT lease_expires FROM jobs WHERE state = ?)",
            (JobState.QUEUED, JobState.RUNNING),
        ).fetchone()
        if row is None or row[0] is None:
            return None
        return max(0.0, row[0] - self.clock())

    def release_leases_of(self, owners_gone: Callable[[str], bool]) -> int:
        """Hand back the jobs leased by workers that no longer exist (a process killed on this host)."""
        released = 0
        with self._write() as db:
            for job_id, owner in db.execute(
                "SELECT id, lease_owner FROM jobs WHERE state = ?", (JobState.RUNNING,)
            ).fetchall():
                if owner and owners_gone(owner):
                    db.execute(
                        "UPDATE jobs SET state = ?, lease_owner = NULL, lease_expires = NULL, run_after = ? WHERE id = ?",
                        (JobState.QUEUED, self.clock(), job_id),
                    )
                    released += 1
        return released

    def extend_lease(self, job_id: int, owner: str, lease_seconds: float) -> bool:
        with self._write() as db:
            cursor = db.execute(
                "UPDATE jobs SET lease_expires = ? WHERE id = ? AND lease_owner = ? AND state = ?",
                (self.clock() + lease_seconds, job_id, owner, JobState.RUNNING),
            )
            return cursor.rowcount == 1

    def complete(self, job_id: int, owner: str, *, payload: dict[str, Any] | None = None) -> bool:
        """Mark a leased job done, its payload replaced by `payload` if given (what it kept of personal data is
        erased); False when the lease was lost to another worker."""
        return self._end(job_id, owner, JobState.DONE, None, payload)

    def fail(self, job_id: int, owner: str, error: str, *, payload: dict[str, Any] | None = None) -> bool:
        """Dead-letter a job that cannot succeed by trying again (its payload replaced, as in `complete_job`)."""
        return self._end(job_id, owner, JobState.DEAD, error, payload)

    def _end(self, job_id: int, owner: str, state: str, error: str | None, payload: dict[str, Any] | None) -> bool:
        with self._write() as db:
            cursor = db.execute(
                "UPDATE jobs SET state = ?, last_error = coalesce(?, last_error), lease_owner = NULL, "
                "lease_expires = NULL, updated_at = ?, payload = coalesce(?, payload) "
                "WHERE id = ? AND lease_owner = ? AND state = ?",
                (
                    state,
                    error,
                    self.clock(),
                    None if payload is None else json.dumps(payload),
                    job_id,
                    owner,
                    JobState.RUNNING,
                ),
            )
            ended = cursor.rowcount == 1
            if ended and payload is not None:
                self.flush_forgotten()
        return ended

    def retry(
        self,
        job_id: int,
        owner: str,
        error: str,
        delay: float,
        *,
        count_attempt: bool = True,
        pace: Pace | None = None,
        payload_if_dead: dict[str, Any] | None = None,
    ) -> str | None:
        """Put a failed job back for later (a paced one in its bucket's next slot), or dead-letter it after its last
        attempt; returns the new state. With `count_attempt=False` (the job only waits for a precondition) the
        attempt is not counted."""
        now = self.clock()
        with self._write() as db:
            row = db.execute(
                "SELECT attempts, max_attempts FROM jobs WHERE id = ? AND lease_owner = ? AND state = ?",
                (job_id, owner, JobState.RUNNING),
            ).fetchone()
            if row is None:
                return None
            attempts = row[0] if count_attempt else max(row[0] - 1, 0)
            if attempts >= row[1]:
                db.execute("UPDATE jobs SET attempts = ? WHERE id = ?", (attempts, job_id))
                self._end(job_id, owner, JobState.DEAD, error, payload_if_dead)
                return JobState.DEAD
            db.execute(
                "UPDATE jobs SET state = ?, attempts = ?, run_after = ?, last_error = ?, lease_owner = NULL, "
                "lease_expires = NULL, updated_at = ? WHERE id = ?",
                (JobState.QUEUED, attempts, self._slot(pace, now + delay), error, now, job_id),
            )
            return JobState.QUEUED

    def release(self, job_id: int, owner: str) -> bool:
        """Hand a lease back without counting the attempt (graceful shutdown)."""
        with self._write() as db:
            cursor = db.execute(
                "UPDATE jobs SET state = ?, attempts = max(attempts - 1, 0), lease_owner = NULL, lease_expires = NULL, "
                "run_after = ?, updated_at = ? WHERE id = ? AND lease_owner = ? AND state = ?",
                (JobState.QUEUED, self.clock(), self.clock(), job_id, owner, JobState.RUNNING),
            )
            return cursor.rowcount == 1

    def by_dedupe_key(self, dedupe_key: str) -> Job | None:
        for row in self.db.query("SELECT * FROM jobs WHERE dedupe_key = ?", (dedupe_key,)):
            return Job.from_row(row)
        return None

    def requeue_dead(self, job_id: int, *, extra_attempts: int = 3, pace: Pace | None = None) -> bool:
        """Give a dead-lettered job more attempts (the agent pressed Retry)."""
        now = self.clock()
        with self._write() as db:
            if db.execute("SELECT 1 FROM jobs WHERE id = ? AND state = ?", (job_id, JobState.DEAD)).fetchone() is None:
                return False
            db.execute(
                "UPDATE jobs SET state = ?, max_attempts = attempts + ?, run_after = ?, updated_at = ? WHERE id = ?",
                (JobState.QUEUED, extra_attempts, self._slot(pace, now), now, job_id),
            )
            return True

    def counts(self) -> dict[str, int]:
        """How many jobs are in each state (for /metrics)."""
        return {state: count for state, count in self.db.execute("SELECT state, count(*) FROM jobs GROUP BY state")}

    def oldest_due_age(self) -> float:
        """Seconds the oldest queued job that is due has waited (0 when none waits)."""
        row = self.db.execute(
            "SELECT min(run_after) FROM jobs WHERE state = ? AND run_after <= ?", (JobState.QUEUED, self.clock())
        ).fetchone()
        return 0.0 if row is None or row[0] is None else max(0.0, self.clock() - float(row[0]))

    def forget_old(self) -> int:
        """Drop jobs done more than a week ago (what they did is in the audit trail); dead ones stay for a human."""
        with self._write() as db:
            return db.execute(
                "DELETE FROM jobs WHERE state = ? AND updated_at < ?", (JobState.DONE, self.clock() - DONE_JOB_RETENTION)
            ).rowcount
