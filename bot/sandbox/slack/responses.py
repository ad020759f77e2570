"""The stand-in's `response_url`s: usable up to 5 times within 30 minutes of the interaction, each body a valid
message (api.slack.com/interactivity/handling; reference §13)."""

from __future__ import annotations

import time
import uuid

from aiohttp import web

from bot.sandbox.slack.blockkit import message_problems
from bot.sandbox.slack.contract import RESPONSE_URL_SECONDS, RESPONSE_URL_USES
from bot.sandbox.slack.state import SlackState


class ResponseUrls:
    """Mixed into the stand-in: needs `base_url` and `state`."""

    base_url: str
    state: SlackState
    response_urls: dict[str, tuple[float, int]]  # key → (issued at, uses)

    def issue_response_url(self) -> str:
        key = uuid.uuid4().hex
        self.response_urls[key] = (time.monotonic(), 0)
        return f"{self.base_url}/response/{key}"

    async def response_url(self, request: web.Request) -> web.Response:
        """Up to 5 answers within 30 minutes of the interaction, each a valid message (reference §13)."""
        key = request.match_info["key"]
        issued = self.response_urls.get(key)
        if issued is None or time.monotonic() - issued[0] > RESPONSE_URL_SECONDS:
            return web.Response(status=404, text="expired_url")
        if issued[1] >= RESPONSE_URL_USES:
            return web.Response(status=404, text="used_url")
        body = await request.json()
        problems = message_problems(body.get("text"), body.get("blocks"))
        if problems:
            self.state.refused_layouts.append(("response_url", problems))
            return web.Response(status=400, text="invalid_blocks")
        self.response_urls[key] = (issued[0], issued[1] + 1)
        self.state.responses.append(body)
        return web.Response(text="ok")
