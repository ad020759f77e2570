"""Executions, their Jumio accounts and credentials: what a verification is and how Jumio is fed."""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

from storage.connection import Connection
from storage.models import AuditEntry, Execution, StoredCredential
from storage.statuses import FINAL_STATUSES, OPEN_STATUSES, Status

_OPEN = ", ".join(f"'{status}'" for status in OPEN_STATUSES)
_FINAL = ", ".join(f"'{status}'" for status in FINAL_STATUSES)


class Executions(Connection):
    """The `executions`, `accounts` and `credentials` tables."""

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
            "customer_ref": customer_ref,
            "user_ref": user_ref,
            "workflow_key": workflow_key,
            "locale": locale,
            "team_id": team_id,
            "channel_id": channel_id,
            "thread_ts": thread_ts,
            "started_by": started_by,
            "status": Status.PENDING.value,
            "replaces": replaces,
            "created_at": now,
            "updated_at": now,
        }
        # A plain INSERT: sqlite-utils' `insert` introspects the table first, and this is the /verify hot path.
        with self._write() as db:
            cursor = db.execute(
                f"INSERT INTO executions ({', '.join(values)}) VALUES ({', '.join('?' * len(values))})",
                tuple(values.values()),
            )
        return Execution.from_row({**values, "id": cursor.lastrowid})

    # The lookups below run on every Slack request or job: `db.query` (no table introspection, unlike `get` and
    # `rows_where`, which ask SQLite for the table's columns or existence first).

    def execution(self, execution: int) -> Execution:
        found = self._first("id = ?", (execution,))
        if found is None:
            raise KeyError(f"no execution {execution}")
        return found

    def _first(self, where: str, args: tuple[Any, ...], order_by: str = "id DESC") -> Execution | None:
        for row in self.db.query(f"SELECT * FROM executions WHERE {where} ORDER BY {order_by} LIMIT 1", args):
            return Execution.from_row(row)
        return None

    def execution_by_workflow_id(self, workflow_execution_id: str) -> Execution | None:
        return self._first("workflow_execution_id = ? AND workflow_execution_id IS NOT NULL", (workflow_execution_id,))

    def newest_execution_of_account(self, account_id: str) -> Execution | None:
        """The newest execution this bot made for a Jumio account, if it knows the account."""
        return self._first("account_id = ? AND account_id IS NOT NULL", (account_id,))

    def latest_execution_in_thread(self, channel_id: str, thread_ts: str) -> Execution | None:
        return self._first("channel_id = ? AND thread_ts = ? AND thread_ts IS NOT NULL", (channel_id, thread_ts))

    def newest_in_its_thread(self, execution: Execution) -> Execution:
        """The thread's newest execution (a new link, or the one made with the customer's consent), or this one."""
        if not execution.thread_ts:
            return execution
        return self.latest_execution_in_thread(execution.channel_id, execution.thread_ts) or execution

    def first_in_its_thread(self, execution: Execution) -> Execution:
        """The thread's first execution (whoever started the verification), or this one."""
        if not execution.thread_ts:
            return execution
        return (
            self._first("channel_id = ? AND thread_ts = ?", (execution.channel_id, execution.thread_ts), order_by="id")
            or execution
        )

    def open_execution_for_customer(self, customer_ref: str) -> Execution | None:
        return self._first(f"customer_ref = ? AND status IN ({_OPEN})", (customer_ref,))

    def execution_replacing(self, execution: int) -> Execution | None:
        """The execution a "New link" created in place of `execution`, if any."""
        return self._first("replaces = ?", (execution,), order_by="id")

    def executions_for_customer(self, customer_ref: str, limit: int = 10) -> list[Execution]:
        rows = self.db.table("executions").rows_where("customer_ref = ?", (customer_ref,), order_by="id DESC", limit=limit)
        return [Execution.from_row(row) for row in rows]

    def recent_executions_started_by(self, user_id: str, limit: int = 20) -> list[Execution]:
        rows = self.db.table("executions").rows_where("started_by = ?", (user_id,), order_by="id DESC", limit=limit)
        return [Execution.from_row(row) for row in rows]

    def customer_history(self, customer_ref: str, limit: int = 50) -> list[tuple[Execution, list[AuditEntry]]]:
        """A customer's latest executions, newest first, each with its whole audit trail, newest first (for
        `/verify status`)."""
        history = []
        for execution in self.executions_for_customer(customer_ref, limit):
            rows = self.db.table("audit").rows_where("execution = ?", (execution.id,), order_by="id DESC")
            history.append((execution, [AuditEntry(**row) for row in rows]))
        return history

    def open_executions_in_channels(self, channels: list[str], *, not_started_by: str, limit: int = 50) -> list[Execution]:
        """Open verifications in these channels that someone else started, the longest untouched first."""
        if not channels:
            return []
        marks = ", ".join("?" for _ in channels)
        rows = self.db.execute(
            f"SELECT * FROM executions WHERE status IN ({_OPEN}) AND channel_id IN ({marks}) AND started_by != ? "
            "ORDER BY updated_at LIMIT ?",
            (*channels, not_started_by, limit),
        )
        columns = [c[0] for c in rows.description]
        return [Execution.from_row(dict(zip(columns, row, strict=True))) for row in rows.fetchall()]

    def open_execution_counts(self) -> dict[str, int]:
        """How many verifications are open, by status (for /metrics)."""
        return {
            status: count
            for status, count in self.db.execute(
                f"SELECT status, count(*) FROM executions WHERE status IN ({_OPEN}) GROUP BY status"
            )
        }

    def claim_status_checks(
        self,
        *,
        shortest: float,
        longest: float,
        polled_for: float,
        limit: int,
        callbacks: bool = False,
        give_up_after: float = 3 * 86400,
        slowest: float = 6 * 3600,
    ) -> list[Execution]:
        """Executions waiting for Jumio whose turn for a status check has come, marked as checked now, the longest
        unchecked first.

        - An unused link (INITIATED) is checked once right after it expires; without callbacks (`callbacks` False:
          nothing would tell the bot that the customer finished on Jumio's page) also every A/10 seconds at age A,
          within `shortest`..`longest`.
        - A submitted one (ACQUIRED) only after its own polls (`polled_for` seconds from submission), then every S/4
          seconds S after submission, within `longest`..`slowest`, until `give_up_after`."""
        now = self.clock()
        with self._write() as db:
            rows = self._rows(
                "SELECT * FROM executions WHERE status IN ('INITIATED', 'ACQUIRED') AND workflow_execution_id IS NOT NULL "
                "AND ((status = 'INITIATED' AND ("
                "       (NOT :callbacks AND :now - coalesce(swept_at, created_at) "
                "            >= max(:shortest, min(:longest, (:now - created_at) / 10.0)))"
                "       OR (web_expires_at <= :now AND coalesce(swept_at, 0) < web_expires_at)))"
                "  OR (status = 'ACQUIRED' AND coalesce(finalized_at, updated_at) <= :now - :polled_for "
                "       AND coalesce(finalized_at, updated_at) > :now - :give_up_after "
                "       AND :now - max(coalesce(swept_at, 0), coalesce(finalized_at, updated_at)) "
                "            >= max(:longest, min(:slowest, (:now - coalesce(finalized_at, updated_at)) / 4.0)))) "
                "ORDER BY coalesce(swept_at, 0), id LIMIT :limit",
                {
                    "now": now,
                    "shortest": shortest,
                    "longest": longest,
                    "polled_for": polled_for,
                    "limit": limit,
                    "callbacks": int(callbacks),
                    "give_up_after": give_up_after,
                    "slowest": slowest,
                },
            )
            db.conn.executemany("UPDATE executions SET swept_at = ? WHERE id = ?", [(now, row["id"]) for row in rows])
        return [Execution.from_row(row) for row in rows]

    def claim_given_up_checks(self, give_up_after: float) -> list[Execution]:
        """Submitted executions Jumio has not decided within `give_up_after` seconds, each returned once (the sweep
        stops asking about them and says so)."""
        now = self.clock()
        with self._write() as db:
            rows = self._rows(
                "SELECT * FROM executions WHERE status = 'ACQUIRED' AND coalesce(finalized_at, updated_at) <= ? "
                "AND sweep_gave_up_at IS NULL",
                (now - give_up_after,),
            )
            db.conn.executemany("UPDATE executions SET sweep_gave_up_at = ? WHERE id = ?", [(now, r["id"]) for r in rows])
        return [Execution.from_row({**row, "sweep_gave_up_at": now}) for row in rows]

    def starts_since(self, user_id: str, since: float) -> int:
        """How many verifications `user_id` started since `since` (a new link or a consent's execution is no start)."""
        row = self.db.execute(
            "SELECT count(*) FROM executions WHERE started_by = ? AND created_at >= ? AND replaces IS NULL",
            (user_id, since),
        ).fetchone()
        return int(row[0])

    def mark_link_sent(self, execution: int) -> None:
        with self._write() as db:
            db.execute(
                "UPDATE executions SET link_sent_at = coalesce(link_sent_at, ?) WHERE id = ?", (self.clock(), execution)
            )

    def record_gone(self, execution: int) -> bool:
        """Jumio answered 404 for an open execution: final (GONE), its secrets forgotten; False if it was final."""
        now = self.clock()
        with self._write() as db:
            cursor = db.execute(
                f"UPDATE executions SET status = ?, completed_at = ?, updated_at = ?, web_href = NULL "
                f"WHERE id = ? AND status IN ({_OPEN})",
                (Status.GONE.value, now, now, execution),
            )
            self._forget_secrets(db, execution)
        self.flush_forgotten()
        return cursor.rowcount == 1

    def mark_api_execution(self, execution: int, consent: int) -> None:
        """The execution is (being) made with this consent: it takes the photos through the API."""
        self._update_execution(execution, api_consent=consent)

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
        api_consent: int | None = None,
    ) -> bool:
        """Jumio created the account and workflow execution: keep their IDs and the execution's credentials. Only a
        verification still waiting for them (PENDING) takes them: one that ended meanwhile (erased while Jumio was
        asked) keeps the IDs alone, so what Jumio made can be deleted, and this answers False."""
        now = self.clock()
        with self._write() as db:
            db.table("accounts").insert(
                {"account_id": account_id, "customer_ref": customer_ref, "created_by": created_by, "created_at": now},
                ignore=True,
            )
            taken = (
                db.execute(
                    "UPDATE executions SET account_id = ?, workflow_execution_id = ?, status = ?, web_href = ?, "
                    "web_expires_at = ?, last_error = NULL, updated_at = ?, api_consent = ? WHERE id = ? AND status = ?",
                    (
                        account_id,
                        workflow_execution_id,
                        Status.INITIATED.value,
                        self.sealer.seal(web_href),
                        web_expires_at,
                        now,
                        api_consent,
                        execution,
                        Status.PENDING.value,
                    ),
                ).rowcount
                == 1
            )
            if not taken:
                db.execute(
                    "UPDATE executions SET account_id = coalesce(account_id, ?), workflow_execution_id = "
                    "coalesce(workflow_execution_id, ?), updated_at = ? WHERE id = ?",
                    (account_id, workflow_execution_id, now, execution),
                )
                return False
            for credential in credentials:
                db.table("credentials").upsert(
                    {
                        "credential_id": credential["credential_id"],
                        "execution": execution,
                        "category": credential["category"],
                        "allowed_channels": json.dumps(list(credential.get("allowed_channels", ()))),
                        "parts": json.dumps(credential.get("parts", {})),
                        "finalize_url": credential.get("finalize_url"),
                        "api_token": self.sealer.seal(credential.get("api_token")),
                    },
                    pk="credential_id",
                )
        return True

    def web_href(self, execution: int) -> str | None:
        row = self.db.execute("SELECT web_href FROM executions WHERE id = ?", (execution,)).fetchone()
        return self.sealer.open(row[0]) if row else None

    def refresh_credential(
        self, credential_id: str, *, api_token: str | None, finalize_url: str | None, parts: dict[str, str]
    ) -> None:
        """Keep the token and URLs Jumio answered last for a credential (what it gives is what the next call uses)."""
        with self._write() as db:
            db.execute(
                "UPDATE credentials SET api_token = coalesce(?, api_token), "
                "finalize_url = coalesce(?, finalize_url), parts = CASE WHEN ? = '{}' THEN parts ELSE ? END "
                "WHERE credential_id = ? AND api_token IS NOT NULL",
                (self.sealer.seal(api_token), finalize_url, json.dumps(parts), json.dumps(parts), credential_id),
            )

    def credentials(self, execution: int) -> list[StoredCredential]:
        rows = self.db.table("credentials").rows_where("execution = ?", (execution,), order_by="rowid")
        return [StoredCredential.from_row({**row, "api_token": self.sealer.open(row["api_token"])}) for row in rows]

    def mark_finalized(self, execution: int) -> bool:
        """Move INITIATED → ACQUIRED; False when it was already past that (finalize only once)."""
        now = self.clock()
        with self._write() as db:
            cursor = db.execute(
                "UPDATE executions SET status = ?, finalized_at = ?, updated_at = ? WHERE id = ? AND status = ?",
                (Status.ACQUIRED.value, now, now, execution, Status.INITIATED.value),
            )
            return cursor.rowcount == 1

    def record_status(self, execution: int, status: Status) -> None:
        """Jumio reported a non-final status (such as ACQUIRED: the customer submitted in the Web Client)."""
        now = self.clock()
        finalized_at = now if status == Status.ACQUIRED else None
        with self._write() as db:
            db.execute(
                "UPDATE executions SET status = ?, updated_at = ?, finalized_at = coalesce(finalized_at, ?) "
                f"WHERE id = ? AND status IN ({_OPEN})",
                (str(status), now, finalized_at, execution),
            )

    def record_result(
        self,
        execution: int,
        *,
        status: Status,
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
                f"WHERE id = ? AND status NOT IN ({_FINAL})",
                (str(status), decision_type, decision_label, risk_score, json.dumps(capabilities), now, now, execution),
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
            db.execute("UPDATE executions SET last_error = ?, updated_at = ? WHERE id = ?", (error, self.clock(), execution))
            if give_up:
                db.execute(
                    "UPDATE executions SET status = ? WHERE id = ? AND status = ?",
                    (Status.FAILED.value, execution, Status.PENDING.value),
                )

    def reopen_failed(self, execution: int) -> bool:
        """FAILED → PENDING for a retry; False when it was not FAILED."""
        with self._write() as db:
            cursor = db.execute(
                "UPDATE executions SET status = ?, last_error = NULL, updated_at = ? WHERE id = ? AND status = ?",
                (Status.PENDING.value, self.clock(), execution, Status.FAILED.value),
            )
            return cursor.rowcount == 1

    def _update_execution(self, execution: int, **values: Any) -> None:
        with self._write() as db:
            db.table("executions").update(execution, {**values, "updated_at": self.clock()})
