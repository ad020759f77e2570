"""The simulator refuses what Jumio documents (reference §12), each rule shown refusing over loopback HTTP."""

from __future__ import annotations

import asyncio
import functools

import httpx
import pytest

from bot.jumio import AccountRequest, InvalidRequest, JumioClient, NotFound, Unreachable
from bot.sandbox.images import jpeg_header, sample_photo
from bot.sandbox.jumio import MAX_PART_BYTES, Fault, SandboxConfig
from tests.conftest import CLIENT_ID, CLIENT_SECRET, CallbackReceiver, Sandbox

CONSENT = {
    "userIp": "203.0.113.7",
    "userLocation": {"country": "USA", "state": "IL"},
    "consent": {"obtained": "yes", "obtainedAt": "2026-12-02T10:00:00.000Z"},
}
consented = functools.partial(AccountRequest, user_consent=CONSENT)


async def _photos_in(jumio: JumioClient, session, parts: tuple[str, ...] = ("FRONT", "BACK", "FACE")) -> None:
    for classifier in parts:
        credential = session.credential_for_part(classifier)
        await jumio.upload_part(
            credential.part_url(classifier),
            credential.api_token,
            sample_photo(classifier.lower()),
            filename=f"{classifier.lower()}.png",
            content_type="image/png",
        )


async def _finalize(jumio: JumioClient, session) -> None:
    credential = session.credential_for_part("FACE")
    await jumio.finalize(credential.finalize_url, credential.api_token)


@pytest.fixture
def sandbox_config() -> SandboxConfig:
    # Decisions wait for the test, so "before PROCESSED" lasts as long as it needs to.
    return SandboxConfig(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        processing_delay=0.05,
        account_rate=50.0,
        account_burst=1.0,
        hold_decisions=True,
    )


async def test_details_are_not_available_before_processed(jumio: JumioClient, sandbox: Sandbox) -> None:
    session = await jumio.create_account(consented(customer_reference="CUST-1", workflow_key=10011))
    with pytest.raises(NotFound, match="not available"):  # INITIATED
        await jumio.get_details(session.account_id, session.execution_id)
    await _photos_in(jumio, session)
    await _finalize(jumio, session)
    assert (await jumio.get_status(session.account_id, session.execution_id)).status == "ACQUIRED"
    with pytest.raises(NotFound):  # ACQUIRED
        await jumio.get_details(session.account_id, session.execution_id)
    sandbox.state.config.hold_decisions = False
    for _ in range(200):
        if (await jumio.get_status(session.account_id, session.execution_id)).status == "PROCESSED":
            break
        await asyncio.sleep(0.02)
    assert (await jumio.get_details(session.account_id, session.execution_id)).decision_type == "PASSED"


@pytest.mark.parametrize("expiry", ["TOKEN_EXPIRED", "SESSION_EXPIRED"])
async def test_an_expired_execution_has_a_status_and_no_details(jumio: JumioClient, sandbox: Sandbox, expiry: str) -> None:
    session = await jumio.create_account(consented(customer_reference="CUST-2", workflow_key=10011))
    await sandbox.state.expire(sandbox.state.executions[session.execution_id], expiry)
    assert (await jumio.get_status(session.account_id, session.execution_id)).status == expiry
    with pytest.raises(NotFound, match=expiry):
        await jumio.get_details(session.account_id, session.execution_id)


async def test_an_intermediate_acquired_callback_comes_before_processed(
    jumio: JumioClient, sandbox: Sandbox, callbacks: CallbackReceiver
) -> None:
    sandbox.state.config.hold_decisions = False
    session = await jumio.create_account(
        consented(customer_reference="CUST-3", workflow_key=10011, callback_url=callbacks.url)
    )
    await _photos_in(jumio, session)
    await _finalize(jumio, session)
    await callbacks.wait_for(lambda b: b["workflowExecution"]["status"] == "PROCESSED")
    assert [b["workflowExecution"]["status"] for b in callbacks.bodies] == ["ACQUIRED", "PROCESSED"]


