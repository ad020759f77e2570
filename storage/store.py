"""The bot's SQLite store: executions, credentials, uploads, durable jobs, seen events and the audit log.

Methods are named by what they do for the journey. Everything that must be atomic (claims, job leases) runs in one
`BEGIN IMMEDIATE` transaction, so two processes on the same file cannot both win.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlite_utils

from storage.schema import DatabaseUnusable, migrate

# Local statuses. PENDING: no Jumio account yet. The rest are Jumio's workflow statuses, plus FAILED when
# the bot gave up (the thread says why and offers Retry).
PENDING = "PENDING"
INITIATED = "INITIATED"
ACQUIRED = "ACQUIRED"
PROCESSED = "PROCESSED"
TOKEN_EXPIRED = "TOKEN_EXPIRED"
SESSION_EXPIRED = "SESSION_EXPIRED"
FAILED = "FAILED"
OPEN_STATUSES = (PENDING, INITIATED, ACQUIRED)
FINAL_STATUSES = (PROCESSED, TOKEN_EXPIRED, SESSION_EXPIRED)

# Upload states.
CLAIMED = "claimed"
SENDING = "sending"  # the bytes are on their way to Jumio; found after a crash, the outcome is unknown
UPLOADED = "uploaded"
UNCERTAIN = "uncertain"  # a crash hid whether Jumio got it; the agent was asked to send it again
REPLACED = "replaced"
REJECTED = "rejected"
UPLOAD_FAILED = "failed"

# Job states.
QUEUED = "queued"
RUNNING = "running"
DONE = "done"
DEAD = "dead"

SQLITE_HEADER = b"SQLite format 3\x00"
SEEN_EVENT_RETENTION = 24 * 3600
DONE_JOB_RETENTION = 7 * 24 * 3600


@dataclass(frozen=True)
class Execution:
    id: int
    customer_ref: str
    user_ref: str | None
    workflow_key: int
    locale: str | None
    team_id: str | None
    channel_id: str
    thread_ts: str | None
    started_by: str
    account_id: str | None
    workflow_execution_id: str | None
    status: str
    decision_type: str | None
    decision_label: str | None
    risk_score: float | None
    capabilities: list[dict[str, Any]]
    web_expires_at: float | None
    replaces: int | None
    last_error: str | None
    created_at: float
    updated_at: float
    finalized_at: float | None
    completed_at: float | None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Execution:
        values = {name: row.get(name) for name in cls.__dataclass_fields__}
        values["capabilities"] = json.loads(row["capabilities"]) if row.get("capabilities") else []
        return cls(**values)


@dataclass(frozen=True)
class StoredCredential:
    credential_id: str
    execution: int
    category: str
    allowed_channels: tuple[str, ...]
    parts: dict[str, str]
    finalize_url: str | None
    api_token: str | None

    def __repr__(self) -> str:
        return f"StoredCredential({self.credential_id!r}, {self.category!r}, parts={sorted(self.parts)})"


@dataclass(frozen=True)
class Upload:
    id: int
    execution: int
    slack_file_id: str
    part: str | None
    sha256: str | None
    size: int | None
    uploaded_by: str | None
    state: str
    error: str | None
    created_at: float
    updated_at: float

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Upload:
        return cls(**{name: row.get(name) for name in cls.__dataclass_fields__})


@dataclass(frozen=True)
class Job:
    id: int
    kind: str
    payload: dict[str, Any]
    state: str
    attempts: int
    max_attempts: int
    run_after: float
    lease_owner: str | None
    lease_expires: float | None
    last_error: str | None
    dedupe_key: str | None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Job:
        values = {name: row.get(name) for name in cls.__dataclass_fields__}
        values["payload"] = json.loads(row["payload"])
        return cls(**values)


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: float
    actor: str
    action: str
    execution: int | None
    detail: str | None


def _create_private_file(path: str) -> None:
    """Create the file readable by its owner only, or make an existing database so; never touch another file."""
    if path == ":memory:":
        return
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        header = os.read(fd, len(SQLITE_HEADER))
    finally:
        os.close(fd)
    if header and header != SQLITE_HEADER:
        raise DatabaseUnusable(f"{path} is not an SQLite database; it was left as it was")
    os.chmod(path, 0o600)


def _open(path: str) -> sqlite3.Connection:
    _create_private_file(path)
    previous_umask = os.umask(0o177)  # the -wal and -shm files are private too
    try:
        conn = sqlite3.connect(path, timeout=15, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
    finally:
        os.umask(previous_umask)
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA secure_delete=ON")  # forgotten tokens and supporting data are overwritten, not left
    conn.execute("PRAGMA busy_timeout=15000")
    return conn


class Store:
    """One SQLite file; safe to share between processes (WAL, short immediate transactions)."""

    def __init__(self, path: str, *, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self.clock = clock
        self._flush_pending = False
        try:
            self.db = sqlite_utils.Database(_open(path))
            migrate(self.db)
        except (OSError, sqlite3.Error) as error:
            reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
            raise DatabaseUnusable(f"{path} cannot be used as the database: {reason}") from None

    def close(self) -> None:
        self.db.close()

    def is_healthy(self) -> bool:
        try:
            self.db.execute("SELECT 1").fetchone()
            return True
        except sqlite3.Error:
            return False

    @contextmanager
    def transaction(self) -> Iterator[sqlite_utils.Database]:
        """One write transaction for several calls: they all happen, or none does."""
        with self._write() as db:
            yield db

    @contextmanager
    def _write(self) -> Iterator[sqlite_utils.Database]:
        if self.db.conn.in_transaction:  # part of an enclosing transaction()
            yield self.db
            return
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            self._flush_pending = False
            raise
        self.db.execute("COMMIT")
        if self._flush_pending:
            self.flush_forgotten()

    def _rows(self, sql: str, params: tuple | dict = ()) -> list[dict[str, Any]]:
        cursor = self.db.execute(sql, params)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    # --- executions -----------------------------------------------------------------------------------------

    def record_execution(
        self,
        *,
        customer_ref: str,
        workflow_key: int,
        channel_id: str,
        started_by: str,
        user_ref: str | None = None,
        locale: str | None = None,
        team_id: str | None = None,
        thread_ts: str | None = None,
        replaces: int | None = None,
    ) -> Execution:
        """A new verification, before Jumio knows of it (status PENDING)."""
        now = self.clock()
        values = {
            "customer_ref": customer_ref, "user_ref": user_ref, "workflow_key": workflow_key, "locale": locale,
            "team_id": team_id, "channel_id": channel_id, "thread_ts": thread_ts, "started_by": started_by,
            "status": PENDING, "replaces": replaces, "created_at": now, "updated_at": now,
        }
        with self._write() as db:
            cursor = db.execute(
                f"INSERT INTO executions ({', '.join(values)}) VALUES ({', '.join('?' * len(values))})",
                tuple(values.values()),
            )
        return Execution.from_row({**values, "id": cursor.lastrowid})

    def execution(self, execution: int) -> Execution:
        rows = self._rows("SELECT * FROM executions WHERE id = ?", (execution,))
        if not rows:
            raise KeyError(f"no execution {execution}")
        return Execution.from_row(rows[0])

    def execution_by_workflow_id(self, workflow_execution_id: str) -> Execution | None:
        rows = self._rows("SELECT * FROM executions WHERE workflow_execution_id = ? AND workflow_execution_id IS NOT NULL",
                          (workflow_execution_id,))
        return Execution.from_row(rows[0]) if rows else None

    def latest_execution_in_thread(self, channel_id: str, thread_ts: str) -> Execution | None:
        rows = self._rows(
            "SELECT * FROM executions WHERE channel_id = ? AND thread_ts = ? AND thread_ts IS NOT NULL "
            "ORDER BY id DESC LIMIT 1",
            (channel_id, thread_ts),
        )
        return Execution.from_row(rows[0]) if rows else None

    def executions_for_customer(self, customer_ref: str, limit: int = 10) -> list[Execution]:
        rows = self._rows(
            "SELECT * FROM executions WHERE customer_ref = ? ORDER BY id DESC LIMIT ?", (customer_ref, limit)
        )
        return [Execution.from_row(row) for row in rows]

    def customer_history(self, customer_ref: str, limit: int = 10, steps: int = 6
                         ) -> list[tuple[Execution, list[AuditEntry]]]:
        """A customer's latest executions, each with its last `steps` audit entries (for `/verify status`)."""
        history = []
        for execution in self.executions_for_customer(customer_ref, limit):
            rows = self._rows("SELECT * FROM audit WHERE execution = ? ORDER BY id DESC LIMIT ?", (execution.id, steps))
            history.append((execution, [AuditEntry(**row) for row in reversed(rows)]))
        return history

    def open_execution_for_customer(self, customer_ref: str) -> Execution | None:
        rows = self._rows(
            f"SELECT * FROM executions WHERE customer_ref = ? AND status IN ({','.join('?' * len(OPEN_STATUSES))}) "
            "ORDER BY id DESC LIMIT 1",
            (customer_ref, *OPEN_STATUSES),
        )
        return Execution.from_row(rows[0]) if rows else None

    def execution_replacing(self, execution: int) -> Execution | None:
        """The execution a "New link" created in place of `execution`, if any."""
        rows = self._rows("SELECT * FROM executions WHERE replaces = ? ORDER BY id LIMIT 1", (execution,))
        return Execution.from_row(rows[0]) if rows else None

    def recent_executions_started_by(self, user_id: str, limit: int = 20) -> list[Execution]:
        rows = self._rows("SELECT * FROM executions WHERE started_by = ? ORDER BY id DESC LIMIT ?", (user_id, limit))
        return [Execution.from_row(row) for row in rows]

    def claim_status_checks(self, *, shortest: float, longest: float, polled_for: float, limit: int) -> list[Execution]:
        """Executions waiting for Jumio whose turn for a status check has come, marked as checked now, the longest
        unchecked first. One of age A is due every A/10 seconds (within `shortest`..`longest`) and once right after
        its link expires; a submitted one only after its own polls (`polled_for` seconds from submission) are over."""
        now = self.clock()
        with self._write() as db:
            rows = self._rows(
                "SELECT * FROM executions WHERE status IN ('INITIATED', 'ACQUIRED') AND workflow_execution_id IS NOT NULL "
                "AND (status = 'INITIATED' OR coalesce(finalized_at, updated_at) <= :now - :polled_for) "
                "AND (:now - coalesce(swept_at, created_at) >= max(:shortest, min(:longest, (:now - created_at) / 10.0)) "
                "     OR (web_expires_at <= :now AND coalesce(swept_at, 0) < web_expires_at)) "
                "ORDER BY coalesce(swept_at, 0), id LIMIT :limit",
                {"now": now, "shortest": shortest, "longest": longest, "polled_for": polled_for, "limit": limit},
            )
            db.conn.executemany("UPDATE executions SET swept_at = ? WHERE id = ?", [(now, row["id"]) for row in rows])
        return [Execution.from_row(row) for row in rows]

    def set_thread(self, execution: int, thread_ts: str) -> None:
        self._update_execution(execution, thread_ts=thread_ts)

    def record_account(
        self,
        execution: int,
        *,
        account_id: str,
        workflow_execution_id: str,
        web_href: str | None,
        web_expires_at: float | None,
        credentials: list[dict[str, Any]],
        created_by: str,
        customer_ref: str,
    ) -> None:
        """Jumio created the account and workflow execution: keep their IDs and the execution's credentials."""
        now = self.clock()
        with self._write() as db:
            db["accounts"].insert(
                {"account_id": account_id, "customer_ref": customer_ref, "created_by": created_by, "created_at": now},
                ignore=True,
            )
            db["executions"].update(
                execution,
                {
                    "account_id": account_id,
                    "workflow_execution_id": workflow_execution_id,
                    "status": INITIATED,
                    "web_href": web_href,
                    "web_expires_at": web_expires_at,
                    "last_error": None,
                    "updated_at": now,
                },
            )
            for credential in credentials:
                db["credentials"].upsert(
                    {
                        "credential_id": credential["credential_id"],
                        "execution": execution,
                        "category": credential["category"],
                        "allowed_channels": json.dumps(list(credential.get("allowed_channels", ()))),
                        "parts": json.dumps(credential.get("parts", {})),
                        "finalize_url": credential.get("finalize_url"),
                        "api_token": credential.get("api_token"),
                    },
                    pk="credential_id",
                )

    def web_href(self, execution: int) -> str | None:
        row = self.db.execute("SELECT web_href FROM executions WHERE id = ?", (execution,)).fetchone()
        return row[0] if row else None

    def credentials(self, execution: int) -> list[StoredCredential]:
        rows = self._rows("SELECT * FROM credentials WHERE execution = ? ORDER BY rowid", (execution,))
        return [
            StoredCredential(
                credential_id=row["credential_id"],
                execution=row["execution"],
                category=row["category"],
                allowed_channels=tuple(json.loads(row["allowed_channels"] or "[]")),
                parts=json.loads(row["parts"] or "{}"),
                finalize_url=row["finalize_url"],
                api_token=row["api_token"],
            )
            for row in rows
        ]

    def mark_finalized(self, execution: int) -> bool:
        """Move INITIATED → ACQUIRED; False when it was already past that (finalize only once)."""
        now = self.clock()
        with self._write() as db:
            cursor = db.execute(
                "UPDATE executions SET status = ?, finalized_at = ?, updated_at = ? WHERE id = ? AND status = ?",
                (ACQUIRED, now, now, execution, INITIATED),
            )
            return cursor.rowcount == 1

    def record_status(self, execution: int, status: str) -> None:
        """Jumio reported a non-final status (such as ACQUIRED: the customer submitted in the Web Client)."""
        now = self.clock()
        finalized_at = now if status == ACQUIRED else None
        with self._write() as db:
            db.execute(
                "UPDATE executions SET status = ?, updated_at = ?, finalized_at = coalesce(finalized_at, ?) "
                "WHERE id = ? AND status IN (?, ?, ?)",
                (status, now, finalized_at, execution, *OPEN_STATUSES),
            )

    def record_result(
        self,
        execution: int,
        *,
        status: str,
        decision_type: str | None,
        decision_label: str | None,
        risk_score: float | None,
        capabilities: list[dict[str, Any]],
    ) -> bool:
        """Store the outcome and forget the execution's secrets; False if a result was already stored."""
        now = self.clock()
        with self._write() as db:
            cursor = db.execute(
                "UPDATE executions SET status = ?, decision_type = ?, decision_label = ?, risk_score = ?, "
                "capabilities = ?, completed_at = ?, updated_at = ?, web_href = NULL, last_error = NULL "
                f"WHERE id = ? AND status NOT IN ({','.join('?' * len(FINAL_STATUSES))})",
                (status, decision_type, decision_label, risk_score, json.dumps(capabilities), now, now, execution,
                 *FINAL_STATUSES),
            )
            changed = cursor.rowcount == 1
            self._forget_secrets(db, execution)
        self.flush_forgotten()
        return changed

    def forget_secrets(self, execution: int) -> None:
        """Drop the Web Client link and every `api.token` of an execution."""
        with self._write() as db:
            self._forget_secrets(db, execution)

    @staticmethod
    def _forget_secrets(db: sqlite_utils.Database, execution: int) -> None:
        db.execute("UPDATE executions SET web_href = NULL WHERE id = ?", (execution,))
        db.execute("UPDATE credentials SET api_token = NULL WHERE execution = ?", (execution,))

    def record_failure(self, execution: int, error: str, *, give_up: bool) -> None:
        """Note what went wrong in plain words; `give_up` marks a PENDING execution FAILED."""
        with self._write() as db:
            db.execute("UPDATE executions SET last_error = ?, updated_at = ? WHERE id = ?",
                       (error, self.clock(), execution))
            if give_up:
                db.execute("UPDATE executions SET status = ? WHERE id = ? AND status = ?", (FAILED, execution, PENDING))

    def reopen_failed(self, execution: int) -> bool:
        """FAILED → PENDING for a retry; False when it was not FAILED."""
        with self._write() as db:
            cursor = db.execute(
                "UPDATE executions SET status = ?, last_error = NULL, updated_at = ? WHERE id = ? AND status = ?",
                (PENDING, self.clock(), execution, FAILED),
            )
            return cursor.rowcount == 1

    def _update_execution(self, execution: int, **values: Any) -> None:
        with self._write() as db:
            db["executions"].update(execution, {**values, "updated_at": self.clock()})

    # --- uploads -------------------------------------------------------------------------------------------

    def claim_upload(self, execution: int, slack_file_id: str, uploaded_by: str, part: str | None) -> Upload | None:
        """Claim a Slack file for an execution once; None when it was claimed before."""
        now = self.clock()
        with self._write() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO uploads (execution, slack_file_id, part, uploaded_by, state, created_at, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (execution, slack_file_id, part, uploaded_by, CLAIMED, now, now),
            )
            if cursor.rowcount != 1:
                # Taken before; only a file whose fate a crash hid may be sent again.
                cursor = db.execute(
                    "UPDATE uploads SET state = ?, part = coalesce(?, part), uploaded_by = ?, error = NULL, "
                    "updated_at = ? WHERE execution = ? AND slack_file_id = ? AND state = ?",
                    (CLAIMED, part, uploaded_by, now, execution, slack_file_id, UNCERTAIN),
                )
                if cursor.rowcount != 1:
                    return None
        return self.upload(execution, slack_file_id)

    def upload(self, execution: int, slack_file_id: str) -> Upload | None:
        rows = self._rows("SELECT * FROM uploads WHERE execution = ? AND slack_file_id = ?", (execution, slack_file_id))
        return Upload.from_row(rows[0]) if rows else None

    def choose_upload_part(self, upload: int, part: str) -> Upload | None:
        """Set the part of an upload that had none (the agent pressed a button); None if it already had one."""
        with self._write() as db:
            cursor = db.execute(
                "UPDATE uploads SET part = ?, updated_at = ? WHERE id = ? AND part IS NULL AND state = ?",
                (part, self.clock(), upload, CLAIMED),
            )
            if cursor.rowcount != 1:
                return None
        rows = self._rows("SELECT * FROM uploads WHERE id = ?", (upload,))
        return Upload.from_row(rows[0])

    def record_upload_done(self, upload: int, *, part: str, sha256: str, size: int) -> list[Upload]:
        """The part reached Jumio; earlier uploads of the same part are marked replaced and returned."""
        now = self.clock()
        with self._write() as db:
            row = db.execute("SELECT execution FROM uploads WHERE id = ?", (upload,)).fetchone()
            replaced = self._rows(
                "SELECT * FROM uploads WHERE execution = ? AND part = ? AND state = ? AND id != ?",
                (row[0], part, UPLOADED, upload),
            )
            db.execute(
                "UPDATE uploads SET state = ?, updated_at = ? WHERE execution = ? AND part = ? AND state = ? AND id != ?",
                (REPLACED, now, row[0], part, UPLOADED, upload),
            )
            db.execute(
                "UPDATE uploads SET state = ?, part = ?, sha256 = ?, size = ?, error = NULL, updated_at = ? WHERE id = ?",
                (UPLOADED, part, sha256, size, now, upload),
            )
        return [Upload.from_row(r) for r in replaced]

    def mark_upload_sending(self, upload: int) -> bool:
        """claimed → sending, just before the bytes go to Jumio; False if it was not claimed."""
        with self._write() as db:
            cursor = db.execute("UPDATE uploads SET state = ?, updated_at = ? WHERE id = ? AND state = ?",
                                (SENDING, self.clock(), upload, CLAIMED))
            return cursor.rowcount == 1

    def mark_upload_unsent(self, upload: int) -> None:
        """sending → claimed: the attempt failed in this process, so Jumio did not take it; try again later."""
        with self._write() as db:
            db.execute("UPDATE uploads SET state = ?, updated_at = ? WHERE id = ? AND state = ?",
                       (CLAIMED, self.clock(), upload, SENDING))

    def record_upload_rejected(self, upload: int, reason: str, *, state: str = REJECTED) -> None:
        with self._write() as db:
            db.execute("UPDATE uploads SET state = ?, error = ?, updated_at = ? WHERE id = ?",
                       (state, reason, self.clock(), upload))

    def uploaded_parts(self, execution: int) -> set[str]:
        rows = self.db.execute(
            "SELECT DISTINCT part FROM uploads WHERE execution = ? AND state = ?", (execution, UPLOADED)
        ).fetchall()
        return {row[0] for row in rows}

    def uploads_for(self, execution: int) -> list[Upload]:
        return [Upload.from_row(r) for r in self._rows("SELECT * FROM uploads WHERE execution = ? ORDER BY id",
                                                       (execution,))]

    # --- jobs ----------------------------------------------------------------------------------------------

    def enqueue(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        dedupe_key: str | None = None,
        delay: float = 0.0,
        max_attempts: int = 8,
    ) -> int:
        """Queue a job; with a `dedupe_key` already used, the existing job's id comes back and nothing is added."""
        now = self.clock()
        with self._write() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO jobs (kind, payload, state, attempts, max_attempts, run_after, dedupe_key, "
                "created_at, updated_at) VALUES (?, ?, ?, 0, ?, ?, ?, ?, ?)",
                (kind, json.dumps(payload), QUEUED, max_attempts, now + delay, dedupe_key, now, now),
            )
            if cursor.rowcount == 1:
                return int(cursor.lastrowid or 0)
            row = db.execute("SELECT id FROM jobs WHERE dedupe_key = ? AND dedupe_key IS NOT NULL", (dedupe_key,))
            return int(row.fetchone()[0])

    def claim_next_job(self, owner: str, lease_seconds: float, kinds: tuple[str, ...] | None = None) -> Job | None:
        """Lease the next due job (or one whose lease ran out: its process died) to `owner`."""
        now = self.clock()
        kind_filter = f" AND kind IN ({','.join('?' * len(kinds))})" if kinds else ""
        with self._write() as db:
            rows = self._rows(
                "SELECT * FROM jobs WHERE ((state = ? AND run_after <= ?) OR (state = ? AND lease_expires < ?))"
                f"{kind_filter} ORDER BY run_after, id LIMIT 1",
                (QUEUED, now, RUNNING, now, *(kinds or ())),
            )
            if not rows:
                return None
            row = rows[0]
            if row["state"] == RUNNING and row["attempts"] >= row["max_attempts"]:
                db.execute(
                    "UPDATE jobs SET state = ?, lease_owner = NULL, lease_expires = NULL, updated_at = ?, "
                    "last_error = coalesce(last_error, 'its worker died on every attempt') WHERE id = ?",
                    (DEAD, now, row["id"]),
                )
                return None
            db.execute(
                "UPDATE jobs SET state = ?, attempts = attempts + 1, lease_owner = ?, lease_expires = ?, updated_at = ? "
                "WHERE id = ?",
                (RUNNING, owner, now + lease_seconds, now, row["id"]),
            )
        return self.job(row["id"])

    def job(self, job_id: int) -> Job:
        rows = self._rows("SELECT * FROM jobs WHERE id = ?", (job_id,))
        if not rows:
            raise KeyError(f"no job {job_id}")
        return Job.from_row(rows[0])

    def jobs(self, *, kind: str | None = None, state: str | None = None) -> list[Job]:
        clauses, params = [], []
        if kind:
            clauses.append("kind = ?")
            params.append(kind)
        if state:
            clauses.append("state = ?")
            params.append(state)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        return [Job.from_row(r) for r in self._rows(f"SELECT * FROM jobs{where} ORDER BY id", tuple(params))]

    def next_job_due_in(self) -> float | None:
        """Seconds until the next queued job is due (0 if one is due now); None when nothing is queued."""
        row = self.db.execute(
            "SELECT min(run_after) FROM (SELECT run_after FROM jobs WHERE state = ? "
            "UNION ALL SELECT lease_expires FROM jobs WHERE state = ?)",
            (QUEUED, RUNNING),
        ).fetchone()
        if row is None or row[0] is None:
            return None
        return max(0.0, row[0] - self.clock())

    def release_leases_of(self, owners_gone: Callable[[str], bool]) -> int:
        """Hand back the jobs leased by workers that no longer exist (a process killed on this host)."""
        released = 0
        with self._write() as db:
            for job_id, owner in db.execute("SELECT id, lease_owner FROM jobs WHERE state = ?", (RUNNING,)).fetchall():
                if owner and owners_gone(owner):
                    db.execute("UPDATE jobs SET state = ?, lease_owner = NULL, lease_expires = NULL, run_after = ? "
                               "WHERE id = ?", (QUEUED, self.clock(), job_id))
                    released += 1
        return released

    def extend_lease(self, job_id: int, owner: str, lease_seconds: float) -> bool:
        with self._write() as db:
            cursor = db.execute(
                "UPDATE jobs SET lease_expires = ? WHERE id = ? AND lease_owner = ? AND state = ?",
                (self.clock() + lease_seconds, job_id, owner, RUNNING),
            )
            return cursor.rowcount == 1

    def complete_job(self, job_id: int, owner: str, *, forget_payload: bool = False) -> bool:
        """Mark a leased job done; False when the lease was lost to another worker."""
        payload = ", payload = '{}'" if forget_payload else ""
        with self._write() as db:
            cursor = db.execute(
                f"UPDATE jobs SET state = ?, lease_owner = NULL, lease_expires = NULL, updated_at = ?{payload} "
                "WHERE id = ? AND lease_owner = ? AND state = ?",
                (DONE, self.clock(), job_id, owner, RUNNING),
            )
            done = cursor.rowcount == 1
        if done and forget_payload:
            self.flush_forgotten()
        return done

    def flush_forgotten(self) -> None:
        """Push forgotten data out of the write-ahead log, so no old copy of it stays on disk (inside a
        transaction: once it commits)."""
        if self.db.conn.in_transaction:
            self._flush_pending = True
            return
        self._flush_pending = False
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def retry_job(self, job_id: int, owner: str, error: str, delay: float, *, count_attempt: bool = True
                  ) -> str | None:
        """Put a failed job back for later, or dead-letter it after its last attempt; returns the new state.

        With `count_attempt=False` (the job only waits for a precondition) the attempt is not counted.
        """
        now = self.clock()
        with self._write() as db:
            row = db.execute(
                "SELECT attempts, max_attempts FROM jobs WHERE id = ? AND lease_owner = ? AND state = ?",
                (job_id, owner, RUNNING),
            ).fetchone()
            if row is None:
                return None
            attempts = row[0] if count_attempt else max(row[0] - 1, 0)
            state = DEAD if attempts >= row[1] else QUEUED
            db.execute(
                "UPDATE jobs SET state = ?, attempts = ?, run_after = ?, last_error = ?, lease_owner = NULL, "
                "lease_expires = NULL, updated_at = ? WHERE id = ?",
                (state, attempts, now + delay, error, now, job_id),
            )
            return state

    def fail_job(self, job_id: int, owner: str, error: str) -> bool:
        """Dead-letter a job that cannot succeed by trying again."""
        with self._write() as db:
            cursor = db.execute(
                "UPDATE jobs SET state = ?, last_error = ?, lease_owner = NULL, lease_expires = NULL, updated_at = ? "
                "WHERE id = ? AND lease_owner = ? AND state = ?",
                (DEAD, error, self.clock(), job_id, owner, RUNNING),
            )
            return cursor.rowcount == 1

    def release_job(self, job_id: int, owner: str) -> bool:
        """Hand a lease back without counting the attempt (graceful shutdown)."""
        with self._write() as db:
            cursor = db.execute(
                "UPDATE jobs SET state = ?, attempts = max(attempts - 1, 0), lease_owner = NULL, lease_expires = NULL, "
                "run_after = ?, updated_at = ? WHERE id = ? AND lease_owner = ? AND state = ?",
                (QUEUED, self.clock(), self.clock(), job_id, owner, RUNNING),
            )
            return cursor.rowcount == 1

    def requeue_dead_job(self, job_id: int, *, extra_attempts: int = 3) -> bool:
        """Give a dead-lettered job more attempts (the agent pressed Retry)."""
        with self._write() as db:
            cursor = db.execute(
                "UPDATE jobs SET state = ?, max_attempts = attempts + ?, run_after = ?, updated_at = ? "
                "WHERE id = ? AND state = ?",
                (QUEUED, extra_attempts, self.clock(), self.clock(), job_id, DEAD),
            )
            return cursor.rowcount == 1

    # --- Slack events --------------------------------------------------------------------------------------

    def first_sighting_of_event(self, event_id: str) -> bool:
        """True the first time an event id is seen (Slack redelivers); `forget_old_events` prunes."""
        now = self.clock()
        with self._write() as db:
            cursor = db.execute("INSERT OR IGNORE INTO seen_events (event_id, seen_at) VALUES (?, ?)", (event_id, now))
            return cursor.rowcount == 1

    def forget_old_jobs(self) -> int:
        """Drop jobs done more than a week ago (what they did is in the audit trail); dead ones stay for a human."""
        with self._write() as db:
            return db.execute("DELETE FROM jobs WHERE state = ? AND updated_at < ?",
                              (DONE, self.clock() - DONE_JOB_RETENTION)).rowcount

    def forget_old_events(self) -> int:
        """Drop event ids older than a day (Slack redelivers within minutes); run now and then, not per event."""
        with self._write() as db:
            return db.execute("DELETE FROM seen_events WHERE seen_at < ?",
                              (self.clock() - SEEN_EVENT_RETENTION,)).rowcount

    # --- audit ---------------------------------------------------------------------------------------------

    def audit(self, actor: str, action: str, execution: int | None = None, detail: str | None = None) -> None:
        """One row of who did what; `detail` must hold no personal data."""
        with self._write() as db:
            db.execute("INSERT INTO audit (at, actor, action, execution, detail) VALUES (?, ?, ?, ?, ?)",
                       (self.clock(), actor, action, execution, detail))

    def has_audit(self, execution: int, action: str) -> bool:
        return self.db.execute("SELECT 1 FROM audit WHERE execution = ? AND action = ? LIMIT 1",
                               (execution, action)).fetchone() is not None

    def audit_trail(self, execution: int | None = None) -> list[AuditEntry]:
        if execution is None:
            rows = self._rows("SELECT * FROM audit ORDER BY id")
        else:
            rows = self._rows("SELECT * FROM audit WHERE execution = ? ORDER BY id", (execution,))
        return [AuditEntry(**row) for row in rows]
