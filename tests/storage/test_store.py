"""The SQLite store: migrations, uniqueness, claims, the durable job table, secrets and the file's mode."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest

from bot.blocks import audit
from storage import SCHEMA_VERSION, DatabaseUnusable, JobState, Status, Store, migrate, schema_version


class FakeClock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _execution(store: Store, customer_ref: str = "CUST-1", started_by: str = "U1") -> int:
    return store.executions.record(customer_ref=customer_ref, workflow_key=10011, channel_id="C1", started_by=started_by).id


def test_migrations_run_twice_without_change(tmp_path: Path) -> None:
    path = str(tmp_path / "db.sqlite3")
    store = Store(path)
    assert schema_version(store.db) == SCHEMA_VERSION
    _execution(store)
    before = store.db.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall()
    assert migrate(store.db) == SCHEMA_VERSION
    # Run the migration body again, as a crash between its work and the version bump would.
    store.db.execute("PRAGMA user_version = 0")
    migrate(store.db)
    assert store.db.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall() == before
    assert store.executions.get(1).customer_ref == "CUST-1"
    store.close()
    reopened = Store(path)
    assert schema_version(reopened.db) == SCHEMA_VERSION
    reopened.close()


def test_a_version_1_database_is_brought_forward_and_keeps_its_rows(tmp_path: Path) -> None:
    import sqlite_utils

    from storage.schema import MIGRATIONS

    path = str(tmp_path / "v1.sqlite3")
    old = sqlite_utils.Database(path)
    MIGRATIONS[0](old)
    old.execute("PRAGMA user_version = 1")
    old["executions"].insert(
        {
            "customer_ref": "CUST-OLD",
            "workflow_key": 10011,
            "channel_id": "C1",
            "started_by": "U1",
            "status": Status.INITIATED,
            "created_at": 1.0,
            "updated_at": 1.0,
        }
    )
    old.conn.commit()
    old.close()
    store = Store(path)
    assert schema_version(store.db) == SCHEMA_VERSION == 11
    assert "swept_at" in store.db["executions"].columns_dict
    assert {"workflow_steps", "home_visits"} <= set(store.db.table_names())
    assert any(index.columns == ["actor", "action", "at"] for index in store.db["audit"].indexes)
    assert store.executions.get(1).customer_ref == "CUST-OLD"
    store.close()


def test_state_the_audit_trail_used_to_hold_moves_to_columns(tmp_path: Path) -> None:
    """Schema 9: "link sent", "told not sent" and "the sweep gave up" were audit rows the journey asked; the
    migration fills their columns from those rows, so a verification in flight keeps its state."""
    import sqlite_utils

    from storage.schema import MIGRATIONS

    path = str(tmp_path / "v8.sqlite3")
    old = sqlite_utils.Database(path)
    for migration in MIGRATIONS[:8]:
        migration(old)
    old.execute("PRAGMA user_version = 8")
    row = {
        "workflow_key": 10011,
        "channel_id": "C1",
        "started_by": "U1",
        "status": "ACQUIRED",
        "created_at": 1.0,
        "updated_at": 1.0,
    }
    old.table("executions").insert_all(
        [{**row, "id": 1, "customer_ref": "CUST-A"}, {**row, "id": 2, "customer_ref": "CUST-B"}]
    )
    old.table("uploads").insert_all(
        [
            {"id": 7, "execution": 1, "slack_file_id": "F7", "state": "uploaded", "created_at": 1.0, "updated_at": 1.0},
            {"id": 8, "execution": 1, "slack_file_id": "F8", "state": "uploaded", "created_at": 1.0, "updated_at": 1.0},
        ]
    )
    old.table("audit").insert_all(
        [
            {"at": 5.0, "actor": "U1", "action": "link_sent", "execution": 1, "detail": "ephemeral"},
            {"at": 6.0, "actor": "system", "action": "photo_not_sent", "execution": 1, "detail": "upload 7: broke off"},
            {"at": 9.0, "actor": "system", "action": "sweep_gave_up", "execution": 2, "detail": "no decision"},
            {
                "at": 7.0,
                "actor": "U1",
                "action": "photo_uploaded",
                "execution": 1,
                "detail": "FRONT from upload #7, 100 bytes, sha256 0123456789ab",
            },
        ]
    )
    old.conn.commit()
    old.close()
    store = Store(path)
    first, second = store.executions.get(1), store.executions.get(2)
    assert (first.link_sent_at, first.sweep_gave_up_at) == (5.0, None)
    assert (second.link_sent_at, second.sweep_gave_up_at) == (None, 9.0)
    assert [u.told_not_sent for u in store.uploads.of_execution(1)] == [1, 0]
    assert [e.detail for e in store.audit.trail(1) if e.action == "photo_uploaded"] == ["FRONT from upload #7, 100 bytes"]
    assert store.uploads.mark_told_not_sent(8) and not store.uploads.mark_told_not_sent(7)
    assert (
        store.executions.claim_given_up_checks(0.0) == [store.executions.get(1)]
        and store.executions.claim_given_up_checks(0.0) == []
    )
    store.close()


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = str(tmp_path / "db.sqlite3")
    Store(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(DatabaseUnusable, match="newer"):
        Store(path)


def test_a_file_that_is_not_a_database_is_refused_and_left_alone(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not a database\n")
    notes.chmod(0o644)
    with pytest.raises(DatabaseUnusable, match="not an SQLite database"):
        Store(str(notes))
    assert notes.read_text() == "not a database\n" and stat.S_IMODE(notes.stat().st_mode) == 0o644
    with pytest.raises(DatabaseUnusable, match="Is a directory"):
        Store(str(tmp_path))


def test_a_missing_folder_is_named_not_created(tmp_path: Path) -> None:
    with pytest.raises(DatabaseUnusable, match=r"the folder .*/nonexistent does not exist"):
        Store(str(tmp_path / "nonexistent" / "idv.sqlite3"))
    assert not (tmp_path / "nonexistent").exists()


def test_database_file_is_private_and_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    store = Store(str(path))
    _execution(store)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    for sidecar in (Path(f"{path}-wal"), Path(f"{path}-shm")):
        if sidecar.exists():
            assert stat.S_IMODE(os.stat(sidecar).st_mode) == 0o600
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    store.close()


def test_workflow_execution_ids_are_unique(store: Store) -> None:
    first, second = _execution(store), _execution(store)
    account = {
        "account_id": "acc-1",
        "workflow_execution_id": "wf-1",
        "web_href": None,
        "web_expires_at": None,
        "credentials": [],
        "created_by": "U1",
        "customer_ref": "CUST-1",
    }
    store.executions.record_account(first, **account)
    with pytest.raises(sqlite3.IntegrityError):
        store.executions.record_account(second, **account)
    assert store.executions.get(second).workflow_execution_id is None


def test_upload_claimed_once_per_execution_and_file(store: Store) -> None:
    one, two = _execution(store), _execution(store, "CUST-2")
    assert store.uploads.claim(one, "F1", "U1", "FRONT") is not None
    assert store.uploads.claim(one, "F1", "U1", "FRONT") is None
    assert store.uploads.claim(two, "F1", "U1", "FRONT") is not None  # another execution may take the same file


def test_a_second_upload_of_a_part_replaces_the_first(store: Store) -> None:
    execution = _execution(store)
    first = store.uploads.claim(execution, "F1", "U1", "FRONT")
    second = store.uploads.claim(execution, "F2", "U1", "FRONT")
    assert store.uploads.record_done(first.id, part="FRONT", sha256="a", size=1) == []
    replaced = store.uploads.record_done(second.id, part="FRONT", sha256="b", size=2)
    assert [u.slack_file_id for u in replaced] == ["F1"]
    assert store.uploads.parts_done(execution) == {"FRONT"}
    assert [u.state for u in store.uploads.of_execution(execution)] == ["replaced", "uploaded"]


def test_result_forgets_the_secrets(store: Store) -> None:
    execution = _execution(store)
    store.executions.record_account(
        execution,
        account_id="acc",
        workflow_execution_id="wf",
        web_href="https://x/?authorizationToken=s",
        web_expires_at=None,
        created_by="U1",
        customer_ref="CUST-1",
        credentials=[
            {
                "credential_id": "c1",
                "category": "ID",
                "parts": {"front": "u"},
                "finalize_url": "f",
                "api_token": "tok",
                "allowed_channels": ["API"],
            }
        ],
    )
    assert store.executions.web_href(execution) and store.executions.credentials(execution)[0].api_token == "tok"
    assert "tok" not in repr(store.executions.credentials(execution)[0])
    assert store.executions.mark_finalized(execution) is True
    assert store.executions.mark_finalized(execution) is False
    assert store.executions.get(execution).status == Status.ACQUIRED
    assert store.executions.record_result(
        execution,
        status=Status.PROCESSED,
        decision_type="PASSED",
        decision_label="PASSED",
        risk_score=10.0,
        capabilities=[{"name": "liveness", "decision": "PASSED"}],
    )
    assert not store.executions.record_result(
        execution, status=Status.PROCESSED, decision_type="REJECTED", decision_label="X", risk_score=90.0, capabilities=[]
    )
    stored = store.executions.get(execution)
    assert (stored.decision_type, stored.risk_score) == ("PASSED", 10.0)
    assert store.executions.web_href(execution) is None
    assert store.executions.credentials(execution)[0].api_token is None


def test_queries_by_customer_thread_and_agent(store: Store) -> None:
    a = _execution(store, "CUST-1", "U1")
    b = _execution(store, "CUST-1", "U2")
    _execution(store, "CUST-2", "U1")
    store.executions.set_thread(b, "111.222")
    assert [e.id for e in store.executions.for_customer("CUST-1")] == [b, a]
    assert store.executions.open_for_customer("CUST-1").id == b
    assert store.executions.latest_in_thread("C1", "111.222").id == b
    assert store.executions.latest_in_thread("C1", "999.000") is None
    assert [e.customer_ref for e in store.executions.recent_started_by("U1")] == ["CUST-2", "CUST-1"]


def test_enqueue_with_a_dedupe_key_adds_one_job(store: Store) -> None:
    first = store.jobs.enqueue("finalize", {"execution": 1}, dedupe_key="finalize:1")
    assert store.jobs.enqueue("finalize", {"execution": 1}, dedupe_key="finalize:1") == first
    assert len(store.jobs.listed(kind="finalize")) == 1


def test_job_claim_lease_expiry_retry_and_dead_letter(tmp_path: Path) -> None:
    clock = FakeClock()
    store = Store(str(tmp_path / "jobs.sqlite3"), clock=clock)
    job_id = store.jobs.enqueue("relay", {"upload": 7}, max_attempts=3)
    later = store.jobs.enqueue("relay", {"upload": 8}, delay=60)

    job = store.jobs.claim_next("worker-a", lease_seconds=30)
    assert (job.id, job.state, job.attempts, job.lease_owner) == (job_id, JobState.RUNNING, 1, "worker-a")
    assert store.jobs.claim_next("worker-b", lease_seconds=30) is None  # the other job is not due yet

    # worker-a dies; once its lease runs out, worker-b takes the job again.
    clock.now += 31
    taken = store.jobs.claim_next("worker-b", lease_seconds=30)
    assert (taken.id, taken.attempts, taken.lease_owner) == (job_id, 2, "worker-b")
    assert store.jobs.complete(job_id, "worker-a") is False  # the dead worker's late answer is ignored

    assert store.jobs.retry(job_id, "worker-b", "Jumio 503", delay=5) == JobState.QUEUED
    assert store.jobs.claim_next("worker-b", lease_seconds=30) is None  # backing off
    clock.now += 5
    third = store.jobs.claim_next("worker-b", lease_seconds=30)
    assert third.attempts == 3
    assert store.jobs.retry(job_id, "worker-b", "Jumio 503 again", delay=5) == JobState.DEAD
    assert store.jobs.get(job_id).last_error == "Jumio 503 again"

    assert store.jobs.requeue_dead(job_id, extra_attempts=1)
    clock.now += 60
    assert store.jobs.claim_next("w", 30).id in (job_id, later)
    store.close()


def test_a_job_whose_worker_died_on_every_attempt_is_dead_lettered(tmp_path: Path) -> None:
    clock = FakeClock()
    store = Store(str(tmp_path / "jobs.sqlite3"), clock=clock)
    job_id = store.jobs.enqueue("relay", {}, max_attempts=2)
    for _ in range(2):
        assert store.jobs.claim_next("w", lease_seconds=10).id == job_id
        clock.now += 11
    assert store.jobs.claim_next("w", lease_seconds=10) is None
    assert store.jobs.get(job_id).state == JobState.DEAD
    store.close()


def test_complete_release_and_extend(tmp_path: Path) -> None:
    clock = FakeClock()
    store = Store(str(tmp_path / "jobs.sqlite3"), clock=clock)
    job_id = store.jobs.enqueue("details", {"secret-ish": "x"})
    store.jobs.claim_next("w", 10)
    assert store.jobs.extend_lease(job_id, "w", 100)
    clock.now += 50
    assert store.jobs.claim_next("other", 10) is None
    assert store.jobs.release(job_id, "w")
    released = store.jobs.get(job_id)
    assert (released.state, released.attempts) == (JobState.QUEUED, 0)
    store.jobs.claim_next("w", 10)
    assert store.jobs.complete(job_id, "w", payload={"secret-ish": None})
    done = store.jobs.get(job_id)
    assert (done.state, done.payload) == (JobState.DONE, {"secret-ish": None})
    store.close()


def test_two_connections_cannot_both_claim_a_job(tmp_path: Path) -> None:
    path = str(tmp_path / "shared.sqlite3")
    a, b = Store(path), Store(path)
    for i in range(20):
        a.jobs.enqueue("k", {"i": i})
    claimed: list[int] = []
    while True:
        ja, jb = a.jobs.claim_next("a", 30), b.jobs.claim_next("b", 30)
        if ja is None and jb is None:
            break
        claimed += [j.id for j in (ja, jb) if j is not None]
    assert sorted(claimed) == list(range(1, 21))
    a.close()
    b.close()


def test_event_ids_are_seen_once_and_forgotten_after_a_day(tmp_path: Path) -> None:
    clock = FakeClock()
    store = Store(str(tmp_path / "events.sqlite3"), clock=clock)
    assert store.events.first_sighting("Ev1")
    assert not store.events.first_sighting("Ev1")
    clock.now += 23 * 3600
    assert store.events.first_sighting("Ev2")
    assert store.events.forget_old() == 0
    clock.now += 2 * 3600
    assert store.events.forget_old() == 1  # Ev1 only
    assert not store.events.first_sighting("Ev2")
    store.close()


def _awaiting(store: Store, reference: str, *, expires_in: float | None = None) -> int:
    execution = _execution(store, reference)
    store.executions.record_account(
        execution,
        account_id=f"acc-{reference}",
        workflow_execution_id=f"wf-{reference}",
        web_href=None,
        web_expires_at=None if expires_in is None else store.clock() + expires_in,
        credentials=[],
        created_by="U1",
        customer_ref=reference,
    )
    return execution


def _checked(store: Store, limit: int = 100) -> list[str]:
    due = store.executions.claim_status_checks(shortest=40, longest=940, polled_for=3660, limit=limit)
    return [e.customer_ref for e in due]


def test_status_checks_come_less_often_as_an_execution_ages(tmp_path: Path) -> None:
    clock = FakeClock()
    store = Store(str(tmp_path / "sweep.sqlite3"), clock=clock)
    _awaiting(store, "CUST-A")
    assert _checked(store) == []  # just started
    clock.now += 40
    assert _checked(store) == ["CUST-A"]
    assert _checked(store) == []  # marked as checked
    clock.now += 39
    assert _checked(store) == []
    clock.now += 1
    assert _checked(store) == ["CUST-A"]
    # Three hours old: about every 940 s (the schedule's last step), not every 40 s.
    clock.now += 3 * 3600
    assert _checked(store) == ["CUST-A"]
    clock.now += 900
    assert _checked(store) == []
    clock.now += 40
    assert _checked(store) == ["CUST-A"]
    store.close()


def test_status_checks_take_turns_and_come_right_after_a_link_expires(tmp_path: Path) -> None:
    clock = FakeClock()
    store = Store(str(tmp_path / "sweep.sqlite3"), clock=clock)
    for reference in ("CUST-A", "CUST-B", "CUST-C"):
        _awaiting(store, reference)
    clock.now += 60
    assert _checked(store, limit=2) == ["CUST-A", "CUST-B"]
    assert _checked(store, limit=2) == ["CUST-C"]  # the one not yet checked, not the first two again
    expiring = _awaiting(store, "CUST-EXP", expires_in=2 * 3600)
    clock.now += 2 * 3600 - 30  # a check 30 s before the link expires
    assert "CUST-EXP" in _checked(store)
    clock.now += 31
    assert _checked(store) == ["CUST-EXP"]  # the link has just expired: ask now, whatever its age says
    clock.now += 60
    assert _checked(store) == []  # and only once
    assert store.executions.get(expiring).status == Status.INITIATED
    store.close()


def test_a_submitted_execution_is_swept_only_after_its_own_polls(tmp_path: Path) -> None:
    clock = FakeClock()
    store = Store(str(tmp_path / "sweep.sqlite3"), clock=clock)
    submitted = _awaiting(store, "CUST-SUB")
    web = _awaiting(store, "CUST-WEB")
    store.executions.mark_finalized(submitted)
    store.executions.record_status(web, Status.ACQUIRED)  # the customer finished in the Web Client
    clock.now += 3600
    assert _checked(store) == []  # their polls (3660 s of them) are still running
    clock.now += 61
    assert sorted(_checked(store)) == ["CUST-SUB", "CUST-WEB"]
    store.close()


def test_jobs_done_a_week_ago_are_forgotten_dead_ones_kept(tmp_path: Path) -> None:
    clock = FakeClock()
    store = Store(str(tmp_path / "jobs.sqlite3"), clock=clock)
    done, dead, queued = (store.jobs.enqueue("poll", {"n": n}, max_attempts=1) for n in range(3))
    assert [store.jobs.claim_next("w", 60).id for _ in range(2)] == [done, dead]  # type: ignore[union-attr]
    store.jobs.complete(done, "w")
    assert store.jobs.retry(dead, "w", "Jumio said no", 0.0) == JobState.DEAD
    clock.now += 6 * 24 * 3600
    assert store.jobs.forget_old() == 0
    clock.now += 2 * 24 * 3600
    assert store.jobs.forget_old() == 1
    assert sorted(job.id for job in store.jobs.listed()) == [dead, queued]
    store.close()


def test_audit_trail(store: Store) -> None:
    execution = _execution(store)
    store.audit.add("U1", audit.START, execution, "workflow 10011")
    store.audit.add("system", audit.RESULT, execution, audit.Outcome("PASSED"))
    assert [(e.actor, e.action) for e in store.audit.trail(execution)] == [("U1", "start"), ("system", "result")]


def test_status_moves_only_forward(store: Store) -> None:
    execution = _execution(store)
    store.executions.record_account(
        execution,
        account_id="a",
        workflow_execution_id="w",
        web_href=None,
        web_expires_at=None,
        credentials=[],
        created_by="U1",
        customer_ref="CUST-1",
    )
    assert store.executions.get(execution).status == Status.INITIATED
    store.executions.record_result(
        execution, status=Status.PROCESSED, decision_type="PASSED", decision_label="PASSED", risk_score=1, capabilities=[]
    )
    store.executions.record_status(execution, Status.ACQUIRED)
    assert store.executions.get(execution).status == Status.PROCESSED
    assert store.executions.open_for_customer("CUST-1") is None


def test_with_callbacks_an_unused_link_is_checked_only_right_after_it_expires(tmp_path: Path) -> None:
    clock = FakeClock()
    store = Store(str(tmp_path / "sweep.sqlite3"), clock=clock)
    _awaiting(store, "CUST-QUIET", expires_in=86400)

    def checked() -> list[str]:
        due = store.executions.claim_status_checks(shortest=40, longest=940, polled_for=3660, limit=100, callbacks=True)
        return [e.customer_ref for e in due]

    for step in (40, 3600, 6 * 3600, 86400 - 6 * 3600 - 3640 - 1):
        clock.now += step
        assert checked() == []  # Jumio calls back when the customer finishes: no need to ask before the expiry
    clock.now += 2
    assert checked() == ["CUST-QUIET"]
    clock.now += 3600
    assert checked() == []
    store.close()


def test_a_submitted_execution_is_asked_less_and_less_then_given_up_on_once(tmp_path: Path) -> None:
    clock = FakeClock()
    store = Store(str(tmp_path / "sweep.sqlite3"), clock=clock)
    store.executions.mark_finalized(_awaiting(store, "CUST-REVIEW"))
    days = 3 * 86400

    def checked() -> int:
        return len(
            store.executions.claim_status_checks(
                shortest=40, longest=940, polled_for=3660, limit=100, callbacks=True, give_up_after=days, slowest=6 * 3600
            )
        )

    total, per_day = 0, []
    for _day in range(4):
        start = total
        for _ in range(24 * 60):  # every minute for four days
            clock.now += 60
            total += checked()
        per_day.append(total - start)
    assert per_day[0] <= 20 and per_day[1] == per_day[2] == 4 and per_day[3] == 0  # S/4 within 940 s..6 h; then none
    assert [e.customer_ref for e in store.executions.claim_given_up_checks(days)] == ["CUST-REVIEW"]
    assert store.executions.claim_given_up_checks(days) == []  # said once
    store.close()
