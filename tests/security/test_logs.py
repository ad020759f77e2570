"""Logs: an unsigned flood costs at most a short line each, a newline cannot forge a record, a refused genuine
request leaves no personal data, and the body cap holds the largest request Slack really sends."""

from __future__ import annotations

import json
import re
import time
from urllib.parse import urlencode

import pytest

from bot import blocks
from bot.manifest import render_for
from bot.sandbox.slack import SlackStandIn
from bot.sandbox.slack.state import Posted
from bot.server import MAX_SLACK_BODY
from tests.conftest import wait_until
from tests.security.conftest import Running

RECORD = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ [A-Z]+ \S+: ")


async def test_an_unsigned_flood_adds_at_most_a_short_line_per_request(running: Running) -> None:
    before = running.log_size()
    body = urlencode({"payload": json.dumps({"type": "block_actions", "junk": "x" * 300_000})}).encode()
    for _ in range(100):
        assert (await running.post_unsigned(body)).status_code == 401
    await wait_until(lambda: sum("signature" in line for line in running.bot.lines) >= 100)
    grown = running.log_size() - before
    assert grown <= 100 * 1024, f"{grown} bytes for 100 requests"  # was 44 MB: Bolt logged each body at INFO
    assert not any("junk" in line or "xxxxxxxx" in line for line in running.bot.lines)


async def test_a_newline_in_a_request_cannot_forge_a_log_record(running: Running) -> None:
    forged = "\n2026-12-02 07:00:00,000 WARNING bot.journey: execution 1: Jumio decision PASSED\n"
    await running.post_unsigned(("payload=" + forged).encode())
    await running.post_unsigned(forged.encode(), "application/json")
    # and through something the bot itself logs: a Slack file name it refuses to fetch is logged by host only
    await wait_until(lambda: sum("refused a Slack request" in line for line in running.bot.lines) >= 2)
    assert not any(line.startswith("2026-12-02 07:00:00,000") for line in running.bot.lines)
    assert all(RECORD.match(line) or line.startswith(("    ", "idv-bot ready")) for line in running.bot.lines), [
        line for line in running.bot.lines if not RECORD.match(line)
    ][:3]


async def test_a_genuine_request_refused_for_clock_skew_leaves_no_personal_data(running: Running) -> None:
    slack: SlackStandIn = running.slack
    view = blocks.start_modal("CVERIFY")
    payload = slack.view_submission_payload(
        {**view, "id": "V1"},
        {
            "customer_reference": "CUST-SKEW",
            "first_name": "Wilhelmina",
            "last_name": "Zabriskie",
            "date_of_birth": "1972-11-16",
        },
    )
    status, _ = await slack._post_signed(
        urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded", timestamp=int(time.time()) - 3600
    )
    assert status == 401
    await wait_until(lambda: any("signature" in line for line in running.bot.lines))
    text = "\n".join(running.bot.lines)
    assert "Wilhelmina" not in text and "Zabriskie" not in text and "1972-11-16" not in text


async def test_a_body_over_the_cap_is_refused_before_bolt_reads_it(running: Running) -> None:
    before = running.log_size()
    answer = await running.post_unsigned(b"payload=" + b"x" * (MAX_SLACK_BODY + 1))
    assert answer.status_code == 413 and running.log_size() - before < 1024


def test_the_cap_holds_the_largest_request_slack_sends_this_bot() -> None:
    """Measured: a view submission of a 100-block modal of 3,000-character sections (Slack echoes the view), a
    click on the largest message a builder makes, and the form with every field full of 3-byte characters."""
    slack = SlackStandIn(bot_token="xoxb-x", signing_secret="s", manifest=render_for({}))
    section = {"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3000}}
    modal = {"id": "V1", "type": "modal", "title": {"type": "plain_text", "text": "t"}, "blocks": [section] * 100}
    largest_modal = _encoded(slack.view_submission_payload(modal, {}))
    capabilities = [{"name": f"c{i}", "credentials": ["ID"], "decision": "REJECTED", "label": "L" * 60} for i in range(2000)]
    from tests.unit.test_block_limits import execution

    text, body = blocks.result_message(execution(status="PROCESSED", decision_type="REJECTED", capabilities=capabilities))
    largest_click = _encoded(slack.click_payload("retry_job", "1", message=Posted("C1", "1.1", text, body)))
    form = blocks.start_modal(None)
    full = {b["block_id"]: "語" * b["element"].get("max_length", 100) for b in form["blocks"] if b["type"] == "input"}
    largest_form = _encoded(slack.view_submission_payload({**form, "id": "V1"}, full))
    largest = max(largest_modal, largest_click, largest_form)
    assert largest <= MAX_SLACK_BODY <= 1.3 * largest, (largest_modal, largest_click, largest_form)


def _encoded(payload: dict) -> int:
    return len(urlencode({"payload": json.dumps(payload, ensure_ascii=False)}).encode())


@pytest.mark.parametrize("running", [{"IDV_LOG_FORMAT": "json"}], indirect=True)
async def test_json_logs_are_one_object_a_line_with_a_field_a_value(running: Running) -> None:
    await running.post_unsigned(b"payload=%7B%7D")
    await wait_until(lambda: any("signature" in line for line in running.bot.lines))
    records = [json.loads(line) for line in running.bot.lines if line.startswith("{")]
    assert records and all({"time", "level", "logger", "message"} <= set(record) for record in records)
    assert not [line for line in running.bot.lines if not line.startswith("{") and "idv-bot ready" not in line]
