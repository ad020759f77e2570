"""Block Kit builders: pure functions from the bot's state to what Slack shows. One place builds each message.

Each message builder returns `(text, blocks)`: `text` is the notification fallback Slack requires beside blocks.
Nothing here shows extracted personal data, a token or a Web Client link, except `link_message`, which is only ever
sent to the requesting agent privately.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterable, Sequence
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

_STATUS = {
    "PENDING": (":hourglass_flowing_sand:", "Creating the Jumio account"),
    "INITIATED": (":inbox_tray:", "Waiting for the customer's photos"),
    "ACQUIRED": (":gear:", "Submitted; Jumio is checking"),
    "PROCESSED": (":white_check_mark:", "Decided"),
    "TOKEN_EXPIRED": (":alarm_clock:", "Link expired before it was used"),
    "SESSION_EXPIRED": (":alarm_clock:", "Session expired before it was finished"),
    "FAILED": (":warning:", "Could not start"),
}
_DECISION = {
    "PASSED": ":large_green_circle:",
    "WARNING": ":large_yellow_circle:",
    "REJECTED": ":red_circle:",
    "NOT_EXECUTED": ":white_circle:",
}


def _text(kind: str, text: str) -> dict[str, Any]:
    return {"type": kind, "text": text}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": _text("mrkdwn", text)}


def _context(*texts: str) -> dict[str, Any]:
    return {"type": "context", "elements": [_text("mrkdwn", t) for t in texts]}


def _button(label: str, action_id: str, value: str, style: str | None = None, confirm: dict | None = None
            ) -> dict[str, Any]:
    button: dict[str, Any] = {"type": "button", "text": _text("plain_text", label), "action_id": action_id,
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
        return f"{_DECISION.get(execution.decision_type, ':white_circle:')} {execution.decision_type}"
    emoji, words = _STATUS.get(execution.status, (":grey_question:", execution.status))
    return f"{emoji} {words}"


def checklist(uploaded: set[str], accepted_parts: Sequence[str]) -> str:
    marks = []
    for part in PART_ORDER:
        if part not in accepted_parts:
            continue
        marks.append(f"{':white_check_mark:' if part in uploaded else ':white_square:'} {PART_LABELS[part]}")
    return "   ".join(marks)


def root_message(execution: Execution, uploaded: set[str], accepted_parts: Sequence[str]) -> Message:
    """The verification's root message: who, for which customer, the status and the photo checklist."""
    reference = escape(execution.customer_ref)
    text = f"Identity verification for {reference}: {describe_status(execution)}"
    fields = [
        _text("mrkdwn", f"*Customer*\n{reference}"),
        _text("mrkdwn", f"*Started by*\n<@{execution.started_by}>"),
        _text("mrkdwn", f"*Status*\n{describe_status(execution)}"),
    ]
    if execution.risk_score is not None and execution.status == "PROCESSED":
        fields.append(_text("mrkdwn", f"*Risk score*\n{execution.risk_score:g}"))
    blocks: Blocks = [
        {"type": "header", "text": _text("plain_text", f"Identity verification: {execution.customer_ref}"[:150])},
        {"type": "section", "fields": fields},
    ]
    if accepted_parts and execution.status in ("PENDING", "INITIATED", "ACQUIRED"):
        blocks.append(_section(f"*Photos*  {checklist(uploaded, accepted_parts)}"))
    if execution.status == "INITIATED":
        hint = "Drop the customer's photos in this thread, naming each *front*, *back* or *selfie*"
        started = slack_date(execution.created_at)
        blocks.append(_context(f"{hint}, or send the customer the private link. Started {started}."))
        if {"FRONT", "FACE"} <= uploaded:
            blocks.append({"type": "actions", "elements": [
                _button("Submit", ACTION_SUBMIT, str(execution.id), style="primary",
                        confirm={"title": _text("plain_text", "Submit to Jumio?"),
                                 "text": _text("mrkdwn", "Photos can no longer be added once submitted."),
                                 "confirm": _text("plain_text", "Submit"), "deny": _text("plain_text", "Not yet")}),
            ]})
    else:
        blocks.append(_context(f"Started {slack_date(execution.created_at)}"))
    return text, blocks


def link_message(customer_ref: str, web_href: str, expires_at: float | None) -> Message:
    """The Web Client link, for the requesting agent's eyes only."""
    valid = f"It stays valid until {slack_date(expires_at)}" if expires_at else "It stays valid for a limited time"
    text = f"Private link for {customer_ref}'s identity verification"
    blocks: Blocks = [
        _section(f":lock: *Only you can see this.* Send this link to the customer {escape(customer_ref)} through a "
                 f"channel you trust; it opens Jumio's page for their ID and selfie.\n<{web_href}|Open the "
                 f"verification page>"),
        _context(f"{valid}, until the customer starts. Do not paste it in a channel."),
    ]
    return text, blocks


