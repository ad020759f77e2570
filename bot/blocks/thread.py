"""What the journey says in a verification's thread (and privately to the agent who started it)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.blocks import decisions
from bot.blocks.kit import (
    ACTION_CHOOSE_PART,
    ACTION_NEW_LINK,
    ACTION_PRIVATE_PHOTOS,
    ACTION_RETRY,
    ACTION_SHOW_LINK,
    ACTION_SUBMIT,
    PART_LABELS,
    PART_ORDER,
    Blocks,
    Message,
    actions,
    button,
    confirm_dialog,
    context,
    cut,
    decision_mark,
    describe_status,
    escape,
    fit,
    header,
    section,
    sections,
    slack_date,
    text_obj,
)
from bot.jumio import DecisionType
from storage import Execution, Status


def checklist(uploaded: set[str], accepted_parts: Sequence[str]) -> str:
    marks = []
    for part in PART_ORDER:
        if part not in accepted_parts:
            continue
        marks.append(f"{':white_check_mark:' if part in uploaded else ':white_square:'} {PART_LABELS[part]}")
    return "   ".join(marks)


def root_message(execution: Execution, uploaded: set[str], accepted_parts: Sequence[str]) -> Message:
    """The verification's root message: who, for which customer, the status, the photo checklist, and the buttons
    for the customer's link and an early submit."""
    reference = escape(execution.customer_ref)
    text = f"Identity verification for {reference}: {describe_status(execution)}"
    fields = [
        text_obj("mrkdwn", f"*Customer*\n{reference}", 2000),
        text_obj("mrkdwn", f"*Started by*\n<@{execution.started_by}>"),
        text_obj("mrkdwn", f"*Status*\n{describe_status(execution)}"),
    ]
    if execution.risk_score is not None and execution.status == "PROCESSED":
        fields.append(text_obj("mrkdwn", f"*Risk score*\n{execution.risk_score:g}"))
    blocks: Blocks = [header(f"Identity verification: {execution.customer_ref}"), {"type": "section", "fields": fields}]
    if accepted_parts and execution.status in ("PENDING", "INITIATED", "ACQUIRED"):
        blocks.append(section(f"*Photos*  {checklist(uploaded, accepted_parts)}"))
    if execution.status == "INITIATED":
        hint = "Drop the customer's photos in this thread, naming each *front*, *back* or *selfie*"
        started = slack_date(execution.created_at)
        blocks.append(context(f"{hint}, or send the customer their link (*Customer link*). Started {started}."))
        has_link = execution.api_consent is None
        blocks += actions(
            button("Customer link", ACTION_SHOW_LINK, str(execution.id)) if has_link else None,
            button("Add photos privately", ACTION_PRIVATE_PHOTOS, str(execution.id)) if accepted_parts else None,
            button(
                "Submit",
                ACTION_SUBMIT,
                str(execution.id),
                style="primary",
                confirm=confirm_dialog(
                    "Submit to Jumio?", "Photos can no longer be added once submitted.", "Submit", "Not yet"
                ),
            )
            if {"FRONT", "FACE"} <= uploaded
            else None,
        )
    else:
        blocks.append(context(f"Started {slack_date(execution.created_at)}"))
    return fit(text, blocks)


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
    """Which part a photo is, with a button per part the workflow takes (the caller asks only when it takes one)."""
    text = f"Which photo is {escape(filename)}?"
    # The value carries what the handler needs: the upload, the part, and the file's name for the answer.
    buttons = [
        button(PART_LABELS[p], ACTION_CHOOSE_PART + f"_{p.lower()}", f"{upload_id}:{p}:{filename[:200]}")
        for p in PART_ORDER
        if p in accepted_parts
    ]
    return fit(
        text,
        [
            section(
                f":question: Which photo is *{escape(filename)}*? (Name files *front*, *back* or *selfie* and I will know.)"
            ),
            *actions(*buttons, block_id=f"choose_part_{upload_id}"),
        ],
    )


