"""What listeners work with, handed to them through Bolt's `context`: the store, the journey, the access policy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.journey import Journey
from storage import Store


@dataclass(frozen=True)
class AccessPolicy:
    """Who may use the bot, and where: empty sets mean everyone, everywhere."""

    users: frozenset[str] = frozenset()
    channels: frozenset[str] = frozenset()

    def allows(self, user_id: str | None, channel_id: str | None = None) -> bool:
        if self.users and user_id not in self.users:
            return False
        return not (self.channels and channel_id is not None and channel_id not in self.channels)


@dataclass(frozen=True)
class Services:
    store: Store
    journey: Journey
    access: AccessPolicy


CONTEXT_KEY = "services"


def services_of(context: Any) -> Services:
    """The services a global middleware put in Bolt's `context` for this request."""
    services = context[CONTEXT_KEY]
    assert isinstance(services, Services)
    return services
