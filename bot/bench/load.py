"""The benchmark's load generator, in its own process so that the stand-ins' work never delays its clock:
`python -m bot.bench.load --url U --count N --prefix P` (signing secret in SLACK_SIGNING_SECRET) sends N signed
`/verify` commands at once and prints each one's time to the HTTP answer, in milliseconds, as JSON."""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import time
import uuid
from urllib.parse import urlencode

import aiohttp


def signed_command(secret: str, reference: str) -> tuple[bytes, dict[str, str]]:
    body = urlencode(
        {
            "command": "/verify",
            "text": reference,
            "user_id": "UAGENT1",
            "channel_id": "CVERIFY",
            "team_id": "T0IDV",
            "trigger_id": f"1.{uuid.uuid4().hex}",
            "api_app_id": "AIDV",
            "response_url": "http://127.0.0.1:9/unused",
        }
    )
    stamp = str(int(time.time()))
    signature = hmac.new(secret.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return body.encode(), {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": f"v0={signature}",
    }


async def fire(url: str, secret: str, count: int, prefix: str) -> list[float]:
    requests = [signed_command(secret, f"{prefix}-{i}") for i in range(count)]
    connector = aiohttp.TCPConnector(limit=count)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(body: bytes, headers: dict[str, str]) -> float:
            started = time.perf_counter()
            async with session.post(url, data=body, headers=headers) as response:
                await response.read()
                if response.status != 200:
                    raise RuntimeError(f"answered {response.status}")
            return (time.perf_counter() - started) * 1000

        return list(await asyncio.gather(*(one(body, headers) for body, headers in requests)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--prefix", required=True)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(fire(args.url, os.environ["SLACK_SIGNING_SECRET"], args.count, args.prefix))))


if __name__ == "__main__":
    main()
