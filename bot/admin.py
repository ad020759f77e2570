"""Operator commands on the database, safe while the bot runs: an online backup, and the dead jobs (list, retry).

`idv-bot backup PATH` uses SQLite's online backup API, so the copy is consistent even while the bot writes. The
copy holds what the database holds: sealed secrets stay sealed (keep IDV_ENCRYPTION_KEY apart from backups).
"""

from __future__ import annotations

import datetime
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from bot.jobs import KINDS
from bot.logs import escape_controls, redact
from storage import DEAD, Store


class AdminError(RuntimeError):
    """What an operator command could not do, in one line."""


def backup(database: str, target: str) -> int:
    """Copy `database` to `target` (a new file, mode 0600) while it may be in use; returns its size in bytes."""
    source_path, target_path = Path(database), Path(target)
    if not source_path.is_file():
        raise AdminError(f"{database} does not exist: check IDV_DATABASE")
    if target_path.exists():
        raise AdminError(f"{target} exists already: name a new file (a backup never overwrites)")
    if not target_path.parent.is_dir():
        raise AdminError(f"{target_path.parent} does not exist: create the folder first")
    fd = os.open(target_path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    os.close(fd)
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True, timeout=15)
    copy = sqlite3.connect(target_path)
    try:
        source.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    except sqlite3.Error as error:
        copy.close()
        target_path.unlink(missing_ok=True)
        raise AdminError(f"the backup failed: {error}") from None
    finally:
        source.close()
    copy.close()
    return target_path.stat().st_size


@dataclass(frozen=True)
class DeadJob:
    id: int
    kind: str
    title: str
    attempts: int
    execution: int | None
    reason: str


def dead_jobs(store: Store) -> list[DeadJob]:
    """Jobs that gave up, oldest first, each with its reason (redacted; a payload is never shown)."""
    found = []
    for job in store.jobs(state=DEAD):
        kind = KINDS.get(job.kind)
        execution = job.payload.get("execution")
        found.append(DeadJob(job.id, job.kind, kind.title if kind else job.kind, job.attempts,
                             execution if isinstance(execution, int) else None,
                             escape_controls(redact(job.last_error or "no reason recorded"))))
    return found


def jobs_table(jobs: list[DeadJob]) -> str:
    if not jobs:
        return "No dead jobs."
    lines = ["id     kind                   attempts  verification  reason"]
    lines += [f"{j.id:<6} {j.kind:<22} {j.attempts:<9} {'#' + str(j.execution) if j.execution else '-':<13} "
              f"{j.reason[:200]}" for j in jobs]
    lines.append(f"\n{len(jobs)} dead job(s). `idv-bot jobs retry ID` queues one again.")
    return "\n".join(lines)


def default_backup_name(database: str) -> str:
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{Path(database).with_suffix('')}-{stamp}.sqlite3"
