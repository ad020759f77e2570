"""A photo from Slack to Jumio without holding it: the download is piped into the upload as it arrives.

    Slack ──chunks──► first bytes: JPEG or PNG, size in pixels? ──no──► FileRejected, nothing sent to Jumio
                                                                  └─yes─► multipart body to Jumio, fed chunk by chunk,
                                                                          hashed on the way, exact Content-Length

Memory per relay is the header prefix (a few KB, at most `MAX_HEADER_BYTES`) plus the chunk in flight, whatever the
photo's size. A download that breaks, ends short or runs past its announced size aborts the upload (the feed raises,
the connection to Jumio is dropped mid-body): the part is not sent, and the job tries again from the download. A
file Slack sends without a length (and without a declared size) cannot be framed in advance: it is read whole
(counted, at most 15 MB) and then sent.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import httpx

from bot.images import NeedMore, PhotoHeader, photo_header
from bot.jumio import AuthenticationFailed, Forbidden, InvalidRequest, JumioClient, NotFound, UploadResult
from bot.slack_files import MAX_PHOTO_BYTES, DownloadFailed, FileRejected, PhotoRefused, SlackBody, deadline_for, opened

NO_MORE_PHOTOS = "Jumio no longer takes photos for this verification (it was submitted or expired)."


@dataclass(frozen=True)
class Source:
    """Where the photo is in Slack, and how the bot may fetch it."""

    url: str
    token: str
    extra_origins: frozenset[str]
    declared_size: int | None  # files.info's `size`


class Withdrawn(Exception):
    """`before_sending` said no: the upload moved on meanwhile (another worker, a replacement); nothing was sent."""


@dataclass(frozen=True)
class Relayed:
    header: PhotoHeader
    sha256: str
    size: int
    answer: UploadResult | None = None  # Jumio's answer (None when the photo was only inspected)


async def _header(body: SlackBody) -> tuple[PhotoHeader, bytearray]:
    """Read until the first bytes say what the photo is; FileRejected when it is not one Jumio takes."""
    prefix = bytearray()
    while True:
        try:
            return photo_header(prefix), prefix
        except NeedMore:
            chunk = await anext(body.chunks, None)
            if chunk is None:
                try:
                    return photo_header(prefix, complete=True), prefix
                except ValueError as problem:
                    raise FileRejected(str(problem)) from None
            prefix += chunk
        except ValueError as problem:
            raise FileRejected(str(problem)) from None


def _framing(part: str, header: PhotoHeader) -> tuple[str, bytes, bytes]:
    boundary = secrets.token_hex(16)
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{part.lower()}.'
        f'{header.extension}"\r\nContent-Type: {header.content_type}\r\n\r\n'
    ).encode()
    return boundary, head, f"\r\n--{boundary}--\r\n".encode()


async def relay(
    http: httpx.AsyncClient,
    jumio: JumioClient,
    source: Source,
    *,
    part: str,
    part_url: str,
    api_token: str,
    before_sending: Callable[[], bool] = lambda: True,
) -> Relayed:
    """Stream the photo at `source` to Jumio's `part_url`; the failures say what to do, not whose they were:
    PhotoRefused (for good: the bot's own check, or Jumio refused it or takes no more photos for this execution),
    DownloadFailed (interrupted: the upload was aborted, try again), Withdrawn, or a retryable Jumio error.
    `before_sending` runs once the bytes passed their check, right before the first goes to Jumio (the caller records
    "sending" there: a crash after it leaves the part uncertain, one before it does not)."""
    try:
        async with asyncio.timeout(deadline_for(source.declared_size)):
            async with opened(
                http, source.url, source.token, extra_origins=source.extra_origins, declared_size=source.declared_size
            ) as body:
                header, prefix = await _header(body)
                size = body.length if body.length is not None else source.declared_size
                if not before_sending():
                    raise Withdrawn
                if size is None:
                    return await _relay_unframed(jumio, body, header, prefix, part, part_url, api_token)
                return await _relay_framed(jumio, body, header, prefix, size, part, part_url, api_token)
    except TimeoutError:
        raise DownloadFailed("Slack sent the file too slowly; the bot stopped waiting") from None
    except InvalidRequest as exc:
        raise PhotoRefused(f"Jumio refused it: {exc.jumio_message or exc.message}", reached_jumio=True) from None
    except (AuthenticationFailed, Forbidden, NotFound):  # the part's api.token or URL no longer works
        raise PhotoRefused(NO_MORE_PHOTOS, reached_jumio=True) from None


async def _relay_framed(
    jumio: JumioClient,
    body: SlackBody,
    header: PhotoHeader,
    prefix: bytearray,
    size: int,
    part: str,
    part_url: str,
    api_token: str,
) -> Relayed:
    boundary, head, tail = _framing(part, header)
    digest = hashlib.sha256()
    sent = 0

    async def feed() -> AsyncIterator[bytes]:
        nonlocal sent
        yield head
        if prefix:
            first = bytes(prefix)
            prefix.clear()
            digest.update(first)
            sent += len(first)
            yield first
        async for chunk in body.chunks:
            sent += len(chunk)
            if sent > size:  # Slack said less than it sends (a declared size, with no Content-Length)
                raise FileRejected("Slack sent more bytes than it announced.")
            digest.update(chunk)
            yield chunk
        if sent != size:
            raise DownloadFailed("the download from Slack ended early")
        yield tail

    answer = await jumio.upload_part_streamed(
        part_url, api_token, feed(), boundary=boundary, content_length=len(head) + size + len(tail)
    )
    return Relayed(header, digest.hexdigest(), sent, answer)


async def _relay_unframed(
    jumio: JumioClient, body: SlackBody, header: PhotoHeader, prefix: bytearray, part: str, part_url: str, api_token: str
) -> Relayed:
    """No length anywhere: the bytes are counted in (at most 15 MB), then sent as one body."""
    content = prefix
    async for chunk in body.chunks:
        content += chunk
        if len(content) > MAX_PHOTO_BYTES:
            raise FileRejected("it is larger than 15 MB, the most Jumio takes.")
    answer = await jumio.upload_part(
        part_url, api_token, content, filename=f"{part.lower()}.{header.extension}", content_type=header.content_type
    )
    return Relayed(header, hashlib.sha256(content).hexdigest(), len(content), answer)


async def inspect(http: httpx.AsyncClient, source: Source) -> Relayed:
    """Check a photo the way `relay` would, keeping none of it: what it is, its SHA-256 and size (for a photo held
    until the customer consents)."""
    try:
        async with asyncio.timeout(deadline_for(source.declared_size)):
            async with opened(
                http, source.url, source.token, extra_origins=source.extra_origins, declared_size=source.declared_size
            ) as body:
                header, prefix = await _header(body)
                digest = hashlib.sha256(prefix)
                size = len(prefix)
                async for chunk in body.chunks:
                    digest.update(chunk)
                    size += len(chunk)
                return Relayed(header, digest.hexdigest(), size)
    except TimeoutError:
        raise DownloadFailed("Slack sent the file too slowly; the bot stopped waiting") from None
