"""Malformed requests get a 400 (or Bolt's 401 when unsigned), never a 500 with a traceback, and no stack at INFO."""

from __future__ import annotations

import json

import pytest

from tests.conftest import wait_until
from tests.security.conftest import Running

BODIES = [
    (b"payload=not-json", "application/x-www-form-urlencoded"),
    (b"payload=%5B1%2C2%5D", "application/x-www-form-urlencoded"),
    (b"{not json", "application/json"),
    (b"[1, 2, 3]", "application/json"),
    (b"\xff\xfe\x00garbage", "application/octet-stream"),
    (b"payload=" + json.dumps({"type": "block_actions", "actions": "nope"}).encode(), "application/x-www-form-urlencoded"),
]


@pytest.mark.parametrize(("body", "content_type"), BODIES)
async def test_a_malformed_request_gets_400_or_401_without_a_traceback(
    running: Running, body: bytes, content_type: str
) -> None:
    answer = await running.post_unsigned(body, content_type)
    assert answer.status_code in (400, 401), answer.text  # was 500 with a traceback for some
    assert "Traceback" not in answer.text and 'File "' not in answer.text
    await wait_until(lambda: any("refused a Slack request" in line for line in running.bot.lines))
    assert not any("Traceback" in line for line in running.bot.lines)


async def test_a_signed_but_malformed_payload_gets_400(running: Running) -> None:
    status, answer = await running.slack._post_signed("payload=%7Bbroken", "application/x-www-form-urlencoded")
    assert status == 400 and "Traceback" not in str(answer)
    await wait_until(lambda: any("not a Slack payload" in line for line in running.bot.lines))
    assert not any("Traceback" in line for line in running.bot.lines)


@pytest.mark.parametrize(
    "body",
    [
        "payload=%5B1%2C2%5D",
        "payload=%7B%7D",
        "payload=%22text%22",
        'payload={"type":"block_actions","user":"U1","actions":[{"action_id":7}]}',
    ],
)
async def test_signed_payloads_of_the_wrong_shape_are_answered_without_a_traceback(running: Running, body: str) -> None:
    status, answer = await running.slack._post_signed(body, "application/x-www-form-urlencoded")
    assert status in (200, 400, 404) and "Traceback" not in str(answer)
    await running.slack._post_signed("payload=%7Bbroken", "application/x-www-form-urlencoded")
    await wait_until(lambda: any("not a Slack payload" in line for line in running.bot.lines))
    assert not any("Traceback" in line or line.startswith("    ") for line in running.bot.lines), running.bot.lines[-5:]
