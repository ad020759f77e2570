"""Typed requests and results of the Jumio KYX API (reference §2–§6).

Results keep only what the bot needs: identifiers, URLs, tokens (hidden from `repr`), statuses and decisions.
Extracted personal data in a details answer is never read into these types.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bot.jumio.exceptions import InvalidResponse


class WorkflowStatus(StrEnum):
    """Jumio's workflow statuses (reference §6); the bot maps them to its own in one place (the journey)."""

    INITIATED = "INITIATED"
    ACQUIRED = "ACQUIRED"
    PROCESSED = "PROCESSED"
    SESSION_EXPIRED = "SESSION_EXPIRED"
    TOKEN_EXPIRED = "TOKEN_EXPIRED"


class DecisionType(StrEnum):
    """Jumio's decision types (reference §7): the `decision.type` of a processed workflow execution."""

    PASSED = "PASSED"
    REJECTED = "REJECTED"
    WARNING = "WARNING"
    NOT_EXECUTED = "NOT_EXECUTED"


WORKFLOW_STATUSES = tuple(WorkflowStatus)
DECISION_TYPES = tuple(DecisionType)


@dataclass(frozen=True)
class AccountRequest:
    """The body of POST/PUT /api/v1/accounts."""

    customer_reference: str
    workflow_key: int
    user_reference: str | None = None
    callback_url: str | None = None
    token_lifetime: str | None = None
    locale: str | None = None
    user_consent: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "customerInternalReference": self.customer_reference,
            "workflowDefinition": {"key": self.workflow_key},
        }
        if self.user_reference:
            body["userReference"] = self.user_reference
        if self.callback_url:
            body["callbackUrl"] = self.callback_url
        if self.token_lifetime:
            body["tokenLifetime"] = self.token_lifetime
        if self.locale:
            body["web"] = {"locale": self.locale}
        if self.user_consent:
            body["userConsent"] = self.user_consent
        return body


@dataclass(frozen=True)
class Credential:
    """One credential of a workflow execution; `api_token`, `parts` and `finalize_url` only when API is allowed."""

    id: str
    category: str
    allowed_channels: tuple[str, ...]
    parts: dict[str, str] = field(default_factory=dict)
    finalize_url: str | None = None
    api_token: str | None = field(default=None, repr=False)

    @property
    def accepts_api(self) -> bool:
        return self.api_token is not None and "API" in self.allowed_channels

    def part_url(self, classifier: str) -> str | None:
        """The upload URL of a part (`FRONT`, `BACK`, `FACE`, `PREPARED_DATA`); Jumio keys them in lower case."""
        return self.parts.get(classifier.lower())


