"""The product, end to end over real HTTP: what an agent sees and does in Slack."""

from __future__ import annotations

import hashlib

import pytest

from bot.sandbox.images import sample_photo
from tests.conftest import wait_until
from tests.e2e.conftest import World

pytestmark = pytest.mark.parametrize("slack_mode", ["http", "socket"], indirect=True)


async def test_api_channel_path(world: World) -> None:
    execution, root = await world.start("CUST-42")
    assert "CUST-42" in root.all_text() and "<@UAGENT1>" in root.all_text()
    link = next(m for m in world.slack.ephemerals("UAGENT1") if "Only you can see this" in m.all_text())
    assert "authorizationToken=" in link.all_text()
    assert all("authorizationToken" not in m.all_text() for m in world.slack.state.messages if not m.ephemeral_to)

    photos = {"front": sample_photo("front"), "back": sample_photo("back"), "face": sample_photo("face")}
    await world.share(root, ("id_front.png", photos["front"]), ("id_back.png", photos["back"]))
    await world.share(root, ("me.png", photos["face"]), text="selfie")

    decided = await world.decided("CUST-42")
    assert (decided.status, decided.decision_type) == ("PROCESSED", "PASSED")
    parts = world.jumio_parts(execution)
    assert {k: v.sha256 for k, v in parts.items()} == {k.upper(): hashlib.sha256(v).hexdigest()
                                                       for k, v in photos.items()}
    assert all(p.uploads == 1 for p in parts.values())
    thread = await wait_until(lambda: "Jumio's decision" in world.thread_text(root) and world.thread_text(root))
    assert "PASSED" in thread and "similarity" in thread and "Risk score" in thread
    assert "SAMPLEPERSON" not in "\n".join(world.slack.everything_said())
    final_root = next(m for m in world.slack.root_messages() if m.ts == root.ts)
    assert "PASSED" in final_root.all_text() and final_root.edits >= 3
    actions = [e.action for e in world.store.audit_trail(execution.id)]
    for expected in ("start", "account_created", "link_sent", "photo_uploaded", "submitted", "result"):
        assert expected in actions
    assert world.store.web_href(execution.id) is None
    assert all(c.api_token is None for c in world.store.credentials(execution.id))
