"""The stand-in's directory: channels (public, private, who is in each, a thread's messages) and users, as the bot
token sees them: `conversations.info`, `conversations.members`, `conversations.replies`, `users.info`,
`users.conversations` (Slack hides a private channel the bot is not in, and refuses a `limit` over 999)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.sandbox.slack.contract import USERS_CONVERSATIONS_MAX_LIMIT
from bot.sandbox.slack.state import SlackState


class Directory:
    """Mixed into the stand-in: needs its channels, members, bot user and `team_of`."""

    known_channels: set[str]
    member_of: set[str]
    private_channels: set[str]
    channel_members: dict[str, set[str]]
    bot_user_id: str
    team_of: Callable[[str], str]
    state: SlackState
    _channel_error: Callable[[str | None], dict[str, Any] | None]

    def m_conversations_replies(self, params: dict[str, Any]) -> dict[str, Any]:
        """A thread's messages, its root first (all the bot's: the stand-in keeps only what the bot posted)."""
        error = self._channel_error(params.get("channel"))
        if error:
            return error
        channel, ts = str(params.get("channel")), str(params.get("ts"))
        found = [
            m
            for m in self.state.messages
            if m.channel == channel and not m.ephemeral_to and (m.ts == ts or m.thread_ts == ts)
        ]
        if not found:
            return {"ok": False, "error": "thread_not_found"}
        return {
            "ok": True,
            "has_more": False,
            "response_metadata": {"next_cursor": ""},
            "messages": [
                {"type": "message", "ts": m.ts, "thread_ts": ts, "text": m.text, "bot_id": "BIDV", "user": self.bot_user_id}
                for m in sorted(found, key=lambda m: float(m.ts))
            ],
        }

    def m_conversations_info(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = str(params.get("channel"))
        if channel not in self.known_channels or (channel in self.private_channels and channel not in self.member_of):
            return {"ok": False, "error": "channel_not_found"}  # Slack hides private channels the bot is not in
        return {
            "ok": True,
            "channel": {
                "id": channel,
                "name": channel.lower(),
                "is_channel": True,
                "is_private": channel in self.private_channels,
                "is_member": channel in self.member_of,
                "is_archived": False,
            },
        }

    def m_conversations_members(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = str(params.get("channel"))
        if channel not in self.known_channels or (channel in self.private_channels and channel not in self.member_of):
            return {"ok": False, "error": "channel_not_found"}
        members = sorted(
            self.channel_members.get(channel, set()) | ({self.bot_user_id} if channel in self.member_of else set())
        )
        return {"ok": True, "members": members, "response_metadata": {"next_cursor": ""}}

    def m_users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user = str(params.get("user"))
        return {"ok": True, "user": {"id": user, "team_id": self.team_of(user), "name": user.lower()}}

    def m_users_conversations(self, params: dict[str, Any]) -> dict[str, Any]:
        """The user's channels; private ones only where the bot is a member too (as with a bot token)."""
        user = params.get("user")
        try:
            limit = int(params.get("limit", 100))
        except (TypeError, ValueError):
            return {"ok": False, "error": "invalid_limit"}
        if not 1 <= limit <= USERS_CONVERSATIONS_MAX_LIMIT:
            return {"ok": False, "error": "invalid_limit"}  # "Must be an integer with a max value of 999"
        channels = [
            c
            for c in sorted(self.known_channels)
            if user in self.channel_members.get(c, set()) and (c not in self.private_channels or c in self.member_of)
        ]
        return {
            "ok": True,
            "channels": [{"id": c, "is_private": c in self.private_channels} for c in channels],
            "response_metadata": {"next_cursor": ""},
        }
