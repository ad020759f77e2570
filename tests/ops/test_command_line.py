"""The command line: argparse subcommands, help on stdout, --version, an unknown command named; `backup` (consistent
while the bot writes) and `jobs` (dead jobs and their reasons, no payloads; `jobs retry ID`)."""

from __future__ import annotations

import argparse
import re
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from bot.__main__ import parser
from bot.jobs import KINDS
from storage import Store

CLI = [sys.executable, "-m", "bot"]


def _cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, timeout=60, cwd=cwd, env={"PATH": "/usr/bin:/bin", **(env or {})}
    )


def test_version_help_and_unknown_commands() -> None:
    version = _cli("--version")
    assert version.returncode == 0 and version.stdout.startswith("idv-bot ") and not version.stderr
    helped = _cli("--help")
    assert helped.returncode == 0 and "backup" in helped.stdout and "jobs" in helped.stdout and not helped.stderr
    run_help = _cli("run", "--help")  # was: started the bot
    assert run_help.returncode == 0 and "SIGTERM" in run_help.stdout
    unknown = _cli("frobnicate")
    assert unknown.returncode == 2 and "unknown command 'frobnicate'" in unknown.stderr
    for command in ("demo", "bench", "sandbox-jumio", "manifest", "healthcheck", "backup", "jobs", "run"):
        answer = _cli(command, "--help")
        assert answer.returncode == 0 and answer.stdout.startswith(f"usage: idv-bot {command}"), command
    assert "healthcheck" in helped.stdout and "manifest" in helped.stdout


async def test_healthcheck_is_a_command(tmp_path: Path) -> None:
    """What the container's HEALTHCHECK runs: 0 while the bot answers /healthz, 1 with the reason when it does not."""
    import asyncio

    from bot.local import LocalWorld, free_port

    async with LocalWorld(tmp_path) as world:
        assert world.bot is not None
        answer = await asyncio.to_thread(_cli, "healthcheck", env={"PORT": str(world.bot.port)})
        assert answer.returncode == 0, answer.stderr
    closed = await asyncio.to_thread(_cli, "healthcheck", env={"PORT": str(free_port())})
    assert closed.returncode == 1 and "/healthz" in closed.stderr and "Traceback" not in closed.stderr


def test_every_option_has_a_help_text() -> None:
    def options(p: argparse.ArgumentParser) -> list[argparse.Action]:
        found = []
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub in action.choices.values():
                    found += options(sub)
            elif not isinstance(action, argparse._HelpAction):
                found.append(action)
        return found

    missing = [a.dest for a in options(parser()) if not a.help]
    assert missing == []
    for forwarded in ("demo", "bench", "sandbox-jumio"):  # their parsers are built in their own main()
        lines = _cli(forwarded, "--help").stdout.splitlines()
        for number, line in enumerate(lines):
            if line.startswith("  --"):
                described = len(re.split(r"\s{2,}", line.strip())) > 1 or lines[number + 1].startswith(" " * 20)
                assert described, (forwarded, line)


def _busy_database(path: Path) -> Store:
    store = Store(str(path))
    for number in range(200):
        store.executions.record(customer_ref=f"CUST-{number}", workflow_key=10011, channel_id="C1", started_by="U1")
    return store


def test_backup_is_consistent_while_the_bot_writes(tmp_path: Path) -> None:
    store = _busy_database(tmp_path / "idv.sqlite3")
    stop = threading.Event()
    writer_store = Store(str(tmp_path / "idv.sqlite3"))

    def write() -> None:
        number = 1000
        while not stop.is_set():
            writer_store.executions.record(
                customer_ref=f"CUST-{number}", workflow_key=10011, channel_id="C1", started_by="U1"
            )
            number += 1

    writer = threading.Thread(target=write)
    writer.start()
    try:
        done = _cli("backup", str(tmp_path / "copy.sqlite3"), env={"IDV_DATABASE": str(tmp_path / "idv.sqlite3")})
    finally:
        stop.set()
        writer.join()
    assert done.returncode == 0 and "backed up" in done.stdout, done.stderr
    copy = sqlite3.connect(tmp_path / "copy.sqlite3")
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert copy.execute("SELECT count(*) FROM executions").fetchone()[0] >= 200
    assert (tmp_path / "copy.sqlite3").stat().st_mode & 0o777 == 0o600
    copy.close()
    again = _cli("backup", str(tmp_path / "copy.sqlite3"), env={"IDV_DATABASE": str(tmp_path / "idv.sqlite3")})
    assert again.returncode == 1 and "exists already" in again.stderr
    missing = _cli("backup", str(tmp_path / "x.sqlite3"), env={"IDV_DATABASE": str(tmp_path / "none.sqlite3")})
    assert missing.returncode == 1 and "does not exist" in missing.stderr and "Traceback" not in missing.stderr
    store.close()
    writer_store.close()


