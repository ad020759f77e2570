"""Consent links: one per agent who needs it, stored hashed only, valid until the verification ends or its time
runs out, dead for all once the customer consents (`consent` records what the customer gave)."""

from __future__ import annotations

import hashlib
import secrets
from enum import Enum

from bot.journey.context import Context, PhotoPath
from storage import ConsentRequest, Execution, Status

TOKEN_BYTES = 24  # 192 random bits


class LinkState(Enum):
    VALID = "valid"
    USED = "used"  # consent was given (through this link or another of the verification)
    EXPIRED = "expired"  # the verification ended or the link's time ran out
    UNKNOWN = "unknown"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ConsentLinks:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def new(self, execution: Execution, user_id: str) -> str | None:
        """A new consent link for this verification, for `user_id`; None when the photo path needs none."""
        if self.ctx.photo_path(execution) is not PhotoPath.NEEDS_CONSENT or not execution.is_open:
            return None
        token = secrets.token_urlsafe(TOKEN_BYTES)
        lifetime = self.ctx.options.token_lifetime_seconds
        expires_at = execution.web_expires_at or (self.ctx.store.clock() + lifetime)
        self.ctx.store.consents.record_request(execution.id, token_hash(token), user_id, expires_at)
        return f"{self.ctx.options.public_url}/consent/{token}"

    def state(self, token: str) -> tuple[LinkState, ConsentRequest | None]:
        """What a consent link is now (for the page: valid, used, expired or unknown)."""
        store = self.ctx.store
        request = store.consents.request(token_hash(token)) if token else None
        if request is None:
            return LinkState.UNKNOWN, None
        if request.used_at is not None or store.consents.for_execution(request.execution) is not None:
            return LinkState.USED, request
        execution = store.executions.get(request.execution)
        if request.expires_at <= store.clock() or execution.status not in (Status.PENDING, Status.INITIATED):
            return LinkState.EXPIRED, request
        return LinkState.VALID, request
