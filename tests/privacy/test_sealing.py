"""Secrets at rest: with IDV_ENCRYPTION_KEY, api.tokens, live links, user tokens and supporting data are sealed
(Fernet); a key rotation re-seals at start-up; a database sealed with a key does not start without it."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from bot.local import BotProcess, LocalOptions, LocalWorld
from storage import SealedWithoutKey, Sealer, Store, migrate
from storage.sealing import new_key
from tests.conftest import wait_until
from tests.world import World

KEY = new_key()
OLD_KEY = new_key()
SECRETS = (
    "eyJhbGciOi.api-token-value-1",
    "https://web.sandbox.example/web?authorizationToken=live-link-token-2",
    "xoxp-user-token-3",
    "Quixote-Marchetti",
)


def _fill(store: Store) -> int:
    execution = store.executions.record(customer_ref="CUST-SEAL", workflow_key=10011, channel_id="C1", started_by="U1")
    store.executions.record_account(
        execution.id,
        account_id="A1",
        workflow_execution_id="W1",
        web_href=SECRETS[1],
        web_expires_at=None,
        created_by="U1",
        customer_ref="CUST-SEAL",
        credentials=[{"credential_id": "K1", "category": "ID", "parts": {"front": "u"}, "api_token": SECRETS[0]}],
    )
    store.secrets.keep_user_token("T1", "U1", SECRETS[2], "files:write")
    store.secrets.keep_supporting_data(execution.id, {"lastName": SECRETS[3]})
    store.flush_forgotten()
    return execution.id


def _on_disk(path: Path) -> set[str]:
    content = b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())
    return {secret for secret in SECRETS if secret.encode() in content}


def test_sealed_values_are_not_on_disk_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "idv.sqlite3"
    store = Store(str(path), sealer=Sealer([KEY]))
    execution = _fill(store)
    assert _on_disk(path) == set()
    assert (
        store.executions.web_href(execution) == SECRETS[1]
        and store.executions.credentials(execution)[0].api_token == SECRETS[0]
    )
    assert store.secrets.user_token("U1") == SECRETS[2] and store.secrets.supporting_data(execution) == {
        "lastName": SECRETS[3]
    }
    store.close()
    clear = Store(str(tmp_path / "clear.sqlite3"))  # without a key, in clear: the scan would see them
    _fill(clear)
    assert _on_disk(tmp_path / "clear.sqlite3") == set(SECRETS)
    clear.close()


def test_a_key_set_later_seals_what_was_in_clear_and_a_rotation_reseals(tmp_path: Path) -> None:
    path = tmp_path / "idv.sqlite3"
    store = Store(str(path))
    execution = _fill(store)
    store.close()
    store = Store(str(path), sealer=Sealer([OLD_KEY]))
    assert store.secrets.reseal_all() == 4 and _on_disk(path) == set()
    assert store.secrets.reseal_all() == 0  # idempotent
    store.close()
    rotated = Store(str(path), sealer=Sealer([KEY, OLD_KEY]))  # the new key first, the old one after it
    assert rotated.secrets.reseal_all() == 4
    rotated.close()
    new_only = Store(str(path), sealer=Sealer([KEY]))
    assert new_only.secrets.reseal_all() == 0 and new_only.executions.web_href(execution) == SECRETS[1]
    new_only.close()


@pytest.mark.parametrize("keys", [[], [OLD_KEY]])
def test_sealed_secrets_without_their_key_are_refused_by_name(tmp_path: Path, keys: list[str]) -> None:
    path = tmp_path / "idv.sqlite3"
    store = Store(str(path), sealer=Sealer([KEY]))
    _fill(store)
    store.close()
    other = Store(str(path), sealer=Sealer(keys))
    with pytest.raises(SealedWithoutKey) as refused:
        other.secrets.reseal_all()
    assert "IDV_ENCRYPTION_KEY" in str(refused.value) and KEY not in str(refused.value)
    other.close()


def test_an_older_jobs_supporting_data_moves_out_of_its_payload(tmp_path: Path) -> None:
    path = tmp_path / "idv.sqlite3"
    store = Store(str(path))
    execution = store.executions.record(customer_ref="CUST-OLD", workflow_key=10163, channel_id="C1", started_by="U1")
    with store.transaction() as db:
        db.execute("PRAGMA user_version = 5")
        db.execute("DROP TABLE supporting_data")
        db.execute(
            "INSERT INTO jobs (kind, payload, state, attempts, max_attempts, run_after, created_at, updated_at) "
            "VALUES ('start', ?, 'queued', 0, 8, 0, 0, 0)",
            (json.dumps({"execution": execution.id, "requested_by": "U1", "supporting_data": {"lastName": SECRETS[3]}}),),
        )
    migrate(store.db)
    (job,) = store.jobs.listed()
    assert "supporting_data" not in job.payload and store.secrets.supporting_data(execution.id) == {"lastName": SECRETS[3]}
    store.close()


@pytest.mark.parametrize("bot_env_extra", [{"IDV_ENCRYPTION_KEY": KEY}])
async def test_the_running_bot_keeps_live_secrets_sealed(world: World) -> None:
    execution, _ = await world.start("CUST-SEALED", consent=False)
    href = world.web_href("CUST-SEALED")
    tokens = [c.api_token for c in world.jumio.executions[execution.workflow_execution_id or ""].credentials if c.api_token]
    content = b"".join(p.read_bytes() for p in (Path(world.store.path), Path(world.store.path + "-wal")) if p.exists())
    assert tokens and not any(t.encode() in content for t in tokens)
    assert href.split("authorizationToken=")[1].split("&")[0].encode() not in content
    assert (await world.complete_on_web("CUST-SEALED")).status_code == 200
    assert (await world.decided("CUST-SEALED")).decision_type == "PASSED"


async def test_a_sealed_database_does_not_start_without_its_key(tmp_path: Path) -> None:
    async with LocalWorld(tmp_path, LocalOptions(start_bot=False)) as local:
        store = Store(local.env["IDV_DATABASE"], sealer=Sealer([KEY]))
        _fill(store)
        store.close()
        process = BotProcess({**local.env, "IDV_ENCRYPTION_KEY": ""}, local.folder)
        with pytest.raises(RuntimeError):
            await process.start(timeout=20)
        assert process.process is not None
        assert await asyncio.wait_for(process.process.wait(), 20) == 2
        await wait_until(lambda: process.lines and "IDV_ENCRYPTION_KEY" in process.lines[-1])
        assert process.lines[-1].startswith("idv-bot: IDV_ENCRYPTION_KEY: the database holds secrets sealed")


@pytest.mark.parametrize("bot_env_extra", [{"IDV_ENCRYPTION_KEY": KEY}])
async def test_a_workflow_steps_token_is_sealed_and_forgotten_once_slack_has_the_completion(world: World) -> None:
    from bot.journey.steps import CALLBACK_ID

    run = await world.slack.run_step(
        CALLBACK_ID, {"customer_reference": "CUST-SEALED-STEP", "channel": "CVERIFY", "requested_by": "UAGENT1"}
    )
    await wait_until(lambda: world.links("CUST-SEALED-STEP"))

    def on_disk() -> bytes:
        return b"".join(p.read_bytes() for p in (Path(world.store.path), Path(world.store.path + "-wal")) if p.exists())

    stored = world.store.db.execute("SELECT token FROM workflow_steps").fetchone()[0]
    assert stored.startswith("fernet:") and run.token.encode() not in on_disk()
    assert world.store.steps.token(run.function_execution_id) == run.token
    assert (await world.complete_on_web("CUST-SEALED-STEP")).status_code == 200
    await wait_until(lambda: run.state == "completed")
    await wait_until(lambda: world.store.db.execute("SELECT token FROM workflow_steps").fetchone()[0] is None)
