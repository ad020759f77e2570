"""What the journey says in a verification's thread (and privately to the agent who started it)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.blocks.kit import (
    ACTION_CHOOSE_PART,
    ACTION_NEW_LINK,
    ACTION_RETRY,
    ACTION_SUBMIT,
    DECISION_MARKS,
    PART_LABELS,
    PART_ORDER,
    Blocks,
    Message,
    button,
    context,
    describe_status,
    escape,
    section,
    slack_date,
    text_obj,
)
from storage import Execution, Status


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
        text_obj("mrkdwn", f"*Customer*\n{reference}"),
        text_obj("mrkdwn", f"*Started by*\n<@{execution.started_by}>"),
        text_obj("mrkdwn", f"*Status*\n{describe_status(execution)}"),
    ]
    if execution.risk_score is not None and execution.status == "PROCESSED":
        fields.append(text_obj("mrkdwn", f"*Risk score*\n{execution.risk_score:g}"))
    blocks: Blocks = [
        {"type": "header", "text": text_obj("plain_text", f"Identity verification: {execution.customer_ref}"[:150])},
        {"type": "section", "fields": fields},
    ]
    if accepted_parts and execution.status in ("PENDING", "INITIATED", "ACQUIRED"):
        blocks.append(section(f"*Photos*  {checklist(uploaded, accepted_parts)}"))
    if execution.status == "INITIATED":
        hint = "Drop the customer's photos in this thread, naming each *front*, *back* or *selfie*"
        started = slack_date(execution.created_at)
        blocks.append(context(f"{hint}, or send the customer the private link. Started {started}."))
        if {"FRONT", "FACE"} <= uploaded:
            blocks.append({"type": "actions", "elements": [
                button("Submit", ACTION_SUBMIT, str(execution.id), style="primary",
                        confirm={"title": text_obj("plain_text", "Submit to Jumio?"),
                                 "text": text_obj("mrkdwn", "Photos can no longer be added once submitted."),
                                 "confirm": text_obj("plain_text", "Submit"), "deny": text_obj("plain_text", "Not yet")}),
            ]})
    else:
        blocks.append(context(f"Started {slack_date(execution.created_at)}"))
    return text, blocks


def link_message(customer_ref: str, web_href: str, expires_at: float | None, consent_url: str | None = None
                 ) -> Message:
    """The Web Client link (and, for the photo path, the consent link), for the requesting agent's eyes only."""
    valid = f"It stays valid until {slack_date(expires_at)}" if expires_at else "It stays valid for a limited time"
    text = f"Private link for {customer_ref}'s identity verification"
    blocks: Blocks = [
        section(f":lock: *Only you can see this.* Send this link to the customer {escape(customer_ref)} through a "
                 f"channel you trust; it opens Jumio's page for their ID and selfie.\n<{web_href}|Open the "
                 f"verification page>"),
        context(f"{valid}, until the customer starts. Do not paste it in a channel."),
    ]
    if consent_url:
        blocks.append(section(f"*To take the photos in this thread instead*, the customer first consents to Jumio "
                              f"here (their own tick, on their device): <{consent_url}|consent page>"))
    return text, blocks


def part_received(part: str, replaced: bool, filename: str) -> Message:
    label = PART_LABELS.get(part, part)
    if replaced:
        text = f":repeat: {label} replaced by {escape(filename)}; Jumio has the new one."
    else:
        text = f":white_check_mark: {label} sent to Jumio ({escape(filename)})."
    return text, [section(text)]


def file_rejected(filename: str, reason: str) -> Message:
    text = f":no_entry: {escape(filename)} was not sent to Jumio: {reason}"
    return text, [section(text)]


def ask_part(upload_id: int, filename: str, accepted_parts: Sequence[str]) -> Message:
    text = f"Which photo is {escape(filename)}?"
    # The value carries what the handler needs: the upload, the part, and the file's name for the answer.
    buttons = [button(PART_LABELS[p], ACTION_CHOOSE_PART + f"_{p.lower()}", f"{upload_id}:{p}:{filename[:200]}")
               for p in PART_ORDER if p in accepted_parts]
    return text, [section(f":question: Which photo is *{escape(filename)}*? (Name files *front*, *back* or "
                           "*selfie* and I will know.)"),
                  {"type": "actions", "block_id": f"choose_part_{upload_id}", "elements": buttons}]


def part_chosen(filename: str, part: str, user_id: str) -> Message:
    text = f"{escape(filename)}: {PART_LABELS.get(part, part)} (chosen by <@{user_id}>); sending it to Jumio."
    return text, [section(text)]


