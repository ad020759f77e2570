"""The bot's HTTP surface: `/slack/events` (HTTP mode), `/jumio/callback`, `/healthz` and the consent page."""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiohttp import ClientPayloadError, web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.http_guard import GUARD_KEY, ConnectionGuard, body_deadline, read_body
from bot.journey import Journey
from bot.metrics import Metrics
from bot.pages import consent
from bot.pages.consent import Network
from storage import Store

log = logging.getLogger("bot.server")


@web.middleware
async def _client_gone(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """A client that drops its connection mid-body is one INFO line (it used to be an 18-line traceback per drop,
    which lets anyone fill the log)."""
    try:
        return await handler(request)
    except (ConnectionResetError, ClientPayloadError) as exc:
        log.info("a client left mid-request (%s %s: %s)", request.method, request.path, type(exc).__name__)
        return web.Response(status=400)  # nobody is there to read it


# The largest request Slack sends, measured (tests/security/test_logs.py): a view submission of a 100-block modal of
# 3,000-character sections is 305 KB form-encoded; a click on a 50-block message 168 KB; the /verify form with every
# field full of 3-byte characters 19 KB. Anything larger is refused before Bolt reads it or checks its signature.
MAX_SLACK_BODY = 384 * 1024
MAX_CALLBACK_BODY = 16 * 1024
# Statuses Jumio documents in callbacks (reference §7), plus the intermediate ones reported in the wild. Whether
# intermediate callbacks are sent, and whether a refused callback is retried, are UNCONFIRMED: the poller covers both.
CALLBACK_STATUSES = {"INITIATED", "ACQUISITION_STARTED", "ACQUIRED", "PROCESSED", "SESSION_EXPIRED", "TOKEN_EXPIRED"}


class CallbackError(ValueError):
    """A callback body that is not what Jumio sends."""


def parse_callback(raw: bytes) -> tuple[str, str, str | None]:
    """The execution id, status and account id (None if absent or malformed) of a callback body, or CallbackError
    naming what is wrong."""
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise CallbackError("the body is not JSON") from None
    if not isinstance(body, dict):
        raise CallbackError("the body is not a JSON object")
    execution = body.get("workflowExecution")
    if not isinstance(execution, dict):
        raise CallbackError("workflowExecution is missing")
    execution_id, status = execution.get("id"), execution.get("status")
    if not isinstance(execution_id, str) or not 8 <= len(execution_id) <= 64:
        raise CallbackError("workflowExecution.id is missing or not an id")
    if not isinstance(status, str) or not 1 <= len(status) <= 64:
        raise CallbackError("workflowExecution.status is missing or not a status")
    account = body.get("account")
    account_id = account.get("id") if isinstance(account, dict) else None
    if not isinstance(account_id, str) or not 8 <= len(account_id) <= 64:
        account_id = None
    return execution_id, status, account_id


def web_app(
    *,
    store: Store,
    journey: Journey,
    bolt: AsyncApp | None,
    socket_connected: Callable[[], Awaitable[bool]] | None = None,
    trusted_proxies: Sequence[Network] = (),
    more_routes: Sequence[web.RouteDef] = (),
    metrics: Metrics | None = None,
    metrics_token: str | None = None,
    guard: ConnectionGuard | None = None,
) -> web.Application:
    """The aiohttp app. `bolt` is given in HTTP mode; `socket_connected` in Socket Mode (for /healthz);
    `more_routes`: the OAuth flow's, when agents may connect their Slack user; `guard`: the limits the site keeps
    (bot.http_guard), whose body deadline the handlers read by."""

    async def slack_events(request: web.Request) -> web.StreamResponse:
        assert bolt is not None
        body = await read_body(request, MAX_SLACK_BODY)
        if body is None:
            return web.json_response({"error": "request body too large"}, status=413)
        try:
            headers: dict[str, Any] = dict(request.headers)  # Bolt reads a plain mapping (keys lowered by Bolt)
            bolt_request = AsyncBoltRequest(
                body=body.decode("utf-8", errors="replace"), query=request.query_string, headers=headers
            )
        except (ValueError, TypeError, KeyError, AttributeError):  # a body Bolt cannot parse (not Slack's)
            log.info("refused a Slack request whose body is not a Slack payload")
            return web.json_response({"error": "malformed request"}, status=400)
        response = await bolt.async_dispatch(bolt_request)
        if response.status == 401:
            log.info("refused a Slack request with a missing, wrong or stale signature")
        return await to_aiohttp_response(response)

    async def jumio_callback(request: web.Request) -> web.Response:
        raw = await read_body(request, MAX_CALLBACK_BODY)
        if raw is None:
            return web.json_response({"error": "body too large"}, status=413)
        try:
            execution_id, status, account_id = parse_callback(raw)
        except CallbackError as error:
            log.info("refused a callback: %s", error)
            return web.json_response({"error": str(error)}, status=400)
        if status not in CALLBACK_STATUSES:
            # Jumio: always answer 200; a status it does not document is informational (reference §7).
            log.info("callback with a status Jumio does not document; ignored")
            return web.json_response({"status": "ignored"})
        execution = store.executions.by_workflow_id(execution_id)
        if execution is None:
            if account_id is not None and journey.stray_turned_up(account_id, execution_id) is not None:
                log.info("callback for an unknown execution of a known account: its deletion is queued")
                return web.json_response({"status": "accepted"})
            log.info("callback for an execution this bot does not know; ignored")
            return web.json_response({"status": "ignored"})
        journey.callback(execution, status)
        return web.json_response({"status": "accepted"})

    async def healthz(_request: web.Request) -> web.Response:
        problems = []
        if not store.is_healthy():
            problems.append("database")
        if socket_connected is not None and not await socket_connected():
            problems.append("socket mode")
        if problems:
            return web.json_response({"ok": False, "failing": problems}, status=503)
        return web.json_response({"ok": True})

    async def metrics_page(request: web.Request) -> web.Response:
        assert metrics is not None
        if metrics_token is not None:  # IDV_METRICS_TOKEN: only the scraper that holds it reads the metrics
            given = request.headers.get("Authorization", "").removeprefix("Bearer ")
            if not hmac.compare_digest(given.encode(), metrics_token.encode()):
                return web.Response(status=401, text="unauthorized", headers={"WWW-Authenticate": "Bearer"})
        if socket_connected is not None and metrics.socket is not None:
            metrics.socket.set(1 if await socket_connected() else 0)
        body, content_type = metrics.render()
        return web.Response(body=body, headers={"Content-Type": content_type})

    app = web.Application(client_max_size=MAX_SLACK_BODY, middlewares=[body_deadline, _client_gone])
    if guard is not None:
        app[GUARD_KEY] = guard
    if bolt is not None:
        app.router.add_post("/slack/events", slack_events)
    app.router.add_post("/jumio/callback", jumio_callback)
    app.router.add_get("/healthz", healthz)
    if metrics is not None:
        app.router.add_get("/metrics", metrics_page)
    app.add_routes(consent.routes(journey, trusted_proxies))
    app.add_routes(more_routes)
    return app
