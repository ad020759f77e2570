"""The bot's SQLite store: one object over the table groups, each in its own module.

| group | module |
|---|---|
| connection, transactions, forgetting | `storage.connection` |
| executions, accounts, credentials | `storage.executions` |
| uploads | `storage.uploads` |
| the job queue and pacing slots | `storage.jobs` |
| seen Slack events and the audit trail | `storage.events` |
| consent links and the consent given | `storage.consents` |
| supporting data, user tokens, tombstones, sealing | `storage.privacy` |
| Workflow Builder steps | `storage.steps` |
"""

from __future__ import annotations

from storage.consents import Consents
from storage.events import EventsAndAudit
from storage.executions import Executions
from storage.jobs import JobQueue
from storage.privacy import Privacy
from storage.steps import WorkflowSteps
from storage.uploads import Uploads


class Store(Executions, Uploads, JobQueue, EventsAndAudit, Consents, Privacy, WorkflowSteps):
    """One SQLite file; safe to share between processes (WAL, short immediate transactions)."""
