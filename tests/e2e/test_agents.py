"""What agents type and drop, what they may not do, and the form, status, help and App Home."""

from __future__ import annotations

import pytest

from bot.sandbox.images import jpeg_header, sample_photo
from tests.conftest import wait_until
from tests.world import World

pytestmark = pytest.mark.parametrize("slack_mode", ["http", "socket"], indirect=True)


@pytest.mark.parametrize(
    ("name", "content", "mimetype", "reason"),
    [
        ("front.pdf", b"%PDF-1.7\n...", "application/pdf", "PDF"),
        ("front.txt", b"hello", "text/plain", "not a photo"),
        ("front.heic", b"\x00\x00\x00\x18ftypheic" + b"\x00" * 64, "image/heic", "HEIC"),
        ("front.jpg", b"this is not an image at all", "image/jpeg", "not a JPEG or PNG"),
        ("front.png", b"", "image/png", "empty"),
        ("front.jpg", jpeg_header(200, 150), "image/jpeg", "Jumio refused it"),
    ],
)
async def test_rejected_files_get_a_clear_reply_and_reach_nobody(world: World, name: str, content: bytes,
                                                                 mimetype: str, reason: str) -> None:
    execution, root = await world.start("CUST-BADFILE")
    await world.share(root, (name, content), mimetype=mimetype)
    reply = await wait_until(lambda: next((m for m in world.slack.thread(root.ts) if ":no_entry:" in m.text), None))
    assert reason in reply.text and name in reply.text
    assert world.jumio_parts(execution) == {}
    assert [u.state for u in world.store.uploads_for(execution.id)] == ["rejected"]


async def test_file_over_15_mb_is_refused_before_download(world: World) -> None:
    execution, root = await world.start("CUST-BIG")
    big = world.slack.add_file("front.png", sample_photo("front"), declared_size=16 * 1024 * 1024)
    await world.slack.share([big], thread_ts=root.ts)
    reply = await wait_until(lambda: next((m for m in world.slack.thread(root.ts) if ":no_entry:" in m.text), None))
    assert "15 MB" in reply.text
    assert big.downloads == 0 and world.jumio_parts(execution) == {}


@pytest.mark.parametrize("bot_env_extra", [{"IDV_ALLOWED_USERS": "UAGENT1", "IDV_ALLOWED_CHANNELS": "CVERIFY"}])
async def test_people_who_may_not_use_the_bot_are_refused_politely(world: World) -> None:
    answer = await world.slack.command("CUST-1", user="UINTRUDER")
    assert "can't use identity verification" in answer["text"]
    assert answer.get("response_type") == "ephemeral"
    answer = await world.slack.command("CUST-1", user="UAGENT1", channel="COTHER")
    assert "can't use identity verification" in answer["text"]
    assert world.store.executions_for_customer("CUST-1") == []

    execution, root = await world.start("CUST-2")
    await world.share(root, ("front.png", sample_photo("front")), user="UINTRUDER")
    await wait_until(lambda: any("Only verification agents" in m.text for m in world.slack.ephemerals("UINTRUDER")))
    assert world.store.uploads_for(execution.id) == []
    await world.slack.click("submit_verification", str(execution.id), user="UINTRUDER", message=root)
    await wait_until(lambda: any("can't use" in m.text for m in world.slack.ephemerals("UINTRUDER")))
    assert "refused" in [e.action for e in world.store.audit_trail()]


async def test_files_in_threads_the_bot_does_not_own_are_ignored(world: World) -> None:
    file = world.slack.add_file("front.png", sample_photo("front"))
    status, _ = await world.slack.share([file], thread_ts="1700000000.000001")
    assert status == 200
    await world.slack.event({"type": "message", "channel": "CVERIFY", "user": "UAGENT1", "text": "hi",
                             "ts": "1700000001.000001"})
    assert file.downloads == 0
    assert world.slack.state.messages == []


async def test_same_customer_already_open(world: World) -> None:
    await world.start("CUST-TWICE")
    answer = await world.slack.command("CUST-TWICE", user="UAGENT2")
    assert "already has an open verification" in answer["text"] and "<@UAGENT1>" in answer["text"]
    assert len(world.store.executions_for_customer("CUST-TWICE")) == 1
    status, _ = await world.slack.click("start_anyway", "CUST-TWICE", user="UAGENT2")
    assert status == 200
    await wait_until(lambda: len(world.store.executions_for_customer("CUST-TWICE")) == 2)


