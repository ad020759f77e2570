"""The Slack stand-in is held to Slack's published contract (reference §13): it grants exactly the manifest's scopes,
delivers only subscribed events, and refuses what Slack refuses. And every Web API method the bot calls, found from
its code, has a row in the stand-in's table of method → scope."""

from __future__ import annotations

import copy
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.manifest import render_for
from bot.sandbox.slack import SlackStandIn, serve
from bot.sandbox.slack.contract import METHOD_SCOPES
from bot.sandbox.slack.oauth import CLIENT_ID

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "xoxb-contract"
PUBLIC = "https://idv.example.com"
# Methods Bolt and slack_sdk call on the bot's behalf (Bolt's authorize; Socket Mode's connection; OAuth's exchange).
CALLED_BY_LIBRARIES = {"auth.test", "apps.connections.open", "oauth.v2.access"}
_CALLS = [
    re.compile(r"\bclient\.([a-z]+_[a-zA-Z]+)\("),  # client.chat_postMessage(…), a Bolt or user-token client
    re.compile(r"\bslack\.([a-z]+_[a-zA-Z]+)\("),  # the runtime's own client
    re.compile(r"""\.slack\(\s*["']([a-z]+_[a-zA-Z]+)["']"""),  # Delivery.slack("chat_update", …)
    re.compile(r"""_deliver\(\s*["']([a-z]+_[a-zA-Z]+)["']"""),  # Delivery._deliver("chat_postMessage", …)
]


def methods_the_bot_calls() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "bot").rglob("*.py"):
        if "sandbox" in path.parts or "bench" in path.parts or path.name in ("demo.py", "local.py"):
            continue  # these drive the stand-in (its helpers share the names), not Slack
        source = path.read_text()
        for pattern in _CALLS:
            found |= {name.replace("_", ".", 1) for name in pattern.findall(source)}
    return {
        m
        for m in found
        if m.split(".")[0]
        in {"chat", "users", "conversations", "files", "views", "auth", "reactions", "apps", "functions", "oauth"}
    } | CALLED_BY_LIBRARIES


def test_every_method_the_bot_calls_has_a_scope_row() -> None:
    called = methods_the_bot_calls()
    # The walk finds the calls it must: if a pattern breaks, this fails rather than passing on nothing.
    assert {
        "chat.postMessage",
        "chat.update",
        "chat.postEphemeral",
        "users.info",
        "users.conversations",
        "conversations.info",
        "files.info",
        "files.delete",
        "auth.revoke",
        "views.open",
        "views.publish",
    } <= called
    assert sorted(called - set(METHOD_SCOPES)) == []


def _manifest(**changes: Any) -> dict[str, Any]:
    manifest = copy.deepcopy(render_for({"IDV_PUBLIC_URL": PUBLIC, "SLACK_CLIENT_ID": CLIENT_ID}, mode="socket"))
    for scope in changes.get("without_bot_scopes", ()):
        manifest["oauth_config"]["scopes"]["bot"].remove(scope)
    for event in changes.get("without_events", ()):
        manifest["settings"]["event_subscriptions"]["bot_events"].remove(event)
    return manifest


@pytest.fixture
async def slack() -> AsyncIterator[SlackStandIn]:
    stand_in = SlackStandIn(bot_token=TOKEN, signing_secret="s", manifest=_manifest())
    runner, _ = await serve(stand_in)
    stand_in.bot_events_url = "http://127.0.0.1:9/slack/events"  # nothing listens: only undelivered events are sent
    try:
        yield stand_in
    finally:
        await runner.cleanup()


def _client(slack: SlackStandIn, token: str = TOKEN) -> AsyncWebClient:
    return AsyncWebClient(token=token, base_url=f"{slack.base_url}/api/")


async def _refused(call: Any) -> dict[str, Any]:
    with pytest.raises(SlackApiError) as raised:
        await call
    return dict(raised.value.response.data)


async def test_a_method_without_its_scope_answers_missing_scope(slack: SlackStandIn) -> None:
    client = _client(slack)
    assert (await client.users_info(user="UAGENT1"))["ok"] is True
    slack.install(_manifest(without_bot_scopes=["users:read"]))
    answer = await _refused(client.users_info(user="UAGENT1"))
    assert answer["error"] == "missing_scope" and answer["needed"] == "users:read"
    assert "chat:write" in answer["provided"].split(",") and "users:read" not in answer["provided"]
    # A private channel needs groups:read; a bot token cannot delete files without files:write.
    slack.private_channels.add("CVERIFY")
    slack.install(_manifest(without_bot_scopes=["groups:read"]))
    assert (await _refused(client.conversations_info(channel="CVERIFY")))["needed"] == "groups:read"
    assert (await _refused(client.users_conversations(user="UAGENT1", types="public_channel,private_channel")))[
        "needed"
    ] == "groups:read"
    assert (await _refused(client.files_delete(file="F1")))["needed"] == "files:write"


