"""Every builder stays within Slack's Block Kit limits at extreme inputs, checked with slack_sdk's own models
(`Block.parse(...).validate_json()`, `View(...).validate_json()`) plus the limits they do not check (the stand-in's
`blockkit` rules): 100-character references of `&`, a 2,500-character link, 60 capabilities, 200 App Home rows,
file names that try to ping the channel."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from bot import blocks
from bot.blocks.kit import button as button_element
from bot.sandbox.slack.blockkit import message_problems, text_objects, view_problems
from storage import AuditEntry, Execution
from tests.unit.factories import an_execution

AMPERSANDS = "&" * 100
PING = "<!channel> x.png"
LONG_LINK = "https://web.amer-1.jumio.ai/web/v4/app?authorizationToken=" + "a" * (2500 - 58)
NOW = time.time()


def execution(**changes: object) -> Execution:
    """At the limits: a 100-character reference of `&`, a link that expires in an hour."""
    return an_execution(
        **{"customer_ref": AMPERSANDS, "web_expires_at": NOW + 3600, "created_at": NOW, "updated_at": NOW, **changes}
    )


SIXTY_CAPABILITIES = [
    {
        "name": f"capability{i}",
        "credentials": ["ID", "SELFIE"],
        "decision": "REJECTED",
        "label": "MANIPULATED_DOCUMENT_PHOTO_" + "X" * 40,
    }
    for i in range(60)
]
DECIDED = execution(
    status="PROCESSED", decision_type="REJECTED", decision_label="REJECTED", risk_score=92.0, capabilities=SIXTY_CAPABILITIES
)
HISTORY = [
    (
        execution(id=n),
        [AuditEntry(id=k, at=NOW, actor="U1", action="photo_rejected", execution=n, detail="x" * 300) for k in range(40)],
    )
    for n in range(12)
]

MESSAGES: dict[str, Callable[[], blocks.Message]] = {
    "root, waiting": lambda: blocks.root_message(execution(), {"FRONT", "FACE"}, ("FRONT", "BACK", "FACE")),
    "root, no parts": lambda: blocks.root_message(execution(), set(), ()),
    "root, decided": lambda: blocks.root_message(DECIDED, {"FRONT"}, ("FRONT",)),
    "link message": lambda: blocks.link_message(AMPERSANDS, LONG_LINK, NOW, LONG_LINK),
    "consent link": lambda: blocks.consent_link_message(AMPERSANDS, LONG_LINK),
    "part received": lambda: blocks.part_received("FRONT", True, PING * 20),
    "file rejected": lambda: blocks.file_rejected(PING * 20, "r" * 3000),
    "ask part": lambda: blocks.ask_part(1, PING * 20, ("FRONT", "BACK", "FACE")),
    "ask part, none taken": lambda: blocks.ask_part(1, PING, ()),
    "part chosen": lambda: blocks.part_chosen(PING * 20, "FACE", "U1"),
    "result, 60 capabilities": lambda: blocks.result_message(DECIDED),
    "result, nothing": lambda: blocks.result_message(execution(status="PROCESSED", risk_score=-1.0)),
    "expired": lambda: blocks.expired_message(execution(status="TOKEN_EXPIRED")),
    "job failed": lambda: blocks.job_failed("t" * 200, "r" * 3000, 1),
    "thread closed": lambda: blocks.thread_closed(AMPERSANDS, "r" * 500, "s" * 3000),
    "already open": lambda: blocks.already_open(execution(), AMPERSANDS),
    "status, long": lambda: blocks.status_message(AMPERSANDS, HISTORY, page=1),
    "status, empty": lambda: blocks.status_message(AMPERSANDS, []),
    "taken over": lambda: blocks.taken_over("U1", "U2"),
    "drop again": lambda: blocks.drop_again(PING * 20, "r" * 3000),
    "held": lambda: blocks.photo_held("BACK", PING * 20),
    "submitted on web": lambda: blocks.submitted_on_web(NOW),
    "help": blocks.help_message,
    "refusal": blocks.refusal,
}

ROWS = [execution(id=n, customer_ref=f"CUST-{n}-" + AMPERSANDS[:80]) for n in range(200)]
VIEWS: dict[str, Callable[[], dict[str, Any]]] = {
    "home, 200 + 200 rows": lambda: blocks.home_view(ROWS, ROWS),
    "home, empty": lambda: blocks.home_view([], []),
    "link modal": lambda: blocks.link_modal(AMPERSANDS, LONG_LINK, NOW, LONG_LINK),
    "held by another": lambda: blocks.held_by_other_modal(AMPERSANDS, 7, "U2", NOW, "C1"),
    "no link": lambda: blocks.no_link_modal("r" * 3000),
    "taking over": lambda: blocks.taking_over_modal(AMPERSANDS),
    "form from a channel": lambda: blocks.start_modal("C1"),
    "form from App Home": lambda: blocks.start_modal(None),
    "stale form": blocks.stale_form,
}


@pytest.mark.parametrize("name", MESSAGES)
def test_every_message_is_within_slacks_limits(name: str) -> None:
    text, body = MESSAGES[name]()
    assert message_problems(text, body) == []


@pytest.mark.parametrize("name", VIEWS)
def test_every_view_is_within_slacks_limits(name: str) -> None:
    assert view_problems(VIEWS[name]()) == []


@pytest.mark.parametrize("name", MESSAGES)
def test_nothing_typed_pings_or_links_in_the_text_or_blocks(name: str) -> None:
    """What Slack renders (the fallback text and every text object) carries typed text escaped; a button's value
    is not rendered, and carries what its handler needs as it was."""
    text, body = MESSAGES[name]()
    assert "<!channel>" not in text and not any("<!channel>" in t["text"] for t in text_objects(body))


def test_a_long_link_stays_whole_and_copyable() -> None:
    _text, body = blocks.link_message("CUST-42", LONG_LINK, NOW)
    assert any(f"```{LONG_LINK}```" in json.dumps(block) for block in body)


def test_an_answer_that_needs_more_than_50_blocks_says_what_it_left_out() -> None:
    _text, body = blocks.result_message(
        execution(status="PROCESSED", decision_type="REJECTED", capabilities=SIXTY_CAPABILITIES * 30)
    )
    assert len(body) == 50 and "more not shown" in json.dumps(body[-1])


def test_the_checks_catch_what_slack_refuses() -> None:
    """The rules above can fail: each known way Slack says invalid_blocks is caught."""
    assert message_problems("t", [{"type": "actions", "elements": []}])
    assert message_problems("t", [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}])
    assert message_problems("t", [{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}])
    assert message_problems("t", [{"type": "context", "elements": [{"type": "mrkdwn", "text": "x" * 3001}]}])
    assert message_problems("t", [{"type": "section", "text": {"type": "mrkdwn", "text": "x"}}] * 51)
    button = {"type": "button", "text": {"type": "plain_text", "text": "x" * 76}, "action_id": "a", "value": "v"}
    assert message_problems("t", [{"type": "actions", "elements": [button]}])
    title = {"type": "plain_text", "text": "x" * 25}
    assert view_problems({"type": "modal", "title": title, "blocks": [blocks.notice("x")[1][0]]})
    assert view_problems({"type": "home", "blocks": [blocks.notice("x")[1][0]] * 101})
    with pytest.raises(ValueError):  # a button's value is what its handler reads: never cut, refused
        button_element("x", "a", "v" * 2001)
