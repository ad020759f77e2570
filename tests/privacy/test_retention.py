"""Personal data goes, and stays gone: supporting data after its step, a tombstone after an erase or retention.

Each test reads the bytes of the database file and its write-ahead log for every personal value it put in: first
that the value is there while it must be (so the scan can fail), then that it is not after it must go.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet

from bot.journey.erasing import RETENTION, Retention
from bot.local import consent_for, consent_href
from bot.sandbox.images import sample_photo
from bot.sandbox.jumio import Fault
from storage import Consent
from tests.conftest import wait_until
from tests.world import World

CUSTOMER_IP = "203.0.113.77"
PROXIED = {"IDV_TRUSTED_PROXIES": "127.0.0.1", "IDV_ADMINS": "UADMIN"}
PERSON = {
    "first_name": "Zebulon",
    "last_name": "Quixote-Marchetti",
    "email": "zebulon.qm@example.org",
    "phone_number": "+14155550987",
    "line1": "77 Wisteria Lane",
    "city": "Fairview",
    "country": "USA",
    "date_of_birth": "1961-04-19",
}


def on_disk(world: World, *values: str) -> set[str]:
    """Which of `values` appear anywhere in the database file or its write-ahead log."""
    found = set()
    for suffix in ("", "-wal"):
        path = Path(world.store.path + suffix)
        if path.exists():
            content = path.read_bytes()
            found |= {value for value in values if value.encode() in content}
    return found


def _consent(world: World, execution_id: int) -> Consent:
    consent_id = world.store.executions.get(execution_id).api_consent
    assert consent_id is not None
    return world.store.consents.get(consent_id)


async def _decided_with_consent(world: World, reference: str) -> tuple[int, list[str]]:
    """A verification whose customer consented from CUSTOMER_IP (behind the trusted proxy) and that Jumio decided;
    returns its id and the secrets it held while it was open (api.tokens, the Web Client link's token)."""
    _, root = await world.start(reference, consent=False)
    message = await wait_until(
        lambda: next((m for m in world.slack.ephemerals("UAGENT1") if f"Private link for {reference}" in m.text), None)
    )
    href = consent_href(message.all_text())
    assert href is not None
    web_token = world.web_href(reference).split("authorizationToken=")[1].split("&")[0]
    async with httpx.AsyncClient() as customer:
        answer = await customer.post(
            href, data={"consent": "yes", "country": "ISL"}, headers={"X-Forwarded-For": CUSTOMER_IP}
        )
    assert answer.status_code == 200
    api = await wait_until(
        lambda: (e := world.execution(reference)).api_consent is not None and e.status == "INITIATED" and e
    )
    tokens = [c.api_token for c in world.store.executions.credentials(api.id) if c.api_token]
    await world.share(
        root, ("front.png", sample_photo("front")), ("back.png", sample_photo("back")), ("selfie.png", sample_photo("face"))
    )
    await world.decided(reference, timeout=20)
    await world.bot.runner.run_until_idle()
    return api.id, [*tokens, web_token]


@pytest.mark.parametrize("bot_env_extra", [PROXIED])
async def test_erase_leaves_no_personal_value_in_the_file_or_its_log(world: World) -> None:
    execution_id, secrets = await _decided_with_consent(world, "CUST-SCAN-1")
    assert on_disk(world, CUSTOMER_IP) == {CUSTOMER_IP}  # the scan sees them
    consent = _consent(world, execution_id)
    assert consent is not None and consent.user_ip == CUSTOMER_IP
    await world.slack.command("erase CUST-SCAN-1", user="UADMIN")
    view = await wait_until(
        lambda: next((v for v in world.slack.views_for("UADMIN") if v.get("callback_id") == "erase_customer"), None)
    )
    await world.slack.submit_view(view, {}, user="UADMIN")
    await world.bot.runner.run_until_idle()
    assert on_disk(world, CUSTOMER_IP, *secrets) == set()
    consent = _consent(world, execution_id)
    assert consent is not None and consent.user_ip is None and consent.country is None and consent.obtained_at


@pytest.mark.parametrize("bot_env_extra", [PROXIED])
async def test_retention_reduces_what_ended_long_ago_and_nothing_newer(world: World) -> None:
    old_id, _ = await _decided_with_consent(world, "CUST-OLD-1")
    new_id, _ = await _decided_with_consent(world, "CUST-NEW-1")
    days = world.bot.journey.options.retention_days
    assert days == 90
    with world.store.transaction() as db:  # the first one ended 91 days ago
        db.execute("UPDATE executions SET completed_at = completed_at - ? WHERE id = ?", (91 * 86400, old_id))
    world.bot.journey.ctx.queue.add(RETENTION, Retention(day="test-run"))
    await world.bot.runner.run_until_idle()
    old, new = world.store.executions.get(old_id), world.store.executions.get(new_id)
    assert old.reduced_at is not None and old.erased_by is None and old.decision_type == "PASSED"
    assert old.capabilities == [] and new.reduced_at is None and new.capabilities
    old_consent, new_consent = _consent(world, old_id), _consent(world, new_id)
    assert old_consent is not None and old_consent.user_ip is None and old_consent.obtained_at
    assert new_consent is not None and new_consent.user_ip == CUSTOMER_IP  # not yet due
    assert any(a.action == "retention" for a in world.store.audit.trail(old_id))
    # Only the newer consent's address is left on disk: reduce it too, and none is.
    with world.store.transaction() as db:
        db.execute("UPDATE executions SET completed_at = completed_at - ? WHERE id = ?", (91 * 86400, new_id))
    world.bot.journey.ctx.queue.add(RETENTION, Retention(day="test-run-2"))
    await world.bot.runner.run_until_idle()
    assert on_disk(world, CUSTOMER_IP) == set()
    world.bot.journey.enqueue_retention()
    world.bot.journey.enqueue_retention()  # once a day, however often it is queued
    assert len([j for j in world.store.jobs.listed() if j.kind == "retention"]) == 3


async def _form(world: World, reference: str) -> None:
    world.bot.journey.options = dataclasses.replace(world.bot.journey.options, workflow_key=10163)
    await world.slack.command("")
    view = await wait_until(lambda: world.slack.state.views_opened and world.slack.state.views_opened[-1])
    status, answer = await world.slack.submit_view(view, {"customer_reference": reference, **PERSON})
    assert status == 200 and not answer


async def test_supporting_data_is_gone_when_jumio_refuses_it(world: World) -> None:
    world.jumio.faults.append(Fault(path_contains="PREPARED_DATA", method="POST", status=400, count=1))
    await _form(world, "CUST-PREP-1")
    execution = await wait_until(
        lambda: (e := world.store.executions.for_customer("CUST-PREP-1")) and e[0].status == "INITIATED" and e[0]
    )
    job = await wait_until(
        lambda: next((j for j in world.store.jobs.listed() if j.kind == "upload_prepared_data" and j.state == "dead"), None)
    )
    assert "Jumio refused the supporting data" in (job.last_error or "")
    await world.bot.runner.run_until_idle()
    assert world.store.secrets.supporting_data(execution.id) is None
    assert not any("Quixote" in str(j.payload) or "Zebulon" in str(j.payload) for j in world.store.jobs.listed())
    assert on_disk(world, "Quixote-Marchetti", "zebulon.qm@example.org", "+14155550987", "Wisteria", "1961-04-19") == set()


@pytest.mark.parametrize("bot_env_extra", [{"IDV_ENCRYPTION_KEY": Fernet.generate_key().decode()}])
async def test_supporting_data_is_kept_sealed_until_the_processed_execution_has_it(world: World) -> None:
    """Web path: sent to the Web Client's execution at once, but kept (sealed, never clear on disk, never in a job)
    while the customer may still consent to the photo path, whose execution would be the one Jumio processes; gone
    once the customer submits on Jumio's page."""
    await _form(world, "CUST-PREP-2")
    execution = await wait_until(
        lambda: (e := world.store.executions.for_customer("CUST-PREP-2")) and e[0].status == "INITIATED" and e[0]
    )
    held = await wait_until(
        lambda: (
            (x := world.jumio.executions.get(execution.workflow_execution_id or ""))
            and any(c.prepared_data for c in x.credentials)
            and x
        )
    )
    assert any((c.prepared_data or {}).get("email") == "zebulon.qm@example.org" for c in held.credentials)
    await world.bot.runner.run_until_idle()
    assert world.store.secrets.supporting_data(execution.id) is not None  # kept: the photo path is still open
    assert not any("Quixote" in str(j.payload) for j in world.store.jobs.listed())
    assert on_disk(world, "Quixote-Marchetti", "zebulon.qm@example.org", "Wisteria") == set()  # sealed
    await world.complete_on_web("CUST-PREP-2")
    decided = await world.decided("CUST-PREP-2", timeout=15)
    assert decided.decision_type == "PASSED"  # 10163 with its supporting data in the processed execution
    assert world.store.secrets.supporting_data(execution.id) is None


async def test_on_the_photo_path_the_consented_execution_gets_the_supporting_data(world: World) -> None:
    """The bug as shipped: supporting data went to the Web Client's execution, which the consent replaces and
    deletes, so a workflow that requires it (10163) decided NOT_EXECUTED."""
    await _form(world, "CUST-PREP-3")
    execution = await wait_until(
        lambda: (e := world.store.executions.for_customer("CUST-PREP-3")) and e[0].status == "INITIATED" and e[0]
    )
    root = await wait_until(lambda: next((m for m in world.slack.root_messages() if m.ts == execution.thread_ts), None))
    await world.share(
        root, ("front.png", sample_photo("front")), ("back.png", sample_photo("back")), ("selfie.png", sample_photo("face"))
    )
    api = await consent_for(world.slack, world.store, "CUST-PREP-3")
    decided = await world.decided("CUST-PREP-3", timeout=15)
    assert decided.id == api.id and decided.decision_type == "PASSED"
    processed = world.jumio.executions[api.workflow_execution_id or ""]
    assert any((c.prepared_data or {}).get("email") == "zebulon.qm@example.org" for c in processed.credentials)
    await world.bot.runner.run_until_idle()
    assert world.store.secrets.supporting_data(api.id) is None and world.store.secrets.supporting_data(execution.id) is None
    assert on_disk(world, "Quixote-Marchetti", "zebulon.qm@example.org", "Wisteria") == set()


@pytest.mark.security
async def test_the_audit_trail_names_no_photos_hash(world: World) -> None:
    """A photo's hash (even a prefix) identifies the image: the uploads row keeps it until the verification is
    reduced, the audit never (security round 2)."""
    execution, _ = await world.verified_through_the_thread("CUST-NO-HASH")
    hashes = [u.sha256 for u in world.store.uploads.of_execution(execution.id) if u.sha256]
    assert len(hashes) == 3
    details = " ".join(entry.detail or "" for entry in world.store.audit.trail())
    assert "sha256" not in details and not any(digest[:8] in details for digest in hashes)


@pytest.mark.security
@pytest.mark.parametrize("bot_env_extra", [{"IDV_MAX_PHOTOS": "2"}])
async def test_photos_jumio_refuses_count_towards_the_cap(world: World) -> None:
    """Each photo Jumio refused still cost a request to Jumio: it counts towards IDV_MAX_PHOTOS (one the bot refuses
    itself never reaches Jumio and does not)."""
    _execution, root = await world.start("CUST-CAP-REFUSED")
    world.jumio.add_fault(Fault(path_contains="/parts/", status=400, count=2))
    for attempt in range(2):
        await world.share(root, (f"front-{attempt}.png", sample_photo("front")))
        await wait_until(
            lambda a=attempt: sum("Jumio refused it" in m.text for m in world.slack.thread(root.ts)) == a + 1, timeout=10
        )
    await world.share(root, ("front-3.png", sample_photo("front")))
    await wait_until(lambda: "verification has had 2 photos" in world.thread_text(root), timeout=10)
    assert not world.jumio.faults  # both refusals were Jumio's; the third never went
