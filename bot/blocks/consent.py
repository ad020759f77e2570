"""What the consent step says: the consent link for the agent (with a sentence to send), and its outcome."""

from __future__ import annotations

from collections.abc import Sequence

from bot.blocks.kit import PART_LABELS, Message, context, escape, section, slack_date
from bot.blocks.links import copyable, ready_to_send
from bot.blocks.thread import mention, notice

# Reasons a photo cannot go to Jumio now, in the agent's words.
PHOTO_PATH_CLOSED = (
    "photos cannot go to Jumio from this workspace: the customer's consent page needs the bot's "
    "public address (IDV_PUBLIC_URL). Send the customer the Web Client link instead."
)


def consent_link_message(customer_ref: str, consent_url: str) -> Message:
    """The consent link, privately to the agent who dropped photos before the customer consented."""
    text = f"The customer's consent is needed before {escape(customer_ref)}'s photos go to Jumio"

    def to_send(url: str | None) -> str:
        where = f"this link on your phone or computer: {url} ," if url else "the link I am sending you next,"
        return (
            f"Before we can check your ID and selfie, Jumio needs your consent. Please open {where} read the "
            "sentence and tick the box. The link is personal to you, so please do not share it."
        )

    return text, [
        section(
            f":lock: *Only you can see this.* Jumio takes photos through Slack only after the customer "
            f"{escape(customer_ref)} consents themselves. Your photos are checked and kept in the thread; they go "
            "to Jumio as soon as the customer has ticked the box on this page."
        ),
        copyable(consent_url),
        ready_to_send(to_send(consent_url), to_send(None)),
        context("The link is personal to this verification and works once. Do not paste it in a channel."),
    ]


def consent_given(at: float) -> Message:
    return notice(
        f":white_check_mark: The customer gave Jumio their consent {slack_date(at)}. Photos in this thread now go to Jumio."
    )


def photo_held(part: str, filename: str) -> Message:
    label = PART_LABELS.get(part, part)
    return notice(f":hourglass: {escape(filename)} is a good {label}; it goes to Jumio once the customer has consented.")


def jumio_forgot(customer_ref: str, notify: Sequence[str | None] = ()) -> Message:
    people = mention(notify)
    return notice(
        f":warning: Jumio no longer has this verification (it may have been deleted in Jumio's portal), so "
        f"it cannot be finished. Start again with `/verify {escape(customer_ref)}`." + (f"  ·  {people}" if people else "")
    )
