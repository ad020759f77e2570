"""The simulator's state in its own SQLite file (`SandboxConfig.state_path`), so a restart of the sandbox, or of the
bot that runs it, keeps every execution: its Web Client link still opens, a submitted one still gets its decision.

The simulator's clock is monotonic; times are stored as wall-clock seconds and mapped back when loaded.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sqlite3
import time
from collections.abc import Awaitable
from typing import Any

from bot.sandbox.jumio.state import Part, SandboxConfig, SandboxCredential, SandboxExecution

_TIMES = ("created_at", "expires_at", "started_at", "last_activity", "finalized_at", "completed_at")


def _open(path: str) -> sqlite3.Connection:
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    os.close(fd)
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA secure_delete=ON")  # a deleted account's body is overwritten, not left in free pages
    connection.execute("CREATE TABLE IF NOT EXISTS executions (id TEXT PRIMARY KEY, body TEXT NOT NULL)")
    return connection


def _to_row(execution: SandboxExecution, offset: float) -> str:
    body = dataclasses.asdict(execution)
    for name in _TIMES:
        if body[name] is not None:
            body[name] += offset
    return json.dumps(body)


def _from_row(text: str, offset: float) -> SandboxExecution:
    body: dict[str, Any] = json.loads(text)
    for name in _TIMES:
        if body.get(name) is not None:
            body[name] -= offset
    body["credentials"] = [
        SandboxCredential(**{**c, "parts": {k: Part(**p) for k, p in c["parts"].items()}}) for c in body["credentials"]
    ]
    return SandboxExecution(**body)


class Persistence:
    """Mixed into `JumioSandbox`: `restore()` once at construction, `persist()` after every change."""

    config: SandboxConfig
    executions: dict[str, SandboxExecution]
    accounts: dict[str, list[str]]
    _state: sqlite3.Connection | None = None

    def now(self) -> float:
        raise NotImplementedError

    def _spawn(self, coro: Awaitable[Any]) -> None:
        raise NotImplementedError

    def _offset(self) -> float:
        """Add to a sandbox time to get wall-clock seconds."""
        return time.time() - self.now()

    def restore(self) -> None:
        if not self.config.state_path:
            return
        self._state = _open(self.config.state_path)
        offset = self._offset()
        for (text,) in self._state.execute("SELECT body FROM executions ORDER BY rowid"):
            execution = _from_row(text, offset)
            self.executions[execution.id] = execution
            self.accounts.setdefault(execution.account_id, []).append(execution.id)

    def resume(self) -> None:
        """Once running: executions submitted before a restart are processed (their decision was not made yet)."""
        for execution in self.executions.values():
            if execution.status == "ACQUIRED" and not execution.deleted:
                self._spawn(self._process(execution))  # type: ignore[attr-defined]

    def persist(self) -> None:
        if self._state is None:
            return
        offset = self._offset()
        self._state.execute("BEGIN")
        self._state.executemany(
            "INSERT OR REPLACE INTO executions (id, body) VALUES (?, ?)",
            [(e.id, _to_row(e, offset)) for e in self.executions.values() if not e.deleted],
        )
        # A deleted execution leaves no body behind (after a restart it is unknown: 404, as when deleted).
        self._state.executemany(
            "DELETE FROM executions WHERE id = ?", [(e.id,) for e in self.executions.values() if e.deleted]
        )
        self._state.execute("COMMIT")

    def close_state(self) -> None:
        if self._state is not None:
            self._state.close()
            self._state = None
