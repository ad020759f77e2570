"""Answers to an agent: refusals, help, status, an already open verification, and App Home."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Any

from bot.blocks.kit import (
    ACTION_OPEN_START_MODAL,
    ACTION_START_ANYWAY,
    Blocks,
    Message,
    age,
    button,
    describe_status,
    escape,
    section,
    slack_date,
    text_obj,
)
from storage import Execution


def already_open(execution: Execution, reference: str) -> Message:
    text = (f"{escape(reference)} already has an open verification, started by <@{execution.started_by}> "
            f"{slack_date(execution.created_at)} in <#{execution.channel_id}> ({describe_status(execution)}).")
    return text, [section(text), {"type": "actions", "elements": [
        button("Start another anyway", ACTION_START_ANYWAY, reference)]}]


def refusal() -> Message:
    text = ("Sorry, you can't use identity verification here. Ask your team lead to add you (or this channel) to "
            "the bot's allowed list.")
    return text, [section(f":no_entry_sign: {text}")]


def help_message() -> Message:
    lines = [
        "*Identity verification with Jumio*",
        "• `/verify CUST-42` starts a verification for that customer reference: a message appears in this channel,"
        " and you get a private link for the customer.",
        "• Or drop the customer's ID *front*, *back* and *selfie* (JPEG or PNG, up to 15 MB) in that message's"
        " thread; name each file (or say in the message) which one it is.",
        "• It is submitted to Jumio once all three are in; for a passport, press *Submit* after the front and"
        " selfie.",
        "• The decision (PASSED, WARNING, REJECTED or NOT_EXECUTED) appears in the thread.",
        "• `/verify` alone opens a form with optional supporting data; `/verify status CUST-42` shows a customer's"
        " verifications.",
    ]
    return "How to use /verify", [section("\n".join(lines))]


def status_message(reference: str, executions: Sequence[Execution], history: dict[int, list[str]]) -> Message:
    if not executions:
        text = f"No verifications for {reference} yet. Start one with `/verify {reference}`."
        return text, [section(escape(text))]
    blocks: Blocks = [section(f"*Verifications for {escape(reference)}*")]
    for execution in executions:
        line = (f"*#{execution.id}* {describe_status(execution)} · started by <@{execution.started_by}> "
                f"{slack_date(execution.created_at)} in <#{execution.channel_id}>")
        steps = history.get(execution.id) or []
        blocks.append(section(line + ("\n" + "\n".join(f"   {s}" for s in steps) if steps else "")))
    return f"Verifications for {reference}", blocks[:50]


def home_view(executions: Iterable[Execution], now: float | None = None) -> dict[str, Any]:
    """App Home: the agent's recent verifications, open first, with age and status, and a start button."""
    now = now or time.time()
    ordered = sorted(executions, key=lambda e: (not e.is_open, -e.created_at))
    blocks: Blocks = [
        {"type": "header", "text": text_obj("plain_text", "Your identity verifications")},
        {"type": "actions", "elements": [button("Start a verification", ACTION_OPEN_START_MODAL, "home",
                                                 style="primary")]},
        {"type": "divider"},
    ]
    if not ordered:
        blocks.append(section("You have not started any verifications yet."))
    for execution in ordered[:40]:
        blocks.append(section(f"*{escape(execution.customer_ref)}* · {describe_status(execution)} · "
                               f"{age(now - execution.created_at)} · <#{execution.channel_id}>"))
    return {"type": "home", "blocks": blocks}


UPLOAD_REFUSED = ":no_entry_sign: Only verification agents can send photos to Jumio; your file was not sent."
STALE_BUTTON = (":grey_question: That button belongs to something that no longer exists or has moved on; nothing "
                "was done.")


def status_usage(problem: str) -> str:
    return f"{problem} Usage: `/verify status CUST-42`"


def form_failed(code: str) -> str:
    return f"I could not open the form ({code}). Try `/verify CUST-42` instead."


def starting(reference: str) -> str:
    return f":hourglass_flowing_sand: Starting a verification for {escape(reference)}…"

