"""Agents connect their Slack user once (user scope `files:write`) through Bolt's OAuth flow, so the bot can delete
the photos they dropped in a thread once Jumio has them: a bot token cannot delete files other users uploaded.

`GET /slack/install` → Slack's consent screen → `GET /slack/oauth_redirect` → the user token, sealed, in the bot's
SQLite file (`user_tokens`); the state Bolt checks is signed, never stored (`States`). Off unless SLACK_CLIENT_ID,
SLACK_CLIENT_SECRET and IDV_PUBLIC_URL are set.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.error import BoltError
from slack_bolt.oauth.async_callback_options import AsyncCallbackOptions, AsyncFailureArgs, AsyncSuccessArgs
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.response import BoltResponse
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks import audit
from bot.manifest import OAUTH_REDIRECT_PATH as REDIRECT_PATH
from bot.manifest import USER_SCOPES
from bot.pages import SECURITY_HEADERS, render
from bot.services import AccessPolicy
from bot.slack_files import origin
from storage import Store

log = logging.getLogger("bot.oauth")

INSTALL_PATH = "/slack/install"
STATE_SECONDS = 600
SLACK_AUTHORIZE_URL = "https://slack.com/oauth/v2/authorize"

_FAILURES = {
    "access_denied": "You cancelled on Slack's page, so nothing was connected.",
    "invalid_browser": "Open the link from the bot's Home tab in this same browser, then try again.",
    "invalid_state": "This link expired or was used already: press Connect in the bot's Home tab again.",
    "missing_code": "Slack did not say who you are: press Connect in the bot's Home tab again.",
    "invalid_code": "Slack did not accept this sign-in: press Connect in the bot's Home tab again.",
}


class NotAllowed(BoltError):
    """The user who signed in may not use this bot, or gave less than it needs."""


class UserTokens(AsyncInstallationStore):
    """Bolt's installation store over `user_tokens`: only the installing agent's user token is kept, sealed."""

    def __init__(self, store: Store, access: AccessPolicy, slack_api_url: str) -> None:
        self.store = store
        self.access = access
        self.slack_api_url = slack_api_url

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_save(self, installation: Installation) -> None:
        """Keep the agent's token only if it grants exactly what was asked (deleting their own files) and they may
        use the bot; otherwise it is revoked at once. A token the agent had before is revoked once replaced."""
        user_id, token = installation.user_id, installation.user_token
        scopes = set(installation.user_scopes or ())
        if not token:
            raise NotAllowed("Slack gave the bot no token for your user; nothing was kept.")
        if scopes != set(USER_SCOPES):
            await self._revoke(token)
            raise NotAllowed("Slack gave the bot other permissions than deleting your own files; nothing was kept.")
        if not self.access.allows_team(installation.team_id, installation.enterprise_id) or not self.access.allows(user_id):
            await self._revoke(token)
            raise NotAllowed("Your Slack user may not use this bot, so nothing was kept.")
        previous = self.store.secrets.user_token(user_id)
        self.store.secrets.keep_user_token(installation.team_id or "", user_id, token, ",".join(sorted(scopes)))
        self.store.audit.add(user_id, audit.SLACK_USER_CONNECTED, None, "user scope files:write")
        if previous is not None and previous != token:
            await self._revoke(previous)

    async def _revoke(self, token: str) -> None:
        """auth.revoke, best effort: a token the bot will not keep should not live on at Slack either."""
        try:
            await AsyncWebClient(token=token, base_url=self.slack_api_url).auth_revoke()
        except Exception as exc:  # noqa: BLE001 - forgotten here whatever Slack says
            log.info("auth.revoke of a user token the bot does not keep failed: %s", type(exc).__name__)

    async def async_find_installation(self, **_kwargs: Any) -> Installation | None:
        return None  # the bot's own token comes from SLACK_BOT_TOKEN; Bolt never looks installations up here


class States(AsyncOAuthStateStore):
    """OAuth states signed, not stored: an anonymous visit to /slack/install writes nothing (security round 2). A
    state is `expiry.nonce.hmac` under the client secret; Bolt also binds it to the browser by a cookie, and Slack's
    code is single-use, so a state replayed before it expires gets no second token."""

    def __init__(self, secret: str, clock: Any = time.time) -> None:
        self._key = hashlib.sha256(b"idv-oauth-state:" + secret.encode()).digest()
        self._clock = clock

    @property
    def logger(self) -> logging.Logger:
        return log

    def _signature(self, payload: str) -> str:
        return hmac.new(self._key, payload.encode(), hashlib.sha256).hexdigest()

    async def async_issue(self, *_args: Any, **_kwargs: Any) -> str:
        payload = f"{int(self._clock() + STATE_SECONDS)}.{secrets.token_urlsafe(16)}"
        return f"{payload}.{self._signature(payload)}"

    async def async_consume(self, state: str) -> bool:
        payload, _, signature = state.rpartition(".")
        expires, _, _nonce = payload.partition(".")
        # bytes, not str: compare_digest raises on a non-ASCII str, and the state is whatever the URL carried
        if not payload or not hmac.compare_digest(signature.encode(), self._signature(payload).encode()):
            return False
        return expires.isdigit() and int(expires) >= self._clock()


def _page(status: int, heading: str, line: str, done: bool) -> BoltResponse:
    body = render("message.html", title=heading, heading=heading, lines=[line], done=done)
    return BoltResponse(status=status, body=body, headers={"Content-Type": "text/html; charset=utf-8", **SECURITY_HEADERS})


async def _connected(_args: AsyncSuccessArgs) -> BoltResponse:
    return _page(
        200,
        "Connected",
        "From now on the bot deletes the photos you drop in verification threads once "
        "Jumio has them. You can close this tab.",
        True,
    )


async def _not_connected(args: AsyncFailureArgs) -> BoltResponse:
    reason = (
        str(args.error)
        if isinstance(args.error, NotAllowed)
        else _FAILURES.get(
            args.reason, "Something went wrong on the way back from Slack: press Connect in the bot's Home tab again."
        )
    )
    status = 403 if isinstance(args.error, NotAllowed) else max(args.suggested_status_code, 400)
    return _page(status, "Not connected", reason, False)


def oauth_flow(
    *, client_id: str, client_secret: str, public_url: str, slack_api_url: str, store: Store, access: AccessPolicy
) -> AsyncOAuthFlow:
    """Bolt's OAuth flow for user tokens only (no bot scopes: the bot's own token is SLACK_BOT_TOKEN)."""
    # Slack's own consent screen; for SLACK_API_URL elsewhere (the stand-in), the same path on that host.
    parts = urlsplit(slack_api_url)
    authorize_url = (
        SLACK_AUTHORIZE_URL
        if origin(slack_api_url) == origin(SLACK_AUTHORIZE_URL)
        else f"{parts.scheme}://{parts.netloc}/oauth/v2/authorize"
    )
    settings = AsyncOAuthSettings(
        client_id=client_id,
        client_secret=client_secret,
        scopes=[],
        user_scopes=list(USER_SCOPES),
        redirect_uri=f"{public_url}{REDIRECT_PATH}",
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        install_page_rendering_enabled=False,
        authorization_url=authorize_url,
        installation_store=UserTokens(store, access, slack_api_url),
        state_store=States(client_secret),
        state_expiration_seconds=STATE_SECONDS,
        callback_options=AsyncCallbackOptions(success=_connected, failure=_not_connected),
        logger=log,
    )
    return AsyncOAuthFlow(client=AsyncWebClient(base_url=slack_api_url), settings=settings)


def routes(flow: AsyncOAuthFlow) -> list[web.RouteDef]:
    async def install(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await flow.handle_installation(await to_bolt_request(request)))

    async def redirect(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await flow.handle_callback(await to_bolt_request(request)))

    return [web.get(INSTALL_PATH, install), web.get(REDIRECT_PATH, redirect)]
