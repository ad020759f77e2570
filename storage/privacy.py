"""Personal data kept only as long as it must: supporting data in its own table, tombstones, sealed secrets.

A tombstone keeps what an auditor needs (IDs, dates, status, decision, the audit trail) and drops the rest: the
user reference, capabilities, errors, credentials and their api.tokens, the Web Client link, consent links, the
consent's IP and location (its time stays), photo hashes, the Slack file IDs of its photos (in uploads and audit
rows), supporting data and the execution's jobs that are not running. `secure_delete` overwrites the freed bytes
and a checkpoint empties the write-ahead log.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from storage.connection import TableGroup
from storage.models import Execution
from storage.statuses import OPEN_STATUSES, JobState, Status

ERASED_FILE_PREFIX = "erased:"  # what a reduced upload keeps instead of its Slack file ID
_SLACK_FILE_ID = re.compile(r"Slack file F[A-Z0-9]+")
_ERASABLE = (*OPEN_STATUSES, Status.FAILED)  # an erase ends these as ERASED
SEALED_COLUMNS = (
    ("executions", "id", "web_href"),
    ("credentials", "credential_id", "api_token"),
    ("supporting_data", "execution", "data"),
    ("user_tokens", "rowid", "user_token"),
    ("workflow_steps", "function_execution_id", "token"),
)


@dataclass(frozen=True)
class SlackPhoto:
    """A photo dropped in a verification's thread that is still in Slack, as far as the bot knows."""

    upload_id: int
    execution: int
    slack_file_id: str
    part: str | None
    uploaded_by: str | None
    channel_id: str
    thread_ts: str | None
    connected: bool  # its agent connected their Slack user: the bot can delete it as them


@dataclass(frozen=True)
class ErasePlan:
    """What erasing a customer would touch: executions not yet erased, their Jumio accounts, the photos of theirs
    still in Slack threads, and those already gone."""

    customer_ref: str
    to_erase: list[Execution]
    accounts: list[str]
    erased_before: list[Execution]
    slack_photos: list[SlackPhoto] = field(default_factory=list)

    @property
    def photos_by_hand(self) -> list[SlackPhoto]:
        """The photos an admin must delete from Slack: their agents did not connect a Slack user."""
        return [photo for photo in self.slack_photos if not photo.connected]

    @property
    def in_progress(self) -> list[Execution]:
        return [e for e in self.to_erase if e.is_open]


