"""What Slack grants and refuses, as its reference documents it (shared/reference/slack-bolt.md §13): the scope each
Web API method needs, the scope each event needs, and the other refusals the stand-in repeats.

Sources: each method's page docs.slack.dev/reference/methods/<method> ("Required scopes"); the same facts as
machine-readable specs in slack-ruby/slack-api-ref `methods/<group>/<method>.json`; Block Kit reference (buttons,
blocks) for uniqueness; api.slack.com/interactivity/handling for response_url; docs.slack.dev/authentication/
installing-with-oauth for the authorize step.

The stand-in grants exactly the scopes of the manifest it is handed (`bot.manifest.render_for` of the bot's settings):
a method called without its scope answers `missing_scope` with `needed` and `provided`, as Slack does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

# method → scopes it may need with a bot (or user) token. `None`: no scope. For conversation methods the scope depends
# on the kind of conversation (public channel, private channel, …): `CONVERSATION_SCOPES` picks among them.
METHOD_SCOPES: dict[str, tuple[str, ...] | None] = {
    "chat.postMessage": ("chat:write",),
    "chat.update": ("chat:write",),
    "chat.delete": ("chat:write",),
    "chat.postEphemeral": ("chat:write",),
    "chat.getPermalink": None,
    "users.info": ("users:read",),
    "users.conversations": ("channels:read", "groups:read", "im:read", "mpim:read"),
    "conversations.info": ("channels:read", "groups:read", "im:read", "mpim:read"),
    "conversations.members": ("channels:read", "groups:read", "im:read", "mpim:read"),
    "conversations.history": ("channels:history", "groups:history", "im:history", "mpim:history"),
    "conversations.replies": ("channels:history", "groups:history", "im:history", "mpim:history"),
    "conversations.join": ("channels:join",),
    "files.info": ("files:read",),
    "files.delete": ("files:write",),
    "reactions.add": ("reactions:write",),
    "views.open": None,
    "views.update": None,
    "views.push": None,
    "views.publish": None,
    "auth.test": None,
    "auth.revoke": None,
    "functions.completeSuccess": None,
    "functions.completeError": None,
    "apps.connections.open": None,  # an app-level token with connections:write, which the manifest does not hold
    "oauth.v2.access": None,  # the client id and secret, not a token
}
# Which of a conversation method's scopes a kind of conversation needs (`types` of users.conversations).
CONVERSATION_SCOPES = {
    "public_channel": {"read": "channels:read", "history": "channels:history"},
    "private_channel": {"read": "groups:read", "history": "groups:history"},
    "im": {"read": "im:read", "history": "im:history"},
    "mpim": {"read": "mpim:read", "history": "mpim:history"},
}
# Downloading `url_private(_download)` needs what files.info needs.
DOWNLOAD_SCOPE = "files:read"
# An event arrives only if the manifest subscribes to it, and each subscription needs its scope.
EVENT_SCOPES: dict[str, str | None] = {
    "message.channels": "channels:history",
    "message.groups": "groups:history",
    "message.im": "im:history",
    "message.mpim": "mpim:history",
    "app_home_opened": None,
    "file_shared": "files:read",
    "function_executed": None,
}
USERS_CONVERSATIONS_MAX_LIMIT = 999  # users.conversations: "Must be an integer with a max value of 999"
RESPONSE_URL_USES = 5  # "up to 5 times within 30 minutes" (api.slack.com/interactivity/handling)
RESPONSE_URL_SECONDS = 30 * 60


@dataclass(frozen=True)
class Grant:
    """What an installed manifest grants: bot and user scopes, events, redirect URLs."""

    bot_scopes: frozenset[str]
    user_scopes: frozenset[str]
    bot_events: frozenset[str]
    redirect_urls: tuple[str, ...]

    @classmethod
    def of(cls, manifest: Mapping[str, Any]) -> Grant:
        oauth = manifest.get("oauth_config", {})
        scopes = oauth.get("scopes", {})
        events = manifest.get("settings", {}).get("event_subscriptions", {}).get("bot_events", [])
        return cls(
            frozenset(scopes.get("bot", [])),
            frozenset(scopes.get("user", [])),
            frozenset(events),
            tuple(oauth.get("redirect_urls", [])),
        )

    def subscribed(self, event_type: str) -> bool:
        scope = EVENT_SCOPES.get(event_type)
        return event_type in self.bot_events and (scope is None or scope in self.bot_scopes)

    def redirect_allowed(self, redirect_uri: str) -> bool:
        """Slack takes a redirect_uri that is a configured Redirect URL or a path below one."""
        return any(redirect_uri == url or redirect_uri.startswith(url.rstrip("/") + "/") for url in self.redirect_urls)


def needed_scope(method: str, params: Mapping[str, Any], conversation_kind: str | None) -> str | None:
    """The scope `method` needs for these arguments (None: none). KeyError for a method with no row: the stand-in
    does not know it, and `tests/unit/test_slack_contract.py` fails for any method the bot calls without one."""
    scopes = METHOD_SCOPES[method]
    if scopes is None:
        return None
    if len(scopes) == 1:
        return scopes[0]
    family = "history" if scopes[0].endswith(":history") else "read"
    if method == "users.conversations":
        kinds = str(params.get("types") or "public_channel").split(",")
    else:
        kinds = [conversation_kind or "public_channel"]
    return ",".join(CONVERSATION_SCOPES[kind.strip()][family] for kind in kinds if kind.strip() in CONVERSATION_SCOPES)


def missing_scope(needed: str | None, granted: Iterable[str]) -> dict[str, Any] | None:
    """Slack's answer to a call without its scope, or None when the scope is granted. `needed` may list several
    (comma-separated): all are needed."""
    granted = set(granted)
    if not needed:
        return None
    lacking = [scope for scope in needed.split(",") if scope not in granted]
    if not lacking:
        return None
    return {"ok": False, "error": "missing_scope", "needed": ",".join(lacking), "provided": ",".join(sorted(granted))}
