"""The customer's consent for the API channel: consent links (their tokens stored hashed) and the consent given.

A consent row is personal data (the customer's IP and location); the execution made with it points at it
(`executions.api_consent`). A token is single-use: once a consent is recorded, every link of that verification dies.
"""

from __future__ import annotations

import sqlite_utils

from storage.connection import TableGroup
from storage.models import Consent, ConsentRequest


class Consents(TableGroup):
    """The `consent_requests` and `consents` tables."""

    def record_request(self, execution: int, token_hash: str, requested_by: str, expires_at: float) -> int:
        with self._write() as db:
            cursor = db.execute(
                "INSERT INTO consent_requests (execution, token_hash, requested_by, created_at, expires_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (execution, token_hash, requested_by, self.clock(), expires_at),
            )
            return int(cursor.lastrowid or 0)

    def request(self, token_hash: str) -> ConsentRequest | None:
        for row in self.db.table("consent_requests").rows_where("token_hash = ?", (token_hash,)):
            return ConsentRequest(**row)
        return None

    def has_open_request(self, execution: int, requested_by: str) -> bool:
        """Whether this agent already holds a live consent link for the verification."""
        return (
            self.db.execute(
                "SELECT 1 FROM consent_requests WHERE execution = ? AND requested_by = ? AND used_at IS NULL "
                "AND expires_at > ? LIMIT 1",
                (execution, requested_by, self.clock()),
            ).fetchone()
            is not None
        )

    def record(
        self,
        request: ConsentRequest,
        *,
        user_ip: str | None,
        country: str,
        state: str | None,
        obtained_at: str,
        browser: str | None = None,
    ) -> Consent | None:
        """The customer consented through `request`: kept once, and every link of the verification is used up.
        None when a link of this verification was used before (a replay, or a second tab)."""
        now = self.clock()
        with self._write() as db:
            cursor = db.execute(
                "UPDATE consent_requests SET used_at = ? WHERE execution = ? AND used_at IS NULL", (now, request.execution)
            )
            if cursor.rowcount == 0 or self.for_execution(request.execution) is not None:
                return None
            cursor = db.execute(
                "INSERT INTO consents (execution, user_ip, country, state, obtained_at, recorded_at, browser, "
                "seconds_to_tick) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (request.execution, user_ip, country, state, obtained_at, now, browser, round(now - request.created_at, 1)),
            )
            consent_id = int(cursor.lastrowid or 0)
        return self.get(consent_id)

    def get(self, consent_id: int) -> Consent:
        try:
            return Consent(**self.db.table("consents").get(consent_id))
        except sqlite_utils.db.NotFoundError:
            raise KeyError(f"no consent {consent_id}") from None

    def for_execution(self, execution: int) -> Consent | None:
        for row in self.db.table("consents").rows_where("execution = ?", (execution,)):
            return Consent(**row)
        return None