@pytest.mark.parametrize(("prepared", "decision"), [(False, "NOT_EXECUTED"), (True, "PASSED")])
async def test_a_workflow_that_requires_prepared_data_is_not_executed_without_it(
    jumio: JumioClient, sandbox: Sandbox, prepared: bool, decision: str
) -> None:
    sandbox.state.config.hold_decisions = False
    session = await jumio.create_account(consented(customer_reference="CUST-4", workflow_key=10163))
    if prepared:
        data = next(c for c in session.credentials if c.category == "DATA")
        await jumio.upload_prepared_data(
            data.part_url("PREPARED_DATA"), data.api_token, {"firstName": "Ada", "lastName": "Lovelace"}
        )
    await _photos_in(jumio, session)
    await _finalize(jumio, session)
    for _ in range(200):
        if (await jumio.get_status(session.account_id, session.execution_id)).status == "PROCESSED":
            break
        await asyncio.sleep(0.02)
    assert (await jumio.get_details(session.account_id, session.execution_id)).decision_type == decision


async def test_retrieval_is_limited_to_15_a_second_with_jumios_429(jumio: JumioClient, sandbox: Sandbox) -> None:
    session = await jumio.create_account(consented(customer_reference="CUST-5", workflow_key=10011))
    token = await jumio._access_token()
    url = f"{sandbox.url}/api/v1/accounts/{session.account_id}/workflow-executions/{session.execution_id}/status"
    headers = {"Authorization": f"Bearer {token}", "User-Agent": "Acme SupportDesk/1.0"}
    async with httpx.AsyncClient() as http:
        answers = await asyncio.gather(*(http.get(url, headers=headers) for _ in range(30)))
    statuses = [a.status_code for a in answers]
    assert 10 <= statuses.count(200) <= 16 and statuses.count(429) >= 14
    refused = next(a for a in answers if a.status_code == 429)
    assert refused.json() == {"title": "Too Many Requests", "status": 429, "detail": "Request limit exceeded"}


async def test_a_lost_answer_leaves_a_paid_account_the_client_does_not_know(sandbox: Sandbox) -> None:
    client = sandbox.client(max_attempts=1)
    try:
        sandbox.state.add_fault(Fault(path_contains="/api/v1/accounts", method="POST", status=None, after=True, drop=True))
        with pytest.raises(Unreachable):
            await client.create_account(consented(customer_reference="CUST-6", workflow_key=10011))
        assert len(sandbox.state.accounts) == 1  # made, paid, and its answer lost
    finally:
        await client.aclose()


async def test_a_part_over_15_000_000_bytes_is_refused(jumio: JumioClient) -> None:
    session = await jumio.create_account(consented(customer_reference="CUST-7", workflow_key=10011))
    credential = session.credential_for_part("FRONT")
    header = jpeg_header(1000, 800, b"")
    just_over = jpeg_header(1000, 800, b"\x00" * (MAX_PART_BYTES + 1 - len(header)))
    assert MAX_PART_BYTES == 15_000_000 and len(just_over) == 15_000_001 < 15 * 1024 * 1024
    with pytest.raises(InvalidRequest, match="15 MB"):
        await jumio.upload_part(
            credential.part_url("FRONT"), credential.api_token, just_over, filename="big.jpg", content_type="image/jpeg"
        )


@pytest.mark.security
async def test_a_deleted_account_leaves_nothing_of_the_customer_in_the_state_file(tmp_path) -> None:
    """The simulator's own SQLite file (JUMIO_SANDBOX keeps it) forgets a deleted account's executions: no reference,
    no consent address, no supporting data (security round 2)."""
    from bot.sandbox.jumio import JumioSandbox, serve

    state_path = tmp_path / "sandbox.sqlite3"
    config = SandboxConfig(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        processing_delay=0.05,
        account_rate=50.0,
        state_path=str(state_path),
    )
    state = JumioSandbox(config)
    runner, port = await serve(state)
    try:
        url = f"http://127.0.0.1:{port}"
        jumio = Sandbox(state, url).client()
        try:
            kept = await jumio.create_account(consented(customer_reference="CUST-KEPT-REF", workflow_key=10011))
            gone = await jumio.create_account(consented(customer_reference="CUST-GONE-REF", workflow_key=10011))
            await jumio.delete_account(gone.account_id)
        finally:
            await jumio.aclose()
    finally:
        await runner.cleanup()
    state.close_state()
    content = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("sandbox.sqlite3"))
    assert b"CUST-KEPT-REF" in content and kept.account_id
    assert b"CUST-GONE-REF" not in content
    assert state.executions[gone.execution_id].user_consent is None
