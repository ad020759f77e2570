"""The customer's consent for the API channel: consent links (their tokens stored hashed) and the consent given.

A consent row is personal data (the customer's IP and location); the execution made with it points at it
(`executions.api_consent`). A token is single-use: once a consent is recorded, every link of that verification dies.
"""

from __future__ import annotations

import sqlite_utils

from storage.connection import Connection
from storage.models import Consent, ConsentRequest, Upload
from storage.statuses import Status, UploadState


class Consents(Connection):
    """The `consent_requests` and `consents` tables, and the moves consent makes in `executions` and `uploads`."""

    def record_consent_request(self, execution: int, token_hash: str, requested_by: str, expires_at: float) -> int:
        with self._write() as db:
            cursor = db.execute(
                "INSERT INTO consent_requests (execution, token_hash, requested_by, created_at, expires_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (execution, token_hash, requested_by, self.clock(), expires_at),
            )
            return int(cursor.lastrowid or 0)

    def consent_request(self, token_hash: str) -> ConsentRequest | None:
        for row in self.db.table("consent_requests").rows_where("token_hash = ?", (token_hash,)):
            return ConsentRequest(**row)
        return None

    def has_open_consent_request(self, execution: int, requested_by: str) -> bool:
        """Whether this agent already holds a live consent link for the verification."""
        return (
            self.db.execute(
                "SELECT 1 FROM consent_requests WHERE execution = ? AND requested_by = ? AND used_at IS NULL "
                "AND expires_at > ? LIMIT 1",
                (execution, requested_by, self.clock()),
            ).fetchone()
            is not None
        )

    def record_consent(
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
            if cursor.rowcount == 0 or self.consent_for(request.execution) is not None:
                return None
            cursor = db.execute(
                "INSERT INTO consents (execution, user_ip, country, state, obtained_at, recorded_at, browser, "
                "seconds_to_tick) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (request.execution, user_ip, country, state, obtained_at, now, browser, round(now - request.created_at, 1)),
            )
            consent_id = int(cursor.lastrowid or 0)
        return self.consent(consent_id)

    def consent(self, consent_id: int) -> Consent:
        try:
            return Consent(**self.db.table("consents").get(consent_id))
        except sqlite_utils.db.NotFoundError:
            raise KeyError(f"no consent {consent_id}") from None

    def consent_for(self, execution: int) -> Consent | None:
        for row in self.db.table("consents").rows_where("execution = ?", (execution,)):
            return Consent(**row)
        return None

    def supersede(self, execution: int) -> bool:
        """An open execution replaced by the one made with the customer's consent: final, its link forgotten."""
        now = self.clock()
        with self._write() as db:
            cursor = db.execute(
                "UPDATE executions SET status = ?, web_href = NULL, completed_at = ?, updated_at = ? "
                "WHERE id = ? AND status IN (?, ?)",
                (Status.SUPERSEDED.value, now, now, execution, Status.PENDING.value, Status.INITIATED.value),
            )
            db.execute("UPDATE credentials SET api_token = NULL WHERE execution = ?", (execution,))
        self.flush_forgotten()
        return cursor.rowcount == 1

    def move_waiting_uploads(self, source: int, target: int) -> list[Upload]:
        """Photos waiting on `source` (held for consent, or still being checked, or waiting for their part) go to
        `target`, claimed again; returns them."""
        waiting = (UploadState.HELD.value, UploadState.CLAIMED.value)
        with self._write() as db:
            rows = list(db.table("uploads").rows_where("execution = ? AND state IN (?, ?)", (source, *waiting)))
            db.execute(
                "UPDATE uploads SET execution = ?, state = ?, updated_at = ? WHERE execution = ? AND state IN (?, ?)",
                (target, UploadState.CLAIMED.value, self.clock(), source, *waiting),
            )
        return [Upload.from_row({**row, "execution": target, "state": UploadState.CLAIMED.value}) for row in rows]

    def mark_upload_held(self, upload: int, execution: int) -> bool:
        """claimed → held once its bytes passed the check; False if it moved on (or to another execution) meanwhile."""
        with self._write() as db:
            cursor = db.execute(
                "UPDATE uploads SET state = ?, updated_at = ? WHERE id = ? AND execution = ? AND state = ?",
                (UploadState.HELD.value, self.clock(), upload, execution, UploadState.CLAIMED.value),
            )
            return cursor.rowcount == 1
