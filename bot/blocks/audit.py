"""Audit events, each declared once: its name (the `action` column) and the words `/verify status` shows for it.

    store.audit.add(actor, audit.PHOTO_UPLOADED, execution.id, "FRONT from a Slack file")

`store.audit.add` takes only a declared event, so the trail holds no action without words; `words_for` renders a row (a
row of a name no longer declared shows its name). `detail` holds no personal data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.blocks.kit import PART_LABELS, escape, slack_date
from storage import AuditEntry

EVENTS: dict[str, AuditEvent] = {}
# Who did it, when not a Slack user (their user ID is the actor then).
BOT, JUMIO, CUSTOMER = "system", "jumio", "customer"
Words = Callable[[AuditEntry, str], str]  # (the row, who did it as Slack shows them) → the sentence


@dataclass(frozen=True, eq=False)
class AuditEvent:
    """One kind of audit row. Declared at import; a second event of the same name is an error."""

    name: str
    words: Words

    def __post_init__(self) -> None:
        if self.name in EVENTS:
            raise ValueError(f"audit event {self.name!r} is declared twice")
        EVENTS[self.name] = self

    def __repr__(self) -> str:
        return f"AuditEvent({self.name!r})"


def who(actor: str) -> str:
    if actor.startswith(("U", "W")):
        return f"<@{actor}>"
    return {BOT: "the bot", JUMIO: "Jumio", CUSTOMER: "the customer"}.get(actor, escape(actor))


def _first_part(detail: str) -> str:
    """The part named first in a detail (`FRONT from a Slack file`), in the agent's words."""
    first = detail.split(" ", 1)[0] if detail else ""
    return PART_LABELS.get(first, "a photo")


def _dropped_part(detail: str) -> str:
    """`a Slack file as FRONT` → `ID front`; a photo whose part was not yet known is "a photo"."""
    part = detail.rsplit(" as ", 1)[-1] if " as " in detail else ""
    return PART_LABELS.get(part, "a photo")


def _result(detail: str) -> str:
    """`PROCESSED REJECTED MANIPULATED_DOCUMENT` → `Jumio decided REJECTED (MANIPULATED_DOCUMENT)`."""
    status, _, rest = detail.partition(" ")
    decision, _, label = rest.partition(" ")
    if status != "PROCESSED" or not decision:
        return f"Jumio ended it: {escape(status or detail)}"
    return f"Jumio decided {escape(decision)}" + (f" ({escape(label)})" if label and label != decision else "")


def _reason(detail: str) -> str:
    """`kind: reason` → `reason`."""
    return escape(detail.partition(": ")[2] or detail)


def _by_agent(entry: AuditEntry) -> bool:
    return entry.actor.startswith(("U", "W"))


