"""The stand-in's side of agents connecting their Slack user: Slack's consent screen (`/oauth/v2/authorize`, which
approves as `signed_in_user`, the person at the browser), `oauth.v2.access`, and the methods a user token may call
(`files.delete`: only the file's uploader may delete it; a bot token gets `cant_delete_file`, as from Slack;
`auth.revoke`)."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from bot.sandbox.slack.contract import Grant

CLIENT_ID = "1111.2222"
CLIENT_SECRET = "stand-in-oauth-client-secret"
USER_TOKEN_METHODS = ("files.delete", "auth.revoke", "auth.test")


@dataclass
class OAuthState:
    signed_in_user: str | None = "UAGENT1"  # None: nobody is signed in to Slack in this browser
    denies: bool = False  # the user presses Cancel on the consent screen
    codes: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # code → (user, scopes, redirect_uri)
    user_tokens: dict[str, str] = field(default_factory=dict)  # token → user
    deleted_by: dict[str, str] = field(default_factory=dict)  # file id → who deleted it
    deleting_disabled: bool = False  # the workspace forbids members to delete files (`file_deleting_disabled`)


class OAuthStandIn:
    """Mixed into the stand-in: needs `team_id`, `state.files`, `bot_token`."""

    oauth: OAuthState
    team_id: str
    bot_token: str
    grant: Grant

    def oauth_routes(self) -> list[web.RouteDef]:
        self.oauth = OAuthState()
        return [web.get("/oauth/v2/authorize", self.authorize)]

    async def authorize(self, request: web.Request) -> web.Response:
        query = request.query
        redirect_uri, state = query.get("redirect_uri", ""), query.get("state", "")
        if query.get("client_id") != CLIENT_ID or not redirect_uri:
            return web.Response(status=400, text="invalid client_id or redirect_uri")
        # Slack refuses a redirect_uri the app does not configure, and user scopes it does not ask for
        # (docs.slack.dev/authentication/installing-with-oauth; reference §13). It shows an error page, no redirect.
        if not self.grant.redirect_allowed(redirect_uri):
            return web.Response(
                status=400,
                text="Something went wrong when authorizing this app: redirect_uri did not match any configured URIs",
            )
        asked = {s for s in query.get("user_scope", "").split(",") if s}
        if not asked <= self.grant.user_scopes or query.get("scope"):
            return web.Response(
                status=400, text="Something went wrong when authorizing this app: Invalid permissions requested"
            )
        if self.oauth.denies or self.oauth.signed_in_user is None:
            raise web.HTTPFound(f"{redirect_uri}?{urlencode({'error': 'access_denied', 'state': state})}")
        code = secrets.token_hex(8)
        self.oauth.codes[code] = (self.oauth.signed_in_user, query.get("user_scope", ""), redirect_uri)
        raise web.HTTPFound(f"{redirect_uri}?{urlencode({'code': code, 'state': state})}")

    def oauth_v2_access(self, authorization: str, params: dict[str, Any]) -> dict[str, Any]:
        expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if authorization != expected:
            return {"ok": False, "error": "invalid_client_id"}
        found = self.oauth.codes.pop(str(params.get("code")), None)
        if found is None:
            return {"ok": False, "error": "invalid_code"}
        user, scopes, redirect_uri = found
        if params.get("redirect_uri") not in (None, redirect_uri):
            return {"ok": False, "error": "bad_redirect_uri"}
        token = f"xoxp-{user}-{secrets.token_hex(12)}"
        self.oauth.user_tokens[token] = user
        return {
            "ok": True,
            "app_id": "AIDV",
            "team": {"id": self.team_id, "name": "IDV test"},
            "enterprise": None,
            "is_enterprise_install": False,
            "authed_user": {"id": user, "scope": scopes, "access_token": token, "token_type": "user"},
        }

    def user_call(self, method: str, token: str, params: dict[str, Any]) -> dict[str, Any] | None:
        """A method called with a user token (or files.delete with the bot's); None: not one of these."""
        user = self.oauth.user_tokens.get(token)
        if method not in USER_TOKEN_METHODS or (user is None and not (method == "files.delete" and token == self.bot_token)):
            return None
        if method == "auth.test":
            return {"ok": True, "user_id": user, "team_id": self.team_id}
        if method == "auth.revoke":
            del self.oauth.user_tokens[token]
            return {"ok": True, "revoked": True}
        shared = self.state.files.get(str(params.get("file")))  # type: ignore[attr-defined]
        if shared is None or shared.deleted:
            return {"ok": False, "error": "file_not_found"}
        if user is None or shared.user != user:
            return {"ok": False, "error": "cant_delete_file"}
        if self.oauth.deleting_disabled:
            return {"ok": False, "error": "file_deleting_disabled"}
        shared.deleted = True
        self.oauth.deleted_by[shared.id] = user
        return {"ok": True}
