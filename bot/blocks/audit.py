"""Audit events, each declared once: its name (the `action` column), what it records (a typed payload, kept as JSON
in the `data` column) and the words `/verify status` shows for it, rendered from the payload (no sentence is parsed).

    store.audit.add(actor, audit.PHOTO_UPLOADED, execution.id, audit.PhotoSent("FRONT", upload.id, size))

`store.audit.add` takes only a declared event, and for an event with a payload only that payload (a `TypeError`
otherwise), so the trail holds no action without words; the `detail` column keeps the payload's sentence for whoever
reads the table itself. An event without a payload may carry a free note that no words read. `words_for` renders a
row (a row of a name no longer declared shows its name; a row whose data cannot be read shows the event's words
without it). Nothing here holds personal data.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from bot.blocks.kit import PART_LABELS, escape, slack_date
from storage import AuditEntry

EVENTS: dict[str, AuditEvent] = {}
# Who did it, when not a Slack user (their user ID is the actor then).
BOT, JUMIO, CUSTOMER = "system", "jumio", "customer"
Words = Callable[[AuditEntry, str], str]  # (the row, who did it as Slack shows them) → the sentence


class Payload:
    """What an audit event records beyond its name: a frozen dataclass, stored as JSON (`data()`); `sentence()` is
    the `detail` column."""

    def sentence(self) -> str:
        raise NotImplementedError

    def data(self) -> dict[str, Any]:
        return dataclasses.asdict(self)  # type: ignore[call-overload]


@dataclass(frozen=True, eq=False)
class AuditEvent:
    """One kind of audit row. Declared at import; a second event of the same name is an error."""

    name: str
    words: Words
    payload: type[Payload] | None = None

    def __post_init__(self) -> None:
        if self.name in EVENTS:
            raise ValueError(f"audit event {self.name!r} is declared twice")
        EVENTS[self.name] = self

    def __repr__(self) -> str:
        return f"AuditEvent({self.name!r})"


P = TypeVar("P", bound=Payload)


def _typed(name: str, payload: type[P], words: Callable[[P, str], str], unread: str) -> AuditEvent:
    """An event that records `payload`; `unread` (with `{who}`) when a row's data cannot be read."""

    def render(entry: AuditEntry, actor: str) -> str:
        try:
            recorded = payload(**entry.data) if entry.data is not None else None
        except TypeError:  # written by another version of the bot
            recorded = None
        return unread.format(who=actor) if recorded is None else words(recorded, actor)

    return AuditEvent(name, render, payload)


# --- payloads --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dropped(Payload):
    """A Slack file dropped in the thread, and the part it was taken for (None: not known yet)."""

    part: str | None

    def sentence(self) -> str:
        return f"a Slack file as {self.part or 'unknown part'}"


@dataclass(frozen=True)
class PartChosen(Payload):
    part: str | None
    upload: int | None = None

    def sentence(self) -> str:
        return f"{self.part} for upload #{self.upload}"


@dataclass(frozen=True)
class PhotoHeld(Payload):
    part: str | None
    upload: int | None = None

    def sentence(self) -> str:
        return f"{self.part} from upload #{self.upload}, until the customer consents"


@dataclass(frozen=True)
class PhotoSent(Payload):
    part: str | None
    upload: int | None = None
    size: int | None = None  # None: a row from before schema 11 that did not say

    def sentence(self) -> str:
        return f"{self.part} from upload #{self.upload}, {self.size} bytes"


@dataclass(frozen=True)
class Failed(Payload):
    """What failed (a job kind, `upload 7`) and why, in words a person may read."""

    what: str
    reason: str

    def sentence(self) -> str:
        return f"{self.what}: {self.reason}"


@dataclass(frozen=True)
class Outcome(Payload):
    """Jumio's final status, and its decision and label when it processed the verification."""

    status: str
    decision: str | None = None
    label: str | None = None

    def sentence(self) -> str:
        return f"{self.status} {self.decision or ''} {self.label or ''}".strip()


@dataclass(frozen=True)
class Said(Payload):
    """The status a callback reported."""

    status: str

    def sentence(self) -> str:
        return f"says {self.status}"


@dataclass(frozen=True)
class Reason(Payload):
    """A sentence a person may read (a refusal, Slack's error), shown as it is."""

    text: str

    def sentence(self) -> str:
        return self.text


@dataclass(frozen=True)
class Retention(Payload):
    days: int

    def sentence(self) -> str:
        return f"reduced to a tombstone {self.days} days after it ended"


@dataclass(frozen=True)
class StepEnded(Payload):
    """How a workflow's step ended at Slack: `completed`, `failed`, or `not running` (it had ended already)."""

    how: str

    def sentence(self) -> str:
        return self.how


def who(actor: str) -> str:
    if actor.startswith(("U", "W")):
        return f"<@{actor}>"
    return {BOT: "the bot", JUMIO: "Jumio", CUSTOMER: "the customer"}.get(actor, escape(actor))


