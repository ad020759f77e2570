"""Download a file shared in Slack, safely, into memory; check that it is a photo Jumio takes.

- The bot token goes only to Slack over https on port 443 (`slack.com` and its subdomains), and to the exact origin
  (scheme, host, port) of `SLACK_API_URL`, which must itself be https unless it is on loopback (the stand-in).
- Redirects are followed by hand, at most three, and only to those origins (or Slack's CDN, without the token).
- An HTML answer (Slack's login page when access is missing) is refused; so is any `Content-Encoding`: the bot asks
  for `identity` and reads the raw bytes, so a compressed "bomb" is never inflated.
- The size is checked before (Slack's declared size, Content-Length) and while the bytes arrive, counted when there
  is no Content-Length; the whole download has a deadline scaled by its size, so a slow drip cannot hold a worker.
- Nothing is written to disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import ipaddress
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from bot.failures import Failure

log = logging.getLogger("bot.slack_files")

# "15 MB" per Jumio's current OpenAPI (D-CREDREF), read as 15,000,000 bytes, not 15 MiB: a photo between the two would
# be refused by Jumio after the download. Older guides say 5 or 10 MB (reference §11.5, UNCONFIRMED for a tenant).
MAX_PHOTO_BYTES = 15_000_000
MAX_REDIRECTS = 3
_CDN_SUFFIXES = (".slack-edge.com",)
# The deadline of one download: a fixed allowance plus the size at the slowest rate worth waiting for.
DEADLINE_BASE_SECONDS = 20.0
SLOWEST_BYTES_PER_SECOND = 256 * 1024


class PhotoRefused(Failure):
    """This photo will not go to Jumio (`reason` says why, in an agent's words); `reached_jumio`: its bytes cost a
    request to Jumio (Jumio refused it), so it counts towards the verification's cap."""

    retryable = False

    def __init__(self, reason: str, *, reached_jumio: bool = False) -> None:
        super().__init__(reason)
        self.reached_jumio = reached_jumio


class FileRejected(PhotoRefused):
    """The bot refused the file itself: nothing of it reached Jumio."""


class DownloadFailed(Failure):
    """A passing problem fetching from Slack (rate limit, server error, network); trying later may work."""


@dataclass(frozen=True)
class Downloaded:
    """A file's bytes (in one buffer, never copied), and their SHA-256 computed while they arrived."""

    content: bytearray
    sha256: str

    def __repr__(self) -> str:
        return f"Downloaded({len(self.content)} bytes, sha256 {self.sha256[:12]})"


def origin(url: str) -> str:
    """`scheme://host:port` of a URL, the port made explicit."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        port = -1
    return f"{scheme}://{(parts.hostname or '').lower()}:{port}"


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def is_slack_url(url: str, extra_origins: frozenset[str] = frozenset()) -> bool:
    """May the bot token (or a response_url answer) go to this URL: Slack's over https on 443, or the exact origin
    of SLACK_API_URL (which must be https unless it is on loopback)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if origin(url) in extra_origins and (parts.scheme == "https" or is_loopback(host)):
        return True
    return origin(url) == f"https://{host}:443" and (host == "slack.com" or host.endswith(".slack.com"))


def precheck(file: dict[str, Any]) -> str | None:
    """Why a file from an event cannot be a photo for Jumio, judged from Slack's description alone; or None."""
    size = file.get("size")
    if isinstance(size, int) and size > MAX_PHOTO_BYTES:
        return f"it is {size / 1_000_000:.1f} MB; Jumio takes photos of at most 15 MB."
    if isinstance(size, int) and size == 0:
        return "the file is empty."
    filetype = str(file.get("filetype") or "").lower()
    mimetype = str(file.get("mimetype") or "").lower()
    if filetype in ("heic", "heif") or "heic" in mimetype or "heif" in mimetype:
        return "it is a HEIC photo; Jumio takes JPEG or PNG. On an iPhone, set Camera > Formats to Most Compatible."
    if filetype == "pdf" or mimetype == "application/pdf":
        return "it is a PDF; Jumio takes photos (JPEG or PNG) of the ID."
    if mimetype and not mimetype.startswith("image/") and mimetype != "application/octet-stream":
        return f"it is not a photo ({file.get('pretty_type') or mimetype}); Jumio takes JPEG or PNG."
    return None


def deadline_for(size: int | None, max_bytes: int = MAX_PHOTO_BYTES) -> float:
    """Seconds one download may take in all: the base allowance plus its size at the slowest rate."""
    return DEADLINE_BASE_SECONDS + (size if size is not None else max_bytes) / SLOWEST_BYTES_PER_SECOND


@dataclass
class SlackBody:
    """An open download: the length Slack announced (None: not said) and the raw chunks as they arrive, checked
    against it and against the cap (FileRejected for too many, DownloadFailed for a break or too few)."""

    length: int | None
    chunks: AsyncIterator[bytes]


@contextlib.asynccontextmanager
async def opened(
    http: httpx.AsyncClient,
    url: str,
    token: str,
    *,
    extra_origins: frozenset[str] = frozenset(),
    declared_size: int | None = None,
    max_bytes: int = MAX_PHOTO_BYTES,
    timeout: float = 60.0,
) -> AsyncIterator[SlackBody]:
    """The file opened for reading, after the redirects (by hand) and the answer's checks; `timeout` bounds each
    read, the caller's `deadline_for` the whole."""
    if declared_size is not None and declared_size > max_bytes:
        raise FileRejected(f"it is {declared_size / 1024 / 1024:.1f} MB; Jumio takes photos of at most 15 MB.")
    for _hop in range(MAX_REDIRECTS + 1):
        with_token = _may_fetch(url, extra_origins)
        headers = {"Accept-Encoding": "identity"}
        if with_token:
            headers["Authorization"] = f"Bearer {token}"
        stream = http.stream("GET", url, headers=headers, follow_redirects=False, timeout=timeout)
        try:
            response = await stream.__aenter__()
        except httpx.TimeoutException:
            raise DownloadFailed("Slack did not send the file in time") from None
        except httpx.TransportError as exc:
            raise DownloadFailed(f"the connection to Slack failed ({type(exc).__name__})") from None
        try:
            if response.is_redirect:
                location = response.headers.get("Location")
                if not location:
                    raise FileRejected("Slack answered with a redirect to nowhere.")
                url = urljoin(url, location)
                continue
            length = _checked_answer(response, max_bytes)
            yield SlackBody(length, _chunks(response, length, max_bytes))
            return
        finally:
            await stream.__aexit__(None, None, None)
    raise FileRejected("Slack redirected the download too many times.")


def _may_fetch(url: str, extra_origins: frozenset[str]) -> bool:
    """Whether the URL may be fetched, and (True) with the token; FileRejected when it may not be fetched at all."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if is_slack_url(url, extra_origins):
        return True
    if parts.scheme == "https" and host.endswith(_CDN_SUFFIXES):
        return False
    log.warning("refused to fetch a Slack file from %s", origin(url))
    if (host == "slack.com" or host.endswith((".slack.com", *_CDN_SUFFIXES))) and parts.scheme != "https":
        raise FileRejected("Slack offered the file over an insecure connection, so the bot did not fetch it.")
    raise FileRejected("Slack pointed the download somewhere other than Slack, so the bot did not follow.")


def _checked_answer(response: httpx.Response, max_bytes: int) -> int | None:
    """The announced length of an answer that may be a photo; FileRejected / DownloadFailed otherwise."""
    status = response.status_code
    if status in (404, 410):
        raise FileRejected("the file is no longer in Slack (was it deleted?).")
    if status in (401, 403):
        raise FileRejected("the bot may not read this file (it needs the files:read permission and to be in the channel).")
    if status == 429 or status >= 500:
        raise DownloadFailed(f"Slack answered {status}")
    if status != 200:
        raise FileRejected(f"Slack answered {status} instead of the file.")
    content_type = response.headers.get("Content-Type", "").lower()
    if content_type.startswith("text/html"):
        raise FileRejected(
            "Slack answered with a web page instead of the file; the bot may be missing the "
            "files:read permission, or the file is restricted."
        )
    encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):
        raise FileRejected(f"Slack sent the file compressed ({encoding[:20]}), which a photo download never is.")
    length_text = response.headers.get("Content-Length", "")
    length = int(length_text) if length_text.isdigit() else None
    if length is not None and length > max_bytes:
        raise FileRejected(f"it is {length / 1024 / 1024:.1f} MB; Jumio takes photos of at most 15 MB.")
    return length


async def _chunks(response: httpx.Response, length: int | None, max_bytes: int) -> AsyncIterator[bytes]:
    size = 0
    try:
        async for chunk in response.aiter_raw():
            size += len(chunk)
            if length is not None and size > length:
                raise FileRejected("Slack sent more bytes than it announced.")
            if size > max_bytes:
                raise FileRejected("it is larger than 15 MB, the most Jumio takes.")
            yield chunk
    except httpx.TimeoutException:
        raise DownloadFailed("Slack stopped sending the file") from None
    except httpx.TransportError as exc:
        raise DownloadFailed(f"the download from Slack broke off ({type(exc).__name__})") from None
    if length is not None and size != length:
        raise DownloadFailed("the download from Slack ended early")


async def download(
    http: httpx.AsyncClient,
    url: str,
    token: str,
    *,
    extra_origins: frozenset[str] = frozenset(),
    declared_size: int | None = None,
    max_bytes: int = MAX_PHOTO_BYTES,
    timeout: float = 60.0,
) -> Downloaded:
    """The whole file in one buffer (its SHA-256 computed on the way), or FileRejected / DownloadFailed."""
    try:
        async with asyncio.timeout(deadline_for(declared_size, max_bytes)):
            async with opened(
                http,
                url,
                token,
                extra_origins=extra_origins,
                declared_size=declared_size,
                max_bytes=max_bytes,
                timeout=timeout,
            ) as body:
                return await _read_all(body)
    except TimeoutError:
        raise DownloadFailed("Slack sent the file too slowly; the bot stopped waiting") from None


async def _read_all(body: SlackBody) -> Downloaded:
    # With an announced length, one buffer of that size filled in place: the photo exists once in memory.
    buffer = bytearray(body.length) if body.length is not None else bytearray()
    digest = hashlib.sha256()
    size = 0
    async for chunk in body.chunks:
        if body.length is None:
            buffer += chunk
        else:
            buffer[size : size + len(chunk)] = chunk
        digest.update(chunk)
        size += len(chunk)
    return Downloaded(buffer, digest.hexdigest())