def submitted(user_id: str | None) -> Message:
    who = f" by <@{user_id}>" if user_id else ""
    text = f":outbox_tray: Submitted to Jumio{who}. The decision will appear here."
    return text, [section(text)]


def result_message(execution: Execution) -> Message:
    """The decision, as Jumio names it, with capability labels and the risk score; no extracted data."""
    decision = execution.decision_type or "NOT_EXECUTED"
    label = execution.decision_label
    headline = f"{DECISION_MARKS.get(decision, ':white_circle:')} *{decision}*"
    if label and label != decision:
        headline += f" ({label})"
    text = f"Jumio decision for {execution.customer_ref}: {decision}"
    lines = []
    for capability in execution.capabilities:
        credentials = ", ".join(capability.get("credentials") or [])
        suffix = f" [{credentials}]" if credentials else ""
        lines.append(f"• {capability['name']}{suffix}: {capability['decision']} / {capability.get('label') or '—'}")
    blocks: Blocks = [section(f"Jumio's decision for {escape(execution.customer_ref)}: {headline}")]
    if execution.risk_score is not None:
        blocks.append(context(f"Risk score {execution.risk_score:g} (-1 to 100; higher is riskier)"))
    if lines:
        blocks.append(section("\n".join(lines)))
    return text, blocks


def expired_message(execution: Execution) -> Message:
    words = ("The link expired before the customer used it" if execution.status == "TOKEN_EXPIRED"
             else "The customer's session expired before it was finished")
    text = f":alarm_clock: {words} ({execution.status}). A new link starts a new attempt for the same customer."
    return text, [section(text), {"type": "actions", "elements": [
        button("New link", ACTION_NEW_LINK, str(execution.id), style="primary")]}]


def new_link_started(user_id: str) -> Message:
    text = f":link: <@{user_id}> asked for a new link; the checklist starts again."
    return text, [section(text)]


def job_failed(what: str, reason: str, job_id: int) -> Message:
    text = f":warning: {what} failed: {reason}"
    return text, [section(text), {"type": "actions", "elements": [
        button("Retry", ACTION_RETRY, str(job_id))]}]


def notice(text: str) -> Message:
    return text, [section(text)]


def supporting_data_not_taken(workflow_key: int) -> Message:
    return notice(f"Workflow {workflow_key} takes no supporting data, so what you typed was not sent to Jumio (and "
                  "was not kept).")


def drop_again(filename: str, reason: str) -> Message:
    return notice(f":repeat: Please drop {escape(filename)} in this thread again: {reason}.")


def still_undecided(reference: str, *, minutes: int, every: int) -> Message:
    return notice(f":hourglass: Jumio has not decided after {minutes} minutes. I keep asking about every {every} "
                  f"minutes and will post the decision here; `/verify status {escape(reference)}` shows where it "
                  "stands.")


def job_failed_privately(what: str, reference: str, reason: str) -> Message:
    return notice(f":warning: {what} for {escape(reference)} failed: {reason}")


# Reasons, in the agent's words, that a photo was not sent or a verification was not submitted.
RESTARTED_WHILE_SENDING = "the bot restarted while sending it to Jumio, so it cannot tell whether Jumio got it"
NO_MORE_PHOTOS_AT_JUMIO = "Jumio no longer takes photos for this verification (it was submitted or expired)."
ALREADY_SUBMITTED = "This verification was already submitted."


def submit_needs(missing: Sequence[str]) -> str:
    what = " and ".join(PART_LABELS.get(part, part) for part in missing) or "the ID front and the selfie"
    return f"Submit needs at least the ID front and the selfie in the thread (missing: {what})."


def part_not_taken(part: str) -> str:
    return f"this workflow takes no {PART_LABELS.get(part, part)}."


def closed_reason(execution: Execution) -> str:
    """Why a verification takes no more photos, in the agent's words."""
    if execution.status == Status.ACQUIRED:
        return "this verification was already submitted to Jumio."
    if execution.status == Status.PROCESSED:
        return "this verification already has Jumio's decision."
    if execution.status in (Status.TOKEN_EXPIRED, Status.SESSION_EXPIRED):
        return "this verification expired; press New link to start again."
    if execution.status == Status.FAILED:
        return "this verification could not start."
    if execution.status == Status.GONE:
        return "Jumio no longer has this verification; start again."
    return "this verification does not take photos now."


def stopped_asking(reference: str, days: int) -> Message:
    return notice(f":hourglass: Jumio has not decided in {days} days, so I stopped asking; a decision Jumio sends "
                  f"later still appears here. Check the transaction in Jumio's portal, or start again with "
                  f"`/verify {escape(reference)}`.")
