"""The message builders: pure functions from stored state to Block Kit."""

from __future__ import annotations

import json
import time

from bot import blocks
from storage import Execution
from tests.unit.factories import an_execution


def execution(**changes: object) -> Execution:
    return an_execution(**changes)


def _dump(message: blocks.Message) -> str:
    return message[0] + json.dumps(message[1])


def test_root_message_checklist_and_submit() -> None:
    text, body = blocks.root_message(execution(), {"FRONT"}, ("FRONT", "BACK", "FACE"))
    dumped = json.dumps(body)
    assert "CUST-42" in text and "<@U1>" in dumped
    assert ":white_check_mark: ID front" in dumped and ":white_square: ID back" in dumped
    assert blocks.ACTION_SUBMIT not in dumped
    _, body = blocks.root_message(execution(), {"FRONT", "FACE"}, ("FRONT", "BACK", "FACE"))
    assert blocks.ACTION_SUBMIT in json.dumps(body)


def test_root_message_after_the_decision() -> None:
    decided = execution(status="PROCESSED", decision_type="REJECTED", risk_score=92.0)
    text, body = blocks.root_message(decided, {"FRONT", "FACE"}, ("FRONT", "BACK", "FACE"))
    assert "REJECTED" in text and "Risk score" in json.dumps(body)
    assert blocks.ACTION_SUBMIT not in json.dumps(body) and "Photos" not in json.dumps(body)


def test_user_text_cannot_ping_or_link() -> None:
    text, _ = blocks.root_message(execution(customer_ref="<!channel> <https://evil|x>"), set(), ("FRONT",))
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text


def test_result_names_jumios_decision_and_labels_without_data() -> None:
    decided = execution(
        status="PROCESSED",
        decision_type="WARNING",
        decision_label="WARNING",
        risk_score=55.0,
        capabilities=[{"name": "similarity", "decision": "WARNING", "label": "NOT_POSSIBLE", "credentials": ["SELFIE"]}],
    )
    dumped = _dump(blocks.result_message(decided))
    assert "*WARNING*" in dumped and "similarity [SELFIE]: WARNING / NOT_POSSIBLE" in dumped and "55" in dumped


def test_every_status_has_words() -> None:
    statuses = ("PENDING", "INITIATED", "ACQUIRED", "TOKEN_EXPIRED", "SESSION_EXPIRED", "FAILED")
    described = [blocks.describe_status(execution(status=status)) for status in statuses]
    assert not any(":grey_question:" in words for words in described)  # none falls through to the raw status
    assert len(set(described)) == len(statuses)
    assert blocks.describe_status(execution(status="PROCESSED", decision_type="PASSED")).endswith("PASSED (verified)")


def test_link_message_is_the_only_one_with_the_link() -> None:
    href = "https://x.web.amer-1.jumio.ai/web/v4/app?authorizationToken=abc"
    assert href in _dump(blocks.link_message("CUST-42", href, time.time() + 3600))
    for message in (
        blocks.expired_message(execution(status="TOKEN_EXPIRED")),
        blocks.help_message(),
        blocks.submitted("U1"),
        blocks.ask_part(1, "x.png", ("FRONT", "FACE")),
    ):
        assert "authorizationToken" not in _dump(message)


def test_ask_part_offers_only_parts_the_workflow_takes() -> None:
    _, body = blocks.ask_part(3, "IMG.png", ("FRONT", "FACE"))
    buttons = [e for b in body if b["type"] == "actions" for e in b["elements"]]
    assert [b["value"] for b in buttons] == ["3:FRONT:IMG.png", "3:FACE:IMG.png"]  # the name, not read from text
    assert len({b["action_id"] for b in buttons}) == 2  # action ids unique within a message


def test_modal_fits_slacks_limits() -> None:
    for channel in ("C1", None):
        view = blocks.start_modal(channel)
        assert len(view["title"]["text"]) <= 24 and len(view["blocks"]) <= 100
        assert len(view["private_metadata"]) <= 3000
        assert json.loads(view["private_metadata"]) == {"channel_id": channel}
    assert any(b.get("block_id") == "channel" for b in blocks.start_modal(None)["blocks"])


def test_home_view_lists_open_first() -> None:
    now = time.time()
    done = execution(id=1, customer_ref="OLD", status="PROCESSED", decision_type="PASSED", created_at=now - 10)
    waiting = execution(id=2, customer_ref="NEW", status="INITIATED", created_at=now - 7200)
    view = blocks.home_view([done, waiting], now=now)
    text = json.dumps(view)
    assert text.index("NEW") < text.index("OLD") and "2 h ago" in text


def test_age() -> None:
    assert blocks.age(10) == "just now" and blocks.age(600) == "10 min ago" and blocks.age(3 * 86400) == "3 days ago"
