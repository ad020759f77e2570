"""The customer's consent for the API channel (reference §5a), end to end over loopback: photos held until the
customer ticks Jumio's sentence, then relayed; the consent page refuses what it must; the other consent modes."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest

from bot.journey.consent import CONSENT_SENTENCE, PRIVACY_NOTICE_URL
from bot.local import consent_href, give_consent
from bot.sandbox.images import sample_photo
from tests.conftest import wait_until
from tests.world import World

THREE = (("front.png", sample_photo("front")), ("back.png", sample_photo("back")), ("face.png", sample_photo("face")))
_IP = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")


def _jumio_calls(world: World) -> int:
    return sum(1 for _, path, _ in world.jumio.calls if path != "/oauth2/token")


@pytest.mark.parametrize("slack_mode", ["http", "socket"], indirect=True)
async def test_photos_before_consent_are_checked_held_and_relayed_once_the_customer_consents(world: World) -> None:
    execution, root = await world.start("CUST-CONSENT", consent=False)
    calls = _jumio_calls(world)
    # Another agent drops the photos, and a PDF among them.
    await world.share(root, *THREE, ("licence.pdf", b"%PDF-1.7 not an image"), user="UAGENT2")
    asked = await wait_until(
        lambda: next(
            (m for m in world.slack.ephemerals("UAGENT2") if m.text.startswith("The customer's consent is needed")), None
        )
    )
    assert "Message to send the customer" in asked.all_text() and asked.ephemeral_to == "UAGENT2"
    await wait_until(lambda: [u.state for u in world.store.uploads.of_execution(execution.id)].count("held") == 3)
    messages = [m.text for m in world.slack.thread(root.ts)]
    assert any("licence.pdf was not sent to Jumio" in text for text in messages)
    assert sum("once the customer has consented" in text for text in messages) == 3
    await world.bot.runner.run_until_idle()
    assert _jumio_calls(world) == calls  # nothing reached Jumio before the consent

    href = re.search(r"https?://\S+/consent/[A-Za-z0-9_-]+", asked.all_text())
    assert href is not None
    assert await give_consent(href.group(0), country="USA", state="IL") == 200
    decided = await world.decided("CUST-CONSENT", timeout=15)
    assert decided.decision_type == "PASSED" and decided.api_consent is not None
    held = world.jumio.executions[decided.workflow_execution_id]
    assert held.user_consent is not None
    assert held.user_consent["userLocation"] == {"country": "USA", "state": "IL"}
    assert held.user_consent["consent"]["obtained"] == "yes"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z", held.user_consent["consent"]["obtainedAt"])
    assert {p.channel for p in world.jumio_parts(decided).values()} == {"API"}
    assert all(p.uploads == 1 for p in world.jumio_parts(decided).values())
    # The thread says when, never where from; the audit has no personal data; the consent record has it.
    said = re.sub(r"https?://[^\s|>\"]+", "", "\n".join(world.slack.everything_said()))  # the bot's own links
    assert "gave Jumio their consent" in world.thread_text(root) and not _IP.search(said)
    consent = world.store.consents.for_execution(execution.id)
    assert consent is not None and consent.user_ip == "127.0.0.1" and consent.country == "USA"
    assert not any("127.0.0.1" in (e.detail or "") or (e.detail or "") == "IL" for e in world.store.audit.trail())
    # The Web Client execution the consent replaced is closed, at Jumio too.
    assert world.store.executions.get(execution.id).status == "SUPERSEDED"
    assert world.jumio.executions[execution.workflow_execution_id].deleted


async def _consent_url(world: World, reference: str) -> str:
    await world.start(reference, consent=False)
    message = await wait_until(
        lambda: next((m for m in world.slack.ephemerals("UAGENT1") if f"Private link for {reference}" in m.text), None)
    )
    href = consent_href(message.all_text())
    assert href is not None
    return href


async def test_the_consent_page_shows_jumios_sentence_and_an_unticked_box(world: World) -> None:
    href = await _consent_url(world, "CUST-PAGE")
    async with httpx.AsyncClient() as customer:
        page = await customer.get(href)
    assert page.status_code == 200 and '<html lang="en">' in page.text
    text = re.sub(r"<[^>]+>", "", page.text)
    assert " ".join(CONSENT_SENTENCE.split()) in " ".join(text.split())
    assert f'href="{PRIVACY_NOTICE_URL}"' in page.text
    assert re.search(r'<input type="checkbox" name="consent" value="yes" required>', page.text)  # not ticked
    assert '<option value="USA">United States</option>' in page.text and 'value="IL"' in page.text
    assert "<script" not in page.text and 'name="viewport"' in page.text
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["Referrer-Policy"] == "same-origin" and page.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    ("form", "content_type", "status", "words"),
    [
        ({"country": "USA", "state": "IL"}, None, 400, "Tick the box"),
        ({"consent": "no", "country": "USA"}, None, 400, "Tick the box"),
        ({"consent": "yes", "country": "XXX"}, None, 400, "Choose the country"),
        ({"consent": "yes", "country": "DEU", "state": "IL"}, None, 400, "only in the United States, Canada"),
        ({"consent": "yes", "country": "USA", "state": "ON"}, None, 400, "state or province of the country"),
        ({"consent": "yes", "country": "USA", "filler": "x" * 5000}, None, 413, "too large"),
        ({"consent": "yes", "country": "USA"}, "application/json", 400, "could not be read"),
    ],
    ids=[
        "unticked",
        "said-no",
        "unknown-country",
        "state-without-states",
        "state-of-another-country",
        "oversized",
        "not-a-form",
    ],
)
async def test_a_consent_form_that_is_not_right_records_nothing(
    world: World, form: dict[str, str], content_type: str | None, status: int, words: str
) -> None:
    href = await _consent_url(world, "CUST-BADFORM")
    async with httpx.AsyncClient() as customer:
        if content_type:
            answer = await customer.post(href, json=form)
        else:
            answer = await customer.post(href, data=form)
    assert answer.status_code == status and words in answer.text
    assert "Traceback" not in answer.text and 'name="consent"' in answer.text  # the form again, to fix
    await world.bot.runner.run_until_idle()
    assert world.store.db["consents"].count == 0 and not world.store.jobs.listed(kind="open_api_execution")
    assert world.execution("CUST-BADFORM").api_consent is None


async def test_replayed_forged_and_dead_consent_links_say_so(world: World) -> None:
    href = await _consent_url(world, "CUST-LINKS")
    assert await give_consent(href) == 200
    async with httpx.AsyncClient() as customer:
        replay = await customer.post(href, data={"consent": "yes", "country": "USA"})
        forged = await customer.get(href[:-4] + "AAAA")
        nothing = await customer.get(href.rsplit("/", 1)[0] + "/")
    assert replay.status_code == 200 and "already given your consent" in replay.text
    assert forged.status_code == 404 and "could not find this consent link" in forged.text
    assert nothing.status_code == 404
    assert world.store.db["consents"].count == 1
    # A link whose verification ended (expired before the customer came).
    dead = await _consent_url(world, "CUST-DEAD")
    execution = world.execution("CUST-DEAD")
    await world.jumio.expire(world.jumio.executions[execution.workflow_execution_id], "TOKEN_EXPIRED")
    await world.decided("CUST-DEAD")
    async with httpx.AsyncClient() as customer:
        expired = await customer.post(dead, data={"consent": "yes", "country": "USA"})
    assert expired.status_code == 410 and "expired" in expired.text
    assert world.store.db["consents"].count == 1


@pytest.mark.parametrize("bot_env_extra", [{"IDV_TRUSTED_PROXIES": "127.0.0.1"}])
async def test_the_customers_address_comes_from_a_trusted_proxy_only(world: World) -> None:
    href = await _consent_url(world, "CUST-PROXY")
    async with httpx.AsyncClient() as customer:
        done = await customer.post(
            href,
            data={"consent": "yes", "country": "CAN", "state": "ON"},
            headers={"X-Forwarded-For": "198.51.100.1, 203.0.113.9"},
        )
    assert done.status_code == 200
    consent = world.store.consents.for_execution(world.store.executions.for_customer("CUST-PROXY")[-1].id)
    assert consent is not None and (consent.user_ip, consent.country, consent.state) == ("203.0.113.9", "CAN", "ON")


async def test_a_forwarded_address_from_an_untrusted_peer_is_ignored(world: World) -> None:
    href = await _consent_url(world, "CUST-NOPROXY")
    async with httpx.AsyncClient() as customer:
        await customer.post(href, data={"consent": "yes", "country": "AUS"}, headers={"X-Forwarded-For": "203.0.113.9"})
    consent = world.store.consents.for_execution(world.store.executions.for_customer("CUST-NOPROXY")[-1].id)
    assert consent is not None and consent.user_ip == "127.0.0.1" and consent.state is None


@pytest.mark.parametrize("bot_env_extra", [{"IDV_PUBLIC_URL": ""}])
async def test_without_a_public_url_photos_are_refused_clearly_and_the_web_client_works(world: World) -> None:
    _execution, root = await world.start("CUST-NOPUBLIC", consent=False)
    [link] = world.links("CUST-NOPUBLIC")
    assert "/consent/" not in link.all_text()
    calls = _jumio_calls(world)
    await world.share(root, ("front.png", sample_photo("front")))
    reply = await wait_until(lambda: next((m for m in world.slack.thread(root.ts) if ":no_entry:" in m.text), None))
    assert "IDV_PUBLIC_URL" in reply.text and "Web Client link" in reply.text
    assert _jumio_calls(world) == calls
    await world.complete_on_web("CUST-NOPUBLIC")
    assert (await world.decided("CUST-NOPUBLIC")).decision_type == "PASSED"


@pytest.mark.parametrize("bot_env_extra", [{"JUMIO_CONSENT": "not-required"}])
async def test_not_required_sends_no_consent_and_asks_for_none(world: World) -> None:
    world.jumio.config.consent_required = False  # a tenant whose agreement makes the integrator the controller
    execution, root = await world.start("CUST-CONTROLLER", consent=False)
    assert "/consent/" not in world.links("CUST-CONTROLLER")[0].all_text()
    await world.share(root, *THREE)
    decided = await world.decided("CUST-CONTROLLER")
    assert decided.id == execution.id and decided.decision_type == "PASSED"
    assert world.jumio.executions[execution.workflow_execution_id].user_consent is None
    assert world.store.db["consents"].count == 0


async def test_jumio_forgetting_an_execution_ends_it_with_a_word_in_the_thread(world: World) -> None:
    world.without_callbacks()
    execution, root = await world.start("CUST-FORGOTTEN")
    world.jumio.config.hold_decisions = True
    await world.share(root, *THREE)
    await wait_until(lambda: world.store.executions.get(execution.id).status == "ACQUIRED")
    world.jumio.executions[execution.workflow_execution_id].deleted = True  # deleted in Jumio's portal
    gone = await wait_until(lambda: (e := world.store.executions.get(execution.id)).is_final and e, timeout=10)
    assert gone.status == "GONE"
    notice = await wait_until(lambda: next((m for m in world.slack.thread(root.ts) if "no longer has" in m.text), None))
    assert "/verify CUST-FORGOTTEN" in notice.text
    await world.bot.runner.run_until_idle()
    status_calls = len([c for c in world.jumio.calls if c[1].endswith("/status")])
    assert world.bot.journey.enqueue_sweep() == 0  # nobody asks Jumio about it again
    await world.bot.runner.run_until_idle()
    assert len([c for c in world.jumio.calls if c[1].endswith("/status")]) == status_calls


async def test_photos_dropped_while_jumio_makes_the_consented_execution_are_not_asked_about_again(world: World) -> None:
    from bot.sandbox.jumio import Fault

    href = await _consent_url(world, "CUST-WINDOW")
    world.jumio.add_fault(Fault(path_contains="/api/v1/accounts/", method="PUT", status=None, delay=1.0, count=1))
    assert await give_consent(href) == 200
    _execution, root = world.execution("CUST-WINDOW"), next(iter(world.slack.root_messages()))
    await world.share(root, *THREE, user="UAGENT2")  # the account update is still on its way
    decided = await world.decided("CUST-WINDOW", timeout=15)
    assert decided.decision_type == "PASSED"
    assert not any(m.text.startswith("The customer's consent is needed") for m in world.slack.ephemerals("UAGENT2"))


@pytest.mark.security
async def test_a_cross_site_post_and_an_oversized_chunked_form_record_nothing(world: World) -> None:
    """Security round 2: another site cannot submit a customer's consent in their browser (Origin or Referer not
    this page's), and the 4 KB cap holds for a chunked body (no Content-Length)."""
    href = await _consent_url(world, "CUST-CROSS-SITE")
    form = {"consent": "yes", "country": "USA", "state": "IL"}
    async with httpx.AsyncClient() as browser:
        for headers in ({"Origin": "https://evil.example"}, {"Origin": "null"}, {"Referer": "https://evil.example/page"}):
            answer = await browser.post(href, data=form, headers=headers)
            assert answer.status_code == 403 and "Not sent from this page" in answer.text, headers

        async def chunks():
            yield b"consent=yes&country=USA&state=IL&x="
            for _ in range(10):
                yield b"a" * 1024

        big = await browser.post(href, content=chunks(), headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert big.status_code == 413
        assert world.store.db["consents"].count == 0
        own = await browser.post(href, data=form, headers={"Origin": href.split("/consent/")[0]})
        assert own.status_code == 200 and "Thank you" in own.text


@pytest.mark.security
@pytest.mark.parametrize("bot_env_extra", [{"IDV_HTTP_DEADLINES": "5,1"}])
async def test_a_form_that_arrives_too_slowly_is_answered_in_the_customers_words(world: World) -> None:
    """Security round 2, finding 3: a body that trickles past its deadline gets the form back with a sentence (408)
    and the connection closes; nothing is recorded, and sending it again works."""
    href = await _consent_url(world, "CUST-SLOW-FORM")
    form = {"consent": "yes", "country": "USA", "state": "IL"}
    url = httpx.URL(href)
    reader, writer = await asyncio.open_connection(url.host, url.port)
    writer.write(
        f"POST {url.raw_path.decode()} HTTP/1.1\r\nHost: {url.netloc.decode()}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 32\r\n\r\nconsent=yes&country=USA".encode()
    )
    await writer.drain()
    answer = (await asyncio.wait_for(reader.read(), 10)).decode()  # the rest never comes; the server closes
    writer.close()
    assert answer.startswith("HTTP/1.1 408 ") and "took too long to arrive" in answer
    assert world.store.db["consents"].count == 0
    async with httpx.AsyncClient() as browser:
        again = await browser.post(href, data=form, headers={"Origin": href.split("/consent/")[0]})
        assert again.status_code == 200 and "Thank you" in again.text


@pytest.mark.security
async def test_the_consent_record_tells_the_customers_tick_from_an_agents(world: World) -> None:
    """An auditor can tell who ticked: the browser's family (never the User-Agent string) and the seconds from the
    consent link being made to the tick, and no more personal data (security round 2)."""
    href = await _consent_url(world, "CUST-WHO-TICKED")
    phone = (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP1A.240405.002) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/124.0.6367.82 Mobile Safari/537.36"
    )
    async with httpx.AsyncClient() as customer:
        done = await customer.post(
            href, data={"consent": "yes", "country": "USA", "state": "IL"}, headers={"User-Agent": phone}
        )
    assert done.status_code == 200
    origin = world.store.executions.for_customer("CUST-WHO-TICKED")[-1]
    consent = world.store.consents.for_execution(origin.id)
    assert consent is not None and consent.browser == "Chrome Mobile on Android"
    assert consent.seconds_to_tick is not None and 0 <= consent.seconds_to_tick < 60
    assert "Pixel 8" not in str(consent) and "AP1A" not in str(consent)
    detail = next(e.detail for e in world.store.audit.trail(origin.id) if e.action == "consent_given")
    assert "Chrome Mobile on Android" in (detail or "")
