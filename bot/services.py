"""What listeners work with, handed to them through Bolt's `context`: the store, the journey, the access policy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.journey import Journey
from storage import Store


@dataclass(frozen=True)
class AccessPolicy:
    """Who may use the bot, and where: empty user and channel sets mean everyone, everywhere; `teams` (the bot's own
    from `auth.test`, and IDV_ALLOWED_TEAMS) and `enterprise` (the bot's Enterprise Grid org) say which Slack teams
    may act at all (empty: not checked)."""

    users: frozenset[str] = frozenset()
    channels: frozenset[str] = frozenset()
    teams: frozenset[str] = frozenset()
    enterprise: str | None = None
    admins: frozenset[str] = frozenset()  # IDV_ADMINS: who may erase a customer's data (empty: nobody)

    def allows(self, user_id: str | None, channel_id: str | None = None) -> bool:
        if self.users and user_id not in self.users:
            return False
        return not (self.channels and channel_id is not None and channel_id not in self.channels)

    def allows_team(self, team_id: str | None, enterprise_id: str | None = None) -> bool:
        """Whether someone of this team (and enterprise) may act: the bot's team, one listed, or the same org."""
        if not self.teams:
            return True
        return team_id in self.teams or (self.enterprise is not None and enterprise_id == self.enterprise)


@dataclass(frozen=True)
class Services:
    store: Store
    journey: Journey
    access: AccessPolicy
    connect_url: str | None = None  # where an agent connects their Slack user (None: SLACK_CLIENT_ID not set)


CONTEXT_KEY = "services"


def services_of(context: Any) -> Services:
    """The services a global middleware put in Bolt's `context` for this request."""
    services = context[CONTEXT_KEY]
    assert isinstance(services, Services)
    return services
