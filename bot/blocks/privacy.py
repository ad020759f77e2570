"""Erasing a customer's data: the admin's confirmation and answers, and what the thread says."""

from __future__ import annotations

import json
from typing import Any

from bot.blocks.kit import MAX_MODAL_TITLE, Message, context, escape, section, slack_date, text_obj
from storage import ErasePlan

VIEW_ERASE = "erase_customer"

NOT_AN_ADMIN = (":no_entry_sign: Only the admins listed in IDV_ADMINS may erase a customer's data. Nothing was "
                "erased; ask one of them.")


def erase_usage(problem: str) -> str:
    return f":warning: {problem} Type `/verify erase CUST-42` with the customer's reference."


def nothing_to_erase(customer_ref: str) -> str:
    return (f"No verification of {escape(customer_ref)} is stored here, so there is nothing to erase. Check the "
            "reference (`/verify status` finds a customer's verifications).")


def erased_before(plan: ErasePlan) -> str:
    last = max(plan.erased_before, key=lambda e: e.reduced_at or 0)
    return (f"{escape(plan.customer_ref)}'s data was already erased by <@{last.erased_by}> on "
            f"{slack_date(last.reduced_at or last.updated_at)}; nothing is left to erase.")


def _counts(plan: ErasePlan) -> str:
    verifications = len(plan.to_erase)
    accounts = len(plan.accounts)
    return (f"{verifications} verification{'s' if verifications != 1 else ''} and "
            f"{accounts} Jumio account{'s' if accounts != 1 else ''}")


def erase_modal(plan: ErasePlan, channel_id: str) -> dict[str, Any]:
    """The confirmation: what will go, what stays, and that it cannot be undone."""
    lines = [f"*Erase {escape(plan.customer_ref)}?*  This deletes {_counts(plan)}."]
    if plan.accounts:
        lines.append("• At Jumio: each account with all its images and extracted data (Jumio cannot investigate "
                     "them afterwards).")
    lines.append("• Here: everything but a tombstone (IDs, dates, the decision and the audit trail).")
    if plan.in_progress:
        count = len(plan.in_progress)
        lines.append(f"• {count} still in progress: {'it stops' if count == 1 else 'they stop'} now, the customer's "
                     "link dies, and photos dropped later are not sent.")
    blocks = [section("\n".join(lines)),
              context("This cannot be undone. Photos dropped in Slack threads stay in Slack: delete them there.")]
    return {"type": "modal", "callback_id": VIEW_ERASE, "title": text_obj("plain_text", "Erase customer data",
                                                                         MAX_MODAL_TITLE),
            "submit": text_obj("plain_text", "Erase"), "close": text_obj("plain_text", "Cancel"), "blocks": blocks,
            "private_metadata": json.dumps({"customer_ref": plan.customer_ref, "channel_id": channel_id})}


def erase_done_modal(plan: ErasePlan) -> dict[str, Any]:
    return erase_answer_modal(
        f":wastebasket: Erased {_counts(plan)} of {escape(plan.customer_ref)} here."
        + (" Jumio is deleting the accounts now; each verification's thread says when it is done." if plan.accounts
           else ""))


def erase_answer_modal(text: str) -> dict[str, Any]:
    return {"type": "modal", "title": text_obj("plain_text", "Erase customer data", MAX_MODAL_TITLE),
            "close": text_obj("plain_text", "Close"), "blocks": [section(text)]}


def erased_in_thread(by: str, pending: bool, was_open: bool) -> Message:
    text = f":wastebasket: <@{by}> erased this customer's data: only a tombstone (IDs, dates, decision, audit) is kept."
    if was_open:
        text += " The verification was still in progress: it has stopped and the customer's link no longer works."
    if pending:
        text += " Deleting it at Jumio is pending; this thread says when Jumio has done it."
    text += " Delete the photos dropped in this thread from Slack yourself."
    return text, [section(text)]


def deleted_at_jumio(by: str) -> Message:
    text = (f":white_check_mark: Jumio deleted the customer's account with its images and extracted data (erased "
            f"by <@{by}>).")
    return text, [section(text)]
