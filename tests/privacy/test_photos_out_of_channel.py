"""Photos out of the channel: the private photos modal (file inputs, never shared), and agents who connect their
Slack user so the bot deletes what they dropped in a thread once Jumio has it; without that, a reminder naming it."""

from __future__ import annotations

import httpx
import pytest

from bot.local import consent_for
from bot.sandbox.images import sample_photo
from bot.sandbox.slack import ApiFault, Posted
from bot.sandbox.slack.oauth import CLIENT_ID, CLIENT_SECRET
from tests.conftest import wait_until
from tests.world import World

OAUTH = {"SLACK_CLIENT_ID": CLIENT_ID, "SLACK_CLIENT_SECRET": CLIENT_SECRET}
PHOTOS = (("front.png", "front"), ("back.png", "back"), ("selfie.png", "face"))


async def _open_photos_modal(world: World, root: Posted, user: str = "UAGENT1") -> dict:
    execution = world.store.executions.latest_in_thread("CVERIFY", root.ts)
    assert execution is not None and "Add photos privately" in root.all_text()
    status, _ = await world.slack.click("private_photos", str(execution.id), user=user, message=root)
    assert status == 200
    return await wait_until(
        lambda: next((v for v in world.slack.views_for(user) if v.get("callback_id") == "private_photos"), None)
    )


async def test_photos_given_in_the_modal_reach_jumio_and_never_the_channel(world: World) -> None:
    execution, root = await world.start("CUST-PRIVATE-1")
    view = await _open_photos_modal(world, root)
    inputs = [b for b in view["blocks"] if b["type"] == "input"]
    assert [b["element"]["type"] for b in inputs] == ["file_input"] * 3
    assert all(b["element"]["max_files"] == 1 and b["element"]["filetypes"] == ["jpg", "jpeg", "png"] for b in inputs)
    empty_status, empty = await world.slack.submit_view(view, {})
    assert empty_status == 200 and empty["response_action"] == "errors"
    assert "Add at least one photo" in str(empty["errors"])
    files = {name: world.slack.add_file(name, sample_photo(part)) for name, part in PHOTOS}
    status, answer = await world.slack.submit_view(
        view, {"photo_front": [files["front.png"]], "photo_back": [files["back.png"]], "photo_face": [files["selfie.png"]]}
    )
    assert status == 200 and not answer
    decided = await world.decided("CUST-PRIVATE-1", timeout=20)
    assert decided.decision_type == "PASSED"
    assert set(world.jumio_parts(world.store.executions.get(execution.id))) == {"FRONT", "BACK", "FACE"}
    thread = world.thread_text(root)
    assert "ID front sent to Jumio (front.png)" in thread and "delete it from this thread" not in thread
    assert not any(m == "files.delete" for m, _ in world.slack.state.calls)
    uploads = world.store.uploads.of_execution(execution.id)
    assert len(uploads) == 3 and all(not u.in_channel for u in uploads)


async def test_photos_given_before_consent_are_held_then_relayed_without_a_reminder(world: World) -> None:
    _, root = await world.start("CUST-PRIVATE-3", consent=False)
    view = await _open_photos_modal(world, root)
    front = world.slack.add_file("front.png", sample_photo("front"))
    assert (await world.slack.submit_view(view, {"photo_front": [front]}))[0] == 200
    await wait_until(
        lambda: any(
            u.state == "held"
            for e in world.store.executions.for_customer("CUST-PRIVATE-3")
            for u in world.store.uploads.of_execution(e.id)
        )
    )
    api = await consent_for(world.slack, world.store, "CUST-PRIVATE-3")
    await wait_until(lambda: "FRONT" in world.jumio_parts(world.store.executions.get(api.id)))
    await world.bot.runner.run_until_idle()
    assert "delete it from this thread" not in world.thread_text(root)