@pytest.mark.parametrize(("text", "words"), [
    ("CUST;42", "contains ;"),
    ("x" * 101, "at most 100"),
    ("status", "empty"),
])
async def test_bad_commands_are_answered_ephemerally(world: World, text: str, words: str) -> None:
    answer = await world.slack.command(text)
    assert words in answer["text"] and answer.get("response_type") == "ephemeral"
    assert world.store.jobs() == []


async def test_help_and_status(world: World) -> None:
    help_answer = await world.slack.command("help")
    assert "/verify CUST-42" in str(help_answer)
    _, _root = await world.start("CUST-STATUS")
    status = await world.slack.command("status CUST-STATUS")
    assert "Waiting for the customer's photos" in str(status) and "link sent" in str(status)
    empty = await world.slack.command("status CUST-NOBODY")
    assert "No verifications for CUST-NOBODY" in empty["text"]


async def test_command_in_a_channel_the_bot_is_not_in(world: World) -> None:
    world.slack.known_channels.add("CNOBOT")
    answer = await world.slack.command("CUST-ELSEWHERE", channel="CNOBOT")
    assert "Starting" in answer["text"]
    response = await wait_until(lambda: world.slack.state.responses and world.slack.state.responses[-1])
    assert "not in that channel" in response["text"] and "/invite" in response["text"]
    assert world.execution("CUST-ELSEWHERE").status == "FAILED"


async def test_the_form_with_supporting_data(world: World) -> None:
    answer = await world.slack.command("")
    assert answer == {} or not answer.get("text")
    view = await wait_until(lambda: world.slack.state.views_opened and world.slack.state.views_opened[-1])
    world.bot.journey.options = type(world.bot.journey.options)(**{**world.bot.journey.options.__dict__,
                                                                   "workflow_key": 10163})
    bad = {"customer_reference": "CUST-FORM", "phone_number": "0503 1234", "date_of_birth": "1972-11-16",
           "email": "not-an-email", "country": "USA"}
    status, answer = await world.slack.submit_view(view, bad)
    assert status == 200 and answer["response_action"] == "errors"
    assert set(answer["errors"]) == {"email", "phone_number"}
    assert "international form" in answer["errors"]["phone_number"]
    assert world.store.executions_for_customer("CUST-FORM") == []
    good = {"customer_reference": "CUST-FORM", "user_reference": "ticket-991", "locale": "de",
            "first_name": "John", "last_name": "Smith", "phone_number": "+14155550123", "date_of_birth": "1972-11-16",
            "email": "john@example.com", "line1": "1 Main St", "city": "Any Town", "country": "USA"}
    status, answer = await world.slack.submit_view(view, good)
    assert status == 200 and not answer
    execution = await wait_until(lambda: (e := world.store.executions_for_customer("CUST-FORM"))
                                 and e[0].status == "INITIATED" and e[0])
    assert execution.channel_id == "CVERIFY" and execution.user_ref == "ticket-991" and execution.locale == "de"
    held = await wait_until(lambda: (x := world.jumio.executions[execution.workflow_execution_id])
                            and any(c.prepared_data for c in x.credentials) and x)
    data = next(c.prepared_data for c in held.credentials if c.prepared_data)
    assert data["phoneNumber"] == "+14155550123" and data["address"]["country"] == "USA"
    assert not any("John" in said or "+1415" in said for said in world.slack.everything_said())
    await wait_until(lambda: all(j.state == "done" for j in world.store.jobs() if j.kind in ("start",
                                                                                           "upload_prepared_data")))
    assert all("Smith" not in str(job.payload) for job in world.store.jobs())
    for suffix in ("", "-wal"):
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


async def test_stale_or_unknown_buttons_are_answered(world: World) -> None:
    _, root = await world.start("CUST-STALE")
    await world.slack.click("submit_verification", "999999", message=root)
    await world.slack.click("some_old_button", "x", message=root)
    await wait_until(lambda: len([m for m in world.slack.ephemerals("UAGENT1") if "no longer exists" in m.text]) == 2)
