"""What a Slack Web API error means: its code, and whether trying again can help."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError

from bot.failures import Failure

# Slack errors that retrying will not fix, in the agent's words.
PERMANENT = {
    "not_in_channel": "the bot is not in that channel; invite it with /invite",
    "channel_not_found": "the bot cannot see that channel (is it private? invite the bot)",
    "is_archived": "the channel is archived",
    "restricted_action": "the workspace does not allow the bot to post there",
    "msg_too_long": "the message was too long",
    "invalid_blocks": "Slack refused the message layout",
    "file_not_found": "the file is no longer in Slack",
    "file_deleted": "the file was deleted from Slack",
    "user_not_in_channel": "that person is not in the channel",
    "message_not_found": "the verification's message was deleted",
    "cant_update_message": "the verification's message can no longer be edited",
    "missing_scope": "the app lacks a Slack permission: reinstall it from `idv-bot manifest`",
    "not_allowed_token_type": "Slack does not take that kind of token for this call",
}
# Answers that trying again may fix: Slack's own transient errors, and no JSON at all (a 5xx from a proxy).
TRANSIENT = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout", "unknown_error"}
)


def is_transient(code: str) -> bool:
    return code in TRANSIENT or code.startswith("http_")


# Answers to a user token that no longer works: it is forgotten, and the agent connects again.
TOKEN_GONE = frozenset(
    {"invalid_auth", "token_revoked", "token_expired", "account_inactive", "not_authed", "missing_scope", "no_permission"}
)
# Ephemeral messages Slack will never show that person in that channel: the app's Messages tab is used instead.
EPHEMERAL_UNDELIVERABLE = frozenset({"user_not_in_channel", "channel_not_found", "not_in_channel", "is_archived"})


def error_code(exc: SlackApiError) -> str:
    """Slack's `error` code, or `http_<status>` when the answer was not Slack's JSON (a 5xx page from a proxy)."""
    response = exc.response
    data = getattr(response, "data", None)
    if isinstance(data, dict) and isinstance(data.get("error"), str):
        return data["error"]
    status = getattr(response, "status_code", None)
    return f"http_{status}" if status else "unknown_error"


class SlackFailed(Failure):
    """A Slack Web API call failed in a way that trying again may fix (the runner retries it)."""

    def __init__(self, code: str) -> None:
        super().__init__(f"Slack answered {code}")
        self.code = code

    @classmethod
    def from_error(cls, exc: SlackApiError) -> SlackFailed:
        return cls(error_code(exc))
