"""Workflow Builder steps ("Verify identity") and the verification each started."""

from __future__ import annotations

from storage.connection import TableGroup
from storage.models import Execution, WorkflowStep


class WorkflowSteps(TableGroup):
    """The `workflow_steps` table."""

    def record(
        self, function_execution_id: str, *, channel_id: str | None, requested_by: str | None, token: str | None
    ) -> bool:
        """Keep a step Slack started (its token sealed); False when it was seen already (Slack delivered it twice)."""
        with self._write() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO workflow_steps (function_execution_id, channel_id, requested_by, token, "
                "created_at) VALUES (?, ?, ?, ?, ?)",
                (function_execution_id, channel_id, requested_by, self.sealer.seal(token), self.clock()),
            )
            return cursor.rowcount == 1

    def get(self, function_execution_id: str) -> WorkflowStep | None:
        for row in self.db.table("workflow_steps").rows_where("function_execution_id = ?", (function_execution_id,)):
            return WorkflowStep.from_row(row)
        return None

    def token(self, function_execution_id: str) -> str | None:
        row = self.db.execute(
            "SELECT token FROM workflow_steps WHERE function_execution_id = ?", (function_execution_id,)
        ).fetchone()
        return self.sealer.open(row[0]) if row else None

    def started(self, function_execution_id: str, execution: int) -> None:
        with self._write() as db:
            db.execute(
                "UPDATE workflow_steps SET execution = ? WHERE function_execution_id = ?", (execution, function_execution_id)
            )

    def refused(self, function_execution_id: str, refusal: str) -> None:
        with self._write() as db:
            db.execute(
                "UPDATE workflow_steps SET refusal = ? WHERE function_execution_id = ?", (refusal, function_execution_id)
            )

    def running_in_thread(self, execution: Execution) -> list[WorkflowStep]:
        """Steps not yet completed whose verification is this one or shares its thread (a new link's)."""
        rows = self.db.query(
            "SELECT s.* FROM workflow_steps s JOIN executions e ON e.id = s.execution "
            "WHERE s.completed_at IS NULL AND (s.execution = ? OR (e.thread_ts IS NOT NULL AND e.channel_id = ? "
            "AND e.thread_ts = ?))",
            (execution.id, execution.channel_id, execution.thread_ts),
        )
        return [WorkflowStep.from_row(row) for row in rows]

    def completed(self, function_execution_id: str, completion: str) -> bool:
        """Slack took the completion (or said the step no longer runs): recorded once, its token and refusal
        forgotten (a refusal's words may repeat what was typed into the workflow)."""
        with self._write() as db:
            cursor = db.execute(
                "UPDATE workflow_steps SET completed_at = ?, completion = ?, token = NULL, refusal = NULL "
                "WHERE function_execution_id = ? AND completed_at IS NULL",
                (self.clock(), completion, function_execution_id),
            )
            if cursor.rowcount:
                self.flush_forgotten()
            return cursor.rowcount == 1
