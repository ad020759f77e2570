"""Block Kit builders: pure functions from the bot's state to what Slack shows. One place builds each message.

Each message builder returns `(text, blocks)`: `text` is the notification fallback Slack requires beside blocks.
Nothing here shows extracted personal data, a token or a Web Client link, except `link_message`, which is only ever
sent to the requesting agent privately.

| module | what |
|---|---|
| `kit` | ids the listeners register, elements, escaping, dates, the one status-to-words mapping |
| `thread` | the root message and what the journey says in the thread or privately; reasons in agents' words |
| `answers` | refusals, help, status, an already open verification, App Home |
| `forms` | the /verify modal |
| `consent` | the consent link for the agent, and what the consent step says in the thread |
"""

from bot.blocks.answers import (
    STALE_BUTTON,
    UPLOAD_REFUSED,
    already_open,
    form_failed,
    help_message,
    home_view,
    refusal,
    starting,
    status_message,
    status_usage,
)
from bot.blocks.consent import PHOTO_PATH_CLOSED, consent_given, consent_link_message, jumio_forgot, photo_held
from bot.blocks.forms import LANGUAGES, stale_form, start_modal
from bot.blocks.kit import (
    ACTION_CHOOSE_PART,
    ACTION_NEW_LINK,
    ACTION_OPEN_START_MODAL,
    ACTION_RETRY,
    ACTION_START_ANYWAY,
    ACTION_SUBMIT,
    PART_LABELS,
    PART_ORDER,
    VIEW_START,
    Blocks,
    Message,
    age,
    describe_status,
    escape,
    slack_date,
)
from bot.blocks.thread import (
    ALREADY_SUBMITTED,
    NO_MORE_PHOTOS_AT_JUMIO,
    RESTARTED_WHILE_SENDING,
    ask_part,
    checklist,
    closed_reason,
    drop_again,
    expired_message,
    file_rejected,
    job_failed,
    job_failed_privately,
    link_message,
    new_link_started,
    notice,
    part_chosen,
    part_not_taken,
    part_received,
    result_message,
    root_message,
    still_undecided,
    stopped_asking,
    submit_needs,
    submitted,
    supporting_data_not_taken,
)

__all__ = [
    "ACTION_CHOOSE_PART",
    "ACTION_NEW_LINK",
    "ACTION_OPEN_START_MODAL",
    "ACTION_RETRY",
    "ACTION_START_ANYWAY",
    "ACTION_SUBMIT",
    "ALREADY_SUBMITTED",
    "LANGUAGES",
    "NO_MORE_PHOTOS_AT_JUMIO",
    "PART_LABELS",
    "PART_ORDER",
    "PHOTO_PATH_CLOSED",
    "RESTARTED_WHILE_SENDING",
    "STALE_BUTTON",
    "UPLOAD_REFUSED",
    "VIEW_START",
    "Blocks",
    "Message",
    "age",
    "already_open",
    "ask_part",
    "checklist",
    "closed_reason",
    "consent_given",
    "consent_link_message",
    "describe_status",
    "drop_again",
    "escape",
    "expired_message",
    "file_rejected",
    "form_failed",
    "help_message",
    "home_view",
    "job_failed",
    "job_failed_privately",
    "jumio_forgot",
    "link_message",
    "new_link_started",
    "notice",
    "part_chosen",
    "part_not_taken",
    "part_received",
    "photo_held",
    "refusal",
    "result_message",
    "root_message",
    "slack_date",
    "stale_form",
    "start_modal",
    "starting",
    "status_message",
    "status_usage",
    "still_undecided", "stopped_asking",
    "submit_needs",
    "submitted",
    "supporting_data_not_taken",
]
