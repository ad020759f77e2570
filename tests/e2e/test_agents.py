"""What agents type and drop, what they may not do, and the form, status, help and App Home."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from bot import blocks
from bot.sandbox.images import sample_photo
from tests.conftest import wait_until
from tests.world import World

pytestmark = pytest.mark.parametrize("slack_mode", ["http", "socket"], indirect=True)


@pytest.mark.parametrize("bot_env_extra", [{"IDV_ALLOWED_USERS": "UAGENT1", "IDV_ALLOWED_CHANNELS": "CVERIFY"}])
async def test_people_who_may_not_use_the_bot_are_refused_politely(world: World) -> None:
    answer = await world.slack.command("CUST-1", user="UINTRUDER")
    assert "can't use identity verification" in answer["text"]
    assert answer.get("response_type") == "ephemeral"
    answer = await world.slack.command("CUST-1", user="UAGENT1", channel="COTHER")
    assert "can't use identity verification" in answer["text"]
    assert world.store.executions.for_customer("CUST-1") == []

    execution, root = await world.start("CUST-2")
    await world.share(root, ("front.png", sample_photo("front")), user="UINTRUDER")
    await wait_until(lambda: any("Only verification agents" in m.text for m in world.slack.ephemerals("UINTRUDER")))
    assert world.store.uploads.of_execution(execution.id) == []
    await world.slack.click("submit_verification", str(execution.id), user="UINTRUDER", message=root)
    await wait_until(lambda: any("can't use" in m.text for m in world.slack.ephemerals("UINTRUDER")))
    assert "refused" in [e.action for e in world.store.audit.trail()]


async def test_same_customer_already_open(world: World) -> None:
    await world.start("CUST-TWICE", consent=False)
    answer = await world.slack.command("CUST-TWICE", user="UAGENT2")
    assert "already has an open verification" in answer["text"] and "<@UAGENT1>" in answer["text"]
    assert len(world.store.executions.for_customer("CUST-TWICE")) == 1
    status, _ = await world.slack.click("start_anyway", "CUST-TWICE", user="UAGENT2")
    assert status == 200
    await wait_until(lambda: len(world.store.executions.for_customer("CUST-TWICE")) == 2)


async def test_help_and_status(world: World) -> None:
    help_answer = await world.slack.command("help")
    assert "/verify CUST-42" in str(help_answer)
    _, _root = await world.start("CUST-STATUS")
    assert await world.slack.command("status CUST-STATUS") == {}  # the answer follows through the response_url
    status = await wait_until(lambda: world.slack.state.responses and world.slack.state.responses[-1])
    assert "Waiting for the customer's photos" in str(status) and "link sent privately" in str(status)
    await world.slack.command("status CUST-NOBODY")
    empty = await wait_until(lambda: len(world.slack.state.responses) > 1 and world.slack.state.responses[-1])
    assert "No verifications for CUST-NOBODY" in empty["text"]


@pytest.mark.parametrize("bot_env_extra", [{"IDV_ENCRYPTION_KEY": Fernet.generate_key().decode()}])
async def test_the_form_with_supporting_data(world: World) -> None:
    answer = await world.slack.command("")
    assert answer == {} or not answer.get("text")
    view = await wait_until(lambda: world.slack.state.views_opened and world.slack.state.views_opened[-1])
    world.bot.journey.options = type(world.bot.journey.options)(
        **{**world.bot.journey.options.__dict__, "workflow_key": 10163}
    )
    bad = {
        "customer_reference": "CUST-FORM",
        "phone_number": "0503 1234",
        "date_of_birth": "1972-11-16",
        "email": "not-an-email",
        "country": "USA",
    }
    status, answer = await world.slack.submit_view(view, bad)
    assert status == 200 and answer["response_action"] == "errors"
    assert set(answer["errors"]) == {"email", "phone_number"}
    assert "international form" in answer["errors"]["phone_number"]
    assert world.store.executions.for_customer("CUST-FORM") == []
    good = {
        "customer_reference": "CUST-FORM",
        "user_reference": "ticket-991",
        "locale": "de",
        "first_name": "John",
        "last_name": "Smith",
        "phone_number": "+14155550123",
        "date_of_birth": "1972-11-16",
        "email": "john@example.com",
        "line1": "1 Main St",
        "city": "Any Town",
        "country": "USA",
    }
    status, answer = await world.slack.submit_view(view, good)
    assert status == 200 and not answer
    execution = await wait_until(
        lambda: (e := world.store.executions.for_customer("CUST-FORM")) and e[0].status == "INITIATED" and e[0]
    )
    assert execution.channel_id == "CVERIFY" and execution.user_ref == "ticket-991" and execution.locale == "de"
    held = await wait_until(
        lambda: (
            (x := world.jumio.executions[execution.workflow_execution_id])
            and any(c.prepared_data for c in x.credentials)
            and x
        )
    )
    data = next(c.prepared_data for c in held.credentials if c.prepared_data)
    assert data["phoneNumber"] == "+14155550123" and data["address"]["country"] == "USA"
    assert not any("John" in said or "+1415" in said for said in world.slack.everything_said())
    await wait_until(
        lambda: all(
            j.state == "done"
            for j in world.store.jobs.listed()
            if j.kind in ("start", "create_account", "upload_prepared_data")
        )
    )
    assert all("Smith" not in str(job.payload) for job in world.store.jobs.listed())
    for suffix in ("", "-wal"):  # kept sealed until the execution Jumio processes has it (tests/privacy)
        with open(world.store.path + suffix, "rb") as database:
            assert b"+14155550123" not in database.read()


async def test_app_home_lists_the_agents_verifications(world: World) -> None:
    await world.start("CUST-HOME-1")
    await world.slack.open_home("UAGENT1")
    home = await wait_until(lambda: world.slack.state.home_views.get("UAGENT1"))
    text = str(home)
    assert "CUST-HOME-1" in text and "Start a verification" in text and "just now" in text
    await world.slack.click("open_start_modal", "home", channel=None)
    view = await wait_until(lambda: world.slack.state.views_opened and world.slack.state.views_opened[-1])
    assert any(b.get("block_id") == "channel" for b in view["blocks"])


@pytest.mark.parametrize("bot_env_extra", [{"IDV_ALLOWED_USERS": "UAGENT1", "IDV_ALLOWED_CHANNELS": "CVERIFY"}])
async def test_the_form_app_home_and_the_photos_modal_refuse_who_may_not_use_them(world: World) -> None:
    """Issue 22, item 4: each surface's access middleware refuses in that surface's way and audits once."""
    opened = len(world.slack.state.views_opened)
    status, _ = await world.slack.click(blocks.ACTION_OPEN_START_MODAL, "home", user="UINTRUDER", channel=None)
    assert status == 200 and len(world.slack.state.views_opened) == opened  # App Home's button opens nothing

    await world.slack.click(blocks.ACTION_OPEN_START_MODAL, "home", channel=None)  # an agent opens the form
    form = await wait_until(lambda: len(world.slack.state.views_opened) > opened and world.slack.state.views_opened[-1])
    status, answer = await world.slack.submit_view(form, {"channel": "COTHER", "customer_reference": "CUST-ELSE"})
    assert status == 200 and answer["response_action"] == "errors"
    assert "can't use identity verification" in answer["errors"]["channel"]  # the channel is not an allowed one
    assert world.store.executions.for_customer("CUST-ELSE") == []

    execution, root = await world.start("CUST-PRIVATE", consent=False)
    await world.slack.click(blocks.ACTION_PRIVATE_PHOTOS, str(execution.id), message=root)
    modal = await wait_until(
        lambda: (
            world.slack.state.views_opened[-1].get("callback_id") == blocks.VIEW_PHOTOS
            and world.slack.state.views_opened[-1]
        )
    )
    status, answer = await world.slack.submit_view(modal, {}, user="UINTRUDER")  # another person submits it
    assert status == 200 and answer["response_action"] == "update"
    assert world.store.uploads.of_execution(execution.id) == []
    refusals = [e.detail for e in world.store.audit.trail() if e.action == "refused"]
    assert refusals.count("the form from App Home") == 1 and refusals.count("form in COTHER") == 1
    assert refusals.count("private photos") == 1
