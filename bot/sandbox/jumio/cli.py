"""`python -m bot sandbox-jumio --port N`: the simulator alone on loopback."""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from bot.sandbox.jumio.server import JumioSandbox, serve
from bot.sandbox.jumio.state import SandboxConfig


def main(argv: list[str] | None = None, environ: dict[str, str] | None = None) -> int:
    """Serve the Jumio simulator alone on loopback: the OAuth token, account, upload, finalize, retrieval and delete
    APIs, and the Web Client pages."""
    import os

    env = os.environ if environ is None else environ
    parser = argparse.ArgumentParser(prog="idv-bot sandbox-jumio", description=main.__doc__)
    parser.add_argument("--port", type=int, default=4010, help="the loopback port to listen on (default 4010)")
    parser.add_argument(
        "--processing-delay", type=float, default=2.0, help="seconds Jumio takes to decide after a submit (default 2)"
    )
    parser.add_argument(
        "--time-scale",
        type=float,
        default=1.0,
        help="multiply token lifetimes and the session time-out (0.01: 5m becomes 3 s)",
    )
    parser.add_argument("--state", help="an SQLite file that keeps the executions across restarts (default: memory)")
    args = parser.parse_args(argv)
    config = SandboxConfig(
        client_id=env.get("JUMIO_CLIENT_ID") or None,
        client_secret=env.get("JUMIO_CLIENT_SECRET") or None,
        processing_delay=args.processing_delay,
        time_scale=args.time_scale,
        state_path=args.state,
    )
    if (config.client_id is None) != (config.client_secret is None):
        config.client_id = config.client_secret = None

    async def run() -> None:
        runner, port = await serve(JumioSandbox(config), port=args.port)
        print(f"Jumio sandbox on http://127.0.0.1:{port} (token URL http://127.0.0.1:{port}/oauth2/token)", flush=True)
        try:
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())
    return 0
