"""Tables, declared once, and forward migrations that are safe to run twice.

The schema version lives in SQLite's `user_version`. Each migration creates only what is missing, so running one
again (a crash between its work and the version bump, two processes starting together) changes nothing.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable

import sqlite_utils

from storage.audit_data import fill_audit_data


def _v1(db: sqlite_utils.Database) -> None:
    db.table("accounts").create(
        {"account_id": str, "customer_ref": str, "created_by": str, "created_at": float},
        pk="account_id",
        not_null={"customer_ref"},
        if_not_exists=True,
    )
    db.table("executions").create(
        {
            "id": int,
            "customer_ref": str,
            "user_ref": str,
            "workflow_key": int,
            "locale": str,
            "team_id": str,
            "channel_id": str,
            "thread_ts": str,
            "started_by": str,
            "account_id": str,
            "workflow_execution_id": str,
            "status": str,
            "decision_type": str,
            "decision_label": str,
            "risk_score": float,
            "capabilities": str,
            "web_href": str,
            "web_expires_at": float,
            "replaces": int,
            "last_error": str,
            "created_at": float,
            "updated_at": float,
            "finalized_at": float,
            "completed_at": float,
        },
        pk="id",
        not_null={"customer_ref", "workflow_key", "channel_id", "started_by", "status", "created_at", "updated_at"},
        if_not_exists=True,
    )
    executions = db.table("executions")
    executions.create_index(["customer_ref", "id"], if_not_exists=True)
    executions.create_index(["started_by", "id"], if_not_exists=True)
    # Partial indexes: a new row (no Jumio ids, no thread, PENDING) touches none of them, which keeps the
    # write behind each /verify small; the queries that use them name the same condition.
    db.execute(
        "CREATE UNIQUE INDEX IF NOT EXISTS idx_executions_workflow_execution_id ON executions "
        "(workflow_execution_id) WHERE workflow_execution_id IS NOT NULL"
    )
    db.execute(
        "CREATE INDEX IF NOT EXISTS idx_executions_thread ON executions (channel_id, thread_ts) WHERE thread_ts IS NOT NULL"
    )
    db.execute(
        "CREATE INDEX IF NOT EXISTS idx_executions_awaiting ON executions (status) WHERE status IN ('INITIATED', 'ACQUIRED')"
    )

    db.table("credentials").create(
        {
            "credential_id": str,
            "execution": int,
            "category": str,
            "allowed_channels": str,
            "parts": str,
            "finalize_url": str,
            "api_token": str,
        },
        pk="credential_id",
        not_null={"execution", "category"},
        foreign_keys=[("execution", "executions", "id")],
        if_not_exists=True,
    )
    db.table("credentials").create_index(["execution"], if_not_exists=True)

    db.table("uploads").create(
        {
            "id": int,
            "execution": int,
            "slack_file_id": str,
            "part": str,
            "sha256": str,
            "size": int,
            "uploaded_by": str,
            "state": str,
            "error": str,
            "created_at": float,
            "updated_at": float,
        },
        pk="id",
        not_null={"execution", "slack_file_id", "state", "created_at", "updated_at"},
        foreign_keys=[("execution", "executions", "id")],
        if_not_exists=True,
    )
    db.table("uploads").create_index(["execution", "slack_file_id"], unique=True, if_not_exists=True)

    db.table("jobs").create(
        {
            "id": int,
            "kind": str,
            "payload": str,
            "state": str,
            "attempts": int,
            "max_attempts": int,
            "run_after": float,
            "lease_owner": str,
            "lease_expires": float,
            "last_error": str,
            "dedupe_key": str,
            "created_at": float,
            "updated_at": float,
        },
        pk="id",
        not_null={"kind", "payload", "state", "attempts", "max_attempts", "run_after", "created_at", "updated_at"},
        defaults={"attempts": 0},
        if_not_exists=True,
    )
    db.execute("CREATE UNIQUE INDEX IF NOT EXISTS idx_jobs_dedupe_key ON jobs (dedupe_key) WHERE dedupe_key IS NOT NULL")
    db.table("jobs").create_index(["state", "run_after"], if_not_exists=True)

    # No index on seen_at: pruning old ids is rare and may scan; recording one must stay cheap.
    db.table("seen_events").create({"event_id": str, "seen_at": float}, pk="event_id", if_not_exists=True)

    db.table("audit").create(
        {"id": int, "at": float, "actor": str, "action": str, "execution": int, "detail": str},
        pk="id",
        not_null={"at", "actor", "action"},
        if_not_exists=True,
    )
    db.table("audit").create_index(["execution", "id"], if_not_exists=True)


def _v2(db: sqlite_utils.Database) -> None:
    # When the status sweep last asked Jumio about an execution: old ones are asked less often, in turn.
    if "swept_at" not in db.table("executions").columns_dict:
        db.table("executions").add_column("swept_at", float)


def _v3(db: sqlite_utils.Database) -> None:
    # The next free slot of each paced job bucket (Jumio's account creations): pacing survives a restart.
    db.table("pacing").create({"bucket": str, "next_slot": float}, pk="bucket", not_null={"next_slot"}, if_not_exists=True)
    # Due jobs run highest priority first: work on verifications under way before a burst of new starts.
    if "priority" not in db.table("jobs").columns_dict:
        db.table("jobs").add_column("priority", int, not_null_default=0)


def _v4(db: sqlite_utils.Database) -> None:
    # The customer's consent for the API channel: the links asked for (token hashes only) and what was given. The
    # consent row is personal data (IP, location); the execution made with it points at it.
    db.table("consent_requests").create(
        {
            "id": int,
            "execution": int,
            "token_hash": str,
            "requested_by": str,
            "created_at": float,
            "expires_at": float,
            "used_at": float,
        },
        pk="id",
        not_null={"execution", "token_hash", "requested_by", "created_at", "expires_at"},
        foreign_keys=[("execution", "executions", "id")],
        if_not_exists=True,
    )
    db.table("consent_requests").create_index(["token_hash"], unique=True, if_not_exists=True)
    db.table("consent_requests").create_index(["execution"], if_not_exists=True)
    db.table("consents").create(
        {
            "id": int,
            "execution": int,
            "user_ip": str,
            "country": str,
            "state": str,
            "obtained_at": str,
            "recorded_at": float,
        },
        pk="id",
        not_null={"execution", "obtained_at", "recorded_at"},
        foreign_keys=[("execution", "executions", "id")],
        if_not_exists=True,
    )
    db.table("consents").create_index(["execution"], unique=True, if_not_exists=True)
    if "api_consent" not in db.table("executions").columns_dict:
        db.table("executions").add_column("api_consent", int)


def _v5(db: sqlite_utils.Database) -> None:
    # Caps on starts count an agent's recent starts; callbacks look up an execution's recent audit rows.
    db.table("audit").create_index(["actor", "action", "at"], if_not_exists=True)
    db.table("audit").create_index(["execution", "action", "at"], if_not_exists=True)


def _v6(db: sqlite_utils.Database) -> None:
    # Personal data lives only as long as it must: a verification reduced to its tombstone (by retention or an
    # admin's erase) says when and by whom; supporting data has its own table, never a job's payload; agents who
    # connected their Slack user (so the bot can delete their photos) have their user token here, sealed.
    columns = db.table("executions").columns_dict
    if "reduced_at" not in columns:
        db.table("executions").add_column("reduced_at", float)
    if "erased_by" not in columns:
        db.table("executions").add_column("erased_by", str)
    db.execute("CREATE INDEX IF NOT EXISTS idx_executions_unreduced ON executions (completed_at) WHERE reduced_at IS NULL")
    db.table("supporting_data").create(
        {"execution": int, "data": str, "created_at": float},
        pk="execution",
        not_null={"data", "created_at"},
        foreign_keys=[("execution", "executions", "id")],
        if_not_exists=True,
    )
    db.table("user_tokens").create(
        {"team_id": str, "user_id": str, "user_token": str, "scopes": str, "connected_at": float},
        pk=("team_id", "user_id"),
        not_null={"user_token", "connected_at"},
        if_not_exists=True,
    )
    if "in_channel" not in db.table("uploads").columns_dict:  # 0: given in the private photos modal, not in the channel
        db.table("uploads").add_column("in_channel", int, not_null_default=1)
    db.table("oauth_states").create(
        {"state": str, "expires_at": float}, pk="state", not_null={"expires_at"}, if_not_exists=True
    )
    # Jobs queued by an older bot carried supporting data in their payload: it moves to its table.
    for job_id, kind, payload in db.execute(
        "SELECT id, kind, payload FROM jobs WHERE kind IN ('start', 'create_account', 'upload_prepared_data')"
    ).fetchall():
        data = json.loads(payload)
        field = "data" if kind == "upload_prepared_data" else "supporting_data"
        if data.get(field):
            db.execute(
                "INSERT OR IGNORE INTO supporting_data (execution, data, created_at) VALUES (?, ?, ?)",
                (data["execution"], json.dumps(data[field]), time.time()),
            )
        if field in data:
            del data[field]
            db.execute("UPDATE jobs SET payload = ? WHERE id = ?", (json.dumps(data), job_id))


def _v7(db: sqlite_utils.Database) -> None:
    # A photo dropped in a thread is deleted from Slack after relay (by its agent's connected user) or by hand: the
    # bot remembers which, so an erase names only the ones still in Slack. Audit rows stop naming Slack file IDs;
    # older rows have theirs removed when their verification is reduced (storage.privacy).
    if "slack_deleted" not in db.table("uploads").columns_dict:
        db.table("uploads").add_column("slack_deleted", int, not_null_default=0)
    # An erase deletes each Jumio account by a job; when Jumio confirmed it is kept, so a later erase (of the same
    # customer) deletes again any account whose deletion never went through, or that turned up after the first.
    if "deleted_at" not in db.table("accounts").columns_dict:
        db.table("accounts").add_column("deleted_at", float)


def _v8(db: sqlite_utils.Database) -> None:
    # A "Verify identity" step a Slack workflow runs: Slack's function execution id (a second delivery starts nothing),
    # the verification it started, the function's token (sealed; forgotten once Slack has the completion), a
    # refusal decided at once, and when Slack took the completion and what it said.
    db.table("workflow_steps").create(
        {
            "function_execution_id": str,
            "execution": int,
            "channel_id": str,
            "requested_by": str,
            "token": str,
            "refusal": str,
            "created_at": float,
            "completed_at": float,
            "completion": str,
        },
        pk="function_execution_id",
        not_null={"created_at"},
        foreign_keys=[("execution", "executions", "id")],
        if_not_exists=True,
    )
    db.execute(
        "CREATE INDEX IF NOT EXISTS idx_workflow_steps_running ON workflow_steps (execution) WHERE completed_at IS NULL"
    )
    # When each agent last opened App Home: what was decided since comes first there.
    db.table("home_visits").create(
        {"user_id": str, "looked_at": float}, pk="user_id", not_null={"looked_at"}, if_not_exists=True
    )


def _v9(db: sqlite_utils.Database) -> None:
    # State out of the audit trail: what the journey asks of itself lives in columns, the trail only records. Filled
    # from the rows that used to be asked (link sent, "not sent yet" told for an upload, the sweep gave up).
    executions = db.table("executions")
    if "link_sent_at" not in executions.columns_dict:
        executions.add_column("link_sent_at", float)
        db.execute(
            "UPDATE executions SET link_sent_at = (SELECT min(at) FROM audit a WHERE a.execution = executions.id "
            "AND a.action = 'link_sent')"
        )
    if "sweep_gave_up_at" not in executions.columns_dict:
        executions.add_column("sweep_gave_up_at", float)
        db.execute(
            "UPDATE executions SET sweep_gave_up_at = (SELECT min(at) FROM audit a WHERE a.execution = "
            "executions.id AND a.action = 'sweep_gave_up')"
        )
    uploads = db.table("uploads")
    if "told_not_sent" not in uploads.columns_dict:
        uploads.add_column("told_not_sent", int, not_null_default=0)
        db.execute(
            "UPDATE uploads SET told_not_sent = 1 WHERE EXISTS (SELECT 1 FROM audit a WHERE a.execution = "
            "uploads.execution AND a.action = 'photo_not_sent' AND a.detail LIKE 'upload ' || uploads.id || ': %')"
        )
    # The audit names no photo's hash (not even a prefix: it would identify the image); the uploads row keeps it
    # until the verification is reduced.
    for audit_id, detail in db.execute("SELECT id, detail FROM audit WHERE detail LIKE '%sha256 %'").fetchall():
        db.execute("UPDATE audit SET detail = ? WHERE id = ?", (re.sub(r",? ?sha256 [0-9a-f]+", "", detail), audit_id))
    # The start caps count executions (a new link or a consent's execution replaces one: not a start).
    db.execute(
        "CREATE INDEX IF NOT EXISTS idx_executions_starts ON executions (started_by, created_at) WHERE replaces IS NULL"
    )


def _v10(db: sqlite_utils.Database) -> None:
    # What lets an auditor tell the customer's tick from an agent's, and no more: the browser's family (from the
    # User-Agent, never the string itself) and the seconds from the consent link being made to the tick.
    consents = db.table("consents")
    if "browser" not in consents.columns_dict:
        consents.add_column("browser", str)
    if "seconds_to_tick" not in consents.columns_dict:
        consents.add_column("seconds_to_tick", float)


MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [
    _v1,
    _v2,
    _v3,
    _v4,
    _v5,
    _v6,
    _v7,
    _v8,
    _v9,
    _v10,
    fill_audit_data,  # 11: the audit's typed payloads
]
SCHEMA_VERSION = len(MIGRATIONS)


class DatabaseUnusable(RuntimeError):
    """The database file cannot be opened or written, is not a database, or was written by a newer bot."""


def schema_version(db: sqlite_utils.Database) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def migrate(db: sqlite_utils.Database) -> int:
    """Bring the schema up to `SCHEMA_VERSION`; returns the version it started from."""
    start = schema_version(db)
    if start > SCHEMA_VERSION:
        raise DatabaseUnusable(
            f"the database has schema version {start}, newer than this bot's {SCHEMA_VERSION}; upgrade the bot"
        )
    for version in range(start, SCHEMA_VERSION):
        db.execute("BEGIN IMMEDIATE")
        try:
            if schema_version(db) == version:  # another process may have migrated while we waited for the lock
                MIGRATIONS[version](db)
                db.execute(f"PRAGMA user_version = {version + 1}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
    return start
