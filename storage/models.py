"""The rows the store hands out, as frozen dataclasses."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from storage.statuses import FINAL_STATUSES, OPEN_STATUSES, Status


@dataclass(frozen=True)
class Execution:
    id: int
    customer_ref: str
    user_ref: str | None
    workflow_key: int
    locale: str | None
    team_id: str | None
    channel_id: str
    thread_ts: str | None
    started_by: str
    account_id: str | None
    workflow_execution_id: str | None
    status: Status
    decision_type: str | None
    decision_label: str | None
    risk_score: float | None
    capabilities: list[dict[str, Any]]
    web_expires_at: float | None
    replaces: int | None
    last_error: str | None
    created_at: float
    updated_at: float
    finalized_at: float | None
    completed_at: float | None
    api_consent: int | None = None  # the consent this execution was made with: it takes photos through the API
    reduced_at: float | None = None  # when it was reduced to a tombstone (retention, or an erase)
    erased_by: str | None = None  # the admin who erased the customer's data
    link_sent_at: float | None = None  # when its Web Client link went to the agent (sent once)
    sweep_gave_up_at: float | None = None  # when the sweep stopped asking Jumio about it

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Execution:
        values: dict[str, Any] = {name: row.get(name) for name in cls.__dataclass_fields__}
        values["capabilities"] = json.loads(row["capabilities"]) if row.get("capabilities") else []
        values["status"] = Status(row["status"])
        return cls(**values)


@dataclass(frozen=True)
class StoredCredential:
    credential_id: str
    execution: int
    category: str
    allowed_channels: tuple[str, ...]
    parts: dict[str, str]
    finalize_url: str | None
    api_token: str | None

    def __repr__(self) -> str:
        return f"StoredCredential({self.credential_id!r}, {self.category!r}, parts={sorted(self.parts)})"

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> StoredCredential:
        return cls(
            credential_id=row["credential_id"],
            execution=row["execution"],
            category=row["category"],
            allowed_channels=tuple(json.loads(row["allowed_channels"] or "[]")),
            parts=json.loads(row["parts"] or "{}"),
            finalize_url=row["finalize_url"],
            api_token=row["api_token"],
        )


class Credentials(list[StoredCredential]):
    """An execution's credentials as Jumio's answer gave them (a list), asked what each is for."""

    def for_part(self, part: str) -> StoredCredential | None:
        """The credential whose parts take `part` (FRONT, BACK, FACE, PREPARED_DATA), if any."""
        return next((c for c in self if part.lower() in c.parts), None)

    def finalizing(self) -> StoredCredential | None:
        """The credential that submits the execution through the API: a finalize URL and a live api.token."""
        return next((c for c in self if c.finalize_url and c.api_token), None)

    def prepared_data(self) -> StoredCredential | None:
        """The credential that takes the supporting data (its workflow's DATA), if any."""
        return self.for_part("prepared_data")

    def taken_through_api(self, parts: Iterable[str]) -> tuple[str, ...]:
        """Which of `parts` a credential of the API channel takes."""
        return tuple(p for p in parts if any(p.lower() in c.parts and "API" in c.allowed_channels for c in self))


@dataclass(frozen=True)
class Upload:
    id: int
    execution: int
    slack_file_id: str
    part: str | None
    sha256: str | None
    size: int | None
    uploaded_by: str | None
    state: str
    error: str | None
    created_at: float
    updated_at: float
    in_channel: int = 1  # 0: given in the private photos modal, never shared into the channel
    slack_deleted: int = 0  # 1: deleted from Slack (by the agent's connected user, or found gone)
    told_not_sent: int = 0  # 1: the thread was told this photo is not at Jumio yet (said once)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Upload:
        values: dict[str, Any] = {name: row.get(name) for name in cls.__dataclass_fields__}
        return cls(**values)


@dataclass(frozen=True)
class Job:
    id: int
    kind: str
    payload: dict[str, Any]
    state: str
    attempts: int
    max_attempts: int
    run_after: float
    lease_owner: str | None
    lease_expires: float | None
    last_error: str | None
    dedupe_key: str | None
    priority: int = 0

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Job:
        values: dict[str, Any] = {name: row.get(name) for name in cls.__dataclass_fields__}
        values["payload"] = json.loads(row["payload"])
        return cls(**values)


@dataclass(frozen=True)
class Consent:
    """What the customer gave on the consent page: personal data (IP, location), kept in its own table."""

    id: int
    execution: int
    user_ip: str | None
    country: str | None
    state: str | None
    obtained_at: str
    recorded_at: float
    browser: str | None = None  # the browser's family and OS, from the User-Agent ("Chrome Mobile on Android")
    seconds_to_tick: float | None = None  # from the consent link being made to the customer's tick


@dataclass(frozen=True)
class ConsentRequest:
    id: int
    execution: int
    token_hash: str
    requested_by: str
    created_at: float
    expires_at: float
    used_at: float | None


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: float
    actor: str
    action: str
    execution: int | None
    detail: str | None
    data: dict[str, Any] | None = None  # the event's typed payload (bot.blocks.audit), as JSON

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> AuditEntry:
        data = row.get("data")
        return cls(**{**row, "data": json.loads(data) if data else None})


@dataclass(frozen=True)
class WorkflowStep:
    """A "Verify identity" step a Slack workflow runs (its token is read separately, opened)."""

    function_execution_id: str
    execution: int | None  # the verification it started; None when it was refused at once
    channel_id: str | None
    requested_by: str | None
    refusal: str | None  # why it was refused at once, in a workflow author's words
    created_at: float
    completed_at: float | None  # when Slack took the completion (or said the step no longer runs)
    completion: str | None  # what was sent: the outputs (JSON), or "failed"

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> WorkflowStep:
        values: dict[str, Any] = {name: row.get(name) for name in cls.__dataclass_fields__}
        return cls(**values)
