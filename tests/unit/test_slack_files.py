"""Downloads from Slack: the token goes only to Slack, redirects are followed by hand, HTML and oversize refused."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator

import httpx
import pytest

from bot.images import photo_header
from bot.manifest import render_for
from bot.sandbox.images import jpeg_header, sample_photo
from bot.sandbox.slack import SlackStandIn, serve
from bot.slack_files import DownloadFailed, FileRejected, download, origin, precheck

TOKEN = "xoxb-111-222-downloadtoken"


@pytest.fixture
async def slack() -> AsyncIterator[SlackStandIn]:
    stand_in = SlackStandIn(bot_token=TOKEN, signing_secret="s", manifest=render_for({}))
    runner, _ = await serve(stand_in)
    try:
        yield stand_in
    finally:
        await runner.cleanup()


async def _get(slack: SlackStandIn, url: str, **kwargs: object) -> bytes:
    async with httpx.AsyncClient() as http:
        got = await download(http, url, TOKEN, extra_origins=frozenset({origin(slack.base_url)}), **kwargs)  # type: ignore[arg-type]
    assert got.sha256 == hashlib.sha256(got.content).hexdigest()
    return got.content


async def test_download_with_the_token(slack: SlackStandIn) -> None:
    photo = sample_photo("front")
    shared = slack.add_file("front.png", photo)
    assert await _get(slack, shared.info(slack.base_url, slack.team_id)["url_private_download"]) == photo
    assert slack.state.download_auth == [f"Bearer {TOKEN}"]


async def test_html_login_page_is_refused(slack: SlackStandIn) -> None:
    shared = slack.add_file("front.png", sample_photo("front"))
    shared.serve_html = True
    with pytest.raises(FileRejected, match="web page"):
        await _get(slack, shared.info(slack.base_url, slack.team_id)["url_private_download"])


async def test_vanished_file(slack: SlackStandIn) -> None:
    shared = slack.add_file("front.png", sample_photo("front"))
    shared.deleted = True
    with pytest.raises(FileRejected, match="no longer in Slack"):
        await _get(slack, shared.info(slack.base_url, slack.team_id)["url_private_download"])


async def test_redirect_to_another_host_is_not_followed_with_the_token(slack: SlackStandIn) -> None:
    shared = slack.add_file("front.png", sample_photo("front"))
    port = slack.base_url.rsplit(":", 1)[1]
    shared.redirect_to = f"http://127.0.0.2:{port}/files-pri/x/front.png"  # loopback, but not Slack's host
    with pytest.raises(FileRejected, match="somewhere other than Slack"):
        await _get(slack, shared.info(slack.base_url, slack.team_id)["url_private_download"])
    assert slack.state.download_auth == [f"Bearer {TOKEN}"]  # only the first, allowed, request carried it


async def test_redirect_within_slack_is_followed(slack: SlackStandIn) -> None:
    photo = sample_photo("back")
    target = slack.add_file("back.png", photo)
    first = slack.add_file("alias.png", b"")
    first.redirect_to = target.info(slack.base_url, slack.team_id)["url_private_download"]
    assert await _get(slack, first.info(slack.base_url, slack.team_id)["url_private_download"]) == photo


async def test_a_size_that_lies_is_caught_while_reading(slack: SlackStandIn) -> None:
    shared = slack.add_file("front.png", sample_photo("front") + b"\x00" * 4096)
    with pytest.raises(FileRejected, match="15 MB"):
        await _get(slack, shared.info(slack.base_url, slack.team_id)["url_private_download"], max_bytes=1024)


async def test_declared_size_over_the_limit_is_refused_without_a_request(slack: SlackStandIn) -> None:
    with pytest.raises(FileRejected, match="15 MB"):
        await _get(slack, f"{slack.base_url}/files-pri/x/y.png", declared_size=20 * 1024 * 1024)
    assert slack.state.download_auth == []


async def test_https_only_outside_the_configured_host() -> None:
    def nothing_may_leave(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"a request left the machine: {request.url.host}")

    # Both URLs must be refused before any request; should the check ever break, nothing goes past this transport.
    async with httpx.AsyncClient(transport=httpx.MockTransport(nothing_may_leave)) as http:
        with pytest.raises(FileRejected, match="insecure"):
            await download(http, "http://files.slack.com/files-pri/T-F/x.png", TOKEN)
        with pytest.raises(FileRejected, match="somewhere other than Slack"):
            await download(http, "https://files.slack.com.evil.example/x.png", TOKEN)


async def test_connection_refused_is_a_passing_failure() -> None:
    async with httpx.AsyncClient() as http:
        with pytest.raises(DownloadFailed):
            await download(http, "http://127.0.0.1:9/x.png", TOKEN, extra_origins=frozenset({origin("http://127.0.0.1:9")}))


def test_photo_header_and_precheck() -> None:
    assert photo_header(sample_photo("face")[:64]).format == "PNG"
    with pytest.raises(ValueError, match="GIF"):
        photo_header(b"GIF89a......", complete=True)
    with pytest.raises(ValueError, match="longest side over 300"):
        photo_header(jpeg_header(300, 200))
    with pytest.raises(ValueError, match="at most 8000 x 8000"):
        photo_header(jpeg_header(8001, 600))
    assert precheck({"size": 1000, "filetype": "png", "mimetype": "image/png"}) is None
    assert "PDF" in (precheck({"filetype": "pdf", "mimetype": "application/pdf"}) or "")
    assert "HEIC" in (precheck({"filetype": "heic", "mimetype": "image/heic"}) or "")
