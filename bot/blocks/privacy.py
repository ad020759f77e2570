"""Erasing a customer's data: the admin's confirmation and answers, and what the thread says."""

from __future__ import annotations

import json
from typing import Any

from bot.blocks.kit import MAX_MODAL_TITLE, PART_LABELS, Message, context, escape, section, slack_date, text_obj
from storage import ErasePlan, SlackPhoto

VIEW_ERASE = "erase_customer"

NOT_AN_ADMIN = (
    ":no_entry_sign: Only the admins listed in IDV_ADMINS may erase a customer's data. Nothing was erased; ask one of them."
)


def erase_usage(problem: str) -> str:
    return f":warning: {problem} Type `/verify erase CUST-42` with the customer's reference."


def nothing_to_erase(customer_ref: str) -> str:
    return (
        f"No verification of {escape(customer_ref)} is stored here, so there is nothing to erase. Check the "
        "reference (`/verify status` finds a customer's verifications)."
    )


def erased_before(plan: ErasePlan) -> str:
    last = max(plan.erased_before, key=lambda e: e.reduced_at or 0)
    return (
        f"{escape(plan.customer_ref)}'s data was already erased by <@{last.erased_by}> on "
        f"{slack_date(last.reduced_at or last.updated_at)}; nothing is left to erase."
    )


def _counts(plan: ErasePlan) -> str:
    verifications = len(plan.to_erase)
    accounts = len(plan.accounts)
    return (
        f"{verifications} verification{'s' if verifications != 1 else ''} and "
        f"{accounts} Jumio account{'s' if accounts != 1 else ''}"
    )


def nothing_left_to_erase(plan: ErasePlan) -> str:
    """Why an erase finds nothing to do: erased before, or never stored here."""
    return erased_before(plan) if plan.erased_before else nothing_to_erase(plan.customer_ref)


def erase_modal(plan: ErasePlan, channel_id: str, *, changed: bool = False) -> dict[str, Any]:
    """The confirmation: what will go, what stays, and that it cannot be undone. It carries the ids of the
    verifications it names: one started before it is submitted is not erased unseen. `changed`: shown again because
    the customer's verifications changed since it was opened."""
    lines = [f"*Erase {escape(plan.customer_ref)}?*  This deletes {_counts(plan)}."]
    if changed:
        lines.insert(
            0,
            ":warning: *The customer's verifications changed since you opened this* (one was started): "
            "check what goes, then press Erase again.",
        )
    if plan.accounts:
        lines.append(
            "• At Jumio: each account with all its images and extracted data (Jumio cannot investigate them afterwards)."
        )
    lines.append("• Here: everything but a tombstone (IDs, dates, the decision and the audit trail).")
    if plan.in_progress:
        count = len(plan.in_progress)
        lines.append(
            f"• {count} still in progress: {'it stops' if count == 1 else 'they stop'} now, the customer's "
            "link dies, and photos dropped later are not sent."
        )
    connected = [p for p in plan.slack_photos if p.connected]
    if connected:
        lines.append(
            f"• In Slack: {len(connected)} photo{'s' if len(connected) != 1 else ''} dropped in the threads "
            "by agents who connected their Slack user: deleted for them."
        )
    by_hand = plan.photos_by_hand
    if by_hand:
        lines.append(
            f"• In Slack, *delete by hand* (the file's ⋯ menu → Delete file): {len(by_hand)} photo"
            f"{'s' if len(by_hand) != 1 else ''} whose agents did not connect their Slack user:"
        )
        lines += [
            f"    – {PART_LABELS.get(p.part or '', 'a photo')} dropped by "
            f"{f'<@{p.uploaded_by}>' if p.uploaded_by else 'someone'} in {_thread_link(p)}"
            for p in by_hand[:MAX_PHOTOS_LISTED]
        ]
        if len(by_hand) > MAX_PHOTOS_LISTED:
            lines.append(f"    – and {len(by_hand) - MAX_PHOTOS_LISTED} more in the same threads")
    blocks = [
        section("\n".join(lines)),
        context(
            "This cannot be undone. Erasing forgets which Slack files they were: note the photos to delete by hand first."
        ),
    ]
    return {
        "type": "modal",
        "callback_id": VIEW_ERASE,
        "title": text_obj("plain_text", "Erase customer data", MAX_MODAL_TITLE),
        "submit": text_obj("plain_text", "Erase"),
        "close": text_obj("plain_text", "Cancel"),
        "blocks": blocks,
        "private_metadata": json.dumps(
            {"customer_ref": plan.customer_ref, "channel_id": channel_id, "ids": [e.id for e in plan.to_erase]}
        ),
    }


MAX_PHOTOS_LISTED = 20


def _thread_link(photo: SlackPhoto) -> str:
    """The photo's thread, as a link Slack opens for members (`/archives/C…/p…`)."""
    if not photo.thread_ts:
        return f"<#{photo.channel_id}>"
    return (
        f"<https://slack.com/archives/{photo.channel_id}/p{photo.thread_ts.replace('.', '')}|this thread> in "
        f"<#{photo.channel_id}>"
    )


