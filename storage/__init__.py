"""SQLite storage for idv-slack-bot (sqlite-utils): schema, migrations and the journey's queries, by table group."""

from storage.jobs import Pace
from storage.models import (
    AuditEntry,
    Consent,
    ConsentRequest,
    Credentials,
    Execution,
    Job,
    StoredCredential,
    Upload,
    WorkflowStep,
)
from storage.privacy import ErasePlan, SlackPhoto
from storage.schema import SCHEMA_VERSION, DatabaseUnusable, migrate, schema_version
from storage.sealing import SealedWithoutKey, Sealer
from storage.statuses import FINAL_STATUSES, JUMIO_FINAL_STATUSES, OPEN_STATUSES, JobState, Status, UploadState
from storage.store import Store

__all__ = [
    "FINAL_STATUSES",
    "JUMIO_FINAL_STATUSES",
    "OPEN_STATUSES",
    "SCHEMA_VERSION",
    "AuditEntry",
    "Consent",
    "ConsentRequest",
    "Credentials",
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
