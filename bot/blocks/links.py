"""The customer's link, for the agent it was issued to only: the private message at start, the link modal (the
root message's "Customer link" button), and what everyone else is told instead.

A live link lets whoever holds it run the customer's session, so nothing here goes to anyone but its holder; the
fallback `text` of each message never carries it.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from bot.blocks.kit import (
    ACTION_TAKE_OVER,
    MAX_MODAL_TITLE,
    MAX_SECTION_TEXT,
    Blocks,
    Message,
    actions,
    button,
    confirm_dialog,
    context,
    escape,
    section,
    slack_date,
    text_obj,
)
from bot.blocks.thread import closed_reason
from storage import Execution, Status

# Reference §8: once started, a session ends after 15 minutes without a capture or upload (G-KYX).
SESSION_INACTIVITY_MINUTES = 15


def _customer_date(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%d %B %Y, %H:%M UTC")


def message_for_customer(url: str | None, expires_at: float | None) -> str:
    """What the agent sends the customer: what they need at hand, that the link is personal, until when it works."""
    until = f" It works until {_customer_date(expires_at)}." if expires_at else ""
    where = f"open this link on your phone: {url}" if url else "open the link I am sending you next on your phone"
    return (
        f"Hello, to verify your identity with our partner Jumio, please {where} . Have your ID document "
        "(passport, ID card or driving licence) at hand: you will take photos of it and a selfie. The link is "
        f"personal to you, so please do not share it.{until}"
    )


def copyable(url: str) -> dict[str, Any]:
    """A link as text to copy (a code block: Slack neither shortens nor previews it)."""
    return section(f"```{escape(url)}```")


def ready_to_send(with_link: str, without_link: str) -> dict[str, Any]:
    """A message for the agent to send the customer, as one block to copy; when the link makes it too long for one
    block, the message without it (the link is in the block above)."""
    text = f"*Message to send the customer:*\n```{escape(with_link)}```"
    if len(text) > MAX_SECTION_TEXT:
        text = f"*Message to send the customer* (then the link above):\n```{escape(without_link)}```"
    return section(text)


def stops_working(expires_at: float | None) -> str:
    when = f"until {slack_date(expires_at)}" if expires_at else "for a limited time"
    return (
        f"Works {when} if the customer has not started by then; once they start, the session ends after "
        f"{SESSION_INACTIVITY_MINUTES} minutes without a photo. The customer's decision appears in the thread."
    )


def link_blocks(customer_ref: str, web_href: str | None, expires_at: float | None, consent_url: str | None) -> Blocks:
    """The link as copyable text, when it stops working, and a message for the customer; then the consent link
    for the photo path, when there is one."""
    blocks: Blocks = []
    if web_href:
        blocks += [
            section(
                f":lock: *Only you can see this.* The link for {escape(customer_ref)}'s identity check. Send it "
                "to the customer yourself, through a channel you trust (email, text message, your support "
                "chat). Do not open it: it starts the customer's own session."
            ),
            copyable(web_href),
            ready_to_send(message_for_customer(web_href, expires_at), message_for_customer(None, expires_at)),
            context(stops_working(expires_at)),
        ]
    if consent_url:
        blocks += [
            section(
                "*To take the photos in the thread instead*, the customer first consents to Jumio themselves, "
                "on their own device, here:"
            ),
            copyable(consent_url),
        ]
    return blocks


def link_message(customer_ref: str, web_href: str, expires_at: float | None, consent_url: str | None = None) -> Message:
    """The private message at start (Slack does not guarantee it arrives: the modal shows the same)."""
    blocks = link_blocks(customer_ref, web_href, expires_at, consent_url)
    blocks.append(context("Lost this message? Press *Customer link* on the verification's message."))
    return f"Private link for {escape(customer_ref)}'s identity verification", blocks


def _modal(blocks: Blocks, channel_id: str | None = None) -> dict[str, Any]:
    view = {
        "type": "modal",
        "title": text_obj("plain_text", "Customer link", MAX_MODAL_TITLE),
        "close": text_obj("plain_text", "Close"),
        "blocks": blocks,
    }
    if channel_id:  # a button in the modal acts only on a verification of the channel it was opened from
        view["private_metadata"] = json.dumps({"channel_id": channel_id})
    return view


def link_modal(customer_ref: str, web_href: str | None, expires_at: float | None, consent_url: str | None) -> dict[str, Any]:
    """For the agent the live link was issued to."""
    return _modal(link_blocks(customer_ref, web_href, expires_at, consent_url))


def held_by_other_modal(
    customer_ref: str, execution_id: int, holder: str, issued_at: float, channel_id: str
) -> dict[str, Any]:
    """For anyone else: who holds the link, and a take-over for a shift change."""
    take_over = button(
        "Take over the link",
        ACTION_TAKE_OVER,
        str(execution_id),
        style="danger",
        confirm=confirm_dialog(
            "Take over the link?",
            "Jumio closes the link the other agent holds (if the customer has it, it stops working) "
            "and makes a new one for you. This is recorded.",
            "Take over",
            "Cancel",
        ),
    )
    return _modal(
        [
            section(
                f":lock: <@{holder}> holds the customer's link for {escape(customer_ref)} (since "
                f"{slack_date(issued_at)}). Only they can see it: ask them for it."
            ),
            context("Taking over is for a shift change: the other agent's link stops working and you get a new one."),
            *actions(take_over),
        ],
        channel_id,
    )


def no_link_reason(execution: Execution) -> str:
    """Why a verification has no link to hand out (or take over), in the agent's words."""
    if execution.api_consent is not None or execution.status == Status.SUPERSEDED:
        return "the customer has consented, so the photos go to Jumio from the thread; there is no link to send."
    if execution.status == Status.PENDING:
        return "Jumio is still making it; try again in a few seconds."
    if execution.status == Status.INITIATED:
        return "the customer has consented and Jumio is getting ready for the photos from the thread."
    return closed_reason(execution)


def no_link_modal(reason: str) -> dict[str, Any]:
    return _modal([section(f"There is no link to send: {reason}")])


def taking_over_modal(customer_ref: str) -> dict[str, Any]:
    return _modal(
        [
            section(
                f":hourglass_flowing_sand: Jumio is making a new link for {escape(customer_ref)}; it "
                "comes to you privately in the verification's channel in a few seconds, and *Customer "
                "link* shows it too."
            )
        ]
    )


def link_held_by(holder: str) -> str:
    return (
        f"<@{holder}> holds this verification's live link. Ask them for it, or press *Customer link* on the "
        "verification's message to take it over."
    )


def taken_over(by: str, holder: str) -> Message:
    text = (
        f":link: <@{by}> took over the customer's link from <@{holder}>; the old link no longer works and "
        "photos start again in this thread."
    )
    return text, [section(text)]
