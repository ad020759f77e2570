"""A verification's audit trail in plain words, for `/verify status`: which photo, what Jumio said, who did what."""

from __future__ import annotations

from bot.blocks.kit import PART_LABELS, escape, slack_date
from storage import AuditEntry


def _who(actor: str) -> str:
    if actor.startswith(("U", "W")):
        return f"<@{actor}>"
    return {"system": "the bot", "jumio": "Jumio", "customer": "the customer"}.get(actor, escape(actor))


def _part(detail: str) -> str:
    """The part named first in an audit detail (`FRONT from Slack file …`), in the agent's words."""
    first = detail.split(" ", 1)[0] if detail else ""
    return PART_LABELS.get(first, "a photo")


def _dropped_part(detail: str) -> str:
    """`Slack file F… as FRONT` → `ID front`; a photo whose part was not yet known is "a photo"."""
    part = detail.rsplit(" as ", 1)[-1] if " as " in detail else ""
    return PART_LABELS.get(part, "a photo")


def _result(detail: str) -> str:
    """`PROCESSED REJECTED MANIPULATED_DOCUMENT` → `Jumio decided REJECTED (MANIPULATED_DOCUMENT)`."""
    status, _, rest = detail.partition(" ")
    decision, _, label = rest.partition(" ")
    if status != "PROCESSED" or not decision:
        return f"Jumio ended it: {escape(status or detail)}"
    return f"Jumio decided {escape(decision)}" + (f" ({escape(label)})" if label and label != decision else "")


def step_words(entry: AuditEntry) -> str:
    """One audit entry as a sentence: `<date> ID front sent to Jumio by @agent`."""
    detail = entry.detail or ""
    who = _who(entry.actor)
    words = {
        "start": f"started by {who}",
        "step_started": f"started by a workflow for {who} (Workflow Builder step)",
        "step_refused": f"a workflow's step for {who} was refused: {escape(detail)}",
        "step_completed": "the workflow's step was given Jumio's decision"
        if detail == "completed"
        else "the workflow's step was told it failed",
        "account_created": "Jumio account and link made",
        "link_sent": f"customer link sent privately to {who}",
        "link_shown": f"customer link shown to {who}",
        "new_link": f"new link asked for by {who}",
        "take_over": f"link taken over by {who}",
        "photo_received": f"{_dropped_part(detail)} dropped by {who}",
        "part_chosen": f"{_part(detail)} chosen by {who}",
        "photo_held": f"{_part(detail)} from {who} checked, held until the customer consents",
        "photo_uploaded": f"{_part(detail)} from {who} sent to Jumio",
        "photo_uncertain": "a photo's upload was interrupted; it was asked for again",
        "photo_rejected": f"a photo from {who} was not sent: {escape(detail)}",
        "consent_link_sent": f"consent link sent privately to {who}",
        "consent_given": "the customer consented on the consent page",
        "submitted": f"submitted to Jumio by {who}"
        if entry.actor.startswith(("U", "W"))
        else "submitted to Jumio (all photos in)",
        "submitted_on_web": "the customer submitted on Jumio's page",
        "prepared_data_sent": "supporting data sent to Jumio",
        "callback": f"Jumio called back ({escape(detail.removeprefix('says '))})",
        "result": _result(detail),
        "not_found": "Jumio no longer has it",
        "execution_deleted": "closed at Jumio (replaced)",
        "photo_not_sent": f"a photo was not sent: {escape(detail.partition(': ')[2] or detail)}",
        "erase_refused": f"{who} asked to erase the customer's data and was refused (not an admin)",
        "slack_file_deleted": "a photo deleted from Slack" + (f" by {who}" if entry.actor.startswith(("U", "W")) else ""),
        "slack_file_reminder": "the thread was asked to delete a photo from Slack by hand",
        "slack_user_connected": f"{who} connected their Slack user",
        "slack_user_disconnected": f"{who} disconnected their Slack user",
        "made_after_end": "Jumio made a transaction while the verification was being erased; deleted at Jumio",
        "answer_lost": "Jumio's answer was lost, so it may have made a transaction; not repeated on its own",
        "stray_deleted": "a transaction Jumio made for a lost answer turned up and was deleted at Jumio",
        "job_failed": f"a step failed: {escape(detail.partition(': ')[2] or detail)}",
        "retry": f"retried by {who}",
        "slack_refused": f"Slack refused a message: {escape(detail)}",
        "refused": f"{who} was refused (not allowed)",
        "erased": f"the customer's data erased by {who}",
        "account_deleted": "the Jumio account deleted at Jumio",
        "retention": f"reduced to a tombstone ({escape(detail.rpartition('tombstone ')[2])})",
    }.get(entry.action, f"{escape(entry.action.replace('_', ' '))} by {who}")
    return f"{slack_date(entry.at)} {words}"
