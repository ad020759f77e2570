"""Wiring: from `Settings` to a running bot (store, Jumio client, Slack app, job runner, web server) and back."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp

from bot import logs, slack_oauth
from bot.app import build_app, slack_client
from bot.config import DEVELOPMENT_ONLY, ConfigError, Settings
from bot.http_guard import ConnectionGuard, GuardedSite
from bot.jobs import JobRunner, Queue, RunnerOptions
from bot.journey import Journey, JourneyOptions
from bot.journey.context import Limits
from bot.journey.sessions import JUMIO_ACCOUNTS
from bot.jumio import JumioClient
from bot.metrics import Metrics
from bot.server import web_app
from bot.services import AccessPolicy, Services
from bot.slack_files import origin
from bot.slack_identity import Identity, ServiceUnreachable, check_tokens
from bot.slack_oauth import oauth_flow
from storage import DatabaseUnusable, SealedWithoutKey, Sealer, Store

if TYPE_CHECKING:  # the stand-ins are left out of the production image (deploy/production-excludes.txt)
    from bot.sandbox.jumio import JumioSandbox, SandboxConfig

log = logging.getLogger("bot")


def _sandbox_module() -> Any:
    try:
        import bot.sandbox.jumio as sandbox
    except ImportError:
        raise ConfigError(f"JUMIO_SANDBOX=true: the bundled Jumio simulator {DEVELOPMENT_ONLY}") from None
    return sandbox


@dataclass
class RuntimeOptions:
    host: str | None = None  # None: settings.host (HOST)
    port: int | None = None  # None: settings.port
    runner: RunnerOptions = field(default_factory=RunnerOptions)
    jumio_retry_budget: float = 45.0
    jumio_backoff_base: float = 0.5
    jumio_account_rate: float = 1.0  # Jumio's default tenant limit: account creations per second
    sandbox: SandboxConfig | None = None
    sweep: bool = True


def probe_port(host: str, port: int) -> None:
    """ConfigError when `port` cannot be listened on (taken, or not allowed); 0 (any free port) always can."""
    if port == 0:
        return
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise ConfigError(f"PORT {port} cannot be served: {error.strerror or error}") from None


def sandbox_state_path(database: str) -> str:
    """Where the in-process Jumio simulator keeps its state: beside the database (idv-jumio-sandbox.sqlite3)."""
    path = Path(database)
    return str(path.with_name(f"{path.stem}-jumio-sandbox{path.suffix or '.sqlite3'}"))


def startup_summary(
    settings: Settings,
    identity: Identity,
    *,
    jumio: str | None,
    callback_url: str | None,
    public_url: str | None,
    users_can_connect: bool,
) -> str:
    """One line of what this start is: where Slack, Jumio and the database are, and which protections are on."""
    allowlists = [
        f"{name} {len(ids)}"
        for name, ids in (
            ("users", settings.allowed_users),
            ("channels", settings.allowed_channels),
            ("other teams", settings.allowed_teams),
        )
        if ids
    ]
    parts = [
        "Socket Mode" if settings.socket_mode else "HTTP mode (/slack/events)",
        f"as @{identity.user} of team {identity.team_id}",
        f"database {os.path.abspath(settings.database)}",
        f"the Jumio sandbox at {jumio}" if jumio else f"Jumio {settings.jumio_region}",
        f"callbacks to {callback_url}" if callback_url else "callbacks off (polling)",
        f"consent {settings.consent}"
        + (f" (page at {public_url}/consent/…)" if settings.consent == "customer" and public_url else ""),
        f"allowlists: {', '.join(allowlists)}" if allowlists else "allowlists: none (everyone in the team)",
        f"admins {len(settings.admins)}",
        "secrets sealed" if settings.encryption_keys else "secrets in clear",
        "agents may connect their Slack user" if users_can_connect else "agents' photo deletion off",
    ]
    return "; ".join(parts)


class Bot:
    """The whole bot in one asyncio process."""

    def __init__(self, settings: Settings, options: RuntimeOptions | None = None) -> None:
        self.settings = settings
        self.options = options or RuntimeOptions()
        self.port: int | None = None
        self.store: Store | None = None
        self.jumio_sandbox: JumioSandbox | None = None
        self.runner: JobRunner | None = None
        self.journey: Journey | None = None
        self.bolt: AsyncApp | None = None
        self._cleanups: list[web.AppRunner] = []
        self._socket: AsyncSocketModeHandler | None = None
        self._sweep: asyncio.Task[None] | None = None
        self._jumio: JumioClient | None = None
        self.summary = ""  # the start-up line: mode, database, Jumio, callbacks, consent, allowlists

    async def start(self) -> None:
        """Start everything, or (a setting or a token refused, a service unreachable) close what was started, remove
        the database files this start created, and raise."""
        created = [
            path for path in (self.settings.database, sandbox_state_path(self.settings.database)) if not os.path.exists(path)
        ]
        try:
            await self._start()
        except BaseException:
            await self.stop(grace=0)
            for path in created:  # a start that never got going leaves nothing behind
                for suffix in ("", "-wal", "-shm"):
                    with contextlib.suppress(FileNotFoundError):
                        os.remove(path + suffix)
            raise

    async def _start(self) -> None:
        settings = self.settings
        logs.install_redaction()
        logs.add_secrets(
            [
                settings.slack_bot_token.reveal(),
                settings.jumio_client_secret.reveal(),
                settings.slack_signing_secret.reveal() if settings.slack_signing_secret else None,
                settings.slack_app_token.reveal() if settings.slack_app_token else None,
                *(key.reveal() for key in settings.encryption_keys),
                settings.slack_client_secret.reveal() if settings.slack_client_secret else None,
            ]
        )
        try:
            self.store = Store(settings.database, sealer=Sealer([key.reveal() for key in settings.encryption_keys]))
        except DatabaseUnusable as error:
            raise ConfigError(f"IDV_DATABASE: {error}") from None
        try:
            resealed = self.store.secrets.reseal_all()
        except SealedWithoutKey as error:
            raise ConfigError(f"IDV_ENCRYPTION_KEY: {error}") from None
        if resealed:
            log.info("IDV_ENCRYPTION_KEY: %d stored secrets sealed under the first key", resealed)
        endpoints = settings.jumio
        if settings.jumio_sandbox:
            sandbox = _sandbox_module()
            config = self.options.sandbox or sandbox.SandboxConfig(processing_delay=2.0)
            config.client_id, config.client_secret = settings.jumio_client_id, settings.jumio_client_secret.reveal()
            # Its state lasts (a file beside the database); with a public URL its Web Client pages are served
            # through the bot's own server, so a phone can open the customer's link.
            config.state_path = config.state_path or sandbox_state_path(settings.database)
            config.web_origin = settings.public_url
            self.jumio_sandbox = sandbox.JumioSandbox(config)
            runner, port = await sandbox.serve(self.jumio_sandbox, port=settings.jumio_sandbox_port)
            self._cleanups.append(runner)
            base = f"http://127.0.0.1:{port}"
            endpoints = type(endpoints)(token_url=f"{base}/oauth2/token", account_url=base, retrieval_url=base)
            log.info("JUMIO_SANDBOX=true: using the bundled Jumio simulator at %s", base)
        self._jumio = JumioClient(
            client_id=settings.jumio_client_id,
            client_secret=settings.jumio_client_secret.reveal(),
            token_url=endpoints.token_url,
            account_url=endpoints.account_url,
            retrieval_url=endpoints.retrieval_url,
            user_agent=settings.jumio_user_agent,
            retry_budget=self.options.jumio_retry_budget,
            backoff_base=self.options.jumio_backoff_base,
            account_creation_rate=self.options.jumio_account_rate,
        )
        metrics = Metrics(self.store, socket_mode=settings.socket_mode)
        self._jumio.observe = metrics.jumio_answered
        guard = ConnectionGuard(settings.http_limits, on_shed=lambda reason: metrics.http_shed.labels(reason).inc())
        callback_url = settings.jumio_callback_url
        public_url = settings.public_url
        if settings.jumio_sandbox:  # the simulator and its pages are on this machine: so may the bot's be
            callback_url = callback_url or f"http://127.0.0.1:{settings.port}/jumio/callback"
            public_url = public_url or f"http://127.0.0.1:{settings.port}"
        port = settings.port if self.options.port is None else self.options.port
        host = self.options.host or settings.host
        probe_port(host, port)  # a local mistake is named before the tokens are tried
        slack = slack_client(settings.slack_bot_token.reveal(), settings.slack_api_url)
        identity = await check_tokens(slack, settings)
        queue = Queue(self.store, rates={JUMIO_ACCOUNTS.bucket: self.options.jumio_account_rate})
        self.journey = Journey(
            self.store,
            self._jumio,
            slack,
            JourneyOptions(
                workflow_key=settings.jumio_workflow_key,
                token_lifetime=settings.jumio_token_lifetime,
                token_lifetime_seconds=settings.token_lifetime_seconds,
                callback_url=callback_url,
                poll_schedule=settings.poll_schedule,
                bot_token=settings.slack_bot_token.reveal(),
                slack_origins=frozenset({origin(settings.slack_api_url)}),
                consent_required=settings.consent == "customer",
                public_url=public_url,
                limits=Limits(
                    starts_per_minute=settings.starts_per_minute,
                    starts_per_day=settings.starts_per_day,
                    photos_per_verification=settings.max_photos,
                ),
                retention_days=settings.retention_days,
                slack_api_url=settings.slack_api_url,
                users_can_connect=bool(settings.slack_client_id and public_url),
            ),
            queue=queue,
            metrics=metrics,
        )
        self.runner = JobRunner(
            self.store, self.journey.handlers, queue=queue, on_dead=self.journey.on_dead, options=self.options.runner
        )
        queue.wake = self.runner.wake
        access = AccessPolicy(
            users=settings.allowed_users,
            channels=settings.allowed_channels,
            teams=frozenset({identity.team_id, *settings.allowed_teams}),
            enterprise=identity.enterprise_id,
            admins=settings.admins,
        )
        more_routes: list[web.RouteDef] = []  # every page besides the bot's own, mounted together
        if self.jumio_sandbox is not None and settings.public_url:
            more_routes += self.jumio_sandbox.web_client_routes()
        connect_url = None
        if settings.slack_client_id and settings.slack_client_secret and public_url:
            flow = oauth_flow(
                client_id=settings.slack_client_id,
                client_secret=settings.slack_client_secret.reveal(),
                public_url=public_url,
                slack_api_url=settings.slack_api_url,
                store=self.store,
                access=access,
            )
            more_routes += slack_oauth.routes(flow)
            connect_url = f"{public_url}{slack_oauth.INSTALL_PATH}"
        self.bolt = bolt = build_app(
            Services(self.store, self.journey, access, connect_url),
            slack,
            signing_secret=settings.slack_signing_secret.reveal() if settings.slack_signing_secret else None,
            socket_mode=settings.socket_mode,
        )
        socket_connected: Callable[[], Awaitable[bool]] | None = None
        if settings.socket_mode:
            assert settings.slack_app_token is not None
            self._socket = AsyncSocketModeHandler(bolt, settings.slack_app_token.reveal(), web_client=slack)
            socket_connected = self._socket.client.is_connected
        app = web_app(
            store=self.store,
            journey=self.journey,
            bolt=None if settings.socket_mode else bolt,  # in Socket Mode Slack's requests come through the socket
            socket_connected=socket_connected,
            trusted_proxies=settings.trusted_proxies,
            more_routes=more_routes,
            metrics=metrics,
            metrics_token=settings.metrics_token.reveal() if settings.metrics_token else None,
            guard=guard,
        )
        web_runner = web.AppRunner(
            app, access_log=None, shutdown_timeout=5.0, keepalive_timeout=settings.http_limits.keepalive_seconds
        )
        await web_runner.setup()
        site = GuardedSite(web_runner, host, port, guard)
        try:
            await site.start()
        except OSError as error:
            raise ConfigError(f"PORT {port} cannot be served: {error.strerror or error}") from None
        self._cleanups.insert(0, web_runner)
        self.port = site.port
        if self._socket is not None:
            try:
                await self._socket.connect_async()
            except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                raise ServiceUnreachable(f"Slack's Socket Mode cannot be reached ({type(exc).__name__})") from None
        self.runner.start()
        if self.options.sweep:
            self._sweep = asyncio.create_task(self.journey.sweep_forever())
        self.summary = startup_summary(
            settings,
            identity,
            jumio=None if self.jumio_sandbox is None else endpoints.account_url,
            callback_url=callback_url,
            public_url=public_url,
            users_can_connect=connect_url is not None,
        )

    async def stop(self, grace: float = 10.0) -> None:
        """Stop taking new work, let running jobs finish within `grace` (or hand them back), close everything."""
        if self._socket is not None:
            with contextlib.suppress(Exception):
                await self._socket.close_async()
        if self._cleanups:
            with contextlib.suppress(Exception):
                await self._cleanups[0].cleanup()  # the bot's own web server: no new Slack requests
        if self._sweep is not None:
            self._sweep.cancel()
        if self.runner is not None:
            await self.runner.stop(grace)
        for runner in self._cleanups[1:]:
            with contextlib.suppress(Exception):
                await runner.cleanup()
        self._cleanups.clear()
        if self._jumio is not None:
            await self._jumio.aclose()
        if self.journey is not None:
            await self.journey.aclose()
            with contextlib.suppress(Exception):
                session = getattr(self.journey.ctx.slack, "session", None)
                if session is not None:
                    await session.close()
        if self.store is not None:
            self.store.close()
        log.info("idv-slack-bot stopped")
