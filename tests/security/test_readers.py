"""Another reader never freezes the bot (security round 2, finding 2): an operator's sqlite3 shell or a backup holding
a read transaction used to stall every erase, decision and ack for up to 15 s (a checkpoint on the event loop waiting
for it). Now acks, /healthz and an erase answer at once, and the checkpoint that pushes erased bytes out of the
write-ahead log runs in the background until the reader lets go."""

from __future__ import annotations

import logging
import sqlite3
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import wait_until
from tests.world import World

pytestmark = pytest.mark.parametrize("bot_env_extra", [{"IDV_ADMINS": "UADMIN"}])


async def test_a_reader_holding_a_transaction_stalls_nothing(world: World, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="storage")
    execution, _root = await world.start("CUST-READER", consent=False)
    link = (world.store.executions.web_href(execution.id) or "").split("authorizationToken=")[1].split("&")[0].encode()

    def on_disk() -> bool:
        return any(link in p.read_bytes() for p in (Path(world.store.path), Path(world.store.path + "-wal")) if p.exists())

    assert link and on_disk()  # in clear (no IDV_ENCRYPTION_KEY here): the scan can fail
    reader = sqlite3.connect(world.store.path, isolation_level=None)
    reader.execute("BEGIN")
    assert reader.execute("SELECT count(*) FROM executions").fetchone()[0] == 1  # holds its snapshot from now on
    try:
        started = time.monotonic()
        answer = await world.slack.command("CUST-READER-2")
        assert "Starting a verification" in answer["text"] and time.monotonic() - started < 2.0
        async with httpx.AsyncClient() as http:
            started = time.monotonic()
            assert (await http.get(f"{world.env['IDV_PUBLIC_URL']}/healthz")).status_code == 200
            assert time.monotonic() - started < 1.0
        await world.slack.command("erase CUST-READER", user="UADMIN")
        view = await wait_until(
            lambda: next((v for v in world.slack.views_for("UADMIN") if v.get("callback_id") == "erase_customer"), None)
        )
        started = time.monotonic()
        status, done = await world.slack.submit_view(view, {}, user="UADMIN")
        assert status == 200 and "Erased 1 verification" in str(done["view"]) and time.monotonic() - started < 2.0
        assert not world.store.wait_flushed(0.3)  # the reader still holds the log: retried in the background
        assert any("another reader holds the database" in r.getMessage() for r in caplog.records)
    finally:
        reader.execute("COMMIT")
        reader.close()
    assert world.store.wait_flushed(10)
    assert not on_disk()  # the erased link left the write-ahead log, and the file's freed pages were overwritten
    assert any("left the write-ahead log after" in r.getMessage() for r in caplog.records)
