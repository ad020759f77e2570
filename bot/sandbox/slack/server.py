"""A local Slack stand-in: the Web API methods the bot uses, file downloads, and a driver that plays Slack.

It answers the Web API methods the bot uses at `/api/<method>` like Slack does (HTTP 200 with `ok`/`error`, 429
with `Retry-After`): messages, views and files here, channels and users in `directory`, agents' user tokens in
`oauth`, custom steps in `workflows`. It refuses a wrong token (`invalid_auth`), channels the bot is not in
(`not_in_channel`) and layouts that break Block Kit's limits (`blockkit`). Private file URLs answer the bytes only
with the bot token, otherwise Slack's HTML login page; `response_url`s work up to 5 times within 30 minutes.

It grants exactly what the manifest it is handed grants (`contract`): a method without its scope answers
`missing_scope`, an event the manifest does not subscribe to is never delivered, and OAuth's authorize step refuses a
user scope or redirect URL the manifest does not configure. It refuses what Slack refuses: a repeated `action_id` in a
block or `block_id` in a message or view, `chat.postEphemeral` to someone not in the channel (`user_not_in_channel`),
`users.conversations` with a `limit` over 999.

As the driver it plays Slack towards the bot: slash commands, `message`/`file_share` events, button clicks and modal
submissions, either signed and POSTed to the bot's `/slack/events` (HTTP mode) or pushed through a Socket Mode
WebSocket it serves itself (Socket Mode), waiting for the bot's acknowledgement.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

import aiohttp
from aiohttp import web

from bot.sandbox import serve_app
from bot.sandbox.slack.blockkit import message_problems, view_problems
from bot.sandbox.slack.contract import (
    DOWNLOAD_SCOPE,
    METHOD_SCOPES,
    Grant,
    missing_scope,
    needed_scope,
)
from bot.sandbox.slack.directory import Directory
from bot.sandbox.slack.driver import Driver
from bot.sandbox.slack.oauth import OAuthStandIn
from bot.sandbox.slack.responses import ResponseUrls
from bot.sandbox.slack.state import LOGIN_PAGE, ApiFault, Posted, ReadBack, SlackState
from bot.sandbox.slack.workflows import StepRun, WorkflowBuilder


class SlackStandIn(Driver, ReadBack, Directory, ResponseUrls, OAuthStandIn, WorkflowBuilder):
    """The stand-in's state, its aiohttp app (`app`) and the driver methods."""

    def __init__(
        self,
        *,
        bot_token: str,
        signing_secret: str,
        manifest: Mapping[str, Any],
        app_token: str | None = None,
        team_id: str = "T0IDV",
        bot_user_id: str = "UBOTIDV",
        channels: tuple[str, ...] = ("CVERIFY",),
    ) -> None:
        self.grant = Grant.of(manifest)  # what installing the bot's manifest grants: nothing more
        self.manifest = manifest
        self.runs: dict[str, StepRun] = {}  # Workflow Builder's runs of the app's custom steps
        self._run_ids = itertools.count(1)
        self.bot_token = bot_token
        self.signing_secret = signing_secret
        self.app_token = app_token
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.member_of = set(channels)
        self.known_channels = set(channels) | {"COTHER"}
        self.private_channels: set[str] = set()
        # Who is in each channel (the agents the driver plays by default are in the bot's channels).
        self.channel_members: dict[str, set[str]] = {c: {"UAGENT1", "UAGENT2", "UAGENT3"} for c in self.known_channels}
        self.state = SlackState()
        self.faults: list[ApiFault] = []
        self.base_url = ""
        self.bot_events_url = ""
        self._last_ts = 0.0
        self._ids = itertools.count(1)
        self.trigger_users: dict[str, str] = {}  # who each trigger_id the driver made belongs to
        self.response_urls: dict[str, tuple[float, int]] = {}  # key → (issued at, uses): Slack's 5 uses in 30 min
        self.user_teams: dict[str, str] = {}
        self._socket: web.WebSocketResponse | None = None
        self._socket_ready = asyncio.Event()
        self._acks: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._http: aiohttp.ClientSession | None = None
        self.app = self._build_app()

    def install(self, manifest: Mapping[str, Any]) -> None:
        """(Re)install the app with this manifest: from now on the stand-in grants what it grants."""
        self.grant = Grant.of(manifest)
        self.manifest = manifest

    # --- server ----------------------------------------------------------------------------------------------

    def _build_app(self) -> web.Application:
        app = web.Application(client_max_size=1024 * 1024)
        app.add_routes(
            [
                web.post("/api/{method}", self.api),
                web.get("/api/{method}", self.api),
                web.get("/files-pri/{key}/{name}", self.download),
                web.post("/response/{key}", self.response_url),
                web.get("/socket", self.socket),
                *self.oauth_routes(),
            ]
        )
        app.on_cleanup.append(self._cleanup)
        return app

    async def _cleanup(self, _app: web.Application) -> None:
        if self._socket is not None:
            await self._socket.close()
        if self._http is not None:
            await self._http.close()

    def _next_ts(self) -> str:
        """Slack's message timestamps: the time in microseconds, unique and increasing."""
        self._last_ts = max(time.time(), self._last_ts + 1e-6)
        return f"{self._last_ts:.6f}"

    async def api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                params.update(await request.json())
            else:
                params.update(dict(parse_qsl((await request.read()).decode())))
        for key in ("blocks", "view", "files"):
            if isinstance(params.get(key), str):
                params[key] = json.loads(params[key])
        self.state.calls.append((method, params))
        for fault in list(self.faults):
            if fault.method == method and fault.count > 0:
                fault.count -= 1
                if fault.count == 0:
                    self.faults.remove(fault)
                if fault.delay:
                    await asyncio.sleep(fault.delay)
                    if fault.error is None and fault.status is None:
                        break
                if fault.status == 429:
                    return web.json_response(
                        {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": str(fault.retry_after)}
                    )
                if fault.status is not None:
                    return web.Response(status=fault.status, text="server error")
                return web.json_response({"ok": False, "error": fault.error})
        if method == "oauth.v2.access":
            return web.json_response(self.oauth_v2_access(request.headers.get("Authorization", ""), params))
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if token in self.oauth.user_tokens:
            return web.json_response(
                self._refusal(method, params, self.grant.user_scopes)
                or self.user_call(method, token, params)
                or {"ok": False, "error": "not_allowed_token_type"}
            )
        if method in ("functions.completeSuccess", "functions.completeError"):
            return web.json_response(self.complete(method, token, params))
        run = self.run_of_token(token)
        if run is not None and run.state == "running":
            token = self.bot_token  # a step's token acts as the app while the step runs (with the same grant)
        expected = self.app_token if method == "apps.connections.open" else self.bot_token
        if token != expected:
            return web.json_response({"ok": False, "error": "invalid_auth"})
        handler = getattr(self, "m_" + method.replace(".", "_"), None)
        if handler is None and method != "files.delete":
            return web.json_response({"ok": False, "error": "unknown_method"})
        refused = self._refusal(method, params, self.grant.bot_scopes) or self._layout_error(method, params)
        if refused is not None:
            return web.json_response(refused)
        if handler is None:  # files.delete with the bot token (and files:write): never the agent's file
            return web.json_response(self.user_call(method, token, params) or {"ok": False, "error": "unknown_method"})
        return web.json_response(handler(params))

    def _refusal(self, method: str, params: dict[str, Any], granted: frozenset[str]) -> dict[str, Any] | None:
        """Slack's answer to a call these scopes do not allow (`missing_scope`), or None."""
        if method not in METHOD_SCOPES:
            return {"ok": False, "error": "unknown_method"}
        channel = str(params.get("channel") or "")
        kind = "private_channel" if channel in self.private_channels else "public_channel"
        refused = missing_scope(needed_scope(method, params, kind), granted)
        if refused is not None:
            self.state.refused_scopes.append((method, refused["needed"]))
        return refused

    def _layout_error(self, method: str, params: dict[str, Any]) -> dict[str, Any] | None:
        """Slack refuses a message or view that breaks Block Kit's limits (see `blockkit`)."""
        if method in ("chat.postMessage", "chat.update", "chat.postEphemeral"):
            problems = message_problems(params.get("text"), params.get("blocks"))
            error = "invalid_blocks"
        elif method in ("views.open", "views.publish", "views.update", "views.push"):
            problems = view_problems(params.get("view") or {})
            error = "invalid_arguments"
        else:
            return None
        if not problems:
            return None
        self.state.refused_layouts.append((method, problems))
        return {"ok": False, "error": error, "response_metadata": {"messages": problems}}

    def _channel_error(self, channel: str | None) -> dict[str, Any] | None:
        if channel not in self.known_channels:
            return {"ok": False, "error": "channel_not_found"}
        if channel not in self.member_of:
            return {"ok": False, "error": "not_in_channel"}
        return None

    def m_auth_test(self, _params: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://idv-test.slack.com/",
            "team": "IDV Test",
            "user": "idverify",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": "BIDV",
        }

    def m_chat_postMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = params.get("channel")
        # A user ID as the channel is the app's direct message with that user (Slack opens it).
        error = None if str(channel).startswith(("U", "W")) else self._channel_error(channel)
        if error:
            return error
        message = Posted(
            channel=str(channel),
            ts=self._next_ts(),
            text=params.get("text", ""),
            blocks=params.get("blocks") or [],
            thread_ts=params.get("thread_ts"),
        )
        self.state.messages.append(message)
        return {
            "ok": True,
            "channel": channel,
            "ts": message.ts,
            "message": {"text": message.text, "ts": message.ts, "bot_id": "BIDV"},
        }

    def m_chat_getPermalink(self, params: dict[str, Any]) -> dict[str, Any]:
        channel, ts = str(params.get("channel")), str(params.get("message_ts"))
        if not any(m.channel == channel and m.ts == ts and not m.ephemeral_to for m in self.state.messages):
            return {"ok": False, "error": "message_not_found"}
        return {
            "ok": True,
            "channel": channel,
            "permalink": f"https://idv-test.slack.com/archives/{channel}/p{ts.replace('.', '')}",
        }

    def m_chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        for message in self.state.messages:
            if message.channel == params.get("channel") and message.ts == params.get("ts") and not message.ephemeral_to:
                message.text = params.get("text", message.text)
                message.blocks = params.get("blocks") or message.blocks
                message.edits += 1
                return {"ok": True, "channel": message.channel, "ts": message.ts}
        return {"ok": False, "error": "message_not_found"}

    def m_chat_postEphemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        error = self._channel_error(params.get("channel"))
        if error:
            return error
        if params.get("user") not in self.channel_members.get(str(params.get("channel")), set()):
            return {"ok": False, "error": "user_not_in_channel"}  # "The user should be in the channel"
        message = Posted(
            channel=str(params["channel"]),
            ts=self._next_ts(),
            text=params.get("text", ""),
            blocks=params.get("blocks") or [],
            thread_ts=params.get("thread_ts"),
            ephemeral_to=params.get("user"),
        )
        self.state.messages.append(message)
        return {"ok": True, "message_ts": message.ts}

    def m_views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        view = {**params["view"], "id": f"V{next(self._ids):06d}"}
        self.state.views_opened.append(view)
        user = self.trigger_users.get(str(params.get("trigger_id")))
        if user:
            self.state.view_users[view["id"]] = user
        return {"ok": True, "view": view}

    def m_views_update(self, params: dict[str, Any]) -> dict[str, Any]:
        for index, view in enumerate(self.state.views_opened):
            if view["id"] == params.get("view_id"):
                self.state.views_opened[index] = {**params["view"], "id": view["id"]}
                return {"ok": True, "view": self.state.views_opened[index]}
        return {"ok": False, "error": "not_found"}

    def m_views_publish(self, params: dict[str, Any]) -> dict[str, Any]:
        self.state.home_views[params["user_id"]] = params["view"]
        return {"ok": True, "view": params["view"]}

    def m_files_info(self, params: dict[str, Any]) -> dict[str, Any]:
        shared = self.state.files.get(params.get("file", ""))
        if shared is None or shared.deleted:
            return {"ok": False, "error": "file_not_found"}
        return {"ok": True, "file": shared.info(self.base_url, self.team_id)}

    def m_apps_connections_open(self, _params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": self.base_url.replace("http://", "ws://") + f"/socket?ticket={uuid.uuid4()}"}

    async def download(self, request: web.Request) -> web.StreamResponse:
        file_id = request.match_info["key"].split("-", 1)[-1]
        shared = self.state.files.get(file_id)
        auth = request.headers.get("Authorization")
        self.state.download_auth.append(auth)
        if (
            auth != f"Bearer {self.bot_token}"
            or (shared is not None and shared.serve_html)
            or DOWNLOAD_SCOPE not in self.grant.bot_scopes
        ):
            return web.Response(text=LOGIN_PAGE, content_type="text/html")
        if shared is None or shared.deleted:
            return web.Response(status=404, text="file not found")
        if shared.redirect_to:
            raise web.HTTPFound(shared.redirect_to)
        if shared.delay:
            await asyncio.sleep(shared.delay)
        shared.downloads += 1
        headers = {"Content-Type": shared.mimetype}
        if not shared.without_length:
            headers["Content-Length"] = str(len(shared.content))
        if shared.content_encoding:
            headers["Content-Encoding"] = shared.content_encoding
        response = web.StreamResponse(headers=headers)
        if shared.without_length:
            response.enable_chunked_encoding()
        await response.prepare(request)
        view = memoryview(shared.content)
        end = len(view) if shared.cut_after is None else shared.cut_after
        step = 1 if shared.drip_seconds else 64 * 1024
        began = time.monotonic()
        for start in range(0, end, step):
            await response.write(view[start : min(start + step, end)])
            if shared.drip_seconds:
                await asyncio.sleep(shared.drip_seconds)
            elif shared.throttle:
                await asyncio.sleep(max(0.0, began + (start + step) / shared.throttle - time.monotonic()))
        if shared.cut_after is not None:
            assert request.transport is not None
            request.transport.close()  # mid-body: the client sees the connection drop
            return response
        await response.write_eof()
        return response

    async def socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._socket = ws
        await ws.send_json(
            {
                "type": "hello",
                "num_connections": 1,
                "connection_info": {"app_id": "AIDV"},
                "debug_info": {"host": "stand-in"},
            }
        )
        self._socket_ready.set()
        async for message in ws:
            if message.type == aiohttp.WSMsgType.TEXT:
                data = json.loads(message.data)
                future = self._acks.pop(data.get("envelope_id", ""), None)
                if future is not None and not future.done():
                    future.set_result(data.get("payload") or {})
        self._socket_ready.clear()
        return ws


async def serve(stand_in: SlackStandIn, host: str = "127.0.0.1", port: int = 0) -> tuple[web.AppRunner, int]:
    runner, bound = await serve_app(stand_in.app, host, port)
    stand_in.base_url = f"http://{host}:{bound}"
    return runner, bound
