"""The bot's SQLite store: one connection, and a group of tables per concern, each writing only its own tables.

| `store.` | tables | module |
|---|---|---|
| (itself) | the file, transactions, forgetting | `storage.connection` |
| `executions` | executions, accounts, credentials | `storage.executions` |
| `uploads` | uploads | `storage.uploads` |
| `jobs` | the job queue and pacing slots | `storage.jobs` |
| `audit` | the audit trail | `storage.events` |
| `events` | seen Slack events, App Home visits | `storage.events` |
| `consents` | consent links and the consent given | `storage.consents` |
| `secrets` | supporting data, agents' user tokens, resealing | `storage.privacy` |
| `erasure` | the erase plan, confirmed deletions, tombstones | `storage.privacy` |
| `steps` | Workflow Builder steps | `storage.steps` |
"""

from __future__ import annotations

import time
from collections.abc import Callable

from storage.connection import Connection
from storage.consents import Consents
from storage.events import AuditTrail, SeenEvents
from storage.executions import Executions
from storage.jobs import JobQueue
from storage.privacy import Erasure, Secrets
from storage.sealing import Sealer
from storage.steps import WorkflowSteps
from storage.uploads import Uploads


class Store(Connection):
    """One SQLite file; safe to share between processes (WAL, short immediate transactions)."""

    def __init__(self, path: str, *, clock: Callable[[], float] = time.time, sealer: Sealer | None = None) -> None:
        super().__init__(path, clock=clock, sealer=sealer)
        self.executions = Executions(self)
        self.uploads = Uploads(self)
        self.jobs = JobQueue(self)
        self.audit = AuditTrail(self)
        self.events = SeenEvents(self)
        self.consents = Consents(self)
        self.secrets = Secrets(self)
        self.erasure = Erasure(self)
        self.steps = WorkflowSteps(self)