def _part(part: str | None) -> str:
    return PART_LABELS.get(part or "", "a photo")


def _outcome(outcome: Outcome) -> str:
    """`Outcome("PROCESSED", "REJECTED", "MANIPULATED_DOCUMENT")` → `Jumio decided REJECTED (MANIPULATED_DOCUMENT)`."""
    if outcome.status != "PROCESSED" or not outcome.decision:
        return f"Jumio ended it: {escape(outcome.status)}"
    label = outcome.label
    return f"Jumio decided {escape(outcome.decision)}" + (
        f" ({escape(label)})" if label and label != outcome.decision else ""
    )


def _by_agent(entry: AuditEntry) -> bool:
    return entry.actor.startswith(("U", "W"))


# Starting, links and the customer's consent
START = AuditEvent("start", lambda e, w: f"started by {w}")
STEP_STARTED = AuditEvent("step_started", lambda e, w: f"started by a workflow for {w} (Workflow Builder step)")
STEP_REFUSED = _typed(
    "step_refused",
    Reason,
    lambda r, w: f"a workflow's step for {w} was refused: {escape(r.text)}",
    "a workflow's step for {who} was refused",
)
STEP_COMPLETED = _typed(
    "step_completed",
    StepEnded,
    lambda s, w: (
        "the workflow's step was given Jumio's decision"
        if s.how == "completed"
        else "the workflow's step was told it failed"
        if s.how == "failed"
        else "the workflow's step had already ended at Slack"
    ),
    "the workflow's step ended",
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
PHOTO_RECEIVED = _typed(
    "photo_received", Dropped, lambda d, w: f"{_part(d.part)} dropped by {w}", "a photo dropped by {who}"
)
PART_CHOSEN = _typed("part_chosen", PartChosen, lambda c, w: f"{_part(c.part)} chosen by {w}", "a photo chosen by {who}")
PHOTO_HELD = _typed(
    "photo_held",
    PhotoHeld,
    lambda h, w: f"{_part(h.part)} from {w} checked, held until the customer consents",
    "a photo from {who} checked, held until the customer consents",
)
PHOTO_UPLOADED = _typed(
    "photo_uploaded", PhotoSent, lambda p, w: f"{_part(p.part)} from {w} sent to Jumio", "a photo from {who} sent to Jumio"
)
PHOTO_UNCERTAIN = AuditEvent("photo_uncertain", lambda e, w: "a photo's upload was interrupted; it was asked for again")
PHOTO_REJECTED = _typed(
    "photo_rejected",
    Reason,
    lambda r, w: f"a photo from {w} was not sent: {escape(r.text)}",
    "a photo from {who} was not sent",
)
PHOTO_NOT_SENT = _typed(
    "photo_not_sent", Failed, lambda f, w: f"a photo was not sent: {escape(f.reason)}", "a photo was not sent"
)
SUBMITTED = AuditEvent(
    "submitted", lambda e, w: f"submitted to Jumio by {w}" if _by_agent(e) else "submitted to Jumio (all photos in)"
)
SUBMITTED_ON_WEB = AuditEvent("submitted_on_web", lambda e, w: "the customer submitted on Jumio's page")
# Jumio's word
CALLBACK = _typed("callback", Said, lambda s, w: f"Jumio called back ({escape(s.status)})", "Jumio called back")
RESULT = _typed("result", Outcome, lambda o, w: _outcome(o), "Jumio ended it")
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
JOB_FAILED = _typed("job_failed", Failed, lambda f, w: f"a step failed: {escape(f.reason)}", "a step failed")
RETRY = AuditEvent("retry", lambda e, w: f"retried by {w}")
SLACK_REFUSED = _typed(
    "slack_refused", Reason, lambda r, w: f"Slack refused a message: {escape(r.text)}", "Slack refused a message"
)
REFUSED = AuditEvent("refused", lambda e, w: f"{w} was refused (not allowed)")
# Erase and retention
ERASE_REFUSED = AuditEvent(
    "erase_refused", lambda e, w: f"{w} asked to erase the customer's data and was refused (not an admin)"
)
ERASED = AuditEvent("erased", lambda e, w: f"the customer's data erased by {w}")
ACCOUNT_DELETED = AuditEvent("account_deleted", lambda e, w: "the Jumio account deleted at Jumio")
RETENTION = _typed(
    "retention",
    Retention,
    lambda r, w: f"reduced to a tombstone ({r.days} days after it ended)",
    "reduced to a tombstone",
)


def words_for(entry: AuditEntry) -> str:
    """One audit row as a sentence: `<date> ID front sent to Jumio by @agent`."""
    event = EVENTS.get(entry.action)
    actor = who(entry.actor)
    words = event.words(entry, actor) if event else f"{escape(entry.action.replace('_', ' '))} by {actor}"
    return f"{slack_date(entry.at)} {words}"
