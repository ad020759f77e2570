"""What every family of the journey shares: the store, Jumio, Slack, the job queue, the options, and the two
rules that concern them all (Jumio's statuses in ours; which photos a verification takes)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

import httpx
from slack_sdk.web.async_client import AsyncWebClient

from bot.jobs import Queue, RetryPolicy
from bot.jumio import JumioClient, WorkflowStatus
from bot.metrics import Metrics
from storage import Execution, Status, Store, StoredCredential

IMAGE_PARTS = ("FRONT", "BACK", "FACE")

# Retry policies the journey's kinds share.
JUMIO_RETRIES = RetryPolicy(attempts=8, backoff_base=2.0, backoff_cap=300.0)  # ~2 min at least, ~8 min at most
SLACK_RETRIES = RetryPolicy(attempts=20, backoff_base=2.0, backoff_cap=300.0)  # about an hour of tries


@dataclass(frozen=True)
class Limits:
    """Caps on what one agent or one message can ask for (each start is a paid Jumio transaction)."""

    starts_per_minute: int = 5  # IDV_STARTS_PER_MINUTE
    starts_per_day: int = 200  # IDV_STARTS_PER_DAY
    photos_per_verification: int = 20  # IDV_MAX_PHOTOS: drops that count, replacements included
    files_per_message: int = 6  # twice the three parts; Slack allows 10 files a message


@dataclass(frozen=True)
class JourneyOptions:
    workflow_key: int
    token_lifetime: str
    token_lifetime_seconds: int
    callback_url: str | None
    poll_schedule: tuple[float, ...]
    bot_token: str
    slack_origins: frozenset[str]  # SLACK_API_URL's origin: the bot token may go there too
    consent_required: bool = True  # JUMIO_CONSENT=customer
    public_url: str | None = None  # IDV_PUBLIC_URL: where the consent page is
    limits: Limits = field(default_factory=Limits)
    retention_days: int = 90  # IDV_RETENTION_DAYS
    slack_api_url: str = "https://slack.com/api/"  # SLACK_API_URL: where agents' user tokens are used
    users_can_connect: bool = False  # SLACK_CLIENT_ID/SECRET and IDV_PUBLIC_URL: agents may connect their user
    # A workflow step whose customer's link expired fails only if nobody sent a new link within this time.
    step_waits_for_new_link: float = 24 * 3600.0


class PhotoPath(Enum):
    """Whether photos dropped in a verification's thread can go to Jumio now."""

    OPEN = "open"  # the execution takes API photos (made with the customer's consent, or consent not required)
    NEEDS_CONSENT = "needs consent"  # photos are checked and held; the customer's consent opens the path
    CLOSED = "closed"  # consent is required but the bot has no public address for the consent page


def local_status(jumio_status: str) -> Status | None:
    """Jumio's workflow status as ours: the one place they meet. None for a status Jumio does not document
    (ignored, never stored)."""
    try:
        return Status(WorkflowStatus(jumio_status).value)
    except ValueError:
        return None


@dataclass
class Context:
    store: Store
    jumio: JumioClient
    slack: AsyncWebClient
    options: JourneyOptions
    queue: Queue
    http: httpx.AsyncClient
    metrics: Metrics = field(default_factory=Metrics)
    _accepted_parts: dict[int, tuple[str, ...]] = field(default_factory=dict)

    def accepted_parts(self, execution: Execution) -> tuple[str, ...]:
        """The photos the execution's workflow takes through the API (all three while the account is pending)."""
        cached = self._accepted_parts.get(execution.id)
        if cached:
            return cached
        parts = self.store.executions.credentials(execution.id).taken_through_api(IMAGE_PARTS)
        if parts:
            self._accepted_parts[execution.id] = parts
        return parts or (IMAGE_PARTS if execution.status == Status.PENDING else ())

    def photo_path(self, execution: Execution) -> PhotoPath:
        if not self.options.consent_required or execution.api_consent is not None:
            return PhotoPath.OPEN
        return PhotoPath.NEEDS_CONSENT if self.options.public_url else PhotoPath.CLOSED

    def prepared_data_credential(self, execution_id: int) -> StoredCredential | None:
        """The credential that takes this execution's supporting data (its workflow's DATA), if any."""
        return self.store.executions.credentials(execution_id).prepared_data()

    def supporting_data_unsent(self, execution: Execution) -> bool:
        """Whether supporting data kept for this execution has yet to reach Jumio: a submit waits for it (Jumio
        decides a workflow that requires it NOT_EXECUTED without it)."""
        return (
            self.store.secrets.supporting_data(execution.id) is not None
            and self.prepared_data_credential(execution.id) is not None
        )

    def forget_parts(self, execution_id: int) -> None:
        self._accepted_parts.pop(execution_id, None)


@dataclass(frozen=True)
class OfExecution:
    """The payload of a job about one execution and nothing more."""

    execution: int
