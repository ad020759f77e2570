"""What the executions group answers without writing: a verification by its ids, its thread, its customer, its
starter; the counts the start caps and metrics read; its Web Client link and credentials."""

from __future__ import annotations

from typing import Any

from storage.connection import TableGroup
from storage.models import AuditEntry, Credentials, Execution, StoredCredential
from storage.statuses import OPEN_SQL


class ExecutionQueries(TableGroup):
    """Reads of the `executions`, `accounts` and `credentials` tables (the writes are `Executions`')."""

    def get(self, execution: int) -> Execution:
        found = self._first("id = ?", (execution,))
        if found is None:
            raise KeyError(f"no execution {execution}")
        return found

    def _first(self, where: str, args: tuple[Any, ...], order_by: str = "id DESC") -> Execution | None:
        for row in self.db.query(f"SELECT * FROM executions WHERE {where} ORDER BY {order_by} LIMIT 1", args):
            return Execution.from_row(row)
        return None

    def by_workflow_id(self, workflow_execution_id: str) -> Execution | None:
        return self._first("workflow_execution_id = ? AND workflow_execution_id IS NOT NULL", (workflow_execution_id,))

    def newest_of_account(self, account_id: str) -> Execution | None:
        """The newest execution this bot made for a Jumio account, if it knows the account."""
        return self._first("account_id = ? AND account_id IS NOT NULL", (account_id,))

    def latest_in_thread(self, channel_id: str, thread_ts: str) -> Execution | None:
        return self._first("channel_id = ? AND thread_ts = ? AND thread_ts IS NOT NULL", (channel_id, thread_ts))

    def newest_in_its_thread(self, execution: Execution) -> Execution:
        """The thread's newest execution (a new link, or the one made with the customer's consent), or this one."""
        if not execution.thread_ts:
            return execution
        return self.latest_in_thread(execution.channel_id, execution.thread_ts) or execution

    def first_in_its_thread(self, execution: Execution) -> Execution:
        """The thread's first execution (whoever started the verification), or this one."""
        if not execution.thread_ts:
            return execution
        return (
            self._first("channel_id = ? AND thread_ts = ?", (execution.channel_id, execution.thread_ts), order_by="id")
            or execution
        )

    def open_for_customer(self, customer_ref: str) -> Execution | None:
        return self._first(f"customer_ref = ? AND status IN ({OPEN_SQL})", (customer_ref,))

    def replacing(self, execution: int) -> Execution | None:
        """The execution a "New link" created in place of `execution`, if any."""
        return self._first("replaces = ?", (execution,), order_by="id")

    def for_customer(self, customer_ref: str, limit: int = 10) -> list[Execution]:
        rows = self.db.table("executions").rows_where("customer_ref = ?", (customer_ref,), order_by="id DESC", limit=limit)
        return [Execution.from_row(row) for row in rows]

    def recent_started_by(self, user_id: str, limit: int = 20) -> list[Execution]:
        rows = self.db.table("executions").rows_where("started_by = ?", (user_id,), order_by="id DESC", limit=limit)
        return [Execution.from_row(row) for row in rows]

    def customer_history(self, customer_ref: str, limit: int = 50) -> list[tuple[Execution, list[AuditEntry]]]:
        """A customer's latest executions, newest first, each with its whole audit trail, newest first (for
        `/verify status`)."""
        history = []
        for execution in self.for_customer(customer_ref, limit):
            rows = self.db.table("audit").rows_where("execution = ?", (execution.id,), order_by="id DESC")
            history.append((execution, [AuditEntry.from_row(row) for row in rows]))
        return history

    def open_in_channels(self, channels: list[str], *, not_started_by: str, limit: int = 50) -> list[Execution]:
        """Open verifications in these channels that someone else started, the longest untouched first."""
        if not channels:
            return []
        marks = ", ".join("?" for _ in channels)
        rows = self.db.execute(
            f"SELECT * FROM executions WHERE status IN ({OPEN_SQL}) AND channel_id IN ({marks}) AND started_by != ? "
            "ORDER BY updated_at LIMIT ?",
            (*channels, not_started_by, limit),
        )
        columns = [c[0] for c in rows.description]
        return [Execution.from_row(dict(zip(columns, row, strict=True))) for row in rows.fetchall()]

    def open_counts(self) -> dict[str, int]:
        """How many verifications are open, by status (for /metrics)."""
        return {
            status: count
            for status, count in self.db.execute(
                f"SELECT status, count(*) FROM executions WHERE status IN ({OPEN_SQL}) GROUP BY status"
            )
        }

    def starts_since(self, user_id: str, since: float) -> int:
        """How many verifications `user_id` started since `since` (a new link or a consent's execution is no start)."""
        row = self.db.execute(
            "SELECT count(*) FROM executions WHERE started_by = ? AND created_at >= ? AND replaces IS NULL",
            (user_id, since),
        ).fetchone()
        return int(row[0])

    def web_href(self, execution: int) -> str | None:
        row = self.db.execute("SELECT web_href FROM executions WHERE id = ?", (execution,)).fetchone()
        return self.sealer.open(row[0]) if row else None

    def credentials(self, execution: int) -> Credentials:
        rows = self.db.table("credentials").rows_where("execution = ?", (execution,), order_by="rowid")
        return Credentials(
            StoredCredential.from_row({**row, "api_token": self.sealer.open(row["api_token"])}) for row in rows
        )
