"""A Jumio KYX simulator: every API of the reference on one loopback port, as strict as Jumio is documented to be.

Endpoints (reference section in brackets):
- `POST /oauth2/token` [§1]: client credentials over HTTP Basic; 10 per second.
- `POST /api/v1/accounts`, `PUT /api/v1/accounts/{account}` [§2]: validated body, 1 per second (429 with Jumio's
  body), the documented answer: ID (front, back), SELFIE (face), FACEMAP (no `api`), DATA for workflows that take
  prepared data.
- `POST …/credentials/{credential}/parts/{FRONT|BACK|FACE}` [§3]: multipart with one field `file`, JPEG or PNG by
  the bytes, at most 15 MB, longest side over 300 px, at most 8000×8000, that credential's `api.token`.
- `POST …/parts/PREPARED_DATA` [§4]: JSON supporting data.
- `PUT /api/v1/accounts/{account}/workflow-executions/{execution}` [§5]: finalize, no body → ACQUIRED with an
  intermediate callback, and after `processing_delay` seconds PROCESSED with a decision and a callback to
  `callbackUrl`.
- `GET …/workflow-executions/{execution}[/status]`, `DELETE /api/v1/accounts/{account}[/workflow-executions/{id}]`
  [§6, §9] with the OAuth token; retrieval at most 15 per second (429); details only once PROCESSED (404 before,
  and for an expired execution) [§12].
- `GET /web/v4/app?authorizationToken=…` plays the customer in the Web Client: choose photos or use samples, submit.

The decision rule: a workflow that requires supporting data (10163) without it → NOT_EXECUTED; a customer reference
containing `reject` → REJECTED, containing `warn` → WARNING, else FRONT or FACE missing → NOT_EXECUTED, else PASSED
(case-insensitive, in that order).

A lost answer: a `Fault(after=True, drop=True)` (or `after=True` with a `delay` past the client's time-out) lets the
request do its work, paid account included, and then drops the connection, as a network failure after Jumio
processed the request would (no idempotency key is documented; reference §8, §12).

Expiry: an execution never started within its `tokenLifetime` becomes TOKEN_EXPIRED; one started and then left idle
for 15 minutes SESSION_EXPIRED; both call back. `time_scale` shrinks every such duration for tests and demos.

Where it is deliberately not Jumio: callbacks may go to http and loopback (`strict_callback_urls=False`, the
default) so that a local bot can receive them; `/_sandbox/…` holds test controls (faults, clock, inspection).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from aiohttp import web

from bot.sandbox import read_part, serve_app
from bot.sandbox.images import image_format
from bot.sandbox.jumio.answers import (
    account_answer,
    jumio_problem,
    now_iso,
    too_many_requests,
    upload_answer,
)
from bot.sandbox.jumio.controls import Controls
from bot.sandbox.jumio.faults import Faults
from bot.sandbox.jumio.lifecycle import Lifecycle
from bot.sandbox.jumio.persistence import Persistence
from bot.sandbox.jumio.retrieval import Retrieval
from bot.sandbox.jumio.rules import account_body_problem, consent_given, image_problem, prepared_data_problem
from bot.sandbox.jumio.state import (
    MAX_PART_BYTES,
    PARTS,
    WORKFLOWS,
    Bucket,
    Callback,
    Fault,
    Part,
    SandboxConfig,
    SandboxCredential,
    SandboxExecution,
    fake_jwt,
    lifetime_seconds,
)
from bot.sandbox.jumio.web_client import WebClientPages


class JumioSandbox(Faults, Lifecycle, Retrieval, WebClientPages, Controls, Persistence):
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
        self.uploads_begun = 0
        self.user_agents: set[str] = set()
        self.callbacks: list[Callback] = []
        self.account_answers: list[int] = []
        self.account_created_at: list[float] = []
        self.part_stored: list[Callable[[SandboxExecution, str], None]] = []
        self._account_bucket = Bucket(self.config.account_rate, self.config.account_burst, self.now)
        self._token_bucket = Bucket(self.config.token_rate, self.config.token_rate, self.now)
        self._retrieval_bucket = Bucket(self.config.retrieval_rate, self.config.retrieval_rate, self.now)
        self.retrieval_refusals = 0
        self._tasks: set[asyncio.Task[Any]] = set()
        self._session: aiohttp.ClientSession | None = None
        self.restore()
        self.app = self._build_app()

    def now(self) -> float:
        return self.clock() + self.clock_offset

    # --- application ---------------------------------------------------------------------------------------

    def web_client_routes(self) -> list[web.RouteDef]:
        """The customer's pages, for a server that serves them on the simulator's behalf (`config.web_origin`)."""
        return [web.get("/web/v4/app", self.web_client_page), web.post("/web/v4/app", self.web_client_submit)]

    def _build_app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware], client_max_size=MAX_PART_BYTES + 1024 * 1024)
        accounts = "/api/v1/accounts"
        execution = accounts + "/{account}/workflow-executions/{execution}"
        app.add_routes(
            [
                web.post("/oauth2/token", self.token),
                web.post(accounts, self.create_account),
                web.put(accounts + "/{account}", self.update_account),
                web.delete(accounts + "/{account}", self.delete_account),
                web.post(execution + "/credentials/{credential}/parts/{classifier}", self.upload_part),
                web.put(execution, self.finalize),
                web.get(execution, self.details),
                web.delete(execution, self.delete_execution),
                web.get(execution + "/status", self.status),
                *self.web_client_routes(),
                web.post("/_sandbox/faults", self.control_faults),
                web.post("/_sandbox/expire/{execution}", self.control_expire),
                web.post("/_sandbox/revoke-oauth-tokens", self.control_revoke),
                web.post("/_sandbox/callbacks", self.control_callbacks),
                web.get("/_sandbox/executions/{execution}", self.control_execution),
                web.get("/_sandbox/stats", self.control_stats),
            ]
        )
        app.on_startup.append(self._on_startup)
        app.on_cleanup.append(self._on_cleanup)
        return app

    async def _on_startup(self, _app: web.Application) -> None:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        self._spawn(self._expiry_loop())
        self.resume()

    async def _on_cleanup(self, _app: web.Application) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
        self.persist()
        self.close_state()

    def _spawn(self, coro: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- OAuth ---------------------------------------------------------------------------------------------

    async def token(self, request: web.Request) -> web.Response:
        if not self._token_bucket.take():
            return too_many_requests()
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
        token = fake_jwt({"sub": client_id, "iat": int(time.time()), "exp": int(time.time()) + lifetime})
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
            return jumio_problem(401, "Unauthorized")
        if not self._account_bucket.take():
            self.account_answers.append(429)
            return too_many_requests()
        if account_id is not None and account_id not in self.accounts:
            self.account_answers.append(404)
            return jumio_problem(404, "Account not found")
        try:
            body = await request.json()
        except (ValueError, UnicodeDecodeError):
            return jumio_problem(400, "Request body is not valid JSON")
        problem = account_body_problem(body, strict_callback_urls=self.config.strict_callback_urls)
        if problem:
            self.account_answers.append(400)
            return jumio_problem(400, problem)
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
            web_token=fake_jwt({"typ": "web", "n": secrets.token_hex(8)}),
            sdk_token=fake_jwt({"typ": "sdk", "n": secrets.token_hex(8)}),
            credentials=[
                SandboxCredential(
                    id=str(uuid.uuid4()),
                    category=category,
                    api_token=None if category == "FACEMAP" else fake_jwt({"typ": "otp", "c": category}),
                )
                for category in WORKFLOWS[key]
            ],
            created_at=self.now(),
            expires_at=self.now() + lifetime,
            user_consent=body.get("userConsent"),
        )
        self.executions[execution.id] = execution
        self.accounts.setdefault(account_id, []).append(execution.id)
        self.account_answers.append(200)
        self.account_created_at.append(self.clock())
        return web.json_response(account_answer(execution, str(request.url.origin()), self.config.web_origin))

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
            return jumio_problem(404, "Workflow execution not found")
        credential = execution.credential(request.match_info["credential"])
        classifier = request.match_info["classifier"]
        if credential is None or classifier not in PARTS[credential.category]:
            return jumio_problem(404, "Credential part not found")
        if credential.api_token is None or self._bearer(request) != credential.api_token:
            return jumio_problem(401, "Unauthorized")
        if execution.status != "INITIATED":
            return jumio_problem(401, "Token is no longer valid for this workflow execution")
        if classifier == "PREPARED_DATA":
            return await self._prepared_data(request, execution, credential)
        if self.config.consent_required and not consent_given(execution.user_consent):
            # Jumio: "If a transaction is sent to Jumio without the required consent parameters, the transaction
            # will be rejected" (reference §5a). HOW it refuses (this 403 at upload, or a decision) is UNCONFIRMED.
            return jumio_problem(
                403,
                "End-user consent is missing: send userConsent with the account create or update of this workflow execution",
            )
        content_type = request.headers.get("Content-Type", "")
        if not content_type.startswith("multipart/form-data"):
            return jumio_problem(400, "Content-Type must be multipart/form-data")
        if request.content_length is not None and request.content_length > MAX_PART_BYTES + 64 * 1024:
            return jumio_problem(400, "File exceeds the maximum size of 15 MB")
        self.uploads_begun += 1  # counted before the body is read: an upload cut mid-body counts too
        reader = await request.multipart()
        fields = []
        data = b""
        while True:
            part = await reader.next()
            if part is None:
                break
            if not isinstance(part, aiohttp.BodyPartReader):
                return jumio_problem(400, "Nested multipart bodies are not supported")
            fields.append(part.name)
            chunk = await read_part(part, self.config.upload_throttle)
            if part.name == "file":
                data = bytes(chunk)
        if fields != ["file"]:
            return jumio_problem(400, "The body must have exactly one field, named 'file'")
        problem = image_problem(data)
        if problem:
            return jumio_problem(400, problem)
        self._store_part(execution, credential, classifier, data, channel="API")
        return web.json_response(upload_answer(execution, credential, str(request.url.origin())))

    async def _prepared_data(
        self, request: web.Request, execution: SandboxExecution, credential: SandboxCredential
    ) -> web.Response:
        if not request.headers.get("Content-Type", "").startswith("application/json"):
            return jumio_problem(400, "Content-Type must be application/json")
        try:
            body = await request.json()
        except (ValueError, UnicodeDecodeError):
            return jumio_problem(400, "Request body is not valid JSON")
        problem = prepared_data_problem(body)
        if problem:
            return jumio_problem(400, problem)
        credential.prepared_data = body
        self._touch(execution)
        return web.json_response(upload_answer(execution, credential, str(request.url.origin())))

    def _store_part(
        self, execution: SandboxExecution, credential: SandboxCredential, classifier: str, data: bytes, channel: str
    ) -> None:
        # Jumio documents an "update part" call whose method is UNCONFIRMED (reference §3); here a second POST of
        # the same part replaces the first.
        previous = credential.parts.get(classifier)
        credential.parts[classifier] = Part(
            classifier=classifier,
            sha256=hashlib.sha256(data).hexdigest(),
            size=len(data),
            content_type="image/png" if image_format(data) == "PNG" else "image/jpeg",
            channel=channel,
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
            return jumio_problem(404, "Workflow execution not found")
        tokens = {c.api_token for c in execution.credentials if c.api_token}
        if self._bearer(request) not in tokens:
            return jumio_problem(401, "Unauthorized")
        # Jumio lists Accept and Content-Type (JSON) as required on this PUT: "Calls with missing or suspicious
        # headers ... will result in HTTP status code 403 Forbidden" (reference §5).
        if not request.headers.get("Content-Type", "").startswith(
            "application/json"
        ) or "application/json" not in request.headers.get("Accept", ""):
            return jumio_problem(403, "Forbidden: Accept and Content-Type must be application/json")
        body = await request.read()
        if body.strip() not in (b"", b"{}"):
            return jumio_problem(400, "Finalize takes no body")
        execution.finalize_calls += 1
        if execution.status != "INITIATED":
            return jumio_problem(401, "Token is no longer valid for this workflow execution")
        self._finalize(execution)
        return web.json_response(
            {"timestamp": now_iso(), "account": {"id": execution.account_id}, "workflowExecution": {"id": execution.id}}
        )


async def serve(sandbox: JumioSandbox, host: str = "127.0.0.1", port: int = 0) -> tuple[web.AppRunner, int]:
    """Start the sandbox on loopback; returns the runner (to clean up) and the port it listens on."""
    return await serve_app(sandbox.app, host, port)