def part_received(part: str, replaced: bool, filename: str) -> Message:
    label = PART_LABELS.get(part, part)
    if replaced:
        text = f":repeat: {label} replaced by {escape(filename)}; Jumio has the new one."
    else:
        text = f":white_check_mark: {label} sent to Jumio ({escape(filename)})."
    return text, [_section(text)]


def file_rejected(filename: str, reason: str) -> Message:
    text = f":no_entry: {escape(filename)} was not sent to Jumio: {reason}"
    return text, [_section(text)]


def ask_part(upload_id: int, filename: str, accepted_parts: Sequence[str]) -> Message:
    text = f"Which photo is {filename}?"
    buttons = [_button(PART_LABELS[p], ACTION_CHOOSE_PART + f"_{p.lower()}", f"{upload_id}:{p}")
               for p in PART_ORDER if p in accepted_parts]
    return text, [_section(f":question: Which photo is *{escape(filename)}*? (Name files *front*, *back* or "
                           "*selfie* and I will know.)"),
                  {"type": "actions", "block_id": f"choose_part_{upload_id}", "elements": buttons}]


def part_chosen(filename: str, part: str, user_id: str) -> Message:
    text = f"{escape(filename)}: {PART_LABELS.get(part, part)} (chosen by <@{user_id}>); sending it to Jumio."
    return text, [_section(text)]


def submitted(user_id: str | None) -> Message:
    who = f" by <@{user_id}>" if user_id else ""
    text = f":outbox_tray: Submitted to Jumio{who}. The decision will appear here."
    return text, [_section(text)]


def result_message(execution: Execution) -> Message:
    """The decision, as Jumio names it, with capability labels and the risk score; no extracted data."""
    decision = execution.decision_type or "NOT_EXECUTED"
    label = execution.decision_label
    headline = f"{_DECISION.get(decision, ':white_circle:')} *{decision}*"
    if label and label != decision:
        headline += f" ({label})"
    text = f"Jumio decision for {execution.customer_ref}: {decision}"
    lines = []
    for capability in execution.capabilities:
        credentials = ", ".join(capability.get("credentials") or [])
        suffix = f" [{credentials}]" if credentials else ""
        lines.append(f"• {capability['name']}{suffix}: {capability['decision']} / {capability.get('label') or '—'}")
    blocks: Blocks = [_section(f"Jumio's decision for {escape(execution.customer_ref)}: {headline}")]
    if execution.risk_score is not None:
        blocks.append(_context(f"Risk score {execution.risk_score:g} (-1 to 100; higher is riskier)"))
    if lines:
        blocks.append(_section("\n".join(lines)))
    return text, blocks


def expired_message(execution: Execution) -> Message:
    words = ("The link expired before the customer used it" if execution.status == "TOKEN_EXPIRED"
             else "The customer's session expired before it was finished")
    text = f":alarm_clock: {words} ({execution.status}). A new link starts a new attempt for the same customer."
    return text, [_section(text), {"type": "actions", "elements": [
        _button("New link", ACTION_NEW_LINK, str(execution.id), style="primary")]}]


def new_link_started(user_id: str) -> Message:
    text = f":link: <@{user_id}> asked for a new link; the checklist starts again."
    return text, [_section(text)]


def job_failed(what: str, reason: str, job_id: int) -> Message:
    text = f":warning: {what} failed: {reason}"
    return text, [_section(text), {"type": "actions", "elements": [
        _button("Retry", ACTION_RETRY, str(job_id))]}]


def notice(text: str) -> Message:
    return text, [_section(text)]


def already_open(execution: Execution, reference: str) -> Message:
    text = (f"{escape(reference)} already has an open verification, started by <@{execution.started_by}> "
            f"{slack_date(execution.created_at)} in <#{execution.channel_id}> ({describe_status(execution)}).")
    return text, [_section(text), {"type": "actions", "elements": [
        _button("Start another anyway", ACTION_START_ANYWAY, reference)]}]


def refusal() -> Message:
    text = ("Sorry, you can't use identity verification here. Ask your team lead to add you (or this channel) to "
            "the bot's allowed list.")
    return text, [_section(f":no_entry_sign: {text}")]


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
    return "How to use /verify", [_section("\n".join(lines))]


