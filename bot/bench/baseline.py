"""The benchmark's baseline: a minimal Bolt `AsyncApp` that only acks `/verify`, served the way the bot is served
(aiohttp, `AsyncBoltRequest`, `async_dispatch`). `python -m bot.bench.baseline --port N`, settings from the env."""

from __future__ import annotations

import argparse
import asyncio
import os
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.web.async_client import AsyncWebClient


def build() -> web.Application:
    client = AsyncWebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"])
    bolt = AsyncApp(client=client, signing_secret=os.environ["SLACK_SIGNING_SECRET"])

    async def only_ack(ack: Any) -> None:
        await ack(text="ok")

    bolt.command("/verify")(only_ack)

    async def slack_events(request: web.Request) -> web.StreamResponse:
        body = await request.read()
        bolt_request = AsyncBoltRequest(body=body.decode(), query=request.query_string, headers=request.headers)  # type: ignore[arg-type]
        return await to_aiohttp_response(await bolt.async_dispatch(bolt_request))

    app = web.Application()
    app.router.add_post("/slack/events", slack_events)
    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()

    async def serve() -> None:
        runner = web.AppRunner(build(), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", args.port).start()
        print("idv-bot ready (baseline)", flush=True)
        await asyncio.Event().wait()

    asyncio.run(serve())


if __name__ == "__main__":
    main()
