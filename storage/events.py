"""Slack event ids already seen, agents' visits to App Home, and the audit trail of who did what."""

from __future__ import annotations

import json
from typing import Any, Protocol

from storage.connection import TableGroup
from storage.models import AuditEntry

SEEN_EVENT_RETENTION = 24 * 3600


class AuditPayload(Protocol):
    """What an event records (`bot.blocks.audit.Payload`): its sentence for `detail`, its data for `data`."""

    def sentence(self) -> str: ...

    def data(self) -> dict[str, Any]: ...


class AuditAction(Protocol):
    """A declared audit event (`bot.blocks.audit`): the trail takes no bare action name."""

    @property
    def name(self) -> str: ...

    @property
    def payload(self) -> type | None: ...


def _name(action: AuditAction) -> str:
    if isinstance(action, str):  # declared events only: a name typed here would have no words in /verify status
        raise TypeError(f"audit action {action!r} is a bare string; declare it in bot/blocks/audit.py")
    return action.name


def _written(action: AuditAction, detail: str | AuditPayload | None) -> tuple[str | None, str | None]:
    """The `detail` and `data` columns of a row: an event that declares a payload takes only that payload."""
    if action.payload is not None:
        if detail is None or isinstance(detail, str) or not isinstance(detail, action.payload):
            given = type(detail).__name__  # not the value: a sentence may not be fit for a log
            raise TypeError(f"audit event {action.name!r} records a {action.payload.__name__}, not a {given}")
        return detail.sentence(), json.dumps(detail.data(), sort_keys=True)
    if detail is not None and not isinstance(detail, str):
        raise TypeError(f"audit event {action.name!r} declares no payload; its note is a string")
    return detail, None


class SeenEvents(TableGroup):
    """The `seen_events` and `home_visits` tables."""

    def first_sighting(self, event_id: str) -> bool:
        """True the first time an event id is seen (Slack redelivers); `forget_old_events` prunes."""
        with self._write() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO seen_events (event_id, seen_at) VALUES (?, ?)", (event_id, self.clock())
            )
            return cursor.rowcount == 1

    def forget_old(self) -> int:
        """Drop event ids older than a day (Slack redelivers within minutes); run now and then, not per event."""
        with self._write() as db:
            return db.execute("DELETE FROM seen_events WHERE seen_at < ?", (self.clock() - SEEN_EVENT_RETENTION,)).rowcount

    def looked_at_home(self, user_id: str) -> float | None:
        """Note that `user_id` opens App Home now; returns when they last did (None: never)."""
        with self._write() as db:
            row = db.execute("SELECT looked_at FROM home_visits WHERE user_id = ?", (user_id,)).fetchone()
            db.execute(
                "INSERT INTO home_visits (user_id, looked_at) VALUES (?, ?) ON CONFLICT (user_id) DO UPDATE "
                "SET looked_at = excluded.looked_at",
                (user_id, self.clock()),
            )
        return None if row is None else float(row[0])


class AuditTrail(TableGroup):
    """The `audit` table: who did what, each a declared event."""

    def add(
        self, actor: str, action: AuditAction, execution: int | None = None, detail: str | AuditPayload | None = None
    ) -> None:
        """One row of who did what: the event's payload, or a note for an event without one (no personal data)."""
        name = _name(action)
        sentence, data = _written(action, detail)
        with self._write() as db:
            db.execute(
                "INSERT INTO audit (at, actor, action, execution, detail, data) VALUES (?, ?, ?, ?, ?, ?)",
                (self.clock(), actor, name, execution, sentence, data),
            )

    def has(self, execution: int, action: AuditAction) -> bool:
        return (
            self.db.execute(
                "SELECT 1 FROM audit WHERE execution = ? AND action = ? LIMIT 1", (execution, _name(action))
            ).fetchone()
            is not None
        )

    def since(self, execution: int, action: AuditAction, detail: str | AuditPayload | None, since: float) -> bool:
        """Whether this execution has an audit row of `action` with `detail` at or after `since`."""
        sentence, _ = _written(action, detail)
        return (
            self.db.execute(
                "SELECT 1 FROM audit WHERE execution = ? AND action = ? AND detail IS ? AND at >= ? LIMIT 1",
                (execution, _name(action), sentence, since),
            ).fetchone()
            is not None
        )

    def trail(self, execution: int | None = None) -> list[AuditEntry]:
        where = None if execution is None else "execution = ?"
        rows = self.db.table("audit").rows_where(where, () if execution is None else (execution,), order_by="id")
        return [AuditEntry.from_row(row) for row in rows]
