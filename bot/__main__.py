"""Command line: `python -m bot run | demo | sandbox-jumio --port N` (also the console script `idv-bot`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys

USAGE = """usage: python -m bot COMMAND   (or: idv-bot COMMAND)

  run                      serve the bot (settings from the environment and .env; see .env.example)
  demo                     play a whole verification locally against the bundled sandboxes, then exit
  sandbox-jumio --port N   serve the Jumio simulator alone on loopback
  bench [--quick]          measure the bot against the limits that matter (see README, Performance)
"""


def run() -> int:
    from bot.config import ConfigError, load_settings
    from bot.logs import configure_logging
    from bot.runtime import Bot

    level = logging.DEBUG if os.environ.get("IDV_DEBUG") else logging.INFO
    configure_logging(level)
    try:
        settings = load_settings()
    except ConfigError as error:
        print(f"idv-bot: {error}", file=sys.stderr)
        return 2
    configure_logging(level, settings.log_format)
    for warning in settings.warnings:
        logging.getLogger("bot").warning(warning)

    async def serve() -> int:
        bot = Bot(settings)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        # Starting (checking the tokens, connecting) can wait on the network: SIGTERM ends it there too.
        starting = asyncio.create_task(bot.start())
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if not starting.done():
            starting.cancel()
            with contextlib.suppress(BaseException):
                await starting
            await bot.stop(grace=0)
            return 0
        stopping.cancel()
        try:
            starting.result()
        except ConfigError as error:
            print(f"idv-bot: {error}", file=sys.stderr)
            return 2
        print(f"idv-bot ready on port {bot.port}", flush=True)
        await stop.wait()
        logging.getLogger("bot").info("stopping: no new work; running jobs get 10 s to finish")
        await bot.stop(grace=8.0)  # and 2 s for the rest: SIGTERM ends the process within 10 s
        return 0

    return asyncio.run(serve())


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    command, rest = (args[0], args[1:]) if args else ("", [])
    if command == "run":
        return run()
    if command == "demo":
        from bot.demo import main as demo_main

        return demo_main(rest)
    if command == "bench":
        from bot.bench import main as bench_main

        return bench_main(rest)
    if command == "sandbox-jumio":
        from bot.sandbox.jumio import main as sandbox_main

        return sandbox_main(rest)
    print(USAGE, file=sys.stderr)
    return 0 if command in ("-h", "--help", "help") else 2


if __name__ == "__main__":
    sys.exit(main())
