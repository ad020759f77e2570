"""The driver: plays Slack towards the bot (commands, events, clicks, modal submissions), signed over HTTP or
through the Socket Mode WebSocket, and reads back what the bot said."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import time
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web

from bot.sandbox.slack.contract import Grant
from bot.sandbox.slack.state import Posted, SharedFile, SlackState


class Driver:
    """The driver half of `SlackStandIn`."""

    signing_secret: str
    team_id: str
    state: SlackState
    bot_events_url: str
    _ids: itertools.count[int]
    _socket: web.WebSocketResponse | None
    _socket_ready: asyncio.Event
    _acks: dict[str, asyncio.Future[dict[str, Any]]]
    _http: aiohttp.ClientSession | None
    trigger_users: dict[str, str]
    grant: Grant
    channel_members: dict[str, set[str]]
    private_channels: set[str]
    issue_response_url: Callable[[], str]
    user_teams: dict[str, str]  # a user of another Slack team (Slack Connect): their team
    app_token: str | None
    bot_user_id: str
    base_url: str
    _next_ts: Callable[[], str]

    def team_of(self, user: str) -> str:
        return self.user_teams.get(user, self.team_id)

    @property
    def socket_connected(self) -> bool:
        return self._socket is not None and not self._socket.closed

    async def wait_for_socket(self, timeout: float = 10.0) -> None:
        await asyncio.wait_for(self._socket_ready.wait(), timeout)

    def add_file(
        self,
        name: str,
        content: bytes,
        *,
        mimetype: str = "image/png",
        user: str = "UAGENT1",
        declared_size: int | None = None,
    ) -> SharedFile:
        file_id = f"F{next(self._ids):08d}"
        filetype = name.rsplit(".", 1)[-1].lower() if "." in name else "binary"
        shared = SharedFile(
            id=file_id,
            name=name,
            content=content,
            mimetype=mimetype,
            filetype=filetype,
            user=user,
            declared_size=declared_size,
        )
        self.state.files[file_id] = shared
        return shared

    async def _post_signed(
        self,
        body: str,
        content_type: str,
        headers: dict[str, str] | None = None,
        signature: str | None = None,
        timestamp: int | None = None,
    ) -> tuple[int, Any]:
        if self._http is None:
            self._http = aiohttp.ClientSession()
        stamp = str(timestamp if timestamp is not None else int(time.time()))
        digest = hmac.new(self.signing_secret.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()
        all_headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": signature or f"v0={digest}",
            **(headers or {}),
        }
        async with self._http.post(self.bot_events_url, data=body.encode(), headers=all_headers) as response:
            text = await response.text()
            try:
                return response.status, json.loads(text) if text else {}
            except ValueError:
                return response.status, text

    async def _deliver(
        self,
        kind: str,
        payload: dict[str, Any],
        http_body: str,
        content_type: str,
        *,
        retry_num: int = 0,
        retry_reason: str = "",
        envelope_id: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
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
        await self._socket.send_json(
            {
                "envelope_id": envelope_id,
                "type": kind,
                "payload": payload,
                "accepts_response_payload": kind != "events_api",
                "retry_attempt": retry_num,
                "retry_reason": retry_reason,
            }
        )
        return 200, await asyncio.wait_for(future, 10.0)

    async def command(
        self, text: str, *, user: str = "UAGENT1", channel: str = "CVERIFY", trigger_id: str | None = None
    ) -> dict[str, Any]:
        """Type `/verify <text>`; returns the bot's immediate (ephemeral) answer, {} for an empty ack."""
        trigger_id = trigger_id or f"{next(self._ids)}.{uuid.uuid4().hex}"
        self.trigger_users[trigger_id] = user
        self.joins(user, channel)  # a message box, slash commands included, is only open to members
        payload = {
            "token": "legacy",
            "team_id": self.team_of(user),
            "team_domain": "idv-test",
            "channel_id": channel,
            "channel_name": "verify",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/verify",
            "text": text,
            "api_app_id": "AIDV",
            "is_enterprise_install": "false",
            "response_url": self.issue_response_url(),
            "trigger_id": trigger_id,
        }
        status, answer = await self._deliver(
            "slash_commands", payload, urlencode(payload), "application/x-www-form-urlencoded"
        )
        if status != 200:
            raise AssertionError(f"the bot answered {status}: {answer}")
        return answer if isinstance(answer, dict) else {"text": answer}

    def event_envelope(self, event: dict[str, Any], event_id: str | None) -> dict[str, Any]:
        return {
            "token": "legacy",
            "team_id": self.team_id,
            "api_app_id": "AIDV",
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev{uuid.uuid4().hex[:10].upper()}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": self.team_id, "user_id": self.bot_user_id, "is_bot": True}],
        }

    def joins(self, user: str, channel: str) -> None:
        """Whoever writes in a channel is a member of it (`leaves` takes someone out)."""
        self.channel_members.setdefault(channel, set()).add(user)

    def leaves(self, user: str, channel: str = "CVERIFY") -> None:
        self.channel_members.setdefault(channel, set()).discard(user)

    def subscription_of(self, event: dict[str, Any]) -> str:
        """The manifest subscription an event arrives through (`message.channels` for a message in a channel)."""
        kind = str(event.get("type"))
        if kind != "message":
            return kind
        return {"channel": "message.channels", "group": "message.groups", "im": "message.im", "mpim": "message.mpim"}.get(
            str(event.get("channel_type")), "message.channels"
        )

    async def event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int = 0,
        retry_reason: str = "",
        envelope_id: str | None = None,
    ) -> tuple[int, Any]:
        """Deliver an event, as Slack would: only one the manifest subscribes to (with its scope); otherwise it is
        noted in `state.undelivered_events` and the answer is (0, None)."""
        subscription = self.subscription_of(event)
        if not self.grant.subscribed(subscription):
            self.state.undelivered_events.append(subscription)
            return 0, None
        envelope = self.event_envelope(event, event_id)
        return await self._deliver(
            "events_api",
            envelope,
            json.dumps(envelope),
            "application/json",
            retry_num=retry_num,
            retry_reason=retry_reason,
            envelope_id=envelope_id,
        )

    def file_share_event(
        self, files: list[SharedFile], *, thread_ts: str, user: str = "UAGENT1", channel: str = "CVERIFY", text: str = ""
    ) -> dict[str, Any]:
        channel_type = "group" if channel in self.private_channels else "channel"
        return {
            "type": "message",
            "subtype": "file_share",
            "channel": channel,
            "channel_type": channel_type,
            "user": user,
            "user_team": self.team_of(user),
            "source_team": self.team_of(user),
            "text": text,
            "ts": self._next_ts(),
            "event_ts": self._next_ts(),
            "thread_ts": thread_ts,
            "parent_user_id": self.bot_user_id,
            "upload": True,
            "files": [f.info(self.base_url, self.team_id) for f in files],
        }

    async def share(
        self,
        files: list[SharedFile],
        *,
        thread_ts: str,
        user: str = "UAGENT1",
        channel: str = "CVERIFY",
        text: str = "",
        event_id: str | None = None,
    ) -> tuple[int, Any]:
        """Drop files into a thread, as an agent would (who is in the channel to do so)."""
        self.joins(user, channel)
        return await self.event(
            self.file_share_event(files, thread_ts=thread_ts, user=user, channel=channel, text=text), event_id=event_id
        )

    async def click(
        self,
        action_id: str,
        value: str,
        *,
        user: str = "UAGENT1",
        channel: str | None = "CVERIFY",
        message: Posted | None = None,
        view: dict[str, Any] | None = None,
    ) -> tuple[int, Any]:
        """Press a button in a message, in a modal the bot opened (`view`), or in App Home (`channel` None)."""
        payload = self.click_payload(
            action_id, value, user=user, channel=None if view else channel, message=message, view=view
        )
        return await self._deliver(
            "interactive", payload, urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"
        )

    def click_payload(
        self,
        action_id: str,
        value: str,
        *,
        user: str = "UAGENT1",
        channel: str | None = "CVERIFY",
        message: Posted | None = None,
        view: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        trigger_id = f"{next(self._ids)}.{uuid.uuid4().hex}"
        self.trigger_users[trigger_id] = user
        payload: dict[str, Any] = {
            "type": "block_actions",
            "team": {"id": self.team_id, "domain": "idv-test"},
            "user": {"id": user, "username": user.lower(), "team_id": self.team_of(user)},
            "api_app_id": "AIDV",
            "token": "legacy",
            "trigger_id": trigger_id,
            "response_url": self.issue_response_url(),
            "actions": [
                {"action_id": action_id, "block_id": "b", "value": value, "type": "button", "action_ts": str(time.time())}
            ],
        }
        if channel is not None:
            payload["channel"] = {"id": channel, "name": "verify"}
            payload["container"] = {
                "type": "message",
                "channel_id": channel,
                "message_ts": message.ts if message else self._next_ts(),
                "is_ephemeral": False,
            }
            if message is not None:
                payload["message"] = {
                    "ts": message.ts,
                    "thread_ts": message.thread_ts,
                    "text": message.text,
                    "blocks": message.blocks,
                }
        elif view is not None:
            payload["container"] = {"type": "view", "view_id": view["id"]}
            payload["view"] = {**view, "team_id": self.team_id, "state": {"values": {}}, "hash": "1.abc"}
        else:
            payload["container"] = {"type": "view", "view_id": "VHOME"}
            payload["view"] = {"id": "VHOME", "type": "home", "callback_id": "", "private_metadata": "", "blocks": []}
        return payload

    async def submit_view(self, view: dict[str, Any], values: dict[str, Any], *, user: str = "UAGENT1") -> tuple[int, Any]:
        """Fill a modal opened by the bot and press its submit button; `values` by block id."""
        payload = self.view_submission_payload(view, values, user=user)
        return await self._deliver(
            "interactive", payload, urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"
        )

    def view_submission_payload(
        self, view: dict[str, Any], values: dict[str, Any], *, user: str = "UAGENT1"
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
            elif kind == "file_input":
                entry = {"type": kind, "files": self._file_input(element, value or [])}
            else:
                entry = {"type": kind, "value": value}
            state[block_id] = {element["action_id"]: entry}
        return {
            "type": "view_submission",
            "team": {"id": self.team_id, "domain": "idv-test"},
            "user": {"id": user, "username": user.lower(), "team_id": self.team_of(user)},
            "api_app_id": "AIDV",
            "token": "legacy",
            "trigger_id": f"{next(self._ids)}.{uuid.uuid4().hex}",
            "view": {
                **view,
                "id": view.get("id", "V1"),
                "team_id": self.team_id,
                "state": {"values": state},
                "hash": "1.abc",
            },
        }

    def _file_input(self, element: dict[str, Any], files: list[SharedFile]) -> list[dict[str, Any]]:
        """What Slack's client would let a person attach to a file_input: at most `max_files`, of `filetypes`,
        up to 10 MB each (the element's reference); anything else it refuses before the modal is submitted."""
        if len(files) > int(element.get("max_files", 10)):
            raise ValueError(f"Slack lets {element.get('max_files', 10)} files into this input")
        for shared in files:
            if element.get("filetypes") and shared.filetype not in element["filetypes"]:
                raise ValueError(f"Slack does not let a .{shared.filetype} file into this input")
            if len(shared.content) > 10 * 1024 * 1024:
                raise ValueError("Slack does not let a file over 10 MB into a file input")
        return [shared.info(self.base_url, self.team_id) for shared in files]

    async def open_home(self, user: str = "UAGENT1") -> tuple[int, Any]:
        return await self.event(
            {"type": "app_home_opened", "user": user, "channel": "DHOME", "tab": "home", "event_ts": self._next_ts()}
        )
