"""An erase that work already running cannot undo (security, second round, finding 1): for each window where the bot
waits on Slack or Jumio, an erase lands in it; afterwards the verification is still ERASED, no live link reached
anyone, and whatever Jumio made meanwhile is deleted there. And the confirmation is bound to what it showed."""

from __future__ import annotations

import pytest

from bot.sandbox.images import sample_photo
from bot.sandbox.jumio import Fault
from bot.sandbox.slack import ApiFault
from storage import JobState
from tests.conftest import wait_until
from tests.world import World

ADMINS = {"IDV_ADMINS": "UADMIN"}
pytestmark = pytest.mark.parametrize("bot_env_extra", [ADMINS])


async def _erase(world: World, reference: str) -> dict:
    await world.slack.command(f"erase {reference}", user="UADMIN")
    view = await wait_until(
        lambda: next(
            (v for v in reversed(world.slack.views_for("UADMIN")) if v.get("callback_id") == "erase_customer"), None
        )
    )
    status, answer = await world.slack.submit_view(view, {}, user="UADMIN")
    assert status == 200
    return answer


async def _in_flight(world: World, kind: str) -> None:
    await wait_until(lambda: any(j.state == JobState.RUNNING for j in world.store.jobs.listed(kind=kind)), timeout=10)


def _executions_at_jumio(world: World, reference: str) -> list:
    return [e for e in world.jumio.executions.values() if e.customer_reference == reference]


async def test_erase_while_jumio_makes_the_account(world: World) -> None:
    world.jumio.add_fault(Fault(path_contains="/api/v1/accounts", method="POST", status=None, delay=1.0))
    await world.slack.command("CUST-RACE-ACCOUNT")
    await _in_flight(world, "create_account")
    answer = await _erase(world, "CUST-RACE-ACCOUNT")
    assert "Erased 1 verification" in str(answer["view"])
    made = await wait_until(lambda: _executions_at_jumio(world, "CUST-RACE-ACCOUNT"), timeout=10)
    await wait_until(lambda: all(e.deleted for e in made), timeout=10)  # deleted at Jumio at once
    await world.bot.runner.run_until_idle()
    execution = world.execution("CUST-RACE-ACCOUNT")
    assert execution.status == "ERASED" and execution.account_id == made[0].account_id  # the ID, for the record
    assert world.links("CUST-RACE-ACCOUNT") == [] and world.store.executions.web_href(execution.id) is None
    assert world.store.executions.credentials(execution.id) == []
    assert "made_after_end" in [e.action for e in world.store.audit.trail(execution.id)]
    second = await _erase(world, "CUST-RACE-ACCOUNT")
    assert "already erased" in str(second["view"]) or "Nothing" in str(second["view"])


async def test_erase_while_the_root_message_is_posted(world: World) -> None:
    world.slack.faults.append(ApiFault("chat.postMessage", delay=1.0, count=1))
    await world.slack.command("CUST-RACE-ROOT")
    await _in_flight(world, "start")
    await _erase(world, "CUST-RACE-ROOT")
    execution = await wait_until(lambda: (e := world.execution("CUST-RACE-ROOT")).thread_ts and e, timeout=10)
    await world.bot.runner.run_until_idle()
    assert world.execution("CUST-RACE-ROOT").status == "ERASED"
    assert _executions_at_jumio(world, "CUST-RACE-ROOT") == []  # no account was ever made
    root = next(m for m in world.slack.root_messages() if m.ts == execution.thread_ts)
    assert "erased" in root.all_text().lower()


