"""The kit every builder uses: ids the listeners register, Block Kit elements, escaping, dates, status words."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from bot.blocks import decisions
from bot.jumio import DecisionType
from storage import Execution, Status

Blocks = list[dict[str, Any]]
Message = tuple[str, Blocks]

PART_LABELS = {"FRONT": "ID front", "BACK": "ID back", "FACE": "Selfie"}
PART_ORDER = ("FRONT", "BACK", "FACE")

# Action, view and block ids the listeners register.
ACTION_CHOOSE_PART = "choose_part"
ACTION_SUBMIT = "submit_verification"
ACTION_NEW_LINK = "new_link"
ACTION_RETRY = "retry_job"
ACTION_SHOW_LINK = "show_link"
ACTION_STATUS_PAGE = "status_page"  # still registered: answers posted before the two ids below
# Slack refuses two elements of one block with the same action_id (invalid_blocks): the pager's buttons differ.
ACTION_STATUS_NEWER = "status_page_newer"
ACTION_STATUS_OLDER = "status_page_older"
ACTION_TAKE_OVER = "take_over_link"
ACTION_START_ANYWAY = "start_anyway"
ACTION_OPEN_START_MODAL = "open_start_modal"
ACTION_PRIVATE_PHOTOS = "private_photos"
ACTION_DISCONNECT = "disconnect_slack_user"
ACTION_CONNECT = "connect_slack_user"  # a link button (it opens /slack/install); Slack still sends its click
VIEW_START = "start_verification"

STATUS_WORDS: dict[Status, tuple[str, str]] = {
    Status.PENDING: (":hourglass_flowing_sand:", "Creating the Jumio account"),
    Status.INITIATED: (":inbox_tray:", "Waiting for the customer's photos"),
    Status.ACQUIRED: (":gear:", "Submitted; Jumio is checking"),
    Status.PROCESSED: (":white_check_mark:", "Decided"),
    Status.TOKEN_EXPIRED: (":alarm_clock:", "Link expired before it was used"),
    Status.SESSION_EXPIRED: (":alarm_clock:", "Session expired before it was finished"),
    Status.FAILED: (":warning:", "Could not start"),
    Status.SUPERSEDED: (":arrows_counterclockwise:", "Replaced by a newer attempt (consent or take-over)"),
    Status.GONE: (":warning:", "Jumio no longer has it"),
    Status.ERASED: (":wastebasket:", "Stopped and erased"),
}
DECISION_MARKS: dict[DecisionType, str] = {
    DecisionType.PASSED: ":large_green_circle:",
    DecisionType.WARNING: ":large_yellow_circle:",
    DecisionType.REJECTED: ":red_circle:",
    DecisionType.NOT_EXECUTED: ":white_circle:",
}


# Slack's Block Kit limits (https://api.slack.com/reference/block-kit): builders stay below them by construction.
MAX_SECTION_TEXT = 3000
MAX_HEADER = 150
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_ACTION_ID = 255
MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_MODAL_TITLE = 24
MAX_FALLBACK = 3000  # Slack takes 40,000 but shows about 4,000 in a notification


def cut(text: str, limit: int) -> str:
    """`text` within `limit` characters, an ellipsis marking what was cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def text_obj(kind: str, text: str, limit: int = MAX_SECTION_TEXT) -> dict[str, Any]:
    return {"type": kind, "text": cut(text, limit) or " "}


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": text_obj("mrkdwn", text)}


def sections(lines: list[str], limit: int = MAX_SECTION_TEXT) -> Blocks:
    """Lines as few sections as fit Slack's limit, split between lines (a longer line is cut)."""
    blocks: Blocks = []
    current: list[str] = []
    size = 0
    for line in (cut(line, limit) for line in lines):
        if current and size + 1 + len(line) > limit:
            blocks.append(section("\n".join(current)))
            current, size = [], 0
        current.append(line)
        size += len(line) + (1 if size else 0)
    if current:
        blocks.append(section("\n".join(current)))
    return blocks


