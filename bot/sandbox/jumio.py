"""A Jumio KYX simulator: every API of the reference on one loopback port, as strict as Jumio is documented to be.

Endpoints (reference section in brackets):
- `POST /oauth2/token` [§1]: client credentials over HTTP Basic; 10 per second.
- `POST /api/v1/accounts`, `PUT /api/v1/accounts/{account}` [§2]: validated body, 1 per second (429 with Jumio's
  body), the documented answer: ID (front, back), SELFIE (face), FACEMAP (no `api`), DATA for workflows that take
  prepared data.
- `POST …/credentials/{credential}/parts/{FRONT|BACK|FACE}` [§3]: multipart with one field `file`, JPEG or PNG by
  the bytes, at most 15 MB, longest side over 300 px, at most 8000×8000, that credential's `api.token`.
- `POST …/parts/PREPARED_DATA` [§4]: JSON supporting data.
- `PUT /api/v1/accounts/{account}/workflow-executions/{execution}` [§5]: finalize, no body → ACQUIRED, and after
  `processing_delay` seconds PROCESSED with a decision and a callback to `callbackUrl`.
- `GET …/workflow-executions/{execution}[/status]`, `DELETE /api/v1/accounts/{account}[/workflow-executions/{id}]`
  [§6, §9] with the OAuth token.
- `GET /web/v4/app?authorizationToken=…` plays the customer in the Web Client: choose photos or use samples, submit.

The decision rule: a customer reference containing `reject` → REJECTED, containing `warn` → WARNING, else FRONT or
FACE missing → NOT_EXECUTED, else PASSED (case-insensitive, in that order).

Expiry: an execution never started within its `tokenLifetime` becomes TOKEN_EXPIRED; one started and then left idle
for 15 minutes SESSION_EXPIRED; both call back. `time_scale` shrinks every such duration for tests and demos.

Where it is deliberately not Jumio: callbacks may go to http and loopback (`strict_callback_urls=False`, the
default) so that a local bot can receive them; `/_sandbox/…` holds test controls (faults, clock, inspection).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import datetime as dt
import hashlib
import html
import ipaddress
import json
import logging
import re
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from bot.sandbox import serve_app
from bot.sandbox.images import image_format, image_size, sample_photo

log = logging.getLogger("bot.sandbox.jumio")

MAX_PART_BYTES = 15 * 1024 * 1024
FORBIDDEN_REFERENCE_CHARACTERS = '<>"/;`%{}|'
_LIFETIME = re.compile(r"^([+-]?\d+)([smhd])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_ACCOUNT_FIELDS = {"customerInternalReference", "workflowDefinition", "userReference", "reportingCriteria",
                   "callbackUrl", "tokenLifetime", "web", "userConsent"}

# Workflow definitions this tenant has: the credential categories each takes (reference §2.4).
WORKFLOWS: dict[int, tuple[str, ...]] = {
    2: ("ID",),
    3: ("ID", "SELFIE", "FACEMAP"),
    10011: ("ID", "SELFIE", "FACEMAP"),
    10013: ("ID", "SELFIE", "FACEMAP"),
    10163: ("ID", "SELFIE", "FACEMAP", "DATA"),
}
_PARTS = {"ID": ("FRONT", "BACK"), "SELFIE": ("FACE",), "DATA": ("PREPARED_DATA",), "FACEMAP": ()}
_RISK = {"PASSED": 12.0, "WARNING": 55.0, "REJECTED": 92.0, "NOT_EXECUTED": -1.0}


@dataclass
class SandboxConfig:
    client_id: str | None = None
    client_secret: str | None = None
    processing_delay: float = 0.3
    oauth_token_lifetime: int = 3600
    account_rate: float = 1.0
    account_burst: float = 1.0
    token_rate: float = 10.0
    time_scale: float = 1.0
    session_timeout: float = 15 * 60
    callbacks_enabled: bool = True
    strict_callback_urls: bool = False
    expiry_check_interval: float = 0.1
    latency: float = 0.0  # seconds added to every Jumio API call (a slow Jumio, for benchmarks)
    hold_decisions: bool = False  # submitted executions stay ACQUIRED until this is False again (a manual review)


@dataclass
class Fault:
    """Answer the next `count` matching calls with `status` (or drop the connection), after `delay` seconds."""

    path_contains: str = ""
    method: str | None = None
    status: int | None = 503
    count: int = 1
    delay: float = 0.0
    drop: bool = False
    after: bool = False  # handle the request first, then delay (or drop) the answer
    duration: float | None = None  # instead of a count: every matching call for this many seconds (an outage)
    ends_at: float | None = None


@dataclass
class Part:
    classifier: str
    sha256: str
    size: int
    content_type: str
    channel: str
    uploads: int = 1


@dataclass
class SandboxCredential:
    id: str
    category: str
    api_token: str | None
    parts: dict[str, Part] = field(default_factory=dict)
    prepared_data: dict[str, Any] | None = None


@dataclass
class SandboxExecution:
    id: str
    account_id: str
    customer_reference: str
    user_reference: str | None
    workflow_key: int
    callback_url: str | None
    locale: str | None
    web_token: str
    sdk_token: str
    credentials: list[SandboxCredential]
    created_at: float
    expires_at: float
    status: str = "INITIATED"
    started_at: float | None = None
    last_activity: float | None = None
    finalized_at: float | None = None
    completed_at: float | None = None
    decision: str | None = None
    finalize_calls: int = 0
    deleted: bool = False

    def credential(self, credential_id: str) -> SandboxCredential | None:
        return next((c for c in self.credentials if c.id == credential_id), None)

    def received(self) -> set[str]:
        return {classifier for c in self.credentials for classifier in c.parts}


@dataclass
class Callback:
    url: str
    body: dict[str, Any]
    status: int | None
    error: str | None


class _Bucket:
    def __init__(self, rate: float, burst: float, clock: Callable[[], float]) -> None:
        self.rate, self.burst, self.clock = rate, burst, clock
        self.tokens, self.updated = burst, clock()

    def take(self) -> bool:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        # Up to 50 ms of network jitter between paced requests is forgiven (but never half an interval).
        if self.tokens >= max(0.5, 1.0 - self.rate * 0.05):
            self.tokens -= 1.0
            return True
        return False


def _fake_jwt(claims: dict[str, Any]) -> str:
    def part(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'HS512', 'typ': 'JWT'})}.{part(claims)}.{secrets.token_urlsafe(43)}"


def _problem(status: int, message: str) -> web.Response:
    return web.json_response({"status": status, "message": message}, status=status)


def _now_iso() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def lifetime_seconds(value: Any) -> float:
    """Seconds of a `tokenLifetime`; ValueError outside Jumio's pattern and 5m…60d."""
    match = _LIFETIME.match(value) if isinstance(value, str) else None
    if not match:
        raise ValueError("tokenLifetime must match ^([+-]?\\d+)([smhd]{1})$")
    seconds = int(match.group(1)) * _UNITS[match.group(2)]
    if not 300 <= seconds <= 60 * 86400:
        raise ValueError("tokenLifetime must be between 5m and 60d")
    return float(seconds)


