"""Slack's Block Kit limits, as Slack enforces them: the stand-in answers `invalid_blocks` (or `invalid_arguments`
for a view) when one is broken, so no builder can pass a test with a layout real Slack refuses.

slack_sdk's own models check most lengths (`Block.parse(...).validate_json()`, `View.validate_json()`); the rules it
does not check are added here from Slack's reference (https://api.slack.com/reference/block-kit/blocks): an actions
block holds 1–25 elements (each valid on its own: a button's text at most 75 characters, its value 2,000), a context
block 1–10, a section at most 10 fields of at most 2,000 characters, every
text object at most 3,000, a message at most 50 blocks, a modal or Home tab at most 100, `text` at most 40,000; and
uniqueness: an `action_id` "should be unique among all other action_ids in the containing block", a `block_id` unique
within a message or view (Block Kit reference: buttons, blocks; reference §13). Slack answers `invalid_blocks`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block, BlockElement
from slack_sdk.models.views import View

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_TEXT = 3000
MAX_FIELD = 2000
MAX_FALLBACK = 40_000


def text_objects(value: Any) -> Iterable[dict[str, Any]]:
    """Every text object (`plain_text` or `mrkdwn`) anywhere in a block."""
    if isinstance(value, dict):
        if value.get("type") in ("plain_text", "mrkdwn") and isinstance(value.get("text"), str):
            yield value
        for inner in value.values():
            yield from text_objects(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from text_objects(inner)


def block_problems(block: dict[str, Any]) -> list[str]:
    """What is wrong with one block; empty when Slack would take it."""
    problems = []
    kind = block.get("type")
    try:
        parsed = Block.parse(block)
        if parsed is None:
            return [f"unknown block type {kind!r}"]
        parsed.validate_json()
    except (SlackObjectFormationError, TypeError, KeyError, AttributeError) as exc:
        problems.append(f"{kind}: {exc}")
    if kind == "actions" and not 1 <= len(block.get("elements") or []) <= 25:
        problems.append("actions: must hold 1 to 25 elements")
    # slack_sdk validates a block, not the elements inside it: each element on its own.
    for element in [*(block.get("elements") or []), block.get("accessory")] if kind in ("actions", "section") else []:
        if not element:
            continue
        try:
            parsed_element = BlockElement.parse(element)
            if parsed_element is not None:
                parsed_element.validate_json()
        except (SlackObjectFormationError, TypeError, KeyError, AttributeError) as exc:
            problems.append(f"{kind} element: {exc}")
    if kind == "context" and not 1 <= len(block.get("elements") or []) <= 10:
        problems.append("context: must hold 1 to 10 elements")
    if kind == "section":
        fields = block.get("fields") or []
        if len(fields) > 10 or any(len(f.get("text", "")) > MAX_FIELD for f in fields):
            problems.append("section: at most 10 fields of at most 2000 characters")
        if not block.get("text") and not fields:
            problems.append("section: needs text or fields")
    for text in text_objects(block):
        if not text["text"]:
            problems.append(f"{kind}: empty text")
        if len(text["text"]) > MAX_TEXT:
            problems.append(f"{kind}: a text over {MAX_TEXT} characters")
    return problems


def _elements(block: dict[str, Any]) -> list[dict[str, Any]]:
    """The interactive elements a block holds: its elements, its accessory, an input's element."""
    found = [*(block.get("elements") or []), block.get("accessory"), block.get("element")]
    return [e for e in found if isinstance(e, dict) and "action_id" in e]


def duplicate_id_problems(blocks: list[dict[str, Any]]) -> list[str]:
    """Repeated `block_id`s in one message or view, and repeated `action_id`s in one block."""
    problems = []
    block_ids = [b["block_id"] for b in blocks if isinstance(b, dict) and b.get("block_id")]
    for repeated in sorted({i for i in block_ids if block_ids.count(i) > 1}):
        problems.append(f"block_id {repeated!r} is used by more than one block")
    for block in (b for b in blocks if isinstance(b, dict)):
        action_ids = [e["action_id"] for e in _elements(block)]
        for repeated in sorted({i for i in action_ids if action_ids.count(i) > 1}):
            problems.append(f"{block.get('type')}: action_id {repeated!r} is used by more than one element")
    return problems


def message_problems(text: str | None, blocks: list[dict[str, Any]] | None) -> list[str]:
    """What Slack would refuse in a message's `text` and `blocks`."""
    blocks = blocks or []
    problems = [p for block in blocks for p in block_problems(block)] + duplicate_id_problems(blocks)
    if len(blocks) > MAX_MESSAGE_BLOCKS:
        problems.append(f"{len(blocks)} blocks; a message holds at most {MAX_MESSAGE_BLOCKS}")
    if not blocks and not text:
        problems.append("no text and no blocks")
    if text and len(text) > MAX_FALLBACK:
        problems.append(f"text over {MAX_FALLBACK} characters")
    return problems


def view_problems(view: dict[str, Any]) -> list[str]:
    """What Slack would refuse in a modal or Home tab."""
    blocks = view.get("blocks") or []
    problems = [p for block in blocks for p in block_problems(block)] + duplicate_id_problems(blocks)
    if not 1 <= len(blocks) <= MAX_VIEW_BLOCKS:
        problems.append(f"{len(blocks)} blocks; a view holds 1 to {MAX_VIEW_BLOCKS}")
    try:
        View(**view).validate_json()
    except (SlackObjectFormationError, TypeError) as exc:
        problems.append(f"view: {exc}")
    return problems
