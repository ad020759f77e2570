"""`/verify erase`: admins only, a confirmation naming what goes, Jumio accounts deleted by a job, tombstones here."""

from __future__ import annotations

import pytest

from bot.sandbox.images import sample_photo
from bot.sandbox.jumio import Fault
from tests.conftest import wait_until
from tests.privacy.test_photos_out_of_channel import OAUTH, _connect
from tests.privacy.test_retention import on_disk
from tests.world import World

ADMINS = {"IDV_ADMINS": "UADMIN"}


async def _decided_and_open(world: World, reference: str) -> tuple[list[int], object]:
    """One decided verification of the customer, then one still waiting for photos (in its own thread)."""
    first, _ = await world.start(reference, consent=False)
    assert (await world.complete_on_web(reference)).status_code == 200
    await world.decided(reference)
    second, root = await world.start(reference, consent=False)
    return [first.id, second.id], root


async def _erase(world: World, reference: str, user: str = "UADMIN") -> tuple[dict, tuple[int, dict]]:
    before = len(world.slack.views_for(user))  # the confirmation this command opens, not an earlier one
    answer = await world.slack.command(f"erase {reference}", user=user)
    assert answer == {} or not answer.get("text"), answer
    view = await wait_until(
        lambda: next((v for v in world.slack.views_for(user)[before:] if v.get("callback_id") == "erase_customer"), None)
    )
    return view, await world.slack.submit_view(view, {}, user=user)


@pytest.mark.parametrize("bot_env_extra", [ADMINS])
async def test_an_admin_erases_a_customer_decided_and_in_progress(world: World) -> None:
    ids, root = await _decided_and_open(world, "CUST-ERASE-1")
    executions = [world.store.executions.get(i) for i in ids]
    accounts = {e.account_id for e in executions}
    assert len(accounts) == 2
    view, (status, answer) = await _erase(world, "CUST-ERASE-1")
    confirm = str(view)
    assert "2 verifications and 2 Jumio accounts" in confirm and "1 still in progress" in confirm
    assert "cannot be undone" in confirm
    assert status == 200 and answer["response_action"] == "update"
    assert "Erased 2 verifications and 2 Jumio accounts of CUST-ERASE-1" in str(answer["view"])

    decided, in_progress = (world.store.executions.get(i) for i in ids)
    assert decided.status == "PROCESSED" and decided.decision_type == "PASSED" and decided.erased_by == "UADMIN"
    assert in_progress.status == "ERASED" and in_progress.reduced_at is not None
    assert decided.capabilities == [] and in_progress.user_ref is None
    assert world.store.executions.credentials(decided.id) == [] and world.store.executions.web_href(in_progress.id) is None
    assert [a.actor for a in world.store.audit.trail(in_progress.id) if a.action == "erased"] == ["UADMIN"]
    # Jumio deletes both accounts (a job each); the threads say erased, then deleted.
    await wait_until(lambda: all(x.deleted for x in world.jumio.executions.values() if x.account_id in accounts))
    await wait_until(lambda: "Jumio deleted the customer's account" in world.thread_text(root))
    thread = world.thread_text(root)
    assert "<@UADMIN> erased this customer's data" in thread and "still in progress: it has stopped" in thread
    root_now = await wait_until(
        lambda: next((m for m in world.slack.root_messages() if m.ts == root.ts and "erased" in m.all_text().lower()), None)
    )
    assert "Stopped and erased" in root_now.all_text() and "Customer link" not in root_now.all_text()
    # The customer's old link no longer opens Jumio's page, and App Home says erased.
    web = await world.complete_on_web("CUST-ERASE-1")
    assert web.status_code in (401, 403, 404, 410)
    await world.slack.open_home("UAGENT1")
    home = await wait_until(lambda: world.slack.state.home_views.get("UAGENT1"))
    assert str(home).count("erased") >= 2
    # Photos dropped afterwards are not taken.
    await world.share(root, ("front.png", sample_photo("front")))
    await world.bot.runner.run_until_idle()
    assert not any(
        x.received() for x in world.jumio.executions.values() if x.account_id in accounts and x.status == "INITIATED"
    )
    assert "front.png was not sent to Jumio: <@UADMIN> erased this customer's data" in world.thread_text(root)