class JumioSandbox:
    """The simulator's state and its aiohttp application (`app`)."""

    def __init__(self, config: SandboxConfig | None = None, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.config = config or SandboxConfig()
        self.clock = clock
        self.clock_offset = 0.0
        self.executions: dict[str, SandboxExecution] = {}
        self.accounts: dict[str, list[str]] = {}
        self.oauth_tokens: dict[str, float] = {}
        self.faults: list[Fault] = []
        self.calls: list[tuple[str, str, int]] = []
        self.user_agents: set[str] = set()
        self.callbacks: list[Callback] = []
        self.account_answers: list[int] = []
        self.account_created_at: list[float] = []
        self.part_stored: list[Callable[[SandboxExecution, str], None]] = []
        self._account_bucket = _Bucket(self.config.account_rate, self.config.account_burst, self.now)
        self._token_bucket = _Bucket(self.config.token_rate, self.config.token_rate, self.now)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._session: aiohttp.ClientSession | None = None
        self.app = self._build_app()

    def now(self) -> float:
        return self.clock() + self.clock_offset

    # --- application ---------------------------------------------------------------------------------------

    def _build_app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware], client_max_size=MAX_PART_BYTES + 1024 * 1024)
        accounts = "/api/v1/accounts"
        execution = accounts + "/{account}/workflow-executions/{execution}"
        app.add_routes([
            web.post("/oauth2/token", self.token),
            web.post(accounts, self.create_account),
            web.put(accounts + "/{account}", self.update_account),
            web.delete(accounts + "/{account}", self.delete_account),
            web.post(execution + "/credentials/{credential}/parts/{classifier}", self.upload_part),
            web.put(execution, self.finalize),
            web.get(execution, self.details),
            web.delete(execution, self.delete_execution),
            web.get(execution + "/status", self.status),
            web.get("/web/v4/app", self.web_client_page),
            web.post("/web/v4/app", self.web_client_submit),
            web.post("/_sandbox/faults", self.control_faults),
            web.post("/_sandbox/expire/{execution}", self.control_expire),
            web.post("/_sandbox/revoke-oauth-tokens", self.control_revoke),
            web.post("/_sandbox/callbacks", self.control_callbacks),
            web.get("/_sandbox/executions/{execution}", self.control_execution),
            web.get("/_sandbox/stats", self.control_stats),
        ])
        app.on_startup.append(self._on_startup)
        app.on_cleanup.append(self._on_cleanup)
        return app

    async def _on_startup(self, _app: web.Application) -> None:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        self._spawn(self._expiry_loop())

    async def _on_cleanup(self, _app: web.Application) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()

    def _spawn(self, coro: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                          ) -> web.StreamResponse:
        path = request.path
        if path.startswith("/_sandbox/"):
            return await handler(request)
        fault = self._take_fault(request)
        if fault is not None and fault.after:
            response = await handler(request)
            await asyncio.sleep(fault.delay)
            if fault.drop and request.transport is not None:
                request.transport.abort()
            self.calls.append((request.method, path, response.status))
            return response
        if fault is not None:
            if fault.delay:
                await asyncio.sleep(fault.delay)
            if fault.drop:
                if request.transport is not None:
                    request.transport.abort()
                return web.Response(status=500)  # never reaches the client: the connection is gone
            if fault.status is not None:
                self.calls.append((request.method, path, fault.status))
                if fault.status == 429:
                    return web.json_response({"title": "Too Many Requests", "status": 429,
                                              "detail": "Request limit exceeded"}, status=429)
                return _problem(fault.status, "sandbox fault")
        if self.config.latency and not path.startswith("/web/"):
            await asyncio.sleep(self.config.latency)
        if not path.startswith("/web/"):
            agent = request.headers.get("User-Agent", "")
            self.user_agents.add(agent)
            if not agent or agent.lower().startswith(("python-httpx", "python-requests", "curl/", "aiohttp")):
                self.calls.append((request.method, path, 403))
                return _problem(403, "Missing or suspicious User-Agent: name your company and application")
        response = await handler(request)
        self.calls.append((request.method, path, response.status))
        return response

    def _take_fault(self, request: web.Request) -> Fault | None:
        for fault in list(self.faults):
            if fault.path_contains not in request.path or fault.method not in (None, request.method):
                continue
            if fault.duration is not None:
                if fault.ends_at is None:
                    fault.ends_at = self.clock() + fault.duration
                if self.clock() >= fault.ends_at:
                    self.faults.remove(fault)
                    continue
                return fault
            if fault.count > 0:
                fault.count -= 1
                if fault.count == 0:
                    self.faults.remove(fault)
                return fault
        return None

    # --- OAuth ---------------------------------------------------------------------------------------------

    async def token(self, request: web.Request) -> web.Response:
        if not self._token_bucket.take():
            return web.json_response({"title": "Too Many Requests", "status": 429, "detail": "Request limit exceeded"},
                                     status=429)
        header = request.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return web.json_response({"error": "invalid_client"}, status=401)
        try:
            client_id, _, client_secret = base64.b64decode(header[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return web.json_response({"error": "invalid_client"}, status=401)
        expected = (self.config.client_id, self.config.client_secret)
        if expected != (None, None) and (client_id, client_secret) != expected:
            return web.json_response({"error": "invalid_client"}, status=401)
        if not client_id or not client_secret:
            return web.json_response({"error": "invalid_client"}, status=401)
        form = await request.post()
        if form.get("grant_type") != "client_credentials":
            return web.json_response({"error": "unsupported_grant_type"}, status=400)
        lifetime = self.config.oauth_token_lifetime
        token = _fake_jwt({"sub": client_id, "iat": int(time.time()), "exp": int(time.time()) + lifetime})
        self.oauth_tokens[token] = self.now() + lifetime
        return web.json_response({"access_token": token, "expires_in": lifetime, "token_type": "Bearer"})

    def _oauth_ok(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        token = header[7:] if header.startswith("Bearer ") else None
        expiry = self.oauth_tokens.get(token or "")
        return expiry is not None and expiry > self.now()

    # --- accounts ------------------------------------------------------------------------------------------

    async def create_account(self, request: web.Request) -> web.Response:
        return await self._start_execution(request, account_id=None)

    async def update_account(self, request: web.Request) -> web.Response:
        return await self._start_execution(request, account_id=request.match_info["account"])

    async def _start_execution(self, request: web.Request, account_id: str | None) -> web.Response:
        if not self._oauth_ok(request):
            return _problem(401, "Unauthorized")
        if not self._account_bucket.take():
            self.account_answers.append(429)
            return web.json_response({"title": "Too Many Requests", "status": 429, "detail": "Request limit exceeded"},
                                     status=429)
        if account_id is not None and account_id not in self.accounts:
            self.account_answers.append(404)
            return _problem(404, "Account not found")
        try:
            body = await request.json()
        except (ValueError, UnicodeDecodeError):
            return _problem(400, "Request body is not valid JSON")
        problem = self._account_body_problem(body)
        if problem:
            self.account_answers.append(400)
            return _problem(400, problem)
        key = int(body["workflowDefinition"]["key"])
        lifetime = lifetime_seconds(body.get("tokenLifetime", "30m")) * self.config.time_scale
        account_id = account_id or str(uuid.uuid4())
        execution = SandboxExecution(
            id=str(uuid.uuid4()),
            account_id=account_id,
            customer_reference=str(body["customerInternalReference"]),
            user_reference=body.get("userReference"),
            workflow_key=key,
            callback_url=body.get("callbackUrl"),
            locale=(body.get("web") or {}).get("locale"),
            web_token=_fake_jwt({"typ": "web", "n": secrets.token_hex(8)}),
            sdk_token=_fake_jwt({"typ": "sdk", "n": secrets.token_hex(8)}),
            credentials=[
                SandboxCredential(id=str(uuid.uuid4()), category=category,
                                  api_token=None if category == "FACEMAP" else _fake_jwt({"typ": "otp",
                                                                                          "c": category}))
                for category in WORKFLOWS[key]
            ],
            created_at=self.now(),
            expires_at=self.now() + lifetime,
        )
        self.executions[execution.id] = execution
        self.accounts.setdefault(account_id, []).append(execution.id)
        self.account_answers.append(200)
        self.account_created_at.append(self.clock())
        return web.json_response(self._account_answer(execution, str(request.url.origin())))

    def _account_body_problem(self, body: Any) -> str | None:
        if not isinstance(body, dict):
            return "Request body must be a JSON object"
        unknown = sorted(set(body) - _ACCOUNT_FIELDS)
        if unknown:
            return f"Unrecognized field(s): {', '.join(unknown)}"
        reference = body.get("customerInternalReference")
        if isinstance(reference, int) and not isinstance(reference, bool):
            reference = str(reference)
        if not isinstance(reference, str) or not 1 <= len(reference) <= 100:
            return "customerInternalReference is required: a string of 1 to 100 characters"
        if any(ch in FORBIDDEN_REFERENCE_CHARACTERS for ch in reference):
            return "customerInternalReference contains characters that are not allowed"
        definition = body.get("workflowDefinition")
        if not isinstance(definition, dict) or "key" not in definition:
            return "workflowDefinition.key is required"
        try:
            key = int(definition["key"])
        except (TypeError, ValueError):
            return "workflowDefinition.key must be a number"
        if key not in WORKFLOWS:
            return f"Workflow definition {key} is not configured for this tenant"
        user_reference = body.get("userReference")
        if user_reference is not None and (not isinstance(user_reference, str) or not 1 <= len(user_reference) <= 100):
            return "userReference must be a string of 1 to 100 characters"
        criteria = body.get("reportingCriteria")
        if criteria is not None and (not isinstance(criteria, str) or not 1 <= len(criteria) <= 255):
            return "reportingCriteria must be a string of 1 to 255 characters"
        if "tokenLifetime" in body:
            try:
                lifetime_seconds(body["tokenLifetime"])
            except ValueError as exc:
                return str(exc)
        if "callbackUrl" in body:
            problem = self._callback_url_problem(body["callbackUrl"])
            if problem:
                return problem
        web_options = body.get("web")
        if web_options is not None:
            if not isinstance(web_options, dict) or set(web_options) - {"successUrl", "errorUrl", "locale"}:
                return "web may hold successUrl, errorUrl and locale only"
            locale = web_options.get("locale")
            if locale is not None and (not isinstance(locale, str) or not 2 <= len(locale) <= 5):
                return "web.locale must be a locale such as en or pt-BR (at most 5 characters)"
            for name in ("successUrl", "errorUrl"):
                if name in web_options and (not isinstance(web_options[name], str) or len(web_options[name]) > 255):
                    return f"web.{name} must be a URL of at most 255 characters"
        return None

    def _callback_url_problem(self, url: Any) -> str | None:
        if not isinstance(url, str) or not 1 <= len(url) <= 255:
            return "callbackUrl must be a URL of 1 to 255 characters"
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return "callbackUrl is not a valid URL"
        if self.config.strict_callback_urls:
            try:
                ipaddress.ip_address(parts.hostname)
                return "callbackUrl must not use an IP address"
            except ValueError:
                pass
            if parts.scheme != "https" or parts.port is not None or parts.fragment:
                return "callbackUrl must be HTTPS without a port or fragment"
        return None

    def _account_answer(self, execution: SandboxExecution, origin: str) -> dict[str, Any]:
        base = f"{origin}/api/v1/accounts/{execution.account_id}/workflow-executions/{execution.id}"
        credentials = []
        for credential in execution.credentials:
            item: dict[str, Any] = {"id": credential.id, "category": credential.category,
                                    "allowedChannels": ["API"] if credential.category == "DATA" else ["WEB", "API",
                                                                                                      "SDK"]}
            if credential.category == "FACEMAP":
                item["allowedChannels"] = ["WEB", "SDK"]
            else:
                item["api"] = {
                    "token": credential.api_token,
                    "parts": {classifier.lower(): f"{base}/credentials/{credential.id}/parts/{classifier}"
                              for classifier in _PARTS[credential.category]},
                    "workflowExecution": base,
                }
            credentials.append(item)
        locale = f"&locale={execution.locale}" if execution.locale else ""
        return {
            "timestamp": _now_iso(),
            "account": {"id": execution.account_id},
            "web": {"href": f"{origin}/web/v4/app?authorizationToken={execution.web_token}{locale}"},
            "sdk": {"token": execution.sdk_token},
            "workflowExecution": {"id": execution.id, "credentials": credentials},
        }

    # --- API channel ---------------------------------------------------------------------------------------

    def _execution_for(self, request: web.Request) -> SandboxExecution | None:
        execution = self.executions.get(request.match_info["execution"])
        if execution is None or execution.deleted or execution.account_id != request.match_info["account"]:
            return None
        return execution

    @staticmethod
    def _bearer(request: web.Request) -> str | None:
        header = request.headers.get("Authorization", "")
        return header[7:] if header.startswith("Bearer ") else None

    async def upload_part(self, request: web.Request) -> web.Response:
        execution = self._execution_for(request)
        if execution is None:
            return _problem(404, "Workflow execution not found")
        credential = execution.credential(request.match_info["credential"])
        classifier = request.match_info["classifier"]
        if credential is None or classifier not in _PARTS[credential.category]:
            return _problem(404, "Credential part not found")
        if credential.api_token is None or self._bearer(request) != credential.api_token:
            return _problem(401, "Unauthorized")
        if execution.status != "INITIATED":
            return _problem(401, "Token is no longer valid for this workflow execution")
        if classifier == "PREPARED_DATA":
            return await self._prepared_data(request, execution, credential)
        content_type = request.headers.get("Content-Type", "")
        if not content_type.startswith("multipart/form-data"):
            return _problem(400, "Content-Type must be multipart/form-data")
        if request.content_length is not None and request.content_length > MAX_PART_BYTES + 64 * 1024:
            return _problem(400, "File exceeds the maximum size of 15 MB")
        reader = await request.multipart()
        fields = []
        data = b""
        while True:
            part = await reader.next()
            if part is None:
                break
            if not isinstance(part, aiohttp.BodyPartReader):
                return _problem(400, "Nested multipart bodies are not supported")
            fields.append(part.name)
            chunk = await part.read(decode=False)
            if part.name == "file":
                data = bytes(chunk)
        if fields != ["file"]:
            return _problem(400, "The body must have exactly one field, named 'file'")
        problem = image_problem(data)
        if problem:
            return _problem(400, problem)
        self._store_part(execution, credential, classifier, data, channel="API")
        return web.json_response({
            "timestamp": _now_iso(),
            "account": {"id": execution.account_id},
            "workflowExecution": {"id": execution.id},
            "api": {"token": credential.api_token, "parts": {}, "workflowExecution": str(request.url)},
        })

    async def _prepared_data(self, request: web.Request, execution: SandboxExecution,
                             credential: SandboxCredential) -> web.Response:
        if not request.headers.get("Content-Type", "").startswith("application/json"):
            return _problem(400, "Content-Type must be application/json")
        try:
            body = await request.json()
        except (ValueError, UnicodeDecodeError):
            return _problem(400, "Request body is not valid JSON")
        problem = prepared_data_problem(body)
        if problem:
            return _problem(400, problem)
        credential.prepared_data = body
        self._touch(execution)
        return web.json_response({"timestamp": _now_iso(), "account": {"id": execution.account_id},
                                  "workflowExecution": {"id": execution.id},
                                  "api": {"token": credential.api_token, "parts": {}}})

    def _store_part(self, execution: SandboxExecution, credential: SandboxCredential, classifier: str, data: bytes,
                    channel: str) -> None:
        # Jumio documents an "update part" call whose method is UNCONFIRMED (reference §3); here a second POST of
        # the same part replaces the first.
        previous = credential.parts.get(classifier)
        credential.parts[classifier] = Part(
            classifier=classifier, sha256=hashlib.sha256(data).hexdigest(), size=len(data),
            content_type="image/png" if image_format(data) == "PNG" else "image/jpeg", channel=channel,
            uploads=(previous.uploads + 1) if previous else 1,
        )
        self._touch(execution)
        for listener in self.part_stored:
            listener(execution, classifier)

    def _touch(self, execution: SandboxExecution) -> None:
        execution.started_at = execution.started_at or self.now()
        execution.last_activity = self.now()

    async def finalize(self, request: web.Request) -> web.Response:
        execution = self._execution_for(request)
        if execution is None:
            return _problem(404, "Workflow execution not found")
        tokens = {c.api_token for c in execution.credentials if c.api_token}
        if self._bearer(request) not in tokens:
            return _problem(401, "Unauthorized")
        body = await request.read()
        if body.strip() not in (b"", b"{}"):
            return _problem(400, "Finalize takes no body")
        execution.finalize_calls += 1
        if execution.status != "INITIATED":
            return _problem(401, "Token is no longer valid for this workflow execution")
        self._finalize(execution)
        return web.json_response({"timestamp": _now_iso(), "account": {"id": execution.account_id},
                                  "workflowExecution": {"id": execution.id}})

    def _finalize(self, execution: SandboxExecution) -> None:
        execution.status = "ACQUIRED"
        execution.finalized_at = self.now()
        self._spawn(self._process(execution))

    async def _process(self, execution: SandboxExecution) -> None:
        await asyncio.sleep(self.config.processing_delay)
        while self.config.hold_decisions:
            await asyncio.sleep(0.01)
        if execution.deleted:
            return
        execution.decision = decide(execution.customer_reference, execution.received())
        execution.status = "PROCESSED"
        execution.completed_at = self.now()
        await self._call_back(execution)

    async def _expiry_loop(self) -> None:
        while True:
            await asyncio.sleep(self.config.expiry_check_interval)
            now = self.now()
            session_timeout = self.config.session_timeout * self.config.time_scale
            for execution in list(self.executions.values()):
                if execution.status != "INITIATED" or execution.deleted:
                    continue
                if execution.started_at is None and now >= execution.expires_at:
                    await self.expire(execution, "TOKEN_EXPIRED")
                elif execution.last_activity is not None and now - execution.last_activity >= session_timeout:
                    await self.expire(execution, "SESSION_EXPIRED")

    async def expire(self, execution: SandboxExecution, status: str = "TOKEN_EXPIRED") -> None:
        execution.status = status
        execution.completed_at = self.now()
        await self._call_back(execution)

    async def _call_back(self, execution: SandboxExecution) -> None:
        if not execution.callback_url or not self.config.callbacks_enabled or self._session is None:
            return
        origin = "https://retrieval.sandbox.invalid"
        body = {
            "callbackSentAt": _now_iso(),
            "workflowExecution": {
                "id": execution.id,
                "href": f"{origin}/api/v1/accounts/{execution.account_id}/workflow-executions/{execution.id}",
                "definitionKey": str(execution.workflow_key),
                "status": execution.status,
            },
            "account": {"id": execution.account_id, "href": f"{origin}/api/v1/accounts/{execution.account_id}"},
        }
        if execution.user_reference:
            body["userReference"] = execution.user_reference
        try:
            async with self._session.post(execution.callback_url, json=body) as response:
                self.callbacks.append(Callback(execution.callback_url, body, response.status, None))
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            self.callbacks.append(Callback(execution.callback_url, body, None, type(exc).__name__))

    # --- retrieval -----------------------------------------------------------------------------------------

    async def status(self, request: web.Request) -> web.Response:
        if not self._oauth_ok(request):
            return _problem(401, "Unauthorized")
        execution = self._execution_for(request)
        if execution is None:
            return _problem(404, "Workflow execution not found")
        origin = str(request.url.origin())
        return web.json_response({
            "account": {"id": execution.account_id, "href": f"{origin}/api/v1/accounts/{execution.account_id}"},
            "workflowExecution": {"id": execution.id, "href": f"{origin}/api/v1/workflow-executions/{execution.id}",
                                  "definitionKey": str(execution.workflow_key), "status": execution.status},
        })

    async def details(self, request: web.Request) -> web.Response:
        if not self._oauth_ok(request):
            return _problem(401, "Unauthorized")
        execution = self._execution_for(request)
        if execution is None:
            return _problem(404, "Workflow execution not found")
        return web.json_response(details_body(execution, str(request.url.origin())))

    async def delete_account(self, request: web.Request) -> web.Response:
        if not self._oauth_ok(request):
            return _problem(401, "Unauthorized")
        executions = self.accounts.pop(request.match_info["account"], None)
        if executions is None:
            return _problem(404, "Account not found")
        for execution_id in executions:
            self.executions[execution_id].deleted = True
        return web.json_response({})

    async def delete_execution(self, request: web.Request) -> web.Response:
        if not self._oauth_ok(request):
            return _problem(401, "Unauthorized")
        execution = self._execution_for(request)
        if execution is None:
            return _problem(404, "Workflow execution not found")
        execution.deleted = True
        return web.json_response({})

    # --- the Web Client ------------------------------------------------------------------------------------

    def _execution_by_web_token(self, token: str) -> SandboxExecution | None:
        return next((e for e in self.executions.values() if e.web_token == token and not e.deleted), None)

    async def web_client_page(self, request: web.Request) -> web.Response:
        execution = self._execution_by_web_token(request.query.get("authorizationToken", ""))
        if execution is None or execution.status != "INITIATED":
            return web.Response(text=_page("This link is not valid any more (error 9200). Ask for a new one."),
                                content_type="text/html", status=403)
        token = html.escape(request.query["authorizationToken"])
        form = (
            "<p>This page plays the customer in Jumio's Web Client. Choose the photos of the ID and a selfie, or use "
            "the sample photos, and submit.</p>"
            '<form method="post" enctype="multipart/form-data">'
            f'<input type="hidden" name="authorizationToken" value="{token}">'
            '<p><label>ID front <input type="file" name="front" accept="image/jpeg,image/png"></label></p>'
            '<p><label>ID back <input type="file" name="back" accept="image/jpeg,image/png"></label></p>'
            '<p><label>Selfie <input type="file" name="face" accept="image/jpeg,image/png"></label></p>'
            '<p><button type="submit">Submit my photos</button> '
            '<button type="submit" name="sample" value="1">Use sample photos</button></p></form>'
        )
        return web.Response(text=_page(form), content_type="text/html")

    async def web_client_submit(self, request: web.Request) -> web.Response:
        form = await request.post()
        execution = self._execution_by_web_token(str(form.get("authorizationToken", "")))
        if execution is None or execution.status != "INITIATED":
            return web.Response(text=_page("This link is not valid any more (error 9200)."), content_type="text/html",
                                status=403)
        use_samples = form.get("sample") == "1"
        chosen: dict[str, bytes] = {}
        for name in ("front", "back", "face"):
            value = form.get(name)
            if use_samples:
                chosen[name] = sample_photo(name)
            elif isinstance(value, web.FileField):
                data = value.file.read()
                if data:
                    chosen[name] = data
        for name, data in chosen.items():
            problem = image_problem(data)
            if problem:
                return web.Response(text=_page(f"The {name} photo was not accepted: {html.escape(problem)}"),
                                    content_type="text/html", status=400)
        if "front" not in chosen or "face" not in chosen:
            return web.Response(text=_page("Please choose at least the ID front and a selfie."),
                                content_type="text/html", status=400)
        for name, data in chosen.items():
            category = "SELFIE" if name == "face" else "ID"
            credential = next(c for c in execution.credentials if c.category == category)
            self._store_part(execution, credential, name.upper(), data, channel="WEB")
        self._finalize(execution)
        return web.Response(text=_page("Thank you. Your photos were submitted; you can close this page."),
                            content_type="text/html")

    # --- test controls (not Jumio) -------------------------------------------------------------------------

    def add_fault(self, fault: Fault) -> None:
        self.faults.append(fault)

    async def control_faults(self, request: web.Request) -> web.Response:
        body = await request.json()
        if body.get("clear"):
            self.faults.clear()
        for item in body.get("faults", []):
            self.add_fault(Fault(**item))
        return web.json_response({"faults": len(self.faults)})

    async def control_expire(self, request: web.Request) -> web.Response:
        execution = self.executions.get(request.match_info["execution"])
        if execution is None:
            return _problem(404, "no such execution")
        await self.expire(execution, (await request.json()).get("status", "TOKEN_EXPIRED") if request.can_read_body
                          else "TOKEN_EXPIRED")
        return web.json_response({"status": execution.status})

    async def control_revoke(self, _request: web.Request) -> web.Response:
        self.revoke_oauth_tokens()
        return web.json_response({})

    def revoke_oauth_tokens(self) -> None:
        self.oauth_tokens.clear()

    async def control_callbacks(self, request: web.Request) -> web.Response:
        self.config.callbacks_enabled = bool((await request.json()).get("enabled", True))
        return web.json_response({"enabled": self.config.callbacks_enabled})

    async def control_execution(self, request: web.Request) -> web.Response:
        execution = self.executions.get(request.match_info["execution"])
        if execution is None:
            return _problem(404, "no such execution")
        return web.json_response({
            "status": execution.status, "decision": execution.decision, "finalize_calls": execution.finalize_calls,
            "parts": {p.classifier: {"sha256": p.sha256, "size": p.size, "uploads": p.uploads, "channel": p.channel}
                      for c in execution.credentials for p in c.parts.values()},
            "prepared_data": any(c.prepared_data is not None for c in execution.credentials),
        })

    async def control_stats(self, _request: web.Request) -> web.Response:
        return web.json_response({"account_answers": self.account_answers, "calls": len(self.calls),
                                  "callbacks": [{"status": c.status, "error": c.error} for c in self.callbacks]})


def image_problem(data: bytes) -> str | None:
    """Why Jumio would refuse these bytes as an ID or selfie image (reference §3), or None."""
    if not data:
        return "The file is empty"
    if len(data) > MAX_PART_BYTES:
        return "File exceeds the maximum size of 15 MB"
    if image_format(data) is None:
        return "Unsupported file type: only JPEG and PNG are accepted"
    size = image_size(data)
    if size is None:
        return "The image could not be read"
    width, height = size
    if max(width, height) <= 300:
        return "The image is too small: the longest side must be more than 300 pixels"
    if width > 8000 or height > 8000:
        return "The image is too large: at most 8000 x 8000 pixels"
    return None


def prepared_data_problem(body: Any) -> str | None:
    """Why Jumio would refuse this supporting data (reference §4; the exact status and body are UNCONFIRMED)."""
    if not isinstance(body, dict) or not body:
        return "Prepared data must be a non-empty JSON object"
    phone = body.get("phoneNumber")
    if phone is not None and not (isinstance(phone, str) and re.fullmatch(r"\+[1-9]\d{6,14}", phone)):
        return "phoneNumber must be in E.164 format"
    birth = body.get("dateOfBirth")
    if birth is not None:
        if not (isinstance(birth, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", birth)):
            return "dateOfBirth must be YYYY-MM-DD"
        try:
            dt.date.fromisoformat(birth)
        except ValueError:
            return "dateOfBirth must be YYYY-MM-DD"
    email = body.get("email")
    if email is not None and not (isinstance(email, str) and re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email)):
        return "email is not valid"
    country = (body.get("address") or {}).get("country")
    if country is not None and not (isinstance(country, str) and re.fullmatch(r"[A-Z]{2,3}", country)):
        return "address.country must be an ISO 3166-1 alpha-2 or alpha-3 code"
    return None


def decide(customer_reference: str, received: set[str]) -> str:
    """The sandbox's documented decision rule."""
    reference = customer_reference.lower()
    if "reject" in reference:
        return "REJECTED"
    if "warn" in reference:
        return "WARNING"
    if "FRONT" not in received or "FACE" not in received:
        return "NOT_EXECUTED"
    return "PASSED"


def details_body(execution: SandboxExecution, origin: str) -> dict[str, Any]:
    """A retrieval details answer in Jumio's shape (reference §6), with made-up extracted data."""
    body: dict[str, Any] = {
        "workflow": {"id": execution.id, "status": execution.status, "definitionKey": str(execution.workflow_key),
                     "customerInternalReference": execution.customer_reference},
        "account": {"id": execution.account_id},
        "createdAt": _now_iso(),
    }
    if execution.user_reference:
        body["workflow"]["userReference"] = execution.user_reference
    if execution.status in ("TOKEN_EXPIRED", "SESSION_EXPIRED"):
        body["decision"] = {"type": "NOT_EXECUTED", "details": {"label": execution.status}, "risk": {"score": -1.0}}
        return body
    if execution.status != "PROCESSED" or execution.decision is None:
        return body
    ids = {c.category: c.id for c in execution.credentials}
    received = execution.received()
    body["credentials"] = [
        {"id": c.id, "category": c.category,
         "parts": [{"classifier": p.classifier,
                    "href": f"{origin}/api/v1/accounts/{execution.account_id}/credentials/{c.id}/parts/{p.classifier}"}
                   for p in c.parts.values()]}
        for c in execution.credentials if c.category != "FACEMAP"
    ]
    decision = execution.decision

    def capability(name: str, category: str, kind: str, label: str, data: dict[str, Any] | None = None
                   ) -> dict[str, Any]:
        entry: dict[str, Any] = {"id": str(uuid.uuid5(uuid.NAMESPACE_URL, execution.id + name + category)),
                                 "credentials": [{"id": ids.get(category, ""), "category": category}],
                                 "decision": {"type": kind, "details": {"label": label}}}
        if data is not None:
            entry["data"] = data
        return entry

    id_ok = "FRONT" in received
    face_ok = "FACE" in received
    precondition = ("NOT_EXECUTED", "PRECONDITION_NOT_FULFILLED")
    usability = [capability("usability", "ID", *(("PASSED", "OK") if id_ok else ("REJECTED", "NOT_UPLOADED"))),
                 capability("usability", "SELFIE", *(("PASSED", "OK") if face_ok else ("REJECTED", "NOT_UPLOADED")))]
    image_checks = ("PASSED", "OK") if id_ok else precondition
    similarity = ("PASSED", "MATCH") if id_ok and face_ok else precondition
    liveness = ("PASSED", "OK") if face_ok else precondition
    if decision == "REJECTED":
        image_checks = ("REJECTED", "MANIPULATED_DOCUMENT")
    elif decision == "WARNING":
        similarity = ("WARNING", "NOT_POSSIBLE")
    extraction_data = {"type": "ID_CARD", "issuingCountry": "USA", "firstName": "JANE", "lastName": "SAMPLEPERSON",
                       "dateOfBirth": "1990-01-01", "documentNumber": "X1234567", "expiryDate": "2031-01-01"}
    body["capabilities"] = {
        "usability": usability,
        "imageChecks": [capability("imageChecks", "ID", *image_checks)],
        "extraction": [capability("extraction", "ID", *(("PASSED", "OK") if id_ok else precondition),
                                  data=extraction_data if id_ok else None)],
        "dataChecks": [capability("dataChecks", "ID", *(("PASSED", "OK") if id_ok else precondition))],
        "similarity": [capability("similarity", "SELFIE", *similarity,
                                  data={"similarity": "MATCH" if similarity[0] == "PASSED" else "NOT_POSSIBLE"})],
        "liveness": [capability("liveness", "SELFIE", *liveness,
                                data={"type": "JUMIO_STANDARD", "predictedAge": 34})],
    }
    body["decision"] = {"type": decision, "details": {"label": decision}, "risk": {"score": _RISK[decision]}}
    return body


def _page(content: str) -> str:
    return ("<!doctype html><html><head><meta charset='utf-8'><title>Jumio sandbox: Web Client</title></head>"
            "<body style='font-family:sans-serif;max-width:40em;margin:2em auto'>"
            f"<h1>Identity verification (sandbox)</h1>{content}</body></html>")


async def serve(sandbox: JumioSandbox, host: str = "127.0.0.1", port: int = 0) -> tuple[web.AppRunner, int]:
    """Start the sandbox on loopback; returns the runner (to clean up) and the port it listens on."""
    return await serve_app(sandbox.app, host, port)


def main(argv: list[str] | None = None, environ: dict[str, str] | None = None) -> int:
    """`python -m bot sandbox-jumio --port N`."""
    import os

    env = os.environ if environ is None else environ
    parser = argparse.ArgumentParser(prog="python -m bot sandbox-jumio", description=main.__doc__)
    parser.add_argument("--port", type=int, default=4010)
    parser.add_argument("--processing-delay", type=float, default=2.0)
    parser.add_argument("--time-scale", type=float, default=1.0,
                        help="multiply token lifetimes and the session time-out (0.01: 5m becomes 3 s)")
    args = parser.parse_args(argv)
    config = SandboxConfig(client_id=env.get("JUMIO_CLIENT_ID") or None,
                           client_secret=env.get("JUMIO_CLIENT_SECRET") or None,
                           processing_delay=args.processing_delay, time_scale=args.time_scale)
    if (config.client_id is None) != (config.client_secret is None):
        config.client_id = config.client_secret = None

    async def run() -> None:
        runner, port = await serve(JumioSandbox(config), port=args.port)
        print(f"Jumio sandbox on http://127.0.0.1:{port} (token URL http://127.0.0.1:{port}/oauth2/token)",
              flush=True)
        try:
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())
    return 0
