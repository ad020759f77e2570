"""Executions, their Jumio accounts and credentials: what a verification is and how Jumio is fed."""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

from storage.execution_queries import ExecutionQueries
from storage.models import Execution
from storage.statuses import FINAL_SQL, OPEN_SQL, Status


class Executions(ExecutionQueries):
    """The `executions`, `accounts` and `credentials` tables."""

    def record(
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
                f"WHERE id = ? AND status IN ({OPEN_SQL})",
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
                f"WHERE id = ? AND status IN ({OPEN_SQL})",
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
                f"WHERE id = ? AND status NOT IN ({FINAL_SQL})",
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

    def supersede(self, execution: int) -> bool:
        """An open execution replaced by the one made with the customer's consent: final, its link forgotten."""
        now = self.clock()
        with self._write() as db:
            cursor = db.execute(
                "UPDATE executions SET status = ?, web_href = NULL, completed_at = ?, updated_at = ? "
                "WHERE id = ? AND status IN (?, ?)",
                (Status.SUPERSEDED.value, now, now, execution, Status.PENDING.value, Status.INITIATED.value),
            )
            db.execute("UPDATE credentials SET api_token = NULL WHERE execution = ?", (execution,))
        self.flush_forgotten()
        return cursor.rowcount == 1