# Starting, links and the customer's consent
START = AuditEvent("start", lambda e, w: f"started by {w}")
STEP_STARTED = AuditEvent("step_started", lambda e, w: f"started by a workflow for {w} (Workflow Builder step)")
STEP_REFUSED = AuditEvent("step_refused", lambda e, w: f"a workflow's step for {w} was refused: {escape(e.detail or '')}")
STEP_COMPLETED = AuditEvent(
    "step_completed",
    lambda e, w: (
        "the workflow's step was given Jumio's decision"
        if e.detail == "completed"
        else "the workflow's step was told it failed"
        if e.detail == "failed"
        else "the workflow's step had already ended at Slack"
    ),
)
ACCOUNT_CREATED = AuditEvent("account_created", lambda e, w: "Jumio account and link made")
LINK_SENT = AuditEvent("link_sent", lambda e, w: f"customer link sent privately to {w}")
LINK_SHOWN = AuditEvent("link_shown", lambda e, w: f"customer link shown to {w}")
NEW_LINK = AuditEvent("new_link", lambda e, w: f"new link asked for by {w}")
TAKE_OVER = AuditEvent("take_over", lambda e, w: f"link taken over by {w}")
CONSENT_LINK_SENT = AuditEvent("consent_link_sent", lambda e, w: f"consent link sent privately to {w}")
CONSENT_GIVEN = AuditEvent("consent_given", lambda e, w: "the customer consented on the consent page")
PREPARED_DATA_SENT = AuditEvent("prepared_data_sent", lambda e, w: "supporting data sent to Jumio")
EXECUTION_DELETED = AuditEvent("execution_deleted", lambda e, w: "closed at Jumio (replaced)")
MADE_AFTER_END = AuditEvent(
    "made_after_end", lambda e, w: "Jumio made a transaction while the verification was being erased; deleted at Jumio"
)
ANSWER_LOST = AuditEvent(
    "answer_lost", lambda e, w: "Jumio's answer was lost, so it may have made a transaction; not repeated on its own"
)
STRAY_DELETED = AuditEvent(
    "stray_deleted", lambda e, w: "a transaction Jumio made for a lost answer turned up and was deleted at Jumio"
)
# Photos and submitting
PHOTO_RECEIVED = AuditEvent("photo_received", lambda e, w: f"{_dropped_part(e.detail or '')} dropped by {w}")
PART_CHOSEN = AuditEvent("part_chosen", lambda e, w: f"{_first_part(e.detail or '')} chosen by {w}")
PHOTO_HELD = AuditEvent(
    "photo_held", lambda e, w: f"{_first_part(e.detail or '')} from {w} checked, held until the customer consents"
)
PHOTO_UPLOADED = AuditEvent("photo_uploaded", lambda e, w: f"{_first_part(e.detail or '')} from {w} sent to Jumio")
PHOTO_UNCERTAIN = AuditEvent("photo_uncertain", lambda e, w: "a photo's upload was interrupted; it was asked for again")
PHOTO_REJECTED = AuditEvent("photo_rejected", lambda e, w: f"a photo from {w} was not sent: {escape(e.detail or '')}")
PHOTO_NOT_SENT = AuditEvent("photo_not_sent", lambda e, w: f"a photo was not sent: {_reason(e.detail or '')}")
SUBMITTED = AuditEvent(
    "submitted", lambda e, w: f"submitted to Jumio by {w}" if _by_agent(e) else "submitted to Jumio (all photos in)"
)
SUBMITTED_ON_WEB = AuditEvent("submitted_on_web", lambda e, w: "the customer submitted on Jumio's page")
# Jumio's word
CALLBACK = AuditEvent("callback", lambda e, w: f"Jumio called back ({escape((e.detail or '').removeprefix('says '))})")
RESULT = AuditEvent("result", lambda e, w: _result(e.detail or ""))
NOT_FOUND = AuditEvent("not_found", lambda e, w: "Jumio no longer has it")
SWEEP_GAVE_UP = AuditEvent("sweep_gave_up", lambda e, w: "the bot stopped asking Jumio (no decision for days)")
# Photos out of the channel, agents' Slack users
SLACK_FILE_DELETED = AuditEvent(
    "slack_file_deleted", lambda e, w: "a photo deleted from Slack" + (f" by {w}" if _by_agent(e) else "")
)
SLACK_FILE_REMINDER = AuditEvent(
    "slack_file_reminder", lambda e, w: "the thread was asked to delete a photo from Slack by hand"
)
SLACK_USER_CONNECTED = AuditEvent("slack_user_connected", lambda e, w: f"{w} connected their Slack user")
SLACK_USER_DISCONNECTED = AuditEvent("slack_user_disconnected", lambda e, w: f"{w} disconnected their Slack user")
# Jobs, Slack refusing, who may not
JOB_FAILED = AuditEvent("job_failed", lambda e, w: f"a step failed: {_reason(e.detail or '')}")
RETRY = AuditEvent("retry", lambda e, w: f"retried by {w}")
SLACK_REFUSED = AuditEvent("slack_refused", lambda e, w: f"Slack refused a message: {escape(e.detail or '')}")
REFUSED = AuditEvent("refused", lambda e, w: f"{w} was refused (not allowed)")
# Erase and retention
ERASE_REFUSED = AuditEvent(
    "erase_refused", lambda e, w: f"{w} asked to erase the customer's data and was refused (not an admin)"
)
ERASED = AuditEvent("erased", lambda e, w: f"the customer's data erased by {w}")
ACCOUNT_DELETED = AuditEvent("account_deleted", lambda e, w: "the Jumio account deleted at Jumio")
RETENTION = AuditEvent(
    "retention", lambda e, w: f"reduced to a tombstone ({escape((e.detail or '').rpartition('tombstone ')[2])})"
)


def words_for(entry: AuditEntry) -> str:
    """One audit row as a sentence: `<date> ID front sent to Jumio by @agent`."""
    event = EVENTS.get(entry.action)
    actor = who(entry.actor)
    words = event.words(entry, actor) if event else f"{escape(entry.action.replace('_', ' '))} by {actor}"
    return f"{slack_date(entry.at)} {words}"
