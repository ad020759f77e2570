"""The kit every builder uses: ids the listeners register, Block Kit elements, escaping, dates, status words."""

from __future__ import annotations

import datetime as dt
from typing import Any

from storage import Execution

Blocks = list[dict[str, Any]]
Message = tuple[str, Blocks]

PART_LABELS = {"FRONT": "ID front", "BACK": "ID back", "FACE": "Selfie"}
PART_ORDER = ("FRONT", "BACK", "FACE")

# Action, view and block ids the listeners register.
ACTION_CHOOSE_PART = "choose_part"
ACTION_SUBMIT = "submit_verification"
ACTION_NEW_LINK = "new_link"
ACTION_RETRY = "retry_job"
ACTION_START_ANYWAY = "start_anyway"
ACTION_OPEN_START_MODAL = "open_start_modal"
VIEW_START = "start_verification"

STATUS_WORDS = {
    "PENDING": (":hourglass_flowing_sand:", "Creating the Jumio account"),
    "INITIATED": (":inbox_tray:", "Waiting for the customer's photos"),
    "ACQUIRED": (":gear:", "Submitted; Jumio is checking"),
    "PROCESSED": (":white_check_mark:", "Decided"),
    "TOKEN_EXPIRED": (":alarm_clock:", "Link expired before it was used"),
    "SESSION_EXPIRED": (":alarm_clock:", "Session expired before it was finished"),
    "FAILED": (":warning:", "Could not start"),
    "SUPERSEDED": (":arrows_counterclockwise:", "Replaced once the customer consented"),
    "GONE": (":warning:", "Jumio no longer has it"),
}
DECISION_MARKS = {
    "PASSED": ":large_green_circle:",
    "WARNING": ":large_yellow_circle:",
    "REJECTED": ":red_circle:",
    "NOT_EXECUTED": ":white_circle:",
}


def text_obj(kind: str, text: str) -> dict[str, Any]:
    return {"type": kind, "text": text}


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": text_obj("mrkdwn", text)}


def context(*texts: str) -> dict[str, Any]:
    return {"type": "context", "elements": [text_obj("mrkdwn", t) for t in texts]}


def button(label: str, action_id: str, value: str, style: str | None = None, confirm: dict | None = None
            ) -> dict[str, Any]:
    button: dict[str, Any] = {"type": "button", "text": text_obj("plain_text", label), "action_id": action_id,
                              "value": value}
    if style:
        button["style"] = style
    if confirm:
        button["confirm"] = confirm
    return button


def escape(text: str) -> str:
    """Slack mrkdwn escaping of user-typed text (`&`, `<`, `>`), so a reference cannot ping or link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


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


def describe_status(execution: Execution) -> str:
    """The one mapping from a Jumio status and decision to the words Slack shows."""
    if execution.status == "PROCESSED" and execution.decision_type:
        return f"{DECISION_MARKS.get(execution.decision_type, ':white_circle:')} {execution.decision_type}"
    emoji, words = STATUS_WORDS.get(execution.status, (":grey_question:", execution.status))
    return f"{emoji} {words}"