@dataclass(frozen=True)
class AccountSession:
    """Jumio's answer to creating or updating an account: a new workflow execution and how to feed it."""

    timestamp: str | None
    account_id: str
    execution_id: str
    web_href: str | None = field(repr=False)
    sdk_token: str | None = field(repr=False)
    credentials: tuple[Credential, ...]

    def credential_for_part(self, classifier: str) -> Credential | None:
        return next((c for c in self.credentials if c.accepts_api and c.part_url(classifier)), None)

    @property
    def accepted_parts(self) -> tuple[str, ...]:
        """The classifiers the API channel can take, upper case (`FRONT`, `BACK`, `FACE`, `PREPARED_DATA`)."""
        return tuple(part.upper() for c in self.credentials if c.accepts_api for part in c.parts)

    @classmethod
    def from_json(cls, body: Any) -> AccountSession:
        try:
            credentials = tuple(_credential(item) for item in body["workflowExecution"].get("credentials", []))
            return cls(
                timestamp=body.get("timestamp"),
                account_id=str(body["account"]["id"]),
                execution_id=str(body["workflowExecution"]["id"]),
                web_href=(body.get("web") or {}).get("href"),
                sdk_token=(body.get("sdk") or {}).get("token"),
                credentials=credentials,
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise InvalidResponse(f"the account answer lacks {exc}") from None


def _credential(item: dict[str, Any]) -> Credential:
    api = item.get("api") or {}
    return Credential(
        id=str(item["id"]),
        category=str(item["category"]),
        allowed_channels=tuple(item.get("allowedChannels", ())),
        parts={str(k).lower(): str(v) for k, v in (api.get("parts") or {}).items()},
        finalize_url=api.get("workflowExecution"),
        api_token=api.get("token"),
    )


@dataclass(frozen=True)
class UploadResult:
    """Jumio's answer to a part upload: the credential's token and URLs as they are now (reference §3). Public
    clients use the latest answer's; whether Jumio rotates them is UNCONFIRMED, so the bot keeps the latest."""

    account_id: str
    execution_id: str
    api_token: str | None = field(default=None, repr=False)
    parts: dict[str, str] = field(default_factory=dict)
    finalize_url: str | None = None

    @classmethod
    def from_json(cls, body: Any) -> UploadResult:
        try:
            api = body.get("api") or {}
            return cls(
                account_id=str(body["account"]["id"]),
                execution_id=str(body["workflowExecution"]["id"]),
                api_token=api.get("token") or None,
                parts={str(k).lower(): str(v) for k, v in (api.get("parts") or {}).items()},
                finalize_url=api.get("workflowExecution") or None,
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise InvalidResponse(f"the upload answer lacks {exc}") from None


@dataclass(frozen=True)
class ExecutionStatus:
    account_id: str
    execution_id: str
    status: str
    definition_key: str | None

    @classmethod
    def from_json(cls, body: Any) -> ExecutionStatus:
        try:
            execution = body["workflowExecution"]
            return cls(
                account_id=str(body["account"]["id"]),
                execution_id=str(execution["id"]),
                status=str(execution["status"]),
                definition_key=None if execution.get("definitionKey") is None else str(execution["definitionKey"]),
            )
        except (KeyError, TypeError) as exc:
            raise InvalidResponse(f"the status answer lacks {exc}") from None


@dataclass(frozen=True)
class CapabilityResult:
    """One capability's verdict: its name, Jumio's decision type and label. Its `data` is never kept."""

    name: str
    decision_type: str
    label: str | None
    credential_categories: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "decision": self.decision_type,
            "label": self.label,
            "credentials": list(self.credential_categories),
        }


@dataclass(frozen=True)
class ExecutionDetails:
    """The outcome of a workflow execution, without extracted personal data."""

    account_id: str
    execution_id: str
    status: str
    decision_type: str | None
    decision_label: str | None
    risk_score: float | None
    capabilities: tuple[CapabilityResult, ...]

    @classmethod
    def from_json(cls, body: Any) -> ExecutionDetails:
        try:
            workflow = body["workflow"]
            decision = body.get("decision") or {}
            risk = decision.get("risk") or {}
            capabilities: list[CapabilityResult] = []
            for name, entries in (body.get("capabilities") or {}).items():
                for entry in entries if isinstance(entries, list) else [entries]:
                    verdict = entry.get("decision") or {}
                    capabilities.append(
                        CapabilityResult(
                            name=str(name),
                            decision_type=str(verdict.get("type", DecisionType.NOT_EXECUTED)),
                            label=(verdict.get("details") or {}).get("label"),
                            credential_categories=tuple(
                                str(c.get("category")) for c in entry.get("credentials", []) if c.get("category")
                            ),
                        )
                    )
            score = risk.get("score")
            return cls(
                account_id=str(body["account"]["id"]),
                execution_id=str(workflow["id"]),
                status=str(workflow["status"]),
                decision_type=decision.get("type"),
                decision_label=(decision.get("details") or {}).get("label"),
                risk_score=None if score is None else float(score),
                capabilities=tuple(capabilities),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InvalidResponse(f"the details answer lacks {exc}") from None
