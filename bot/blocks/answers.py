"""Answers to an agent: refusals, help, status, an already open verification, and App Home."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from bot.blocks.audit import words_for
from bot.blocks.kit import (
    ACTION_CONNECT,
    ACTION_DISCONNECT,
    ACTION_OPEN_START_MODAL,
    ACTION_START_ANYWAY,
    ACTION_STATUS_NEWER,
    ACTION_STATUS_OLDER,
    MAX_VIEW_BLOCKS,
    Blocks,
    Message,
    actions,
    age,
    button,
    context,
    describe_status,
    escape,
    fit,
    header,
    section,
    sections,
    slack_date,
    text_obj,
)
from storage import AuditEntry, Execution


def already_open(execution: Execution, reference: str) -> Message:
    text = (
        f"{escape(reference)} already has an open verification, started by <@{execution.started_by}> "
        f"{slack_date(execution.created_at)} in <#{execution.channel_id}> ({describe_status(execution)})."
    )
    return text, [section(text), *actions(button("Start another anyway", ACTION_START_ANYWAY, reference))]


def refusal() -> Message:
    text = (
        "Sorry, you can't use identity verification here. Ask your team lead to add you (or this channel) to "
        "the bot's allowed list."
    )
    return text, [section(f":no_entry_sign: {text}")]


def help_message() -> Message:
    lines = [
        "*Identity verification with Jumio*",
        "• `/verify CUST-42` starts a verification for that customer reference: a message appears in this channel,"
        " and you get a private link for the customer.",
        "• Or drop the customer's ID *front*, *back* and *selfie* (JPEG or PNG, up to 15 MB) in that message's"
        " thread; name each file (or say in the message) which one it is.",
        "• It is submitted to Jumio once all three are in; for a passport, press *Submit* after the front and selfie.",
        "• The decision (PASSED, WARNING, REJECTED or NOT_EXECUTED) appears in the thread.",
        "• `/verify` alone opens a form with optional supporting data; `/verify status CUST-42` shows a customer's"
        " verifications.",
        "• `/verify erase CUST-42` (admins only) deletes the customer's data at Jumio and here, after a confirmation.",
    ]
    return "How to use /verify", [section("\n".join(lines))]


STATUS_LINES_PER_PAGE = 40


def status_message(
    reference: str,
    history: Sequence[tuple[Execution, Sequence[AuditEntry]]],
    *,
    page: int = 0,
    where: Callable[[str], str] = lambda channel: f"<#{channel}>",
) -> Message:
    """A customer's verifications, newest first, each with its whole history in plain words, newest first; paged
    (Newer / Older buttons). `where` names a channel (a private one only to its members)."""
    if not history:
        text = f"No verifications for {escape(reference)} yet. Start one with `/verify {escape(reference)}`."
        return text, [section(text)]
    lines: list[str] = []
    for execution, entries in history:
        lines.append(
            f"*#{execution.id}* {describe_status(execution)} · started by <@{execution.started_by}> "
            f"{slack_date(execution.created_at)} in {where(execution.channel_id)}"
        )
        lines += [f"      {words_for(entry)}" for entry in entries]
    pages = max(1, -(-len(lines) // STATUS_LINES_PER_PAGE))
    page = min(max(page, 0), pages - 1)
    shown = lines[page * STATUS_LINES_PER_PAGE : (page + 1) * STATUS_LINES_PER_PAGE]
    title = f"*Verifications for {escape(reference)}*" + (f"  (page {page + 1} of {pages})" if pages > 1 else "")
    blocks: Blocks = [section(title), *sections(shown)]
    blocks += actions(
        button("Newer", ACTION_STATUS_NEWER, f"{page - 1}:{reference}") if page > 0 else None,
        button("Older", ACTION_STATUS_OLDER, f"{page + 1}:{reference}") if page + 1 < pages else None,
    )
    return fit(f"Verifications for {escape(reference)}", blocks)


def home_view(
    mine: Iterable[Execution],
    others_open: Sequence[Execution] = (),
    now: float | None = None,
    connection: tuple[str, bool] | None = None,
    last_looked: float | None = None,
) -> dict[str, Any]:
    """App Home: the agent's recent verifications (those decided since they `last_looked` first, then open ones),
    then the open ones in their channels that others started, the longest untouched first (a team lead takes those
    over); each with status and age. With `connection` (the connect URL, and whether this agent is connected):
    connecting their Slack user."""
    now = now or time.time()

    def news(execution: Execution) -> bool:
        return last_looked is not None and execution.is_final and (execution.completed_at or 0) > last_looked

    ordered = sorted(mine, key=lambda e: (not news(e), not e.is_open, -e.created_at))
    fresh = sum(1 for execution in ordered[:HOME_ROWS] if news(execution))
    blocks: Blocks = [
        header("Your identity verifications"),
        *actions(button("Start a verification", ACTION_OPEN_START_MODAL, "home", style="primary")),
        *_connection(connection),
        {"type": "divider"},
    ]
    if not ordered:
        blocks.append(section("You have not started any verifications yet."))
    if fresh:
        blocks.append(context(f":bell: {fresh} decided since you last looked, first below."))
    blocks += [_home_row(execution, now, new=news(execution)) for execution in ordered[:HOME_ROWS]]
    if len(ordered) > HOME_ROWS:
        blocks.append(context(f"…and {len(ordered) - HOME_ROWS} older ones: `/verify status <reference>` finds any."))
    blocks += [
        {"type": "divider"},
        header("Open in your channels"),
        context("Verifications others started that are still open, the longest untouched first."),
    ]
    if not others_open:
        blocks.append(section("Nothing open in your channels."))
    blocks += [_home_row(execution, now, who=True) for execution in others_open[:HOME_ROWS]]
    if len(others_open) > HOME_ROWS:
        blocks.append(context(f"…and {len(others_open) - HOME_ROWS} more."))
    return {"type": "home", "blocks": blocks[:MAX_VIEW_BLOCKS]}


def _connection(connection: tuple[str, bool] | None) -> Blocks:
    if connection is None:
        return []
    url, connected = connection
    if connected:
        return [
            context(
                ":white_check_mark: Your Slack user is connected: the bot deletes the photos you drop in "
                "verification threads once Jumio has them."
            ),
            *actions(button("Disconnect", ACTION_DISCONNECT, "home")),
        ]
    return [
        context(
            "Photos you drop in a thread stay in the channel until you delete them. Connect your Slack user "
            "once and the bot deletes them for you after Jumio has them (it asks only to delete your files)."
        ),
        *actions(
            {
                "type": "button",
                "action_id": ACTION_CONNECT,
                "url": url,
                "text": text_obj("plain_text", "Connect my Slack user"),
            }
        ),
    ]


# Two sections of rows, their headings and notes, within the 100 blocks of a Home tab.
HOME_ROWS = 44


def _home_row(execution: Execution, now: float, who: bool = False, new: bool = False) -> dict[str, Any]:
    started = f" · <@{execution.started_by}>" if who else ""
    touched = f"untouched {age(now - execution.updated_at)}" if who else age(now - execution.created_at)
    mark = ":new: " if new else ""
    return section(
        f"{mark}*{escape(execution.customer_ref)}* · {describe_status(execution)}{started} · {touched} · "
        f"<#{execution.channel_id}>"
    )


NOT_IN_CHANNEL = (
    "I am not in that channel, so I could not post the verification there. Add me first (in the channel: "
    "/invite and the app's name, or the channel's details → Integrations → Add apps), then press Start "
    "again."
)
UPLOAD_REFUSED = ":no_entry_sign: Only verification agents can send photos to Jumio; your file was not sent."
STALE_BUTTON = ":grey_question: That button belongs to something that no longer exists or has moved on; nothing was done."


def status_usage(problem: str) -> str:
    return f"{problem} Usage: `/verify status CUST-42`"


def form_failed(code: str) -> str:
    return f"I could not open the form ({code}). Try `/verify CUST-42` instead."


def starting(reference: str) -> str:
    return f":hourglass_flowing_sand: Starting a verification for {escape(reference)}…"


def too_many_starts(limit: int, period: str) -> str:
    return (
        f":no_entry_sign: You started {limit} verifications in the last {period}, the most one agent may (each is "
        f"a paid Jumio check). Nothing was started; try again later, or ask an admin to raise the limit."
    )