def status_message(reference: str, executions: Sequence[Execution], history: dict[int, list[str]]) -> Message:
    if not executions:
        text = f"No verifications for {reference} yet. Start one with `/verify {reference}`."
        return text, [_section(escape(text))]
    blocks: Blocks = [_section(f"*Verifications for {escape(reference)}*")]
    for execution in executions:
        line = (f"*#{execution.id}* {describe_status(execution)} · started by <@{execution.started_by}> "
                f"{slack_date(execution.created_at)} in <#{execution.channel_id}>")
        steps = history.get(execution.id) or []
        blocks.append(_section(line + ("\n" + "\n".join(f"   {s}" for s in steps) if steps else "")))
    return f"Verifications for {reference}", blocks[:50]


def home_view(executions: Iterable[Execution], now: float | None = None) -> dict[str, Any]:
    """App Home: the agent's recent verifications, open first, with age and status, and a start button."""
    now = now or time.time()
    ordered = sorted(executions, key=lambda e: (not e.is_open, -e.created_at))
    blocks: Blocks = [
        {"type": "header", "text": _text("plain_text", "Your identity verifications")},
        {"type": "actions", "elements": [_button("Start a verification", ACTION_OPEN_START_MODAL, "home",
                                                 style="primary")]},
        {"type": "divider"},
    ]
    if not ordered:
        blocks.append(_section("You have not started any verifications yet."))
    for execution in ordered[:40]:
        blocks.append(_section(f"*{escape(execution.customer_ref)}* · {describe_status(execution)} · "
                               f"{age(now - execution.created_at)} · <#{execution.channel_id}>"))
    return {"type": "home", "blocks": blocks}


def _input(block_id: str, label: str, element: dict[str, Any], optional: bool = True, hint: str | None = None
           ) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "input", "block_id": block_id, "optional": optional,
                             "label": _text("plain_text", label), "element": {**element, "action_id": "value"}}
    if hint:
        block["hint"] = _text("plain_text", hint)
    return block


def _plain_input(placeholder: str | None = None, max_length: int = 100) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "plain_text_input", "max_length": max_length}
    if placeholder:
        element["placeholder"] = _text("plain_text", placeholder)
    return element


LANGUAGES = (("en", "English"), ("de", "Deutsch"), ("es", "Español"), ("fr", "Français"), ("it", "Italiano"),
             ("nl", "Nederlands"), ("pt-BR", "Português (Brasil)"), ("pl", "Polski"), ("ja", "日本語"),
             ("zh-CN", "中文 (简体)"))


def start_modal(channel_id: str | None) -> dict[str, Any]:
    """The /verify form. Without a channel (opened from App Home) it asks where the root message goes."""
    blocks: Blocks = []
    if channel_id is None:
        blocks.append(_input("channel", "Post the verification in",
                             {"type": "conversations_select", "filter": {"include": ["public", "private"],
                                                                          "exclude_bot_users": True}},
                             optional=False))
    blocks += [
        _input("customer_reference", "Customer reference", _plain_input("CUST-42"), optional=False,
               hint="Your reference for this customer, not personal data. Up to 100 characters."),
        _input("user_reference", "User reference", _plain_input()),
        _input("locale", "Language of the Jumio page",
               {"type": "static_select", "options": [{"text": _text("plain_text", name), "value": code}
                                                     for code, name in LANGUAGES]}),
        {"type": "header", "text": _text("plain_text", "Supporting data (optional)")},
        _context("Sent to Jumio as prepared data when the workflow takes it; never shown in Slack or stored."),
        _input("first_name", "First name", _plain_input()),
        _input("last_name", "Last name", _plain_input()),
        _input("email", "Email", {"type": "email_text_input"}),
        _input("phone_number", "Phone", _plain_input("+15031234567", 20), hint="International form with +"),
        _input("date_of_birth", "Date of birth", {"type": "datepicker"}),
        _input("line1", "Address line 1", _plain_input(max_length=200)),
        _input("line2", "Address line 2", _plain_input(max_length=200)),
        _input("city", "City", _plain_input()),
        _input("postal_code", "Postal code", _plain_input(max_length=20)),
        _input("subdivision", "State or region", _plain_input("OR", 20)),
        _input("country", "Country", _plain_input("USA", 3), hint="ISO code such as US or USA"),
        _input("force", "If one is already open",
               {"type": "checkboxes", "options": [{"text": _text("plain_text", "Start another anyway"),
                                                   "value": "force"}]}),
    ]
    return {
        "type": "modal",
        "callback_id": VIEW_START,
        "title": _text("plain_text", "Verify identity"),
        "submit": _text("plain_text", "Start"),
        "close": _text("plain_text", "Cancel"),
        "private_metadata": json.dumps({"channel_id": channel_id}),
        "blocks": blocks,
    }
