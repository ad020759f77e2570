"""An async client for Jumio's KYX API on `httpx.AsyncClient`.

What it guarantees: the OAuth token is cached and refreshed before it expires (and once on a 401); 429, 5xx,
time-outs and dropped connections are retried with exponential backoff and full jitter, bounded in count and time;
400/401/403/404 are never retried; account creation is paced at the tenant limit; every request carries the
configured User-Agent and a time-out; no token, secret or Web Client link reaches a log line or an exception.

Account create and update (POST and PUT /accounts) each make a paid transaction and Jumio documents no idempotency
(reference §8): they are retried only when the request certainly did not reach Jumio (the connection could not be
made, or a 429: the limit refused it unprocessed). Any other failure after sending (a time-out waiting for the
answer, a dropped connection, a 5xx: Jumio documents none as "not processed") raises OutcomeUnknown at once.
"""

from __future__ import annotations

import asyncio
import io
import logging
import random
import time
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import urlsplit

import httpx

from bot.jumio.exceptions import (
    AuthenticationFailed,
    InvalidResponse,
    JumioError,
    OutcomeUnknown,
    Unreachable,
)
from bot.jumio.models import AccountRequest, AccountSession, ExecutionDetails, ExecutionStatus, UploadResult
from bot.jumio.responses import error_for, json_body, retry_after_seconds

log = logging.getLogger("bot.jumio")