class Secrets(TableGroup):
    """The `supporting_data` and `user_tokens` tables, and sealing every secret column under the first key."""

    # --- supporting data ---------------------------------------------------------------------------------------

    def keep_supporting_data(self, execution: int, data: dict[str, Any]) -> None:
        with self._write() as db:
            db.execute(
                "INSERT OR REPLACE INTO supporting_data (execution, data, created_at) VALUES (?, ?, ?)",
                (execution, self.sealer.seal(json.dumps(data)), self.clock()),
            )

    def supporting_data(self, execution: int) -> dict[str, Any] | None:
        row = self.db.execute("SELECT data FROM supporting_data WHERE execution = ?", (execution,)).fetchone()
        return None if row is None else json.loads(self.sealer.open(row[0]) or "null")

    def forget_supporting_data(self, execution: int) -> None:
        with self._write() as db:
            if db.execute("DELETE FROM supporting_data WHERE execution = ?", (execution,)).rowcount:
                self.flush_forgotten()

    def move_supporting_data(self, from_execution: int, to_execution: int) -> bool:
        """The supporting data kept for one execution now kept for its replacement; False when none was kept."""
        with self._write() as db:
            return (
                db.execute(
                    "UPDATE OR REPLACE supporting_data SET execution = ? WHERE execution = ?", (to_execution, from_execution)
                ).rowcount
                == 1
            )

    def forget_supporting_data_of_ended(self, ended_before: float) -> int:
        """Supporting data still kept for executions that ended before `ended_before` (an expiry nobody renewed)."""
        marks = ", ".join(f"'{status}'" for status in OPEN_STATUSES)
        with self._write() as db:
            forgotten = db.execute(
                "DELETE FROM supporting_data WHERE execution IN (SELECT id FROM executions WHERE "
                f"status NOT IN ({marks}) AND coalesce(completed_at, updated_at) < ?)",
                (ended_before,),
            ).rowcount
        if forgotten:
            self.flush_forgotten()
        return forgotten

    # --- agents' Slack user tokens (sealed) --------------------------------------------------------------------

    def keep_user_token(self, team_id: str, user_id: str, token: str, scopes: str) -> None:
        with self._write() as db:
            db.execute(
                "INSERT OR REPLACE INTO user_tokens (team_id, user_id, user_token, scopes, connected_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (team_id, user_id, self.sealer.seal(token), scopes, self.clock()),
            )

    def user_token(self, user_id: str) -> str | None:
        """The user token the agent connected last, if any."""
        row = self.db.execute(
            "SELECT user_token FROM user_tokens WHERE user_id = ? ORDER BY connected_at DESC LIMIT 1", (user_id,)
        ).fetchone()
        return None if row is None else self.sealer.open(row[0])

    def forget_user_token(self, user_id: str) -> bool:
        with self._write() as db:
            forgotten = db.execute("DELETE FROM user_tokens WHERE user_id = ?", (user_id,)).rowcount > 0
        self.flush_forgotten()
        return forgotten

    # --- sealing -----------------------------------------------------------------------------------------------

    def reseal_all(self) -> int:
        """Seal what is in clear and re-seal what an older key sealed (under the first key); check that every sealed
        value opens (SealedWithoutKey otherwise). Returns how many values changed."""
        changed = 0
        with self._write() as db:
            for table, key, column in SEALED_COLUMNS:
                rows = db.execute(f"SELECT {key}, {column} FROM {table} WHERE {column} IS NOT NULL").fetchall()
                for row_key, value in rows:
                    self.sealer.open(value)
                    resealed = self.sealer.reseal(value)
                    if resealed is not None:
                        db.execute(f"UPDATE {table} SET {column} = ? WHERE {key} = ?", (resealed, row_key))
                        changed += 1
            if changed:
                self.flush_forgotten()
        return changed


