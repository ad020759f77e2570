"""What the "Verify identity" Workflow Builder step tells a workflow author: plain sentences (Slack shows a step's
error as text), never a link or personal data."""

from __future__ import annotations

from storage import Execution

NO_REQUESTER = "Verify identity needs the person it runs for: set 'Requested by' to the person who used the workflow."
NO_CHANNEL = "Verify identity needs a channel: set 'Channel' to the channel where the verification should appear."
REFUSED = (
    "The person this workflow ran for may not start identity verifications (or not in that channel). Ask "
    "the bot's operator to add them."
)
OTHER_TEAM = "The person this workflow ran for belongs to another Slack organization, which may not use the bot."
ERASED = "An admin erased this customer's verification data before Jumio decided, so there is no decision to report."
GONE = (
    "Jumio no longer has this verification (it was deleted at Jumio), so it will never be decided. Run the "
    "workflow again to start a new one."
)
NO_DECISION = "Jumio finished the verification without a decision type."


def already_open(reference: str, execution: int) -> str:
    return (
        f"{reference} already has an open verification (#{execution}). Let it finish, or ask an agent to run "
        f"/verify status {reference} to see where it stands."
    )


def expired(hours: int) -> str:
    return (
        f"The customer's link expired and nobody sent them a new one within {hours} hours, so Jumio never "
        "received their photos."
    )


def failed(execution: Execution) -> str:
    reason = (execution.last_error or "it gave up").rstrip(".")
    return f"The verification could not be started: {reason}. An agent can press Retry in the thread."