_OAUTH = object()  # marks a call authorised with the OAuth access token rather than an `api.token`
_RETRY_STATUSES = {429, 500, 502, 503, 504}
# Failures after which the request certainly never reached Jumio: the connection was never made.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class Pacer:
    """Spaces calls at most `rate` per second; waiting callers queue in arrival order."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.interval = 1.0 / rate
        self._clock = clock
        self._next_slot = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        async with self._lock:
            now = self._clock()
            slot = max(now, self._next_slot)
            self._next_slot = slot + self.interval
        if slot > now:
            await asyncio.sleep(slot - now)

    def push_back(self, seconds: float) -> None:
        """Jumio said 429: keep the next slot at least `seconds` away."""
        self._next_slot = max(self._next_slot, self._clock() + seconds)


class BufferReader:
    """A read-only, seekable file over a buffer, so httpx streams a photo without copying it into bytes."""

    def __init__(self, buffer: bytearray) -> None:
        self._view = memoryview(buffer)
        self._position = 0

    def read(self, size: int = -1) -> bytes:
        end = len(self._view) if size < 0 else min(len(self._view), self._position + size)
        chunk = self._view[self._position : end].tobytes()
        self._position = end
        return chunk

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: len(self._view)}[whence]
        self._position = max(0, min(len(self._view), base + offset))
        return self._position

    def tell(self) -> int:
        return self._position


class JumioClient:
    """The KYX API: accounts, part uploads, finalize, retrieval and deletion."""

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        token_url: str,
        account_url: str,
        retrieval_url: str,
        user_agent: str,
        timeout: float = 10.0,
        upload_timeout: float = 60.0,
        max_attempts: int = 5,
        retry_budget: float = 45.0,
        backoff_base: float = 0.5,
        backoff_cap: float = 8.0,
        account_creation_rate: float = 1.0,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self._client_id = client_id
        self._client_secret = client_secret
        self.token_url = token_url
        self.account_url = account_url.rstrip("/")
        self.retrieval_url = retrieval_url.rstrip("/")
        self.user_agent = user_agent
        self.timeout = timeout
        self.upload_timeout = upload_timeout
        self.max_attempts = max_attempts
        self.retry_budget = retry_budget
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.account_pacer = Pacer(account_creation_rate)
        self._http = http or httpx.AsyncClient(timeout=httpx.Timeout(timeout, connect=5.0), follow_redirects=False)
        self._owns_http = http is None
        # Told of every request's outcome: method, path, HTTP status (None: no answer). Metrics count them.
        self.observe: Callable[[str, str, int | None], None] = lambda _method, _path, _status: None
        self._token: str | None = None
        self._token_refresh_at = 0.0
        self._token_lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"JumioClient(account_url={self.account_url!r}, retrieval_url={self.retrieval_url!r})"

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> JumioClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # --- the API ---------------------------------------------------------------------------------------------

    async def create_account(self, request: AccountRequest) -> AccountSession:
        """POST /api/v1/accounts: a new account and its first workflow execution (paced at the tenant limit)."""
        body = await self._call(
            "POST", f"{self.account_url}/api/v1/accounts", json=request.to_json(), paced=True, idempotent=False
        )
        return AccountSession.from_json(body)

    async def update_account(self, account_id: str, request: AccountRequest) -> AccountSession:
        """PUT /api/v1/accounts/{id}: a new workflow execution for an existing account (a new link)."""
        body = await self._call(
            "PUT", f"{self.account_url}/api/v1/accounts/{account_id}", json=request.to_json(), paced=True, idempotent=False
        )
        return AccountSession.from_json(body)

    async def upload_part(
        self, part_url: str, api_token: str, content: bytes | bytearray, *, filename: str, content_type: str
    ) -> UploadResult:
        """POST an image to a credential part as multipart field `file`, with that credential's `api.token`."""
        # A second POST to the same part is how a photo is replaced: Jumio's "update part" call exists but its
        # method is UNCONFIRMED (reference §3).
        file = content if isinstance(content, bytes) else BufferReader(content)
        body = await self._call(
            "POST", part_url, token=api_token, files={"file": (filename, file, content_type)}, timeout=self.upload_timeout
        )
        return UploadResult.from_json(body)

    async def upload_part_streamed(
        self, part_url: str, api_token: str, body: AsyncIterator[bytes], *, content_length: int, boundary: str
    ) -> UploadResult:
        """POST a multipart body fed as it arrives (the relay pipes Slack's download into it), with its exact
        Content-Length so no chunked encoding is used: whether Jumio accepts a chunked body is UNCONFIRMED.

        One attempt: a consumed body cannot be sent again, so a failure (Jumio's, or the feed's own exception, which
        comes out as it is) goes to the caller, whose job tries again from the download."""
        call = f"POST {urlsplit(part_url).path}"
        headers = {
            "Authorization": f"Bearer {api_token}",
            "Accept": "application/json",
            "User-Agent": self.user_agent,
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Content-Length": str(content_length),
        }
        try:
            response = await self._http.request("POST", part_url, headers=headers, content=body, timeout=self.upload_timeout)
        except httpx.TimeoutException:
            self.observe("POST", urlsplit(part_url).path, None)
            raise Unreachable("Jumio did not answer in time", call=call) from None
        except httpx.TransportError as exc:
            self.observe("POST", urlsplit(part_url).path, None)
            raise Unreachable(f"the connection to Jumio failed ({type(exc).__name__})", call=call) from None
        self.observe("POST", urlsplit(part_url).path, response.status_code)
        if not response.is_success:
            raise error_for(response, call)
        return UploadResult.from_json(json_body(response, call))

    async def upload_prepared_data(self, part_url: str, api_token: str, data: dict[str, Any]) -> UploadResult:
        """POST supporting data as JSON to a DATA credential's `prepared_data` part."""
        body = await self._call("POST", part_url, token=api_token, json=data)
        return UploadResult.from_json(body)

    async def finalize(self, finalize_url: str, api_token: str) -> None:
        """PUT the credential's workflow-execution URL with no body: Jumio starts processing."""
        # Whether Jumio refuses an incomplete set here (Submit without a back side) or accepts it and labels the
        # result is UNCONFIRMED (reference §5); either way the answer reaches the thread. Jumio lists Accept and
        # Content-Type (JSON) as required on this body-less PUT and answers 403 without them (reference §5).
        await self._call(
            "PUT", finalize_url, token=api_token, content=b"", extra_headers={"Content-Type": "application/json"}
        )

    async def get_status(self, account_id: str, execution_id: str) -> ExecutionStatus:
        body = await self._call(
            "GET", f"{self.retrieval_url}/api/v1/accounts/{account_id}/workflow-executions/{execution_id}/status"
        )
        return ExecutionStatus.from_json(body)

    async def get_details(self, account_id: str, execution_id: str) -> ExecutionDetails:
        body = await self._call(
            "GET", f"{self.retrieval_url}/api/v1/accounts/{account_id}/workflow-executions/{execution_id}"
        )
        return ExecutionDetails.from_json(body)

    async def delete_account(self, account_id: str) -> None:
        await self._call("DELETE", f"{self.retrieval_url}/api/v1/accounts/{account_id}")

    async def delete_execution(self, account_id: str, execution_id: str) -> None:
        await self._call("DELETE", f"{self.retrieval_url}/api/v1/accounts/{account_id}/workflow-executions/{execution_id}")

    # --- OAuth -----------------------------------------------------------------------------------------------

    async def _access_token(self, *, force: bool = False) -> str:
        async with self._token_lock:
            if not force and self._token is not None and time.monotonic() < self._token_refresh_at:
                return self._token
            self._token = None
            body = await self._send_with_retries(
                "POST",
                self.token_url,
                auth=httpx.BasicAuth(self._client_id, self._client_secret),
                data={"grant_type": "client_credentials"},
                headers={"Accept": "application/json"},
                call=f"POST {urlsplit(self.token_url).path}",
            )
            try:
                token = str(body["access_token"])
                lifetime = float(body.get("expires_in", 3600))
            except (KeyError, TypeError, ValueError):
                raise InvalidResponse("the token answer has no access_token", call="POST /oauth2/token") from None
            # Refresh a few minutes early (reference §1), proportionally earlier for short lifetimes.
            self._token = token
            self._token_refresh_at = time.monotonic() + lifetime - min(300.0, lifetime * 0.1)
            return token

    # --- transport -------------------------------------------------------------------------------------------

    async def _call(
        self,
        method: str,
        url: str,
        *,
        token: Any = _OAUTH,
        paced: bool = False,
        timeout: float | None = None,
        extra_headers: dict[str, str] | None = None,
        idempotent: bool = True,
        **kwargs: Any,
    ) -> Any:
        refreshed = False
        while True:
            bearer = await self._access_token(force=refreshed) if token is _OAUTH else token
            headers = {"Authorization": f"Bearer {bearer}", "Accept": "application/json", **(extra_headers or {})}
            try:
                return await self._send_with_retries(
                    method,
                    url,
                    headers=headers,
                    paced=paced,
                    timeout=timeout,
                    idempotent=idempotent,
                    call=f"{method} {urlsplit(url).path}",
                    **kwargs,
                )
            except AuthenticationFailed:
                if token is not _OAUTH or refreshed:
                    raise
                log.info("Jumio refused the OAuth token; fetching a new one and trying once more")
                refreshed = True

    async def _send_with_retries(
        self,
        method: str,
        url: str,
        *,
        call: str,
        headers: dict[str, str],
        paced: bool = False,
        timeout: float | None = None,
        idempotent: bool = True,
        **kwargs: Any,
    ) -> Any:
        """One call with its retries. Not `idempotent`: retried only after a failure that certainly left Jumio
        untouched (no connection, a 429); any other raises OutcomeUnknown at once."""
        deadline = time.monotonic() + self.retry_budget
        headers = {**headers, "User-Agent": self.user_agent}
        attempt = 0
        while True:
            attempt += 1
            if paced:
                await self.account_pacer.wait()
            started = time.monotonic()
            failure: JumioError
            retry_after: float | None = None
            try:
                response = await self._http.request(method, url, headers=headers, timeout=timeout or self.timeout, **kwargs)
            except httpx.TransportError as exc:
                self.observe(method, urlsplit(url).path, None)
                said = (
                    "Jumio did not answer in time"
                    if isinstance(exc, httpx.TimeoutException)
                    else f"the connection to Jumio failed ({type(exc).__name__})"
                )
                if not idempotent and not isinstance(exc, _NOT_SENT):
                    log.warning("Jumio %s: %s after the request was sent; not repeated", call, said)
                    raise OutcomeUnknown(
                        f"{said} after the request was sent, so Jumio may have done it", call=call
                    ) from None
                failure = Unreachable(said, call=call)
            else:
                self.observe(method, urlsplit(url).path, response.status_code)
                elapsed_ms = (time.monotonic() - started) * 1000
                log.debug("Jumio %s -> %s in %.0f ms", call, response.status_code, elapsed_ms)
                if response.is_success:
                    return json_body(response, call)
                failure = error_for(response, call)
                if response.status_code not in _RETRY_STATUSES:
                    raise failure
                if not idempotent and response.status_code != 429:
                    log.warning("Jumio %s answered %s; not repeated", call, response.status_code)
                    raise OutcomeUnknown(
                        f"Jumio answered {response.status_code}, which does not say whether it did it",
                        status=response.status_code,
                        call=call,
                    )
                retry_after = retry_after_seconds(response)
                if paced and response.status_code == 429:
                    self.account_pacer.push_back(retry_after or self.account_pacer.interval)
            delay = retry_after if retry_after is not None else self._backoff(attempt)
            if attempt >= self.max_attempts or time.monotonic() + delay > deadline:
                log.warning("Jumio %s failed after %d attempts: %s", call, attempt, failure.message)
                raise failure
            log.info(
                "Jumio %s failed (%s); attempt %d of %d in %.1f s",
                call,
                failure.message,
                attempt + 1,
                self.max_attempts,
                delay,
            )
            await asyncio.sleep(delay)

    def _backoff(self, attempt: int) -> float:
        return random.uniform(0, min(self.backoff_cap, self.backoff_base * 2 ** (attempt - 1)))