async def test_slack_refuses_what_a_file_input_would_not_take(world: World) -> None:
    _, root = await world.start("CUST-PRIVATE-2")
    view = await _open_photos_modal(world, root)
    pdf = world.slack.add_file("front.pdf", b"%PDF-1.4", mimetype="application/pdf")
    with pytest.raises(ValueError, match=r"does not let a \.pdf file"):
        await world.slack.submit_view(view, {"photo_front": [pdf]})
    big = world.slack.add_file("front.png", sample_photo("front") + b"\0" * (10 * 1024 * 1024))
    with pytest.raises(ValueError, match="over 10 MB"):
        await world.slack.submit_view(view, {"photo_front": [big]})


async def test_without_a_connected_user_the_thread_names_the_photo_to_delete(world: World) -> None:
    _, root = await world.start("CUST-REMIND-1")
    await world.share(root, ("front.png", sample_photo("front")))
    await wait_until(lambda: "Jumio has front.png: delete it from this thread now" in world.thread_text(root))
    assert "Add photos privately" in world.thread_text(root)
    assert "Connect your Slack user" not in world.thread_text(root)  # SLACK_CLIENT_ID is not set here


async def _connect(world: World) -> httpx.Response:
    """Play the agent's browser: the bot's install link, Slack's consent screen, back to the bot with the state
    cookie. Bolt's cookie is `Secure`; browsers send those to http://127.0.0.1 too (a trustworthy origin), httpx
    does not, so it is carried here by hand."""
    async with httpx.AsyncClient() as browser:
        install = await browser.get(f"{world.env['IDV_PUBLIC_URL']}/slack/install")
        assert install.status_code == 302
        cookie = install.headers["set-cookie"].split(";")[0]
        consent_screen = await browser.get(install.headers["location"])
        assert consent_screen.status_code == 302
        return await browser.get(consent_screen.headers["location"], headers={"Cookie": cookie})


@pytest.mark.parametrize("bot_env_extra", [OAUTH])
async def test_a_connected_agent_has_their_dropped_photos_deleted_after_relay(world: World) -> None:
    await world.slack.open_home("UAGENT1")
    home = await wait_until(lambda: world.slack.state.home_views.get("UAGENT1"))
    assert "Connect my Slack user" in str(home) and "/slack/install" in str(home)
    page = await _connect(world)
    assert page.status_code == 200 and "Connected" in page.text
    assert world.store.secrets.user_token("UAGENT1") is not None
    first = world.store.secrets.user_token("UAGENT1") or ""
    assert (await _connect(world)).status_code == 200  # connecting again: the older token is revoked at Slack
    token = world.store.secrets.user_token("UAGENT1") or ""
    assert token != first and first not in world.slack.oauth.user_tokens and token in world.slack.oauth.user_tokens
    assert token.startswith("xoxp-UAGENT1-")  # sealed with IDV_ENCRYPTION_KEY: tests/privacy/test_sealing.py
    _, root = await world.start("CUST-DELETE-1")
    files = await world.share(root, ("front.png", sample_photo("front")))
    await wait_until(lambda: "Deleted front.png from Slack: Jumio has it." in world.thread_text(root))
    assert files[0].deleted and world.slack.oauth.deleted_by[files[0].id] == "UAGENT1"
    assert "FRONT" in world.jumio_parts(world.execution("CUST-DELETE-1"))
    # Someone else's file dropped by the connected agent: Slack refuses, the thread says why and names it.
    others = world.slack.add_file("back.png", sample_photo("back"), user="UAGENT3")
    await world.slack.share([others], thread_ts=root.ts, user="UAGENT1")
    await wait_until(lambda: "Jumio has back.png" in world.thread_text(root))
    assert "only the person who uploaded a file" in world.thread_text(root) and not others.deleted
    # Disconnect in App Home: revoked at Slack, forgotten here.
    await world.slack.open_home("UAGENT1")
    await wait_until(lambda: "Disconnect" in str(world.slack.state.home_views.get("UAGENT1")))
    await world.slack.click("disconnect_slack_user", "home", channel=None)
    await wait_until(lambda: world.store.secrets.user_token("UAGENT1") is None)
    assert token not in world.slack.oauth.user_tokens