class Erasure(TableGroup):
    """Erasing a customer and retention: the erase plan, Jumio accounts confirmed deleted, tombstones across the
    tables."""

    def plan(self, customer_ref: str) -> ErasePlan:
        rows = self.db.query("SELECT * FROM executions WHERE customer_ref = ? ORDER BY id", (customer_ref,))
        executions = [Execution.from_row(row) for row in rows]
        to_erase = [e for e in executions if e.erased_by is None]
        undeleted = {
            row[0]
            for row in self.db.execute(
                "SELECT account_id FROM accounts WHERE customer_ref = ? AND deleted_at IS NULL", (customer_ref,)
            )
        }
        # The accounts of what is erased now, and any of the customer's Jumio has not confirmed deleted.
        accounts = sorted(
            {account for account in (e.account_id for e in to_erase) if account}
            | {account for account in (e.account_id for e in executions) if account and account in undeleted}
        )
        return ErasePlan(
            customer_ref,
            to_erase,
            accounts,
            [e for e in executions if e.erased_by is not None],
            self._photos_in_slack([e.id for e in executions]),
        )

    def _photos_in_slack(self, executions: list[int]) -> list[SlackPhoto]:
        if not executions:
            return []
        marks = ", ".join("?" for _ in executions)
        rows = self.db.execute(
            "SELECT u.id, u.execution, u.slack_file_id, u.part, u.uploaded_by, e.channel_id, e.thread_ts, "
            "EXISTS (SELECT 1 FROM user_tokens t WHERE t.user_id = u.uploaded_by) FROM uploads u "
            "JOIN executions e ON e.id = u.execution "
            f"WHERE u.execution IN ({marks}) AND u.in_channel = 1 AND u.slack_deleted = 0 "
            f"AND u.slack_file_id NOT LIKE '{ERASED_FILE_PREFIX}%' ORDER BY u.id",
            tuple(executions),
        ).fetchall()
        return [
            SlackPhoto(
                upload_id=row[0],
                execution=row[1],
                slack_file_id=row[2],
                part=row[3],
                uploaded_by=row[4],
                channel_id=row[5],
                thread_ts=row[6],
                connected=bool(row[7]),
            )
            for row in rows
        ]

    def mark_account_deleted(self, account_id: str) -> None:
        with self._write() as db:
            db.execute(
                "UPDATE accounts SET deleted_at = coalesce(deleted_at, ?) WHERE account_id = ?", (self.clock(), account_id)
            )

    def mark_deleted_from_slack(self, upload_id: int) -> None:
        with self._write() as db:
            db.execute("UPDATE uploads SET slack_deleted = 1 WHERE id = ?", (upload_id,))

    def ended_unreduced(self, ended_before: float, limit: int = 200) -> list[int]:
        """Executions that ended before `ended_before` and still hold more than a tombstone."""
        marks = ", ".join(f"'{status}'" for status in OPEN_STATUSES)
        rows = self.db.execute(
            f"SELECT id FROM executions WHERE reduced_at IS NULL AND status NOT IN ({marks}) "
            "AND coalesce(completed_at, updated_at) < ? ORDER BY id LIMIT ?",
            (ended_before, limit),
        )
        return [row[0] for row in rows.fetchall()]

    def reduce_to_tombstones(self, executions: list[int], *, erased_by: str | None = None) -> None:
        """Each execution down to its tombstone (erased: open ones end as ERASED and say by whom). One transaction;
        the freed bytes are overwritten and the log emptied once it commits."""
        if not executions:
            return
        marks = ", ".join("?" for _ in executions)
        ids = tuple(executions)
        erasable = ", ".join(f"'{status}'" for status in _ERASABLE)
        now = self.clock()
        with self._write() as db:
            db.execute(
                "UPDATE executions SET user_ref = NULL, web_href = NULL, capabilities = NULL, last_error = NULL, "
                "reduced_at = coalesce(reduced_at, :now), updated_at = :now, erased_by = coalesce(:by, erased_by), "
                f"status = CASE WHEN :by IS NOT NULL AND status IN ({erasable}) THEN '{Status.ERASED}' ELSE status END, "
                "completed_at = coalesce(completed_at, CASE WHEN :by IS NOT NULL THEN :now END) "
                f"WHERE id IN ({', '.join(f':id{i}' for i in range(len(ids)))})",
                {"now": now, "by": erased_by, **{f"id{i}": value for i, value in enumerate(ids)}},
            )
            db.execute(f"DELETE FROM credentials WHERE execution IN ({marks})", ids)
            db.execute(f"DELETE FROM consent_requests WHERE execution IN ({marks})", ids)
            db.execute(f"DELETE FROM supporting_data WHERE execution IN ({marks})", ids)
            db.execute(
                "UPDATE consents SET user_ip = NULL, country = NULL, state = NULL "  # asked by one, used by another
                f"WHERE execution IN ({marks}) OR id IN (SELECT api_consent FROM executions WHERE id IN ({marks}))",
                ids + ids,
            )
            # No pointer to the customer's photos in Slack stays: file IDs go from uploads and from older audit rows.
            db.execute(
                f"UPDATE uploads SET sha256 = NULL, size = NULL, error = NULL, slack_file_id = "
                f"'{ERASED_FILE_PREFIX}' || id WHERE execution IN ({marks})",
                ids,
            )
            for audit_id, detail in db.execute(
                f"SELECT id, detail FROM audit WHERE execution IN ({marks}) AND detail LIKE '%Slack file F%'", ids
            ).fetchall():
                db.execute(
                    "UPDATE audit SET detail = ? WHERE id = ?", (_SLACK_FILE_ID.sub("a Slack file", detail), audit_id)
                )
            db.execute(
                f"DELETE FROM jobs WHERE state != '{JobState.RUNNING}' "
                f"AND json_extract(payload, '$.execution') IN ({marks})",
                ids,
            )
            self.flush_forgotten()
