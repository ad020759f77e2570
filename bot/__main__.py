"""Command line: `python -m bot run | demo | sandbox-jumio --port N` (also the console script `idv-bot`)."""

from __future__ import annotations

import asyncio
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

    configure_logging(logging.DEBUG if os.environ.get("IDV_DEBUG") else logging.INFO)
    try:
        settings = load_settings()
    except ConfigError as error:
        print(f"idv-bot: {error}", file=sys.stderr)
        return 2
    for warning in settings.warnings:
        logging.getLogger("bot").warning(warning)

    async def serve() -> None:
        bot = Bot(settings)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        try:
            await bot.start()
        except ConfigError as error:
            print(f"idv-bot: {error}", file=sys.stderr)
            raise SystemExit(2) from None
        print(f"idv-bot ready on port {bot.port}", flush=True)
        await stop.wait()
        logging.getLogger("bot").info("stopping: no new work; running jobs get 10 s to finish")
        await bot.stop(grace=10.0)

    asyncio.run(serve())
    return 0


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
