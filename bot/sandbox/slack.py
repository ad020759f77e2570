"""A local Slack stand-in: the Web API methods the bot uses, file downloads, and a driver that plays Slack.

It answers `auth.test`, `chat.postMessage`, `chat.update`, `chat.postEphemeral`, `views.open`, `views.publish`,
`files.info` and `apps.connections.open` at `/api/<method>` like Slack does (HTTP 200 with `ok`/`error`, 429 with
`Retry-After`), refuses a wrong token (`invalid_auth`) and channels the bot is not in (`not_in_channel`). Private
file URLs answer the bytes only with the bot token, and otherwise Slack's HTML login page. `response_url`s work.

As the driver it plays Slack towards the bot: slash commands, `message`/`file_share` events, button clicks and modal
submissions, either signed and POSTed to the bot's `/slack/events` (HTTP mode) or pushed through a Socket Mode
WebSocket it serves itself (Socket Mode), waiting for the bot's acknowledgement.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

import aiohttp
from aiohttp import web

from bot.sandbox import serve_app

LOGIN_PAGE = "<!DOCTYPE html><html><head><title>Slack</title></head><body>Sign in to your workspace</body></html>"


@dataclass
class Posted:
    """A message as Slack holds it; `ephemeral_to` is set for messages only one person sees."""

    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    thread_ts: str | None = None
    ephemeral_to: str | None = None
    edits: int = 0

    def all_text(self) -> str:
        return self.text + " " + json.dumps(self.blocks, ensure_ascii=False)


@dataclass
class SharedFile:
    id: str
    name: str
    content: bytes
    mimetype: str
    filetype: str
    user: str
    declared_size: int | None = None
    serve_html: bool = False
    deleted: bool = False
    redirect_to: str | None = None
    delay: float = 0.0
    downloads: int = 0

    def info(self, base: str, team_id: str) -> dict[str, Any]:
        url = f"{base}/files-pri/{team_id}-{self.id}/{self.name}"
        return {
            "id": self.id, "name": self.name, "title": self.name, "mimetype": self.mimetype, "filetype": self.filetype,
            "pretty_type": self.filetype.upper(), "user": self.user, "mode": "hosted", "is_external": False,
            "size": self.declared_size if self.declared_size is not None else len(self.content),
            "url_private": url, "url_private_download": url + "?download=1",
            "permalink": f"{base}/files/{self.user}/{self.id}/{self.name}",
        }


@dataclass
class ApiFault:
    """Answer the next `count` calls of `method` with a Slack error, an HTTP status, or a delay."""

    method: str
    error: str | None = None
    status: int | None = None
    retry_after: int = 1
    count: int = 1
    delay: float = 0.0  # answer normally, but this much later


@dataclass
class SlackState:
    messages: list[Posted] = field(default_factory=list)
    views_opened: list[dict[str, Any]] = field(default_factory=list)
    home_views: dict[str, dict[str, Any]] = field(default_factory=dict)
    responses: list[dict[str, Any]] = field(default_factory=list)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    files: dict[str, SharedFile] = field(default_factory=dict)
    download_auth: list[str | None] = field(default_factory=list)


class SlackStandIn:
    """The stand-in's state, its aiohttp app (`app`) and the driver methods."""

    def __init__(self, *, bot_token: str, signing_secret: str, app_token: str | None = None, team_id: str = "T0IDV",
                 bot_user_id: str = "UBOTIDV", channels: tuple[str, ...] = ("CVERIFY",)) -> None:
        self.bot_token = bot_token
        self.signing_secret = signing_secret
        self.app_token = app_token
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.member_of = set(channels)
        self.known_channels = set(channels) | {"COTHER"}
        self.state = SlackState()
        self.faults: list[ApiFault] = []
        self.base_url = ""
        self.bot_events_url = ""
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)
        self._socket: web.WebSocketResponse | None = None
        self._socket_ready = asyncio.Event()
        self._acks: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._http: aiohttp.ClientSession | None = None
        self.app = self._build_app()

    # --- server ----------------------------------------------------------------------------------------------

    def _build_app(self) -> web.Application:
        app = web.Application(client_max_size=1024 * 1024)
        app.add_routes([
            web.post("/api/{method}", self.api),
            web.get("/api/{method}", self.api),
            web.get("/files-pri/{key}/{name}", self.download),
            web.post("/response/{key}", self.response_url),
            web.get("/socket", self.socket),
        ])
        app.on_cleanup.append(self._cleanup)
        return app

    async def _cleanup(self, _app: web.Application) -> None:
        if self._socket is not None:
            await self._socket.close()
        if self._http is not None:
            await self._http.close()

    def _next_ts(self) -> str:
        return f"{int(time.time())}.{next(self._ts):06d}"

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
                    return web.json_response({"ok": False, "error": "ratelimited"}, status=429,
                                             headers={"Retry-After": str(fault.retry_after)})
                if fault.status is not None:
                    return web.Response(status=fault.status, text="server error")
                return web.json_response({"ok": False, "error": fault.error})
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        expected = self.app_token if method == "apps.connections.open" else self.bot_token
        if token != expected:
            return web.json_response({"ok": False, "error": "invalid_auth"})
        handler = getattr(self, "m_" + method.replace(".", "_"), None)
        if handler is None:
            return web.json_response({"ok": False, "error": "unknown_method"})
        return web.json_response(handler(params))

    def _channel_error(self, channel: str | None) -> dict[str, Any] | None:
        if channel not in self.known_channels:
            return {"ok": False, "error": "channel_not_found"}
        if channel not in self.member_of:
            return {"ok": False, "error": "not_in_channel"}
        return None

    def m_auth_test(self, _params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": "https://idv-test.slack.com/", "team": "IDV Test", "user": "idverify",
                "team_id": self.team_id, "user_id": self.bot_user_id, "bot_id": "BIDV"}

    def m_chat_postMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = params.get("channel")
        error = self._channel_error(channel)
        if error:
            return error
        message = Posted(channel=str(channel), ts=self._next_ts(), text=params.get("text", ""),
                         blocks=params.get("blocks") or [], thread_ts=params.get("thread_ts"))
        self.state.messages.append(message)
        return {"ok": True, "channel": channel, "ts": message.ts,
                "message": {"text": message.text, "ts": message.ts, "bot_id": "BIDV"}}

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
        message = Posted(channel=str(params["channel"]), ts=self._next_ts(), text=params.get("text", ""),
                         blocks=params.get("blocks") or [], thread_ts=params.get("thread_ts"),
                         ephemeral_to=params.get("user"))
        self.state.messages.append(message)
        return {"ok": True, "message_ts": message.ts}

    def m_views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        view = {**params["view"], "id": f"V{next(self._ids):06d}"}
        self.state.views_opened.append(view)
        return {"ok": True, "view": view}

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
        if auth != f"Bearer {self.bot_token}" or (shared is not None and shared.serve_html):
            return web.Response(text=LOGIN_PAGE, content_type="text/html")
        if shared is None or shared.deleted:
            return web.Response(status=404, text="file not found")
        if shared.redirect_to:
            raise web.HTTPFound(shared.redirect_to)
        if shared.delay:
            await asyncio.sleep(shared.delay)
        shared.downloads += 1
        response = web.StreamResponse(headers={"Content-Type": shared.mimetype,
                                               "Content-Length": str(len(shared.content))})
        await response.prepare(request)
        view = memoryview(shared.content)
        for start in range(0, len(view), 256 * 1024):
            await response.write(view[start:start + 256 * 1024])
        await response.write_eof()
        return response

    async def response_url(self, request: web.Request) -> web.Response:
        self.state.responses.append(await request.json())
        return web.Response(text="ok")

    async def socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._socket = ws
        await ws.send_json({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "AIDV"},
                            "debug_info": {"host": "stand-in"}})
        self._socket_ready.set()
        async for message in ws:
            if message.type == aiohttp.WSMsgType.TEXT:
                data = json.loads(message.data)
                future = self._acks.pop(data.get("envelope_id", ""), None)
                if future is not None and not future.done():
                    future.set_result(data.get("payload") or {})
        self._socket_ready.clear()
        return ws

    # --- the driver ------------------------------------------------------------------------------------------

    @property
    def socket_connected(self) -> bool:
        return self._socket is not None and not self._socket.closed

    async def wait_for_socket(self, timeout: float = 10.0) -> None:
        await asyncio.wait_for(self._socket_ready.wait(), timeout)

    def add_file(self, name: str, content: bytes, *, mimetype: str = "image/png", user: str = "UAGENT1",
                 declared_size: int | None = None) -> SharedFile:
        file_id = f"F{next(self._ids):08d}"
        filetype = name.rsplit(".", 1)[-1].lower() if "." in name else "binary"
        shared = SharedFile(id=file_id, name=name, content=content, mimetype=mimetype, filetype=filetype, user=user,
                            declared_size=declared_size)
        self.state.files[file_id] = shared
        return shared

    async def _post_signed(self, body: str, content_type: str, headers: dict[str, str] | None = None,
                           signature: str | None = None, timestamp: int | None = None) -> tuple[int, Any]:
        if self._http is None:
            self._http = aiohttp.ClientSession()
        stamp = str(timestamp if timestamp is not None else int(time.time()))
        digest = hmac.new(self.signing_secret.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()
        all_headers = {"Content-Type": content_type, "X-Slack-Request-Timestamp": stamp,
                       "X-Slack-Signature": signature or f"v0={digest}", **(headers or {})}
        async with self._http.post(self.bot_events_url, data=body.encode(), headers=all_headers) as response:
            text = await response.text()
            try:
                return response.status, json.loads(text) if text else {}
            except ValueError:
                return response.status, text

    async def _deliver(self, kind: str, payload: dict[str, Any], http_body: str, content_type: str, *,
                       retry_num: int = 0, retry_reason: str = "", envelope_id: str | None = None,
                       headers: dict[str, str] | None = None) -> tuple[int, Any]:
        if self.app_token is None:
            extra = dict(headers or {})
            if retry_num:
                extra.update({"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": retry_reason})
            return await self._post_signed(http_body, content_type, extra)
        if not self.socket_connected:
            raise RuntimeError("the bot is not connected to the Socket Mode stand-in")
        envelope_id = envelope_id or str(uuid.uuid4())
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._acks[envelope_id] = future
        assert self._socket is not None
        await self._socket.send_json({"envelope_id": envelope_id, "type": kind, "payload": payload,
                                      "accepts_response_payload": kind != "events_api",
                                      "retry_attempt": retry_num, "retry_reason": retry_reason})
        return 200, await asyncio.wait_for(future, 10.0)

    async def command(self, text: str, *, user: str = "UAGENT1", channel: str = "CVERIFY",
                      trigger_id: str | None = None) -> dict[str, Any]:
        """Type `/verify <text>`; returns the bot's immediate (ephemeral) answer, {} for an empty ack."""
        payload = {
            "token": "legacy", "team_id": self.team_id, "team_domain": "idv-test", "channel_id": channel,
            "channel_name": "verify", "user_id": user, "user_name": user.lower(), "command": "/verify", "text": text,
            "api_app_id": "AIDV", "is_enterprise_install": "false",
            "response_url": f"{self.base_url}/response/{uuid.uuid4().hex}",
            "trigger_id": trigger_id or f"{next(self._ids)}.{uuid.uuid4().hex}",
        }
        status, answer = await self._deliver("slash_commands", payload, urlencode(payload),
                                             "application/x-www-form-urlencoded")
        if status != 200:
            raise AssertionError(f"the bot answered {status}: {answer}")
        return answer if isinstance(answer, dict) else {"text": answer}

    def event_envelope(self, event: dict[str, Any], event_id: str | None) -> dict[str, Any]:
        return {"token": "legacy", "team_id": self.team_id, "api_app_id": "AIDV", "event": event,
                "type": "event_callback", "event_id": event_id or f"Ev{uuid.uuid4().hex[:10].upper()}",
                "event_time": int(time.time()),
                "authorizations": [{"team_id": self.team_id, "user_id": self.bot_user_id, "is_bot": True}]}

    async def event(self, event: dict[str, Any], *, event_id: str | None = None, retry_num: int = 0,
                    retry_reason: str = "", envelope_id: str | None = None) -> tuple[int, Any]:
        envelope = self.event_envelope(event, event_id)
        return await self._deliver("events_api", envelope, json.dumps(envelope), "application/json",
                                   retry_num=retry_num, retry_reason=retry_reason, envelope_id=envelope_id)

    def file_share_event(self, files: list[SharedFile], *, thread_ts: str, user: str = "UAGENT1",
                         channel: str = "CVERIFY", text: str = "") -> dict[str, Any]:
        return {"type": "message", "subtype": "file_share", "channel": channel, "channel_type": "channel",
                "user": user, "text": text, "ts": self._next_ts(), "event_ts": self._next_ts(),
                "thread_ts": thread_ts, "parent_user_id": self.bot_user_id, "upload": True,
                "files": [f.info(self.base_url, self.team_id) for f in files]}

    async def share(self, files: list[SharedFile], *, thread_ts: str, user: str = "UAGENT1", channel: str = "CVERIFY",
                    text: str = "", event_id: str | None = None) -> tuple[int, Any]:
        """Drop files into a thread, as an agent would."""
        return await self.event(self.file_share_event(files, thread_ts=thread_ts, user=user, channel=channel,
                                                      text=text), event_id=event_id)

    async def click(self, action_id: str, value: str, *, user: str = "UAGENT1", channel: str | None = "CVERIFY",
                    message: Posted | None = None) -> tuple[int, Any]:
        """Press a button in a message (or in App Home when `channel` is None)."""
        payload = self.click_payload(action_id, value, user=user, channel=channel, message=message)
        return await self._deliver("interactive", payload, urlencode({"payload": json.dumps(payload)}),
                                   "application/x-www-form-urlencoded")

    def click_payload(self, action_id: str, value: str, *, user: str = "UAGENT1", channel: str | None = "CVERIFY",
                      message: Posted | None = None) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "type": "block_actions", "team": {"id": self.team_id, "domain": "idv-test"},
            "user": {"id": user, "username": user.lower(), "team_id": self.team_id}, "api_app_id": "AIDV",
            "token": "legacy", "trigger_id": f"{next(self._ids)}.{uuid.uuid4().hex}",
            "response_url": f"{self.base_url}/response/{uuid.uuid4().hex}",
            "actions": [{"action_id": action_id, "block_id": "b", "value": value, "type": "button",
                         "action_ts": str(time.time())}],
        }
        if channel is not None:
            payload["channel"] = {"id": channel, "name": "verify"}
            payload["container"] = {"type": "message", "channel_id": channel,
                                    "message_ts": message.ts if message else self._next_ts(), "is_ephemeral": False}
            if message is not None:
                payload["message"] = {"ts": message.ts, "thread_ts": message.thread_ts, "text": message.text,
                                      "blocks": message.blocks}
        else:
            payload["container"] = {"type": "view", "view_id": "VHOME"}
            payload["view"] = {"id": "VHOME", "type": "home", "callback_id": "", "private_metadata": "", "blocks": []}
        return payload

    async def submit_view(self, view: dict[str, Any], values: dict[str, Any], *, user: str = "UAGENT1"
                          ) -> tuple[int, Any]:
        """Fill a modal opened by the bot and press its submit button; `values` by block id."""
        payload = self.view_submission_payload(view, values, user=user)
        return await self._deliver("interactive", payload, urlencode({"payload": json.dumps(payload)}),
                                   "application/x-www-form-urlencoded")

    def view_submission_payload(self, view: dict[str, Any], values: dict[str, Any], *, user: str = "UAGENT1"
                                ) -> dict[str, Any]:
        state: dict[str, Any] = {}
        for block in view.get("blocks", []):
            if block.get("type") != "input":
                continue
            block_id, element = block["block_id"], block["element"]
            value = values.get(block_id)
            kind = element["type"]
            if kind == "static_select":
                entry = {"type": kind, "selected_option": {"value": value} if value else None}
            elif kind == "datepicker":
                entry = {"type": kind, "selected_date": value}
            elif kind == "conversations_select":
                entry = {"type": kind, "selected_conversation": value}
            elif kind == "checkboxes":
                entry = {"type": kind, "selected_options": [{"value": v} for v in value or []]}
            else:
                entry = {"type": kind, "value": value}
            state[block_id] = {element["action_id"]: entry}
        return {
            "type": "view_submission", "team": {"id": self.team_id, "domain": "idv-test"},
            "user": {"id": user, "username": user.lower(), "team_id": self.team_id}, "api_app_id": "AIDV",
            "token": "legacy", "trigger_id": f"{next(self._ids)}.{uuid.uuid4().hex}",
            "view": {**view, "id": view.get("id", "V1"), "team_id": self.team_id, "state": {"values": state},
                     "hash": "1.abc"},
        }

    async def open_home(self, user: str = "UAGENT1") -> tuple[int, Any]:
        return await self.event({"type": "app_home_opened", "user": user, "channel": "DHOME", "tab": "home",
                                 "event_ts": self._next_ts()})

    # --- reading what the bot said -----------------------------------------------------------------------

    def root_messages(self, channel: str = "CVERIFY") -> list[Posted]:
        return [m for m in self.state.messages if m.channel == channel and not m.thread_ts and not m.ephemeral_to]

    def thread(self, thread_ts: str) -> list[Posted]:
        return [m for m in self.state.messages if m.thread_ts == thread_ts and not m.ephemeral_to]

    def ephemerals(self, user: str) -> list[Posted]:
        return [m for m in self.state.messages if m.ephemeral_to == user]

    def everything_said(self) -> list[str]:
        """Every text the bot sent anywhere: messages, ephemerals, views, response_url answers."""
        said = [m.all_text() for m in self.state.messages]
        said += [json.dumps(v, ensure_ascii=False) for v in self.state.views_opened]
        said += [json.dumps(v, ensure_ascii=False) for v in self.state.home_views.values()]
        said += [json.dumps(r, ensure_ascii=False) for r in self.state.responses]
        return said


async def serve(stand_in: SlackStandIn, host: str = "127.0.0.1", port: int = 0) -> tuple[web.AppRunner, int]:
    runner, bound = await serve_app(stand_in.app, host, port)
    stand_in.base_url = f"http://{host}:{bound}"
    return runner, bound
