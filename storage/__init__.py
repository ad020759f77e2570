"""SQLite storage for idv-slack-bot (sqlite-utils): schema, migrations and the journey's queries, by table group."""

from storage.jobs import Pace
from storage.models import AuditEntry, Consent, ConsentRequest, Execution, Job, StoredCredential, Upload, WorkflowStep
from storage.privacy import ErasePlan, SlackPhoto
from storage.schema import SCHEMA_VERSION, DatabaseUnusable, migrate, schema_version
from storage.sealing import SealedWithoutKey, Sealer
from storage.statuses import FINAL_STATUSES, JUMIO_FINAL_STATUSES, OPEN_STATUSES, JobState, Status, UploadState
from storage.store import Store

# The status words by name, for callers that compare (each is the enum member itself).
PENDING, INITIATED, ACQUIRED, PROCESSED = Status.PENDING, Status.INITIATED, Status.ACQUIRED, Status.PROCESSED
TOKEN_EXPIRED, SESSION_EXPIRED, FAILED = Status.TOKEN_EXPIRED, Status.SESSION_EXPIRED, Status.FAILED
SUPERSEDED, GONE, ERASED = Status.SUPERSEDED, Status.GONE, Status.ERASED
CLAIMED, SENDING, UPLOADED = UploadState.CLAIMED, UploadState.SENDING, UploadState.UPLOADED
UNCERTAIN, REPLACED, REJECTED, HELD = (UploadState.UNCERTAIN, UploadState.REPLACED, UploadState.REJECTED, UploadState.HELD)
QUEUED, RUNNING, DONE, DEAD = JobState.QUEUED, JobState.RUNNING, JobState.DONE, JobState.DEAD

__all__ = [
    "ACQUIRED",
    "CLAIMED",
    "DEAD",
    "DONE",
    "ERASED",
    "FAILED",
    "FINAL_STATUSES",
    "GONE",
    "HELD",
    "INITIATED",
    "JUMIO_FINAL_STATUSES",
    "OPEN_STATUSES",
    "PENDING",
    "PROCESSED",
    "QUEUED",
    "REJECTED",
    "REPLACED",
    "RUNNING",
    "SCHEMA_VERSION",
    "SENDING",
    "SESSION_EXPIRED",
    "SUPERSEDED",
    "TOKEN_EXPIRED",
    "UNCERTAIN",
    "UPLOADED",
    "AuditEntry",
    "Consent",
    "ConsentRequest",
    "DatabaseUnusable",
    "ErasePlan",
    "Execution",
    "Job",
    "JobState",
    "Pace",
    "SealedWithoutKey",
    "Sealer",
    "SlackPhoto",
    "Status",
    "Store",
    "StoredCredential",
    "Upload",
    "UploadState",
    "WorkflowStep",
    "migrate",
    "schema_version",
]
