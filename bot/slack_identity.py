"""Who the bot is at Slack, proven before it says ready: the bot token (`auth.test`) and, in Socket Mode, the app
token; a refused token is a bad setting (exit 2), Slack out of reach is ServiceUnreachable (exit 75)."""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import ConfigError, Settings
from bot.slack_errors import error_code, is_transient


@dataclass(frozen=True)
class Identity:
    """Who the bot token says the bot is (`auth.test`)."""

    team_id: str
    enterprise_id: str | None
    user: str


# Slack's answers to a token that will never work; anything else (a network error, a 5xx) is not about the token.
REFUSED_TOKEN_ERRORS = {
    "invalid_auth",
    "not_authed",
    "account_inactive",
    "token_revoked",
    "token_expired",
    "no_permission",
    "missing_scope",
    "not_allowed_token_type",
}


class ServiceUnreachable(RuntimeError):
    """A service the bot needs cannot be reached at start (Slack down, DNS, the network): not a bad setting, so the
    process exits 75 (EX_TEMPFAIL) and its supervisor starts it again later."""


async def check_tokens(slack: AsyncWebClient, settings: Settings) -> Identity:
    """Prove the tokens before "ready": the bot token with `auth.test`, and in Socket Mode the app token by asking
    Slack for a connection (`apps.connections.open`). A refused one is a ConfigError naming the variable; Slack not
    answering (or answering that it cannot now) is ServiceUnreachable."""
    try:
        answer = await slack.auth_test()
    except SlackApiError as exc:
        code = error_code(exc)
        if code in REFUSED_TOKEN_ERRORS:
            raise ConfigError(
                f"SLACK_BOT_TOKEN was refused by Slack ({code}): copy the Bot User OAuth Token from "
                "OAuth & Permissions again"
            ) from None
        if is_transient(code):
            raise ServiceUnreachable(f"Slack could not check SLACK_BOT_TOKEN now (it answered {code})") from None
        raise ConfigError(f"SLACK_BOT_TOKEN could not be checked: Slack answered {code}") from None
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        raise ServiceUnreachable(
            f"SLACK_API_URL {settings.slack_api_url} cannot be reached to check SLACK_BOT_TOKEN ({type(exc).__name__})"
        ) from None
    if settings.slack_app_token is not None:
        try:
            await slack.apps_connections_open(app_token=settings.slack_app_token.reveal())
        except SlackApiError as exc:
            code = error_code(exc)
            if is_transient(code):
                raise ServiceUnreachable(f"Slack could not check SLACK_APP_TOKEN now (it answered {code})") from None
            raise ConfigError(
                f"SLACK_APP_TOKEN was refused by Slack ({code}): generate an app-level token with "
                "connections:write under Basic Information"
            ) from None
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise ServiceUnreachable(f"Slack cannot be reached to check SLACK_APP_TOKEN ({type(exc).__name__})") from None
    return Identity(
        team_id=str(answer.get("team_id") or ""),
        enterprise_id=answer.get("enterprise_id") or None,
        user=str(answer.get("user") or "the bot"),
    )
