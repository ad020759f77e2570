"""The SQLite file: opened private, WAL, `secure_delete`; write transactions that nest; forgotten data flushed.

Everything that must be atomic (claims, job leases, slot reservations) runs in one `BEGIN IMMEDIATE`
transaction, so two processes on the same file cannot both win.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlite_utils

from storage.schema import DatabaseUnusable, migrate
from storage.sealing import Sealer

SQLITE_HEADER = b"SQLite format 3\x00"


def _create_private_file(path: str) -> None:
    """Create the file readable by its owner only, or make an existing database so; never touch another file."""
    if path == ":memory:":
        return
    if not Path(path).parent.is_dir():  # a mistyped path is named, not silently created
        raise DatabaseUnusable(f"{path} cannot be used as the database: the folder {Path(path).parent} does not "
                               "exist (create it first)")
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        header = os.read(fd, len(SQLITE_HEADER))
    finally:
        os.close(fd)
    if header and header != SQLITE_HEADER:
        raise DatabaseUnusable(f"{path} is not an SQLite database; it was left as it was")
    os.chmod(path, 0o600)


def _open(path: str) -> sqlite3.Connection:
    _create_private_file(path)
    previous_umask = os.umask(0o177)  # the -wal and -shm files are private too
    try:
        conn = sqlite3.connect(path, timeout=15, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
    finally:
        os.umask(previous_umask)
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA secure_delete=ON")  # forgotten tokens and supporting data are overwritten, not left
    conn.execute("PRAGMA busy_timeout=15000")
    return conn


class Connection:
    """One SQLite file; safe to share between processes (WAL, short immediate transactions)."""

    def __init__(self, path: str, *, clock: Callable[[], float] = time.time, sealer: Sealer | None = None) -> None:
        self.path = path
        self.clock = clock
        self.sealer = sealer or Sealer()
        self._flush_pending = False
        self._after_commit: list[Callable[[], None]] = []
        try:
            self.db = sqlite_utils.Database(_open(path))
            migrate(self.db)
        except (OSError, sqlite3.Error) as error:
            reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
            raise DatabaseUnusable(f"{path} cannot be used as the database: {reason}") from None

    def close(self) -> None:
        self.db.close()

    def is_healthy(self) -> bool:
        try:
            self.db.execute("SELECT 1").fetchone()
            return True
        except sqlite3.Error:
            return False

    @contextmanager
    def transaction(self) -> Iterator[sqlite_utils.Database]:
        """One write transaction for several calls: they all happen, or none does."""
        with self._write() as db:
            yield db

    @contextmanager
    def _write(self) -> Iterator[sqlite_utils.Database]:
        if self.db.conn.in_transaction:  # part of an enclosing transaction()
            yield self.db
            return
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            self._flush_pending = False
            self._after_commit.clear()
            raise
        self.db.execute("COMMIT")
        if self._flush_pending:
            self.flush_forgotten()
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            callback()

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Call `callback` once the enclosing transaction commits (at once outside one; never if it rolls back)."""
        if self.db.conn.in_transaction:
            self._after_commit.append(callback)
        else:
            callback()

    def _rows(self, sql: str, params: tuple | dict = ()) -> list[dict[str, Any]]:
        return list(self.db.query(sql, params))

    def flush_forgotten(self) -> None:
        """Push forgotten data out of the write-ahead log, so no old copy of it stays on disk (inside a
        transaction: once it commits)."""
        if self.db.conn.in_transaction:
            self._flush_pending = True
            return
        self._flush_pending = False
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
