"""The SQLite file: opened private, WAL, `secure_delete`; write transactions that nest; forgotten data flushed.

Everything that must be atomic (claims, job leases, slot reservations) runs in one `BEGIN IMMEDIATE`
transaction, so two processes on the same file cannot both win.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import sqlite_utils

from storage.schema import DatabaseUnusable, migrate
from storage.sealing import Sealer

SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 15000
log = logging.getLogger("storage")


def _create_private_file(path: str) -> None:
    """Create the file readable by its owner only, or make an existing database so; never touch another file."""
    if path == ":memory:":
        return
    if not Path(path).parent.is_dir():  # a mistyped path is named, not silently created
        raise DatabaseUnusable(
            f"{path} cannot be used as the database: the folder {Path(path).parent} does not exist (create it first)"
        )
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
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    return conn


def checkpoint_now(conn: sqlite3.Connection) -> bool:
    """Empty the write-ahead log into the database file without waiting: False when another connection's reader
    (an operator's sqlite3 shell, a backup) still needs it, so it cannot be emptied yet."""
    conn.execute("PRAGMA busy_timeout=0")
    try:
        busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
    finally:
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    return busy == 0


class Checkpointer:
    """Retries, on its own thread and its own connection, a checkpoint another reader held up, until it succeeds:
    forgotten data leaves the write-ahead log as soon as that reader lets go, and nobody waits for it meanwhile."""

    def __init__(self, path: str, first_wait: float = 0.2, longest_wait: float = 5.0) -> None:
        self.path = path
        self.first_wait, self.longest_wait = first_wait, longest_wait
        self.wanted = threading.Event()
        self.done = threading.Event()
        self.done.set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def request(self) -> None:
        self.done.clear()
        self.wanted.set()
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.wanted.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        conn = sqlite3.connect(self.path, timeout=0, isolation_level=None, check_same_thread=False)
        try:
            while not self._stop.is_set():
                self.wanted.wait()
                self.wanted.clear()
                self._until_done(conn)
        finally:
            conn.close()

    def _until_done(self, conn: sqlite3.Connection) -> None:
        wait, tries = self.first_wait, 0
        while not self._stop.is_set():
            tries += 1
            try:
                if checkpoint_now(conn):
                    if tries > 1:
                        log.info("forgotten data left the write-ahead log after %d tries (a reader held it)", tries)
                    self.done.set()
                    return
            except sqlite3.Error as error:
                log.warning("checkpoint failed (%s); trying again", error)
            if tries == 1:
                log.warning(
                    "another reader holds the database: forgotten data stays in the write-ahead log until "
                    "it lets go; trying again in the background"
                )
            self._stop.wait(wait)
            wait = min(wait * 2, self.longest_wait)


class Connection:
    """One SQLite file; safe to share between processes (WAL, short immediate transactions)."""

    def __init__(self, path: str, *, clock: Callable[[], float] = time.time, sealer: Sealer | None = None) -> None:
        self.path = path
        self.clock = clock
        self.sealer = sealer or Sealer()
        self._flush_pending = False
        self._after_commit: list[Callable[[], None]] = []
        self.checkpointer = Checkpointer(path)
        try:
            self.db = sqlite_utils.Database(_open(path))
            migrate(self.db)
        except (OSError, sqlite3.Error) as error:
            reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
            raise DatabaseUnusable(f"{path} cannot be used as the database: {reason}") from None

    def close(self) -> None:
        self.checkpointer.stop()
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

    def flush_forgotten(self) -> None:
        """Push forgotten data out of the write-ahead log, so no old copy of it stays on disk (inside a
        transaction: once it commits). Never waits: when another reader holds the log, the checkpointer retries in
        the background (the event loop that calls this must not stall on someone's sqlite3 shell)."""
        if self.db.conn.in_transaction:
            self._flush_pending = True
            return
        self._flush_pending = False
        if self.path == ":memory:" or checkpoint_now(self.db.conn):
            return
        self.checkpointer.request()

    def wait_flushed(self, timeout: float = 10.0) -> bool:
        """Whether the background checkpoint (if any) finished within `timeout` seconds."""
        return self.checkpointer.done.wait(timeout)


class TableGroup:
    """One group of tables over the store's connection: each group reads and writes its own tables, and shares the
    connection's file, transactions, clock and sealer."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    @property
    def db(self) -> sqlite_utils.Database:
        return self._connection.db

    @property
    def sealer(self) -> Sealer:
        return self._connection.sealer

    def clock(self) -> float:
        return self._connection.clock()

    def _write(self) -> AbstractContextManager[sqlite_utils.Database]:
        return self._connection.transaction()

    def _rows(self, sql: str, params: tuple | dict = ()) -> list[dict[str, Any]]:
        return list(self.db.query(sql, params))

    def flush_forgotten(self) -> None:
        self._connection.flush_forgotten()