def header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": text_obj("plain_text", text, MAX_HEADER)}


def context(*texts: str) -> dict[str, Any]:
    return {"type": "context", "elements": [text_obj("mrkdwn", t) for t in texts[:10]]}


def button(label: str, action_id: str, value: str, style: str | None = None, confirm: dict | None = None) -> dict[str, Any]:
    """A button; its value is what the handler reads, so a value over Slack's limit is a bug, not something to cut."""
    if len(value) > MAX_BUTTON_VALUE or len(action_id) > MAX_ACTION_ID:
        raise ValueError(f"button {action_id!r}: value or action_id over Slack's limit")
    button: dict[str, Any] = {
        "type": "button",
        "text": text_obj("plain_text", label, MAX_BUTTON_TEXT),
        "action_id": action_id,
        "value": value,
    }
    if style:
        button["style"] = style
    if confirm:
        button["confirm"] = confirm
    return button


def actions(*elements: dict[str, Any] | None, block_id: str | None = None) -> Blocks:
    """An actions block of the given elements (None ones left out), or nothing: Slack refuses an empty one."""
    present = [element for element in elements if element is not None][:25]
    if not present:
        return []
    block: dict[str, Any] = {"type": "actions", "elements": present}
    if block_id:
        block["block_id"] = block_id
    return [block]


def confirm_dialog(title: str, text: str, yes: str, no: str) -> dict[str, Any]:
    return {
        "title": text_obj("plain_text", title, 100),
        "text": text_obj("plain_text", text, 300),
        "confirm": text_obj("plain_text", yes, 30),
        "deny": text_obj("plain_text", no, 30),
    }


def fit(text: str, blocks: Blocks, limit: int = MAX_MESSAGE_BLOCKS) -> Message:
    """A message within Slack's limits: the fallback text cut, at most `limit` blocks (the last says more exist)."""
    if len(blocks) > limit:
        blocks = [*blocks[: limit - 1], context(f"…and {len(blocks) - limit + 1} more not shown.")]
    return cut(text, MAX_FALLBACK), blocks


def escape(text: str) -> str:
    """Slack mrkdwn escaping of user-typed text (`&`, `<`, `>`), so a reference cannot ping or link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def plain(text: str) -> str:
    """Mrkdwn text for a plain-text place (a form's field error): emoji codes and bold marks taken out."""
    return re.sub(r":[a-z0-9_+-]+: ", "", text).replace("*", "")


def slack_date(epoch: float, fallback_format: str = "%Y-%m-%d %H:%M UTC") -> str:
    fallback = dt.datetime.fromtimestamp(epoch, dt.UTC).strftime(fallback_format)
    return f"<!date^{int(epoch)}^{{date_short_pretty}} {{time}}|{fallback}>"


def age(seconds: float) -> str:
    if seconds < 90:
        return "just now"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} min ago"
    if seconds < 36 * 3600:
        return f"{round(seconds / 3600)} h ago"
    return f"{round(seconds / 86400)} days ago"


def decision_mark(decision: str | None) -> str:
    """A decision type's mark; a type Jumio may add later gets the neutral one."""
    if decision is None or decision not in DecisionType.__members__:
        return ":white_circle:"
    return DECISION_MARKS[DecisionType(decision)]


def describe_status(execution: Execution) -> str:
    """The one mapping from a Jumio status and decision to the words Slack shows."""
    erased = " · erased" if execution.erased_by and execution.status != Status.ERASED else ""
    if execution.status == Status.PROCESSED and execution.decision_type:
        words = decisions.meaning(execution.decision_type).words
        mark = decision_mark(execution.decision_type)
        return f"{mark} {execution.decision_type} ({words}){erased}"
    emoji, words = STATUS_WORDS.get(execution.status, (":grey_question:", execution.status))
    return f"{emoji} {words}{erased}"