@pytest.mark.parametrize("bot_env_extra", [ADMINS])
async def test_erase_refusals_each_say_why_and_change_nothing(world: World) -> None:
    await world.start("CUST-ERASE-2", consent=False)
    before = world.store.executions.get(world.execution("CUST-ERASE-2").id)
    refused = await world.slack.command("erase CUST-ERASE-2", user="UAGENT1")
    assert "Only the admins listed in IDV_ADMINS" in refused["text"] and "Nothing was erased" in refused["text"]
    assert not any(v.get("callback_id") == "erase_customer" for v in world.slack.state.views_opened)
    assert world.store.executions.get(before.id) == before
    assert any(a.action == "erase_refused" and a.actor == "UAGENT1" for a in world.store.audit.trail())
    unknown = await world.slack.command("erase CUST-NEVER-SEEN", user="UADMIN")
    assert "No verification of CUST-NEVER-SEEN is stored here" in unknown["text"]
    usage = await world.slack.command("erase", user="UADMIN")
    assert "/verify erase CUST-42" in usage["text"]
    await _erase(world, "CUST-ERASE-2")
    # Once Jumio confirmed the account deleted (a job): before that, a second erase would rightly try it again.
    await wait_until(
        lambda: (
            world.store.db.execute(
                "SELECT count(*) FROM accounts WHERE customer_ref = ? AND deleted_at IS NULL", ("CUST-ERASE-2",)
            ).fetchone()[0]
            == 0
        )
    )
    again = await world.slack.command("erase CUST-ERASE-2", user="UADMIN")
    assert "already erased by <@UADMIN>" in again["text"] and "nothing is left to erase" in again["text"]


@pytest.mark.parametrize("bot_env_extra", [ADMINS])
async def test_a_forged_confirmation_from_a_non_admin_is_refused(world: World) -> None:
    await world.start("CUST-ERASE-3", consent=False)
    view, _ = await _erase_view_only(world, "CUST-ERASE-3")
    status, answer = await world.slack.submit_view(view, {}, user="UAGENT1")
    assert status == 200 and "Only the admins listed in IDV_ADMINS" in str(answer["view"])
    assert world.execution("CUST-ERASE-3").erased_by is None


async def _erase_view_only(world: World, reference: str) -> tuple[dict, None]:
    await world.slack.command(f"erase {reference}", user="UADMIN")
    view = await wait_until(
        lambda: next((v for v in world.slack.views_for("UADMIN") if v.get("callback_id") == "erase_customer"), None)
    )
    return view, None


@pytest.mark.parametrize("bot_env_extra", [ADMINS])
async def test_with_jumio_down_the_deletion_waits_and_the_thread_says_it_is_pending(world: World) -> None:
    execution, root = await world.start("CUST-ERASE-4", consent=False)
    world.jumio.faults.append(Fault(path_contains="/accounts/", method="DELETE", status=503, duration=1.0))
    _, (status, _) = await _erase(world, "CUST-ERASE-4")
    assert status == 200
    await wait_until(lambda: "Deleting it at Jumio is pending" in world.thread_text(root))
    job = await wait_until(
        lambda: next((j for j in world.store.jobs.listed() if j.kind == "delete_account" and j.attempts >= 1), None)
    )
    assert job.state in ("queued", "running")
    assert world.execution("CUST-ERASE-4").status == "ERASED"  # erased here at once, whatever Jumio does
    await wait_until(lambda: world.jumio.executions[execution.workflow_execution_id or ""].deleted, timeout=30)
    await wait_until(lambda: "Jumio deleted the customer's account" in world.thread_text(root))