@pytest.mark.security
@pytest.mark.parametrize("bot_env_extra", [{**OAUTH, "IDV_ALLOWED_USERS": "UAGENT2"}])
async def test_connecting_is_refused_for_who_may_not_use_the_bot_and_on_cancel(world: World) -> None:
    page = await _connect(world)
    assert page.status_code == 403 and "may not use this bot" in page.text  # refused, not a server error
    assert world.store.secrets.user_token("UAGENT1") is None
    assert world.slack.oauth.user_tokens == {}  # the token Slack gave is revoked, not left alive
    world.slack.oauth.denies = True
    cancelled = await _connect(world)
    assert "You cancelled" in cancelled.text and world.store.secrets.user_token("UAGENT1") is None
    async with httpx.AsyncClient() as stranger:  # a callback without the browser's state cookie
        forged = await stranger.get(f"{world.env['IDV_PUBLIC_URL']}/slack/oauth_redirect?code=x&state=y")
    assert forged.status_code == 400 and "same browser" in forged.text


@pytest.mark.parametrize("bot_env_extra", [OAUTH])
async def test_a_deletion_slack_never_answers_ends_in_the_reminder(world: World) -> None:
    assert (await _connect(world)).status_code == 200
    world.slack.faults.append(ApiFault("files.delete", status=503, count=1000))
    _, root = await world.start("CUST-DELETE-2")
    files = await world.share(root, ("front.png", sample_photo("front")))
    await wait_until(lambda: "Jumio has front.png" in world.thread_text(root), timeout=30)
    assert "Slack did not answer for too long" in world.thread_text(root) and not files[0].deleted
    assert [j.state for j in world.store.jobs.listed(kind="delete_slack_file")] == ["dead"]


@pytest.mark.parametrize("bot_env_extra", [OAUTH])
async def test_a_workspace_that_forbids_deleting_files_gets_the_reminder_at_once(world: World) -> None:
    """file_deleting_disabled is Slack's final word: no hour of retries, the reminder says why at once."""
    assert (await _connect(world)).status_code == 200
    world.slack.oauth.deleting_disabled = True
    _, root = await world.start("CUST-DELETE-3")
    files = await world.share(root, ("front.png", sample_photo("front")))
    await wait_until(lambda: "Jumio has front.png" in world.thread_text(root), timeout=10)
    assert "does not let members delete files" in world.thread_text(root) and not files[0].deleted
    (job,) = world.store.jobs.listed(kind="delete_slack_file")
    assert job.state == "done" and job.attempts == 1
    assert world.store.secrets.user_token("UAGENT1") is not None  # the token still works: kept


@pytest.mark.security
@pytest.mark.parametrize("bot_env_extra", [OAUTH])
async def test_anonymous_install_visits_write_nothing_and_a_forged_state_is_refused(world: World) -> None:
    """/slack/install is public: 50 anonymous visits leave the database as it was (the state is signed, not stored);
    a state with a changed expiry, or one signed under another secret, gets no token (security round 2)."""
    import sqlite3

    def rows() -> int:
        with sqlite3.connect(world.env["IDV_DATABASE"]) as db:
            tables = [name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            return sum(db.execute(f"SELECT count(*) FROM {name}").fetchone()[0] for name in tables)

    before = rows()
    async with httpx.AsyncClient() as browser:
        for _ in range(50):
            assert (await browser.get(f"{world.env['IDV_PUBLIC_URL']}/slack/install")).status_code == 302
        install = await browser.get(f"{world.env['IDV_PUBLIC_URL']}/slack/install")
        cookie = install.headers["set-cookie"].split(";")[0]
        state = install.headers["location"].split("state=")[1].split("&")[0]
        expires, nonce, signature = state.split(".")
        forged = f"{int(expires) + 3600}.{nonce}.{signature}"
        back = await browser.get(
            f"{world.env['IDV_PUBLIC_URL']}/slack/oauth_redirect",
            params={"code": "c", "state": forged},
            headers={"Cookie": cookie.replace(state, forged)},
        )
    assert rows() == before
    assert back.status_code >= 400 and "expired or was used already" in back.text
    assert world.store.secrets.user_token("UAGENT1") is None