def part_chosen(filename: str, part: str, user_id: str) -> Message:
    text = f"{escape(filename)}: {PART_LABELS.get(part, part)} (chosen by <@{user_id}>); sending it to Jumio."
    return text, [section(text)]


def session_clock(now: float, minutes: int) -> Message:
    """Once the first photo is at Jumio: its session ends after `minutes` without a new one (reference §8)."""
    text = (
        f":stopwatch: Jumio now has the first photo and ends this session after {minutes} minutes without a new "
        f"one (at {slack_date(now + minutes * 60)} if nothing else comes). Add the rest, or press *Submit*, "
        "before then; after that the customer needs a New link."
    )
    return text, [section(text)]


def submitted(user_id: str | None) -> Message:
    who = f" by <@{user_id}>" if user_id else ""
    text = f":outbox_tray: Submitted to Jumio{who}. The decision will appear here."
    return text, [section(text)]


_USER_ID = re.compile(r"[UW][A-Z0-9]{2,}")


def mention(user_ids: Sequence[str | None]) -> str:
    """The people a message is for, each once, as Slack mentions (so Slack notifies them): user IDs only, never a
    channel-wide mention. Empty when there is nobody."""
    seen = dict.fromkeys(u for u in user_ids if u and _USER_ID.fullmatch(u))
    return " ".join(f"<@{user}>" for user in seen)


def _for(people: str, text: str) -> str:
    """`text` for these people: their mentions after it, where a notification's preview still shows the news."""
    return f"{text}  ·  {people}" if people else text


def result_message(execution: Execution, notify: Sequence[str | None] = ()) -> Message:
    """The decision in the agent's words with the next step, the risk score explained, and Jumio's own words
    beneath (decision type and capability labels as Jumio names them); no extracted data. `notify`: who is
    mentioned (the agent who started it, the link's holder)."""
    decision = execution.decision_type or DecisionType.NOT_EXECUTED
    label = execution.decision_label
    reference = escape(execution.customer_ref)
    jumio_says = decision + (f" ({label})" if label and label != decision else "")
    people = mention(notify)
    text = _for(people, f"Jumio decision for {reference}: {decision} ({decisions.meaning(decision).words})")
    steps = decisions.next_steps(decision, label, execution.capabilities)
    blocks: Blocks = [
        section(
            _for(
                people,
                f"{decision_mark(decision)} *{reference}: "
                f"{decisions.meaning(decision).words}*  ·  Jumio's decision: *{jumio_says}*",
            )
        ),
        *sections([f"*Next:* {steps[0]}", *(f"*Also:* {step}" for step in steps[1:])]),
    ]
    risk = decisions.risk_words(execution.risk_score)
    if risk:
        blocks.append(context(risk))
    lines = decisions.jumio_words(execution.capabilities)
    if lines:
        blocks += sections(["*In Jumio's words*", *lines])
    return fit(text, blocks)


def expired_message(execution: Execution, notify: Sequence[str | None] = ()) -> Message:
    words = (
        "The link expired before the customer used it"
        if execution.status == "TOKEN_EXPIRED"
        else "The customer's session expired before it was finished"
    )
    text = _for(
        mention(notify),
        f":alarm_clock: {words} ({execution.status}). A new link starts a new attempt for the same customer.",
    )
    return text, [section(text), *actions(button("New link", ACTION_NEW_LINK, str(execution.id), style="primary"))]


def submitted_on_web(at: float | None) -> Message:
    when = f" {slack_date(at)}" if at else ""
    return notice(
        f":inbox_tray: The customer submitted their photos on Jumio's page{when}; Jumio is checking. The "
        "decision will appear here."
    )


def new_link_started(user_id: str) -> Message:
    text = f":link: <@{user_id}> asked for a new link; the checklist starts again."
    return text, [section(text)]