async def test_a_download_without_files_read_is_slacks_login_page(slack: SlackStandIn) -> None:
    shared = slack.add_file("front.png", b"\x89PNG")
    url = shared.info(slack.base_url, slack.team_id)["url_private_download"]
    slack.install(_manifest(without_bot_scopes=["files:read"]))
    async with httpx.AsyncClient() as http:
        answer = await http.get(url, headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.headers["Content-Type"].startswith("text/html")


async def test_an_event_the_manifest_does_not_subscribe_to_never_arrives(slack: SlackStandIn) -> None:
    slack.install(_manifest(without_events=["message.groups"]))
    slack.private_channels.add("CPRIV")
    status, _ = await slack.share([slack.add_file("front.png", b"x")], thread_ts="1.1", channel="CPRIV")
    assert status == 0 and slack.state.undelivered_events == ["message.groups"]
    slack.install(_manifest(without_bot_scopes=["channels:history"]))  # subscribed, but without its scope
    status, _ = await slack.share([slack.add_file("front.png", b"x")], thread_ts="1.1")
    assert status == 0 and slack.state.undelivered_events[-1] == "message.channels"
    assert (await slack.event({"type": "member_joined_channel"}))[0] == 0  # not in this manifest at all
    slack.install(_manifest(without_events=["function_executed"]))
    assert (await slack.event({"type": "function_executed"}))[0] == 0


@pytest.mark.parametrize(
    ("query", "refusal"),
    [
        (
            {"user_scope": "files:write", "redirect_uri": "https://evil.example/slack/oauth_redirect"},
            "redirect_uri did not match any configured URIs",
        ),
        (
            {"user_scope": "files:write,files:read", "redirect_uri": PUBLIC + "/slack/oauth_redirect"},
            "Invalid permissions requested",
        ),
    ],
)
async def test_authorize_refuses_what_the_manifest_does_not_configure(
    slack: SlackStandIn, query: dict[str, str], refusal: str
) -> None:
    async with httpx.AsyncClient() as browser:
        answer = await browser.get(
            f"{slack.base_url}/oauth/v2/authorize", params={"client_id": CLIENT_ID, "state": "s", **query}
        )
        assert answer.status_code == 400 and refusal in answer.text
        fine = await browser.get(
            f"{slack.base_url}/oauth/v2/authorize",
            params={
                "client_id": CLIENT_ID,
                "state": "s",
                "user_scope": "files:write",
                "redirect_uri": PUBLIC + "/slack/oauth_redirect",
            },
        )
        assert fine.status_code == 302
    slack.install(render_for({}))  # no SLACK_CLIENT_ID: no user scope, no redirect URL
    async with httpx.AsyncClient() as browser:
        answer = await browser.get(
            f"{slack.base_url}/oauth/v2/authorize",
            params={
                "client_id": CLIENT_ID,
                "state": "s",
                "user_scope": "files:write",
                "redirect_uri": PUBLIC + "/slack/oauth_redirect",
            },
        )
    assert answer.status_code == 400


def _button(action_id: str) -> dict[str, Any]:
    return {"type": "button", "text": {"type": "plain_text", "text": action_id}, "action_id": action_id, "value": "1"}


async def test_repeated_action_ids_in_a_block_and_block_ids_in_a_message_are_refused(slack: SlackStandIn) -> None:
    client = _client(slack)
    twice = [{"type": "actions", "elements": [_button("page"), _button("page")]}]
    assert (await _refused(client.chat_postMessage(channel="CVERIFY", text="t", blocks=twice)))["error"] == "invalid_blocks"
    same_block = [{"type": "section", "block_id": "b", "text": {"type": "mrkdwn", "text": "x"}}] * 2
    assert (await _refused(client.chat_postMessage(channel="CVERIFY", text="t", blocks=same_block)))[
        "error"
    ] == "invalid_blocks"
    view = {"type": "modal", "title": {"type": "plain_text", "text": "t"}, "blocks": same_block}
    assert (await _refused(client.views_open(trigger_id="1", view=view)))["error"] == "invalid_arguments"
    apart = [{"type": "actions", "elements": [_button("a")]}, {"type": "actions", "elements": [_button("a")]}]
    assert (await client.chat_postMessage(channel="CVERIFY", text="t", blocks=apart))["ok"] is True


async def test_a_response_url_takes_five_valid_answers_within_thirty_minutes(slack: SlackStandIn) -> None:
    url = slack.issue_response_url()
    async with httpx.AsyncClient() as http:
        bad = await http.post(url, json={"text": "t", "blocks": [{"type": "actions", "elements": [_button("x")] * 2}]})
        assert (bad.status_code, bad.text) == (400, "invalid_blocks")
        assert [(await http.post(url, json={"text": str(n)})).status_code for n in range(5)] == [200] * 5
        assert (await http.post(url, json={"text": "sixth"})).text == "used_url"
        old = slack.issue_response_url()
        key = old.rsplit("/", 1)[1]
        slack.response_urls[key] = (slack.response_urls[key][0] - 31 * 60, 0)
        assert (await http.post(old, json={"text": "late"})).text == "expired_url"
        assert (await http.post(f"{slack.base_url}/response/never-issued", json={"text": "x"})).status_code == 404


async def test_ephemerals_go_only_to_members_and_users_conversations_pages_of_999(slack: SlackStandIn) -> None:
    client = _client(slack)
    slack.leaves("UAGENT1")
    assert (await _refused(client.chat_postEphemeral(channel="CVERIFY", user="UAGENT1", text="t")))[
        "error"
    ] == "user_not_in_channel"
    assert (await client.chat_postEphemeral(channel="CVERIFY", user="UAGENT2", text="t"))["ok"] is True
    assert (await _refused(client.users_conversations(user="UAGENT2", limit=1000)))["error"] == "invalid_limit"
    assert (await client.users_conversations(user="UAGENT2", limit=999))["ok"] is True
