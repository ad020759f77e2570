"""SQLite storage for idv-slack-bot (sqlite-utils): schema, migrations and the journey's queries."""

from storage.schema import SCHEMA_VERSION, migrate, schema_version
from storage.store import (
    ACQUIRED,
    DEAD,
    DONE,
    FAILED,
    FINAL_STATUSES,
    INITIATED,
    OPEN_STATUSES,
    PENDING,
    PROCESSED,
    QUEUED,
    RUNNING,
    SESSION_EXPIRED,
    TOKEN_EXPIRED,
    AuditEntry,
    Execution,
    Job,
    Store,
    StoredCredential,
    Upload,
)

__all__ = [
    "ACQUIRED", "DEAD", "DONE", "FAILED", "FINAL_STATUSES", "INITIATED", "OPEN_STATUSES", "PENDING", "PROCESSED",
    "QUEUED", "RUNNING", "SCHEMA_VERSION", "SESSION_EXPIRED", "TOKEN_EXPIRED", "AuditEntry", "Execution", "Job",
    "Store", "StoredCredential", "Upload", "migrate", "schema_version",
]