async def test_erase_while_a_new_link_is_made(world: World) -> None:
    execution, root = await world.start("CUST-RACE-LINK", consent=False)
    await world.jumio.expire(world.jumio.executions[execution.workflow_execution_id], "TOKEN_EXPIRED")
    notice = await wait_until(lambda: next((m for m in world.slack.thread(root.ts) if "new_link" in m.all_text()), None))
    # Jumio makes the execution, then its answer is slow: the erase lands in between.
    world.jumio.add_fault(
        Fault(path_contains=f"/api/v1/accounts/{execution.account_id}", method="PUT", status=None, after=True, delay=1.0)
    )
    links_before = len(world.links("CUST-RACE-LINK", user="UAGENT2"))
    await world.slack.click("new_link", str(execution.id), user="UAGENT2", message=notice)
    await _in_flight(world, "new_link")
    await _erase(world, "CUST-RACE-LINK")
    await wait_until(lambda: all(e.deleted for e in _executions_at_jumio(world, "CUST-RACE-LINK")), timeout=10)
    await world.bot.runner.run_until_idle()
    assert len(_executions_at_jumio(world, "CUST-RACE-LINK")) == 2  # the first, and the one made meanwhile
    assert len(world.links("CUST-RACE-LINK", user="UAGENT2")) == links_before  # no live link after the erase
    assert {e.status for e in world.store.executions.for_customer("CUST-RACE-LINK")} == {"ERASED", "TOKEN_EXPIRED"}


async def test_erase_while_the_consented_execution_is_made(world: World) -> None:
    from bot.local import consent_href, give_consent, link_message_for

    execution, root = await world.start("CUST-RACE-CONSENT", consent=False)
    await world.share(root, ("front.png", sample_photo("front")))  # held until the customer consents
    world.jumio.add_fault(
        Fault(path_contains=f"/api/v1/accounts/{execution.account_id}", method="PUT", status=None, after=True, delay=1.0)
    )
    href = consent_href(link_message_for(world.slack, "CUST-RACE-CONSENT").all_text())
    assert href is not None and await give_consent(href) == 200
    await _in_flight(world, "open_api_execution")
    await _erase(world, "CUST-RACE-CONSENT")
    await wait_until(
        lambda: (
            len(_executions_at_jumio(world, "CUST-RACE-CONSENT")) == 2
            and all(e.deleted for e in _executions_at_jumio(world, "CUST-RACE-CONSENT"))
        ),
        timeout=10,
    )
    await world.bot.runner.run_until_idle()
    assert all(e.status == "ERASED" for e in world.store.executions.for_customer("CUST-RACE-CONSENT"))
    assert not any("sent to Jumio" in m.text for m in world.slack.thread(root.ts))  # the held photo never went


async def test_erase_while_a_photo_is_relayed(world: World) -> None:
    execution, root = await world.start("CUST-RACE-PHOTO")
    world.jumio.add_fault(Fault(path_contains="/parts/", status=None, delay=1.0))
    await world.share(root, ("front.png", sample_photo("front")))
    await _in_flight(world, "relay_photo")
    await _erase(world, "CUST-RACE-PHOTO")
    await world.bot.runner.run_until_idle()
    (upload,) = world.store.uploads.of_execution(execution.id)
    assert upload.sha256 is None and upload.size is None and upload.state != "uploaded"
    assert world.store.executions.credentials(execution.id) == []
    assert not any("ID front sent to Jumio" in m.text for m in world.slack.thread(root.ts))


async def test_a_verification_started_after_the_confirmation_opened_is_not_erased_unseen(world: World) -> None:
    await world.start("CUST-RACE-SEEN", consent=False)
    await world.complete_on_web("CUST-RACE-SEEN")
    await world.decided("CUST-RACE-SEEN")
    await world.slack.command("erase CUST-RACE-SEEN", user="UADMIN")
    shown = await wait_until(
        lambda: next((v for v in world.slack.views_for("UADMIN") if v.get("callback_id") == "erase_customer"), None)
    )
    assert "1 verification" in str(shown)
    await world.start("CUST-RACE-SEEN", consent=False)  # another agent starts one meanwhile
    status, answer = await world.slack.submit_view(shown, {}, user="UADMIN")
    assert status == 200 and answer["response_action"] == "update"
    assert "changed since you opened this" in str(answer["view"]) and "2 verifications" in str(answer["view"])
    assert all(e.erased_by is None for e in world.store.executions.for_customer("CUST-RACE-SEEN"))
    status, answer = await world.slack.submit_view(answer["view"], {}, user="UADMIN")
    assert "Erased 2 verifications" in str(answer["view"])