def job_failed(what: str, reason: str, job_id: int) -> Message:
    text = f":warning: {what} failed: {reason}"
    return text, [section(text), *actions(button("Retry", ACTION_RETRY, str(job_id)))]


def notice(text: str) -> Message:
    return text, [section(text)]


def supporting_data_not_taken(workflow_key: int) -> Message:
    return notice(
        f"Workflow {workflow_key} takes no supporting data, so what you typed was not sent to Jumio (and was not kept)."
    )


def not_sent_yet(filename: str, reason: str) -> Message:
    return notice(f":hourglass: {escape(filename)} is not at Jumio yet ({escape(reason)}); I am trying again.")


def drop_again(filename: str, reason: str) -> Message:
    return notice(f":repeat: Please drop {escape(filename)} in this thread again: {reason}.")


def still_undecided(reference: str, *, minutes: int, every: int) -> Message:
    return notice(
        f":hourglass: Jumio has not decided after {minutes} minutes. I keep asking about every {every} "
        f"minutes and will post the decision here; `/verify status {escape(reference)}` shows where it "
        "stands."
    )


def thread_closed(reference: str, reason: str, said: str) -> Message:
    return notice(
        f":warning: I can no longer post in the thread of {escape(reference)}'s verification ({reason}). "
        f"What I meant to say there:\n>{cut(said, 2500)}\nAdd me to the channel again, or start a new "
        f"verification with `/verify {escape(reference)}` in a channel I am in."
    )


def too_many_in_message(limit: int) -> str:
    return f"a message takes at most {limit} files; drop the others in another message"


def too_many_for_verification(limit: int, reference: str) -> str:
    return (
        f"this verification has had {limit} photos, the most one takes; start a new one with "
        f"`/verify {escape(reference)}` if the customer needs to try again"
    )


def files_over_limit(names: Sequence[str], reason: str) -> Message:
    shown = ", ".join(escape(name) for name in names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    return notice(f":no_entry: Not sent to Jumio: {shown}. {reason[0].upper()}{reason[1:]}.")


def answer_lost(*, new_account: bool) -> str:
    """Why a paid Jumio step was not repeated: its answer was lost after the request went out."""
    made = "the account" if new_account else "the new transaction"
    after = (
        "If it did, that one is never used: its link was shown to nobody and it expires on its own."
        if new_account
        else "If it did, the bot deletes it at Jumio as soon as Jumio mentions it."
    )
    return (
        f"Jumio's answer was lost on the way, so Jumio may have made {made} anyway (a paid transaction). Nothing "
        f"was sent to the customer. Press Retry to make it again knowingly. {after}"
    )


def job_failed_privately(what: str, reference: str, reason: str) -> Message:
    return notice(f":warning: {what} for {escape(reference)} failed: {reason}")


# Reasons, in the agent's words, that a photo was not sent or a verification was not submitted.
RESTARTED_WHILE_SENDING = "the bot restarted while sending it to Jumio, so it cannot tell whether Jumio got it"
ALREADY_SUBMITTED = "This verification was already submitted."


def submit_needs(missing: Sequence[str]) -> str:
    what = " and ".join(PART_LABELS.get(part, part) for part in missing) or "the ID front and the selfie"
    return f"Submit needs at least the ID front and the selfie in the thread (missing: {what})."


def part_not_taken(part: str) -> str:
    return f"this workflow takes no {PART_LABELS.get(part, part)}."


def closed_reason(execution: Execution) -> str:
    """Why a verification takes no more photos, in the agent's words."""
    if execution.erased_by:
        return f"<@{execution.erased_by}> erased this customer's data; start a new verification if you need one."
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
    return notice(
        f":hourglass: Jumio has not decided in {days} days, so I stopped asking; a decision Jumio sends "
        f"later still appears here. Check the transaction in Jumio's portal, or start again with "
        f"`/verify {escape(reference)}`."
    )