def test_jobs_lists_dead_ones_with_reasons_and_retries_one(tmp_path: Path) -> None:
    path = tmp_path / "idv.sqlite3"
    store = Store(str(path))
    execution = store.executions.record(customer_ref="CUST-JOB", workflow_key=10011, channel_id="C1", started_by="U1")
    store.secrets.keep_supporting_data(execution.id, {"lastName": "Quixote-Marchetti"})
    job_id = store.jobs.enqueue(
        "start",
        {"execution": execution.id, "requested_by": "U1", "response_url": "https://hooks.slack.com/commands/T/1/SECRETPART"},
    )
    with store.transaction() as db:
        db.execute(
            "UPDATE jobs SET state = 'dead', attempts = 8, last_error = ? WHERE id = ?",
            ("Jumio had a server error (503) Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc\nforged", job_id),
        )
    env = {"IDV_DATABASE": str(path)}
    listed = _cli("jobs", env=env)
    assert listed.returncode == 0 and f"{job_id}" in listed.stdout and "start" in listed.stdout
    assert "server error (503)" in listed.stdout and "eyJhbGciOi" not in listed.stdout
    assert "SECRETPART" not in listed.stdout and "Quixote" not in listed.stdout and "\nforged" not in listed.stdout
    retried = _cli("jobs", "retry", str(job_id), env=env)
    assert retried.returncode == 0 and "queued again" in retried.stdout
    (job,) = store.jobs.listed()
    assert job.state == "queued" and job.max_attempts == 11 and KINDS["start"]
    assert any(a.action == "retry" and a.actor == "cli" for a in store.audit.trail(execution.id))
    twice = _cli("jobs", "retry", str(job_id), env=env)
    assert twice.returncode == 1 and "not dead" in twice.stderr
    assert "no job 999" in _cli("jobs", "retry", "999", env=env).stderr
    assert "No dead jobs." in _cli("jobs", env=env).stdout
    store.close()


@pytest.mark.parametrize("args", [["jobs", "retry"], ["jobs", "retry", "x"]])
def test_jobs_retry_needs_a_number(tmp_path: Path, args: list[str]) -> None:
    Store(str(tmp_path / "idv.sqlite3")).close()
    answer = _cli(*args, env={"IDV_DATABASE": str(tmp_path / "idv.sqlite3")})
    assert answer.returncode in (1, 2) and "Traceback" not in answer.stderr


def test_backup_prunes_its_own_older_copies_and_leaves_no_log_files(tmp_path: Path) -> None:
    """Backups hold personal data: the newest --keep stay, older ones and any past IDV_RETENTION_DAYS go, and
    nothing else in the folder is touched."""
    import datetime

    database = tmp_path / "idv.sqlite3"
    Store(str(database)).close()
    for suffix in ("-wal", "-shm"):
        (tmp_path / f"idv.sqlite3{suffix}").unlink(missing_ok=True)
    now = datetime.datetime.now(datetime.UTC)

    def copy(days: float) -> Path:
        path = tmp_path / f"idv-{(now - datetime.timedelta(days=days)).strftime('%Y%m%dT%H%M%SZ')}.sqlite3"
        path.write_bytes(b"an older copy")
        return path

    recent = [copy(days) for days in (1, 2, 3, 4)]
    too_old = copy(40)  # past IDV_RETENTION_DAYS=30 below, whatever --keep says
    others = [tmp_path / "idv-notes.sqlite3", tmp_path / "other-20260101T000000Z.sqlite3"]
    for path in others:
        path.write_bytes(b"not a copy of this database")
    done = subprocess.run(
        [sys.executable, "-m", "bot", "backup", "--keep", "3"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "IDV_DATABASE": str(database), "IDV_RETENTION_DAYS": "30"},
    )
    assert done.returncode == 0, done.stderr
    removed = [
        line.removeprefix("removed the older copy ")
        for line in done.stdout.splitlines()
        if line.startswith("removed the older copy")
    ]
    assert sorted(Path(p).name for p in removed) == sorted(p.name for p in [too_old, recent[2], recent[3]])
    left = sorted(p.name for p in tmp_path.iterdir())
    assert recent[0].name in left and recent[1].name in left
    assert all(p.exists() for p in others)
    assert not any(name.endswith(("-wal", "-shm")) for name in left), left
    assert len([n for n in left if n.startswith("idv-2")]) == 3  # the new copy and the two newest older ones
    refused = subprocess.run(
        [sys.executable, "-m", "bot", "backup", "--keep", "0"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "IDV_DATABASE": str(database)},
    )
    assert refused.returncode == 1 and "--keep must be at least 1" in refused.stderr
