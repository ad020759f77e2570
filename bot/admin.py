"""Operator commands on the database, safe while the bot runs: an online backup, and the dead jobs (list, retry).

`idv-bot backup PATH` uses SQLite's online backup API, so the copy is consistent even while the bot writes. The
copy holds what the database holds: sealed secrets stay sealed (keep IDV_ENCRYPTION_KEY apart from backups). Copies
hold personal data too, so they expire: each backup prunes the older copies it made of the same database (named by
the time, in the same folder) beyond the newest `--keep`, and any older than IDV_RETENTION_DAYS.
"""

from __future__ import annotations

import datetime
import os
import re
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from bot.jobs import KINDS
from bot.logs import escape_controls, redact
from storage import JobState, Store


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
    # Read-write but never writing (query_only): a read-only connection cannot remove the -wal and -shm files it
    # makes beside a database nobody else has open; this one, closing last, does.
    source = sqlite3.connect(source_path, timeout=15)
    source.execute("PRAGMA query_only = 1")
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
    for job in store.jobs.listed(state=JobState.DEAD):
        kind = KINDS.get(job.kind)
        execution = job.payload.get("execution")
        found.append(
            DeadJob(
                job.id,
                job.kind,
                kind.title if kind else job.kind,
                job.attempts,
                execution if isinstance(execution, int) else None,
                escape_controls(redact(job.last_error or "no reason recorded")),
            )
        )
    return found


def jobs_table(jobs: list[DeadJob]) -> str:
    if not jobs:
        return "No dead jobs."
    lines = ["id     kind                   attempts  verification  reason"]
    lines += [
        f"{j.id:<6} {j.kind:<22} {j.attempts:<9} {'#' + str(j.execution) if j.execution else '-':<13} {j.reason[:200]}"
        for j in jobs
    ]
    lines.append(f"\n{len(jobs)} dead job(s). `idv-bot jobs retry ID` queues one again.")
    return "\n".join(lines)


DEFAULT_KEEP = 7  # the daily timer's week of copies
_STAMP = "%Y%m%dT%H%M%SZ"


def default_backup_name(database: str) -> str:
    stamp = datetime.datetime.now(datetime.UTC).strftime(_STAMP)
    return f"{Path(database).with_suffix('')}-{stamp}.sqlite3"


def prune_backups(database: str, folder: Path, *, keep: int, max_age_days: int, now: float | None = None) -> list[Path]:
    """Remove this database's own older copies in `folder` (named `<name>-<UTC stamp>.sqlite3`): all but the newest
    `keep`, and any older than `max_age_days`. Returns what it removed, oldest first."""
    pattern = re.compile(re.escape(Path(database).stem) + r"-(\d{8}T\d{6}Z)\.sqlite3")
    copies: list[tuple[float, Path]] = []
    for path in folder.iterdir():
        found = pattern.fullmatch(path.name)
        if found and path.is_file():
            stamp = datetime.datetime.strptime(found.group(1), _STAMP).replace(tzinfo=datetime.UTC)
            copies.append((stamp.timestamp(), path))
    copies.sort(reverse=True)
    cutoff = (time.time() if now is None else now) - max_age_days * 86400
    doomed = [path for index, (made, path) in enumerate(copies) if index >= keep or made < cutoff]
    for path in doomed:
        path.unlink()
    return sorted(doomed)
