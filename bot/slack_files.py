"""Download a file shared in Slack, safely, into memory; check that it is a photo Jumio takes.

The bot token goes only to Slack's hosts (`slack.com` and its subdomains) and to the host of `SLACK_API_URL`.
Redirects are followed by hand, at most three, and only to those hosts (or Slack's CDN, without the token). An HTML
answer (Slack's login page when access is missing) is refused. The size is checked before (Slack's declared size
and Content-Length) and during the download. Nothing is written to disk.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

log = logging.getLogger("bot.slack_files")

# 15 MB per Jumio's current OpenAPI; older guides say 5 or 10 MB (reference §11.5, UNCONFIRMED for a given tenant).
MAX_PHOTO_BYTES = 15 * 1024 * 1024
MAX_REDIRECTS = 3
_CDN_SUFFIXES = (".slack-edge.com",)


class FileRejected(Exception):
    """The file cannot go to Jumio; `reason` says why in words an agent understands."""

    retryable = False

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    @property
    def safe_message(self) -> str:
        return self.reason


class DownloadFailed(Exception):
    """A passing problem fetching from Slack (rate limit, server error, network); trying later may work."""

    retryable = True

    @property
    def safe_message(self) -> str:
        return str(self)


@dataclass(frozen=True)
class Downloaded:
    """A file's bytes (in one buffer, never copied), and their SHA-256 computed while they arrived."""

    content: bytearray
    sha256: str

    def __repr__(self) -> str:
        return f"Downloaded({len(self.content)} bytes, sha256 {self.sha256[:12]})"


@dataclass(frozen=True)
class Photo:
    content: bytes | bytearray
    format: str  # "JPEG" or "PNG"

    @property
    def content_type(self) -> str:
        return "image/jpeg" if self.format == "JPEG" else "image/png"

    def __repr__(self) -> str:
        return f"Photo({self.format}, {len(self.content)} bytes)"


def is_slack_host(host: str, extra_hosts: frozenset[str] = frozenset()) -> bool:
    """May the bot token (or a response_url answer) go to this host: Slack's, or the host of SLACK_API_URL."""
    host = host.lower()
    return host == "slack.com" or host.endswith(".slack.com") or host in extra_hosts


def precheck(file: dict[str, Any]) -> str | None:
    """Why a file from an event cannot be a photo for Jumio, judged from Slack's description alone; or None."""
    size = file.get("size")
    if isinstance(size, int) and size > MAX_PHOTO_BYTES:
        return f"it is {size / 1024 / 1024:.1f} MB; Jumio takes photos of at most 15 MB."
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


def check_photo(content: bytes | bytearray) -> Photo:
    """A JPEG or PNG by its bytes (whatever its name says), of at most 15 MB."""
    if not content:
        raise FileRejected("the file is empty.")
    if len(content) > MAX_PHOTO_BYTES:
        raise FileRejected("it is larger than 15 MB, the most Jumio takes.")
    if content[:3] == b"\xff\xd8\xff":
        return Photo(content, "JPEG")
    if content[:8] == b"\x89PNG\r\n\x1a\n":
        return Photo(content, "PNG")
    if content[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftyphevc", b"ftypheif"):
        raise FileRejected("it is a HEIC photo; Jumio takes JPEG or PNG. On an iPhone, set Camera > Formats to Most "
                           "Compatible, or take a screenshot of the photo.")
    if content[:5] == b"%PDF-":
        raise FileRejected("it is a PDF; Jumio takes photos (JPEG or PNG) of the ID.")
    if content[:6] in (b"GIF87a", b"GIF89a") or content[:4] == b"RIFF":
        raise FileRejected("it is a GIF or WebP image; Jumio takes JPEG or PNG.")
    raise FileRejected("its content is not a JPEG or PNG photo, whatever its name says.")


async def download(
    http: httpx.AsyncClient,
    url: str,
    token: str,
    *,
    extra_hosts: frozenset[str] = frozenset(),
    declared_size: int | None = None,
    max_bytes: int = MAX_PHOTO_BYTES,
    timeout: float = 60.0,
) -> Downloaded:
    """The file's bytes, or FileRejected / DownloadFailed. `extra_hosts` adds the host of SLACK_API_URL."""
    if declared_size is not None and declared_size > max_bytes:
        raise FileRejected(f"it is {declared_size / 1024 / 1024:.1f} MB; Jumio takes photos of at most 15 MB.")
    for _hop in range(MAX_REDIRECTS + 1):
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        with_token = is_slack_host(host, extra_hosts)
        if not with_token and not host.endswith(_CDN_SUFFIXES):
            log.warning("refused to fetch a Slack file from host %s", host)
            raise FileRejected("Slack pointed the download somewhere other than Slack, so the bot did not follow.")
        if parts.scheme != "https" and host not in extra_hosts:
            raise FileRejected("Slack offered the file over an insecure connection, so the bot did not fetch it.")
        headers = {"Authorization": f"Bearer {token}"} if with_token else {}
        try:
            async with http.stream("GET", url, headers=headers, follow_redirects=False, timeout=timeout) as response:
                if response.is_redirect:
                    location = response.headers.get("Location")
                    if not location:
                        raise FileRejected("Slack answered with a redirect to nowhere.")
                    url = urljoin(url, location)
                    continue
                return await _read_body(response, max_bytes)
        except httpx.TimeoutException:
            raise DownloadFailed("Slack did not send the file in time") from None
        except httpx.TransportError as exc:
            raise DownloadFailed(f"the connection to Slack failed ({type(exc).__name__})") from None
    raise FileRejected("Slack redirected the download too many times.")


async def _read_body(response: httpx.Response, max_bytes: int) -> Downloaded:
    status = response.status_code
    if status in (404, 410):
        raise FileRejected("the file is no longer in Slack (was it deleted?).")
    if status in (401, 403):
        raise FileRejected("the bot may not read this file (it needs the files:read permission and to be in the "
                           "channel).")
    if status == 429 or status >= 500:
        raise DownloadFailed(f"Slack answered {status}")
    if status != 200:
        raise FileRejected(f"Slack answered {status} instead of the file.")
    content_type = response.headers.get("Content-Type", "").lower()
    if content_type.startswith("text/html"):
        raise FileRejected("Slack answered with a web page instead of the file; the bot may be missing the "
                           "files:read permission, or the file is restricted.")
    length_text = response.headers.get("Content-Length", "")
    length = int(length_text) if length_text.isdigit() else None
    if length is not None and length > max_bytes:
        raise FileRejected(f"it is {length / 1024 / 1024:.1f} MB; Jumio takes photos of at most 15 MB.")
    # One buffer of the announced size, filled in place: the photo exists once in memory, not twice.
    buffer = bytearray(length or 0)
    view = memoryview(buffer)
    size = 0
    digest = hashlib.sha256()
    async for chunk in response.aiter_bytes():
        end = size + len(chunk)
        if end > max_bytes or (length is not None and end > length):
            raise FileRejected("it is larger than 15 MB (more than Slack said), the most Jumio takes."
                               if end > max_bytes else "Slack sent more bytes than it announced.")
        if length is None:
            buffer += chunk
        else:
            view[size:end] = chunk
        digest.update(chunk)
        size = end
    view.release()
    if length is not None and size != length:
        raise DownloadFailed("the download from Slack ended early")
    return Downloaded(buffer, digest.hexdigest())
