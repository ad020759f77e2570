"""The simulator's state: its settings, faults, executions, credentials and parts, and its rate buckets."""

from __future__ import annotations

import base64
import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# D-CREDREF: a part of "15 MB" at most, read as 15,000,000 bytes (the strict reading; reference §12).
MAX_PART_BYTES = 15_000_000
FORBIDDEN_REFERENCE_CHARACTERS = '<>"/;`%{}|'
LIFETIME = re.compile(r"^([+-]?\d+)([smhd])$")
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
ACCOUNT_FIELDS = {
    "customerInternalReference",
    "workflowDefinition",
    "userReference",
    "reportingCriteria",
    "callbackUrl",
    "tokenLifetime",
    "web",
    "userConsent",
}

# Workflow definitions this tenant has: the credential categories each takes (reference §2.4).
WORKFLOWS: dict[int, tuple[str, ...]] = {
    2: ("ID",),
    3: ("ID", "SELFIE", "FACEMAP"),
    10011: ("ID", "SELFIE", "FACEMAP"),
    10013: ("ID", "SELFIE", "FACEMAP"),
    10163: ("ID", "SELFIE", "FACEMAP", "DATA"),
}
PARTS = {"ID": ("FRONT", "BACK"), "SELFIE": ("FACE",), "DATA": ("PREPARED_DATA",), "FACEMAP": ()}
# Workflows that "require Uploading Supporting Data" (D-PREP, D-WFREF): without it the processed execution decides
# NOT_EXECUTED (reference §12).
REQUIRES_PREPARED_DATA = frozenset({10163})
RISK = {"PASSED": 12.0, "WARNING": 55.0, "REJECTED": 92.0, "NOT_EXECUTED": -1.0}


@dataclass
class SandboxConfig:
    client_id: str | None = None
    client_secret: str | None = None
    processing_delay: float = 0.3
    oauth_token_lifetime: int = 3600
    account_rate: float = 1.0
    account_burst: float = 1.0
    token_rate: float = 10.0
    time_scale: float = 1.0
    session_timeout: float = 15 * 60
    retrieval_rate: float = 15.0  # D-RL: retrieval, 15 requests a second per tenant (429 above it; reference §12)
    # Jumio's intermediate callback (KYX guide "Intermediate Callback Parameters"; reference §7, §12): ACQUIRED once the
    # photos are in, before PROCESSED. Whether a tenant gets it by default is UNCONFIRMED; sent unless turned off.
    intermediate_callbacks: bool = True
    callbacks_enabled: bool = True
    strict_callback_urls: bool = False
    expiry_check_interval: float = 0.1
    latency: float = 0.0  # seconds added to every Jumio API call (a slow Jumio, for benchmarks)
    upload_throttle: float | None = None  # bytes per second an upload is read at (a network-bound leg, benchmarks)
    # Jumio refuses API-channel ID and selfie uploads without the end user's consent (reference §5a). False models
    # a tenant whose agreement makes the integrator the controller (JUMIO_CONSENT=not-required).
    consent_required: bool = True
    hold_decisions: bool = False  # submitted executions stay ACQUIRED until this is False again (a manual review)
    state_path: str | None = None  # an SQLite file that keeps the executions across restarts (None: memory only)
    web_origin: str | None = None  # where Web Client links point (the bot's public URL serves them); None: here


@dataclass
class Fault:
    """Answer the next `count` matching calls with `status` (or drop the connection), after `delay` seconds."""

    path_contains: str = ""
    method: str | None = None
    status: int | None = 503
    count: int = 1
    delay: float = 0.0
    drop: bool = False
    after: bool = False  # handle the request first, then delay (or drop) the answer
    duration: float | None = None  # instead of a count: every matching call for this many seconds (an outage)
    ends_at: float | None = None


@dataclass
class Part:
    classifier: str
    sha256: str
    size: int
    content_type: str
    channel: str
    uploads: int = 1


@dataclass
class SandboxCredential:
    id: str
    category: str
    api_token: str | None
    parts: dict[str, Part] = field(default_factory=dict)
    prepared_data: dict[str, Any] | None = None


@dataclass
class SandboxExecution:
    id: str
    account_id: str
    customer_reference: str
    user_reference: str | None
    workflow_key: int
    callback_url: str | None
    locale: str | None
    web_token: str
    sdk_token: str
    credentials: list[SandboxCredential]
    created_at: float
    expires_at: float
    status: str = "INITIATED"
    started_at: float | None = None
    last_activity: float | None = None
    finalized_at: float | None = None
    completed_at: float | None = None
    decision: str | None = None
    finalize_calls: int = 0
    deleted: bool = False
    user_consent: dict[str, Any] | None = None  # as sent at create or update; valid (rules.consent_problem)

    def forget(self) -> None:
        """Deleted at Jumio: answered 404 from now on; the consent's address and place, supporting data and the
        photos' hashes are dropped, and the state file keeps nothing of it (`persistence`). The references stay in
        memory only: the tests' ledger of what Jumio made (how many paid transactions a customer cost)."""
        self.deleted = True
        self.user_consent = None
        for credential in self.credentials:
            credential.prepared_data = None
            for part in credential.parts.values():
                part.sha256 = ""

    def credential(self, credential_id: str) -> SandboxCredential | None:
        return next((c for c in self.credentials if c.id == credential_id), None)

    def received(self) -> set[str]:
        """The parts Jumio holds: images by classifier, and PREPARED_DATA once supporting data came."""
        parts = {classifier for c in self.credentials for classifier in c.parts}
        return parts | ({"PREPARED_DATA"} if any(c.prepared_data is not None for c in self.credentials) else set())


@dataclass
class Callback:
    url: str
    body: dict[str, Any]
    status: int | None
    error: str | None


class Bucket:
    def __init__(self, rate: float, burst: float, clock: Callable[[], float]) -> None:
        self.rate, self.burst, self.clock = rate, burst, clock
        self.tokens, self.updated = burst, clock()

    def take(self) -> bool:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        # Up to 50 ms of network jitter between paced requests is forgiven (but never half an interval).
        if self.tokens >= max(0.5, 1.0 - self.rate * 0.05):
            self.tokens -= 1.0
            return True
        return False


def fake_jwt(claims: dict[str, Any]) -> str:
    def part(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'HS512', 'typ': 'JWT'})}.{part(claims)}.{secrets.token_urlsafe(43)}"


def lifetime_seconds(value: Any) -> float:
    """Seconds of a `tokenLifetime`; ValueError outside Jumio's pattern and 5m…60d."""
    match = LIFETIME.match(value) if isinstance(value, str) else None
    if not match:
        raise ValueError("tokenLifetime must match ^([+-]?\\d+)([smhd]{1})$")
    seconds = int(match.group(1)) * UNITS[match.group(2)]
    if not 300 <= seconds <= 60 * 86400:
        raise ValueError("tokenLifetime must be between 5m and 60d")
    return float(seconds)