def erase_done_modal(plan: ErasePlan) -> dict[str, Any]:
    return notice_modal(
        f":wastebasket: Erased {_counts(plan)} of {escape(plan.customer_ref)} here."
        + (" Jumio is deleting the accounts now; each verification's thread says when it is done." if plan.accounts else "")
    )


def notice_modal(text: str, title: str = "Erase customer data") -> dict[str, Any]:
    return {
        "type": "modal",
        "title": text_obj("plain_text", title, MAX_MODAL_TITLE),
        "close": text_obj("plain_text", "Close"),
        "blocks": [section(text)],
    }


def erased_in_thread(by: str, pending: bool, was_open: bool, *, photos_by_hand: int = 0) -> Message:
    text = f":wastebasket: <@{by}> erased this customer's data: only a tombstone (IDs, dates, decision, audit) is kept."
    if was_open:
        text += " The verification was still in progress: it has stopped and the customer's link no longer works."
    if pending:
        text += " Deleting it at Jumio is pending; this thread says when Jumio has done it."
    if photos_by_hand:
        text += (
            f" {photos_by_hand} photo{'s' if photos_by_hand != 1 else ''} dropped in this thread "
            f"{'are' if photos_by_hand != 1 else 'is'} still in Slack: delete {'them' if photos_by_hand != 1 else 'it'}"
            " by hand."
        )
    return text, [section(text)]


def thread_message_erased() -> Message:
    text = ":wastebasket: Erased: this message held details of the customer's verification."
    return text, [section(text)]


def deleted_at_jumio(by: str) -> Message:
    text = f":white_check_mark: Jumio deleted the customer's account with its images and extracted data (erased by <@{by}>)."
    return text, [section(text)]


# --- photos out of the channel ---------------------------------------------------------------------------------

VIEW_PHOTOS = "private_photos"
PHOTO_FILETYPES = ["jpg", "jpeg", "png"]
PHOTO_BLOCKS = {"FRONT": "photo_front", "BACK": "photo_back", "FACE": "photo_face"}
# Slack's own limit for a file given in a file_input element (the element's reference); the thread path takes 15 MB.
MODAL_FILE_BYTES = 10 * 1024 * 1024


def photos_modal(
    customer_ref: str, execution_id: int, accepted_parts: list[str] | tuple[str, ...], channel_id: str
) -> dict[str, Any]:
    """ID front, back and selfie as file inputs: files given here are never shared into the channel."""
    labels = {"FRONT": "ID front", "BACK": "ID back", "FACE": "Selfie"}
    blocks: list[dict[str, Any]] = [
        section(
            f"Photos for *{escape(customer_ref)}*. Files you add here go to Jumio without being shared in the "
            "channel. JPEG or PNG, up to 10 MB each (Slack's limit here; drop larger ones in the thread)."
        ),
    ]
    for part in accepted_parts:
        blocks.append(
            {
                "type": "input",
                "block_id": PHOTO_BLOCKS[part],
                "optional": True,
                "label": text_obj("plain_text", labels[part]),
                "element": {"type": "file_input", "action_id": "file", "filetypes": PHOTO_FILETYPES, "max_files": 1},
            }
        )
    return {
        "type": "modal",
        "callback_id": VIEW_PHOTOS,
        "title": text_obj("plain_text", "Customer photos", MAX_MODAL_TITLE),
        "submit": text_obj("plain_text", "Send to Jumio"),
        "close": text_obj("plain_text", "Cancel"),
        "blocks": blocks,
        "private_metadata": json.dumps({"execution": execution_id, "channel_id": channel_id}),
    }


NO_PHOTO_GIVEN = "Add at least one photo, or press Cancel."


def delete_your_photo(filename: str, by: str | None, *, can_connect: bool, why: str | None = None) -> Message:
    who = f"<@{by}>, " if by else ""
    text = (
        f":wastebasket: {who}Jumio has {escape(filename)}: delete it from this thread now (the file's ⋯ menu → "
        "Delete file), since everyone in the channel can see it."
    )
    if why:
        text += f" The bot could not delete it for you: {why}"
    if can_connect:
        text += " Connect your Slack user in the bot's Home tab and the bot deletes your photos for you."
    text += " Next time, *Add photos privately* on the verification's message keeps them out of the channel."
    return text, [section(text)]


def slack_refused_deletion(code: str, *, reconnect: bool) -> str:
    """Why Slack did not delete the photo; `reconnect`: the agent's user token no longer works."""
    if code == "cant_delete_file":
        return "Slack lets only the person who uploaded a file delete it."
    if code == "file_deleting_disabled":
        return "this workspace does not let members delete files (an admin can, or can change that setting)."
    if reconnect:
        return f"Slack refused ({code}); connect your Slack user again in the bot's Home tab."
    return f"Slack refused ({code})."


def erased_photo_left(by: str, why: str) -> Message:
    text = (
        f":wastebasket: A photo <@{by}> dropped in this thread is still in Slack and could not be deleted for the "
        f"erase: {why} Delete it from this thread by hand (the file's ⋯ menu → Delete file)."
    )
    return text, [section(text)]


def photo_deleted_from_slack(filename: str) -> Message:
    text = f":wastebasket: Deleted {escape(filename)} from Slack: Jumio has it."
    return text, [section(text)]
