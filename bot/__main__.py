"""Command line: `idv-bot COMMAND` (or `python -m bot COMMAND`): run, manifest, healthcheck, demo, bench,
sandbox-jumio, backup, jobs."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

# Commands with their own options, parsed by their own modules (their --help lists them).
FORWARDED = {
    "demo": "play a whole verification locally against the bundled stand-ins, then exit",
    "bench": "measure the bot against the limits that matter (docs/performance.md)",
    "sandbox-jumio": "serve the Jumio simulator alone on loopback",
}


def _version() -> str:
    try:
        return version("idv-slack-bot")
    except PackageNotFoundError:
        return "unknown"


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="idv-bot",
        description="Jumio identity verifications from Slack. Settings come from the environment and "
        ".env (see .env.example and docs/operating.md, Settings).",
    )
    top.add_argument("--version", action="version", version=f"idv-bot {_version()}")
    commands = top.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser(
        "run",
        help="serve the bot",
        description="Serve the bot: Socket Mode with SLACK_APP_TOKEN, "
        "HTTP mode (/slack/events) otherwise. SIGTERM stops it within 10 s.",
    )
    manifest = commands.add_parser(
        "manifest",
        help="print the Slack app manifest for the current settings",
        description="Print the Slack app manifest (manifest.yml) for the current settings: "
        "Socket Mode with SLACK_APP_TOKEN, HTTP mode with request URLs on IDV_PUBLIC_URL "
        "otherwise; the user scope and redirect URL only when SLACK_CLIENT_ID is set. Paste "
        "it into Create New App, From a manifest.",
    )
    manifest.add_argument("--format", choices=["json", "yaml"], default="json", help="json (default) or yaml")
    manifest.add_argument(
        "--mode",
        choices=["socket", "http"],
        help="Socket Mode or HTTP mode regardless of SLACK_APP_TOKEN (a new app has none yet)",
    )
    for name, text in FORWARDED.items():
        commands.add_parser(name, help=text, add_help=False)
    commands.add_parser(
        "healthcheck",
        help="exit 0 when this machine's bot answers /healthz with 200",
        description="Ask this machine's bot (127.0.0.1:PORT/healthz) whether it is healthy: exit 0 "
        "on 200, 1 otherwise with the reason on stderr (the container's HEALTHCHECK).",
    )
    backup = commands.add_parser(
        "backup",
        help="copy the database while the bot runs (SQLite's online backup)",
        description="Copy the database consistently while the bot runs, to a new file "
        "(mode 0600). Restore: stop the bot, put the copy in IDV_DATABASE's place, start.",
    )
    backup.add_argument("path", nargs="?", help="the new file (default: next to the database, named by the time)")
    backup.add_argument("--database", help="the database to copy (default: IDV_DATABASE)")
    backup.add_argument(
        "--keep",
        type=int,
        default=None,
        metavar="N",
        help="keep the newest N time-named copies of this database in the new file's folder and remove "
        "the rest (default 7); copies older than IDV_RETENTION_DAYS go whatever N is",
    )
    jobs = commands.add_parser(
        "jobs",
        help="list the jobs that gave up, or retry one",
        description="List the jobs that gave up, with their reasons (no payloads, no secrets); "
        "`jobs retry ID` queues one again with more attempts.",
    )
    jobs.add_argument("action", nargs="?", choices=["retry"], help="retry: queue the job ID again")
    jobs.add_argument("job_id", nargs="?", type=int, help="the job's id, from the list")
    jobs.add_argument("--database", help="the database (default: IDV_DATABASE)")
    return top


EXIT_CONFIG = 2  # a setting or token refused: starting again cannot fix it
EXIT_TEMPFAIL = 75  # EX_TEMPFAIL: a service the bot needs could not be reached; start again later


def run() -> int:
    from bot.config import ConfigError, load_settings
    from bot.logs import configure_logging
    from bot.runtime import Bot
    from bot.slack_identity import ServiceUnreachable

    level = logging.DEBUG if os.environ.get("IDV_DEBUG") else logging.INFO
    configure_logging(level)
    try:
        settings = load_settings()
    except ConfigError as error:
        _print_config_error(error)
        return EXIT_CONFIG
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
            _print_config_error(error)
            return EXIT_CONFIG
        except ServiceUnreachable as error:
            print(f"idv-bot: {error}; it will be tried again (exit {EXIT_TEMPFAIL})", file=sys.stderr)
            return EXIT_TEMPFAIL
        print(f"idv-bot ready on port {bot.port}: {bot.summary}", flush=True)
        await stop.wait()
        logging.getLogger("bot").info("stopping: no new work; running jobs get 10 s to finish")
        await bot.stop(grace=8.0)  # and 2 s for the rest: SIGTERM ends the process within 10 s
        return 0

    return asyncio.run(serve())


def _print_config_error(error: Exception) -> None:
    """One line a problem: every setting that is missing or malformed is named in one run."""
    for line in str(error).splitlines():
        print(f"idv-bot: {line}", file=sys.stderr)


def _manifest(args: argparse.Namespace) -> int:
    from bot.config import setting_values
    from bot.manifest import ManifestError, dump, render_for

    try:
        manifest = render_for(setting_values(), mode=args.mode)
    except ManifestError as error:
        print(f"idv-bot: {error}", file=sys.stderr)
        return 2
    sys.stdout.write(dump(manifest, args.format))
    return 0


def _setting(name: str) -> str | None:
    """One setting as the bot reads it (the environment over .env; empty is unset), for the operator commands."""
    from bot.config import setting_values

    return setting_values().get(name, "").strip() or None


def _database(given: str | None) -> str:
    return given or _setting("IDV_DATABASE") or "idv.sqlite3"


def _retention_days() -> int:
    value = _setting("IDV_RETENTION_DAYS") or "90"
    return int(value) if value.isdigit() and int(value) > 0 else 90


def _admin(args: argparse.Namespace) -> int:
    from bot.admin import DEFAULT_KEEP, AdminError, backup, dead_jobs, default_backup_name, jobs_table, prune_backups
    from bot.jobs import Queue
    from bot.journey import retry_dead
    from storage import DatabaseUnusable, Store

    database = _database(args.database)
    try:
        if args.command == "backup":
            keep = DEFAULT_KEEP if args.keep is None else args.keep
            if keep < 1:
                raise AdminError("--keep must be at least 1 (the copy just made)")
            target = args.path or default_backup_name(database)
            size = backup(database, target)
            print(f"backed up {database} to {target} ({size:,} bytes)")
            removed = prune_backups(database, Path(target).resolve().parent, keep=keep, max_age_days=_retention_days())
            for path in removed:
                print(f"removed the older copy {path}")
            return 0
        if not os.path.isfile(database):
            raise AdminError(f"{database} does not exist: check IDV_DATABASE")
        store = Store(database)
        try:
            if args.action is None:
                print(jobs_table(dead_jobs(store)))
                return 0
            if args.job_id is None:
                raise AdminError("jobs retry needs the job's id: `idv-bot jobs retry 12`")
            job = next((j for j in store.jobs.listed() if j.id == args.job_id), None)
            if job is None:
                raise AdminError(f"there is no job {args.job_id}")
            if not retry_dead(store, Queue(store), job, "cli"):
                raise AdminError(f"job {job.id} is {job.state}, not dead: nothing to retry")
            print(f"job {job.id} ({job.kind}) queued again; a running bot picks it up within seconds")
            return 0
        finally:
            store.close()
    except (AdminError, DatabaseUnusable) as error:
        print(f"idv-bot: {error}", file=sys.stderr)
        return 1


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(sys.argv[1:] if argv is None else argv)
    except KeyboardInterrupt:  # Ctrl-C before a command took over its own: quiet, as the shell's convention has it
        print("\nidv-bot: stopped.", file=sys.stderr)
        return 130


def _development_command(command: str, rest: list[str]) -> int:
    """`demo`, `bench` and `sandbox-jumio`: in the source tree's installation, not the production image's."""
    from bot.config import DEVELOPMENT_ONLY

    try:
        if command == "demo":
            from bot.demo import main as entry
        elif command == "bench":
            from bot.bench import main as entry
        else:
            from bot.sandbox.jumio import main as entry
    except ImportError as error:
        if not (error.name or "").startswith(("bot.demo", "bot.bench", "bot.sandbox", "bot.local")):
            raise
        print(f"idv-bot {command}: {command} {DEVELOPMENT_ONLY}", file=sys.stderr)
        return 2
    return entry(rest)


def _main(args: list[str]) -> int:
    if args and args[0] in FORWARDED:
        return _development_command(args[0], args[1:])
    top = parser()
    known = {"run", "manifest", "healthcheck", "backup", "jobs", *FORWARDED}
    if args and not args[0].startswith("-") and args[0] not in known:
        print(
            f"idv-bot: unknown command {args[0]!r}; the commands are: {', '.join(sorted(known))} (idv-bot --help)",
            file=sys.stderr,
        )
        return 2
    parsed = top.parse_args(args)
    if parsed.command is None:
        top.print_help()
        return 2
    if parsed.command == "run":
        return run()
    if parsed.command == "manifest":
        return _manifest(parsed)
    if parsed.command == "healthcheck":
        from bot.healthcheck import main as healthcheck

        return healthcheck(_setting("PORT") or "3000")
    return _admin(parsed)


if __name__ == "__main__":
    sys.exit(main())
