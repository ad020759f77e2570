"""Status words, defined once. `StrEnum` members equal their text, so they read and write as plain SQLite text."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    """Where a verification stands. PENDING: no Jumio account yet; FAILED: the bot gave up (the thread says why and
    offers Retry). The others are Jumio's workflow statuses, mapped from the Jumio client's at one place."""

    PENDING = "PENDING"
    INITIATED = "INITIATED"
    ACQUIRED = "ACQUIRED"
    PROCESSED = "PROCESSED"
    TOKEN_EXPIRED = "TOKEN_EXPIRED"
    SESSION_EXPIRED = "SESSION_EXPIRED"
    FAILED = "FAILED"
    # Local final statuses: the customer consented and an execution that takes photos replaced this one; or Jumio
    # answered 404 for it (deleted in Jumio's portal, say); or an admin erased it.
    SUPERSEDED = "SUPERSEDED"
    GONE = "GONE"
    ERASED = "ERASED"  # an admin erased the customer's data while this one was still under way


OPEN_STATUSES = (Status.PENDING, Status.INITIATED, Status.ACQUIRED)
FINAL_STATUSES = (
    Status.PROCESSED,
    Status.TOKEN_EXPIRED,
    Status.SESSION_EXPIRED,
    Status.SUPERSEDED,
    Status.GONE,
    Status.ERASED,
)
# Final statuses that carry Jumio's own outcome (a result to fetch and report).
JUMIO_FINAL_STATUSES = (Status.PROCESSED, Status.TOKEN_EXPIRED, Status.SESSION_EXPIRED)
# The same, as SQL lists for `status IN (…)`.
OPEN_SQL = ", ".join(f"'{status}'" for status in OPEN_STATUSES)
FINAL_SQL = ", ".join(f"'{status}'" for status in FINAL_STATUSES)


class UploadState(StrEnum):
    """Where one Slack file stands on its way to Jumio."""

    CLAIMED = "claimed"
    SENDING = "sending"  # the bytes are on their way to Jumio; found after a crash, the outcome is unknown
    HELD = "held"  # checked and kept in Slack until the customer consents (only its id is stored)
    UPLOADED = "uploaded"
    UNCERTAIN = "uncertain"  # a crash hid whether Jumio got it; the agent was asked to send it again
    REPLACED = "replaced"
    REJECTED = "rejected"
    FAILED = "failed"


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    DEAD = "dead"