@pytest.mark.parametrize("bot_env_extra", [{**ADMINS, **OAUTH}])
async def test_erase_forgets_the_photos_slack_pointers_and_deletes_what_it_can(world: World) -> None:
    """Photos still in the thread: the connected agent's is deleted in Slack as them, the other agent's is named in
    the confirmation for an admin to delete by hand; afterwards no Slack file ID or file name is left in SQLite."""
    assert (await _connect(world)).status_code == 200  # UAGENT1 connects their Slack user; UAGENT2 does not
    _execution, root = await world.start("CUST-ERASE-FILES", consent=False)
    mine = await world.share(root, ("cust_front_1962.png", sample_photo("front")))  # held: no consent yet
    theirs = await world.share(root, ("cust_back_1962.png", sample_photo("back")), user="UAGENT2")
    await wait_until(
        lambda: len([m for m in world.slack.thread(root.ts) if "once the customer has consented" in m.text]) == 2
    )
    await world.bot.runner.run_until_idle()
    ids = [mine[0].id, theirs[0].id]
    assert on_disk(world, *ids)  # the scan can fail: the pointers are there before the erase
    view, (status, _answer) = await _erase(world, "CUST-ERASE-FILES")
    confirm = str(view)
    assert "1 photo dropped in the threads by agents who connected their Slack user: deleted for them" in confirm
    assert "delete by hand" in confirm and "ID back dropped by <@UAGENT2>" in confirm
    assert f"/archives/CVERIFY/p{root.ts.replace('.', '')}" in confirm
    assert status == 200
    await wait_until(lambda: mine[0].deleted, timeout=10)
    await world.bot.runner.run_until_idle()
    assert not theirs[0].deleted and world.slack.oauth.deleted_by[mine[0].id] == "UAGENT1"
    assert "1 photo dropped in this thread is still in Slack: delete it by hand" in world.thread_text(root)
    world.store.flush_forgotten()
    assert on_disk(world, *ids, "cust_front_1962", "cust_back_1962") == set()


@pytest.mark.security
@pytest.mark.parametrize("bot_env_extra", [ADMINS])
async def test_a_later_erase_deletes_an_account_jumio_never_confirmed_deleted(world: World) -> None:
    """The first erase's deletion gave up (Jumio down for good): a second erase of the customer tries it again."""
    execution, _root = await world.start("CUST-ERASE-AGAIN", consent=False)
    world.jumio.add_fault(Fault(path_contains="/api/v1/accounts/", method="DELETE", status=503, count=10_000))
    await _erase(world, "CUST-ERASE-AGAIN")
    await wait_until(lambda: [j.state for j in world.store.jobs.listed(kind="delete_account")] == ["dead"], timeout=30)
    assert not all(x.deleted for x in world.jumio.executions.values() if x.account_id == execution.account_id)
    world.jumio.faults.clear()
    view, (status, _answer) = await _erase(world, "CUST-ERASE-AGAIN")
    assert "0 verifications and 1 Jumio account" in str(view) and status == 200
    await wait_until(
        lambda: all(x.deleted for x in world.jumio.executions.values() if x.account_id == execution.account_id), timeout=15
    )
    await world.bot.runner.run_until_idle()
    third = await world.slack.command("erase CUST-ERASE-AGAIN", user="UADMIN")
    assert "already erased" in third["text"]  # now Jumio confirmed it: nothing is left


@pytest.mark.security
@pytest.mark.parametrize("bot_env_extra", [ADMINS])
async def test_erase_edits_the_bots_thread_messages_down_to_a_tombstone(world: World) -> None:
    """After an erase no decision, label, risk score or file name of the customer stays in the bot's thread messages
    (security round 2); what the bot says from the erase on stays, and the root says erased."""
    _execution, root = await world.verified_through_the_thread("CUST-ERASE-THREAD")
    before = world.thread_text(root)
    assert "front.png" in before and "Jumio decision" in before
    await _erase(world, "CUST-ERASE-THREAD")
    await wait_until(lambda: "Jumio deleted the customer's account" in world.thread_text(root), timeout=10)
    await world.bot.runner.run_until_idle()
    thread = world.slack.thread(root.ts)
    erased_notice = next(i for i, m in enumerate(thread) if "erased this customer's data" in m.text)
    assert erased_notice > 0 and all(m.text.startswith(":wastebasket: Erased: this message") for m in thread[:erased_notice])
    after = world.thread_text(root)
    assert "front.png" not in after and "Jumio decision" not in after and "PASSED" not in after
    assert "Jumio deleted the customer's account" in after  # said after the erase: kept
