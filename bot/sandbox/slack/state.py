"""What the Slack stand-in holds: messages as Slack keeps them, shared files, faults, views and answers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

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
    content_encoding: str | None = None  # sent as Content-Encoding with the bytes as they are (a "bomb", say)
    without_length: bool = False  # no Content-Length: the body is sent chunked
    drip_seconds: float = 0.0  # one byte, then this long, and so on (a slow-drip attack)
    cut_after: int | None = None  # send this many bytes, then drop the connection (a download that breaks)
    throttle: float | None = None  # bytes per second (a network-bound leg, for the benchmark)

    def info(self, base: str, team_id: str) -> dict[str, Any]:
        url = f"{base}/files-pri/{team_id}-{self.id}/{self.name}"
        return {
            "id": self.id,
            "name": self.name,
            "title": self.name,
            "mimetype": self.mimetype,
            "filetype": self.filetype,
            "pretty_type": self.filetype.upper(),
            "user": self.user,
            "mode": "hosted",
            "is_external": False,
            "size": self.declared_size if self.declared_size is not None else len(self.content),
            "url_private": url,
            "url_private_download": url + "?download=1",
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
    view_users: dict[str, str] = field(default_factory=dict)  # view id → the user it was opened for
    home_views: dict[str, dict[str, Any]] = field(default_factory=dict)
    responses: list[dict[str, Any]] = field(default_factory=list)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    files: dict[str, SharedFile] = field(default_factory=dict)
    download_auth: list[str | None] = field(default_factory=list)
    refused_layouts: list[tuple[str, list[str]]] = field(default_factory=list)
    refused_scopes: list[tuple[str, str]] = field(default_factory=list)  # (method, the scope it lacked)
    undelivered_events: list[str] = field(default_factory=list)  # events the manifest does not subscribe to


class ReadBack:
    """Mixed into the stand-in: what the bot said, as a test reads it."""

    state: SlackState

    def root_messages(self, channel: str = "CVERIFY") -> list[Posted]:
        return [m for m in self.state.messages if m.channel == channel and not m.thread_ts and not m.ephemeral_to]

    def thread(self, thread_ts: str) -> list[Posted]:
        return [m for m in self.state.messages if m.thread_ts == thread_ts and not m.ephemeral_to]

    def views_for(self, user: str) -> list[dict[str, Any]]:
        """The modals the bot opened for `user` (as they are now, after any update)."""
        return [v for v in self.state.views_opened if self.state.view_users.get(v["id"]) == user]

    def ephemerals(self, user: str) -> list[Posted]:
        return [m for m in self.state.messages if m.ephemeral_to == user]

    def everything_said(self) -> list[str]:
        """Every text the bot sent anywhere: messages, ephemerals, views, response_url answers."""
        said = [m.all_text() for m in self.state.messages]
        said += [json.dumps(v, ensure_ascii=False) for v in self.state.views_opened]
        said += [json.dumps(v, ensure_ascii=False) for v in self.state.home_views.values()]
        said += [json.dumps(r, ensure_ascii=False) for r in self.state.responses]
        return said
