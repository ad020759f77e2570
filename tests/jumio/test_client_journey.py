"""The whole KYX journey through the client, against the sandbox over loopback HTTP."""

from __future__ import annotations

import functools
import hashlib

import pytest

from bot.jumio import AccountRequest, AuthenticationFailed, ExecutionDetails, InvalidRequest, JumioClient, NotFound
from bot.sandbox.images import jpeg_header, sample_photo
from tests.conftest import CallbackReceiver, Sandbox

# What the consent page records, as Jumio takes it (reference §2.1): without it Jumio refuses API-channel photos.
CONSENT = {
    "userIp": "203.0.113.7",
    "userLocation": {"country": "USA", "state": "IL"},
    "consent": {"obtained": "yes", "obtainedAt": "2026-12-02T10:00:00.000Z"},
}
consented = functools.partial(AccountRequest, user_consent=CONSENT)


async def _upload_photos(jumio: JumioClient, session, parts: tuple[str, ...]) -> dict[str, str]:
    sent = {}
    for classifier in parts:
        credential = session.credential_for_part(classifier)
        assert credential is not None, classifier
        photo = sample_photo(classifier.lower())
        result = await jumio.upload_part(
            credential.part_url(classifier),
            credential.api_token,
            photo,
            filename=f"{classifier.lower()}.png",
            content_type="image/png",
        )
        assert result.execution_id == session.execution_id
        sent[classifier] = hashlib.sha256(photo).hexdigest()
    return sent


async def test_create_upload_finalize_callback_details(
    jumio: JumioClient, sandbox: Sandbox, callbacks: CallbackReceiver
) -> None:
    session = await jumio.create_account(
        consented(
            customer_reference="CUST-42",
            workflow_key=10011,
            user_reference="agent-U1",
            callback_url=callbacks.url,
            token_lifetime="1d",
            locale="de",
        )
    )
    assert session.web_href and "authorizationToken=" in session.web_href and "locale=de" in session.web_href
    assert {c.category for c in session.credentials} == {"ID", "SELFIE", "FACEMAP"}
    facemap = next(c for c in session.credentials if c.category == "FACEMAP")
    assert not facemap.accepts_api and facemap.api_token is None
    assert set(session.accepted_parts) == {"FRONT", "BACK", "FACE"}

    sent = await _upload_photos(jumio, session, ("FRONT", "BACK", "FACE"))
    held = sandbox.state.executions[session.execution_id]
    assert {p.classifier: p.sha256 for c in held.credentials for p in c.parts.values()} == sent

    finalize_credential = session.credential_for_part("FACE")
    await jumio.finalize(finalize_credential.finalize_url, finalize_credential.api_token)
    assert (await jumio.get_status(session.account_id, session.execution_id)).status in ("ACQUIRED", "PROCESSED")

    callback = await callbacks.wait_for(lambda b: b["workflowExecution"]["status"] == "PROCESSED")
    assert callback["workflowExecution"]["id"] == session.execution_id
    assert callback["account"]["id"] == session.account_id
    assert callback["userReference"] == "agent-U1"
    assert callback["workflowExecution"]["definitionKey"] == "10011"

    details = await jumio.get_details(session.account_id, session.execution_id)
    assert isinstance(details, ExecutionDetails)
    assert (details.status, details.decision_type, details.decision_label) == ("PROCESSED", "PASSED", "PASSED")
    assert details.risk_score == 12.0
    names = {c.name for c in details.capabilities}
    assert {"usability", "imageChecks", "extraction", "similarity", "liveness"} <= names
    # The extracted name lives only in the raw answer's `data`; the typed result does not carry it.
    assert "SAMPLEPERSON" not in repr(details)


async def test_prepared_data_variant(jumio: JumioClient, sandbox: Sandbox, callbacks: CallbackReceiver) -> None:
    session = await jumio.create_account(
        consented(customer_reference="CUST-DATA-1", workflow_key=10163, callback_url=callbacks.url)
    )
    data_credential = session.credential_for_part("PREPARED_DATA")
    assert data_credential is not None and data_credential.category == "DATA"
    assert data_credential.allowed_channels == ("API",)
    await jumio.upload_prepared_data(
        data_credential.part_url("PREPARED_DATA"),
        data_credential.api_token,
        {
            "firstName": "John",
            "lastName": "Smith",
            "phoneNumber": "+15031234567",
            "dateOfBirth": "1972-11-16",
            "address": {"country": "USA"},
        },
    )
    await _upload_photos(jumio, session, ("FRONT", "FACE"))
    credential = session.credential_for_part("FRONT")
    await jumio.finalize(credential.finalize_url, credential.api_token)
    await callbacks.wait_for(lambda b: b["workflowExecution"]["status"] == "PROCESSED")
    held = sandbox.state.executions[session.execution_id]
    assert any(c.prepared_data for c in held.credentials)
    details = await jumio.get_details(session.account_id, session.execution_id)
    assert details.decision_type == "PASSED"


async def test_bad_prepared_data_is_refused_with_jumios_message(jumio: JumioClient) -> None:
    session = await jumio.create_account(consented(customer_reference="CUST-DATA-2", workflow_key=10163))
    credential = session.credential_for_part("PREPARED_DATA")
    with pytest.raises(InvalidRequest) as error:
        await jumio.upload_prepared_data(
            credential.part_url("PREPARED_DATA"), credential.api_token, {"phoneNumber": "0503 1234567"}
        )
    assert "E.164" in (error.value.jumio_message or "")


async def test_update_account_starts_a_new_execution_for_the_same_account(jumio: JumioClient) -> None:
    first = await jumio.create_account(consented(customer_reference="CUST-7", workflow_key=10011))
    second = await jumio.update_account(first.account_id, consented(customer_reference="CUST-7", workflow_key=10011))
    assert second.account_id == first.account_id
    assert second.execution_id != first.execution_id
    assert second.web_href != first.web_href


@pytest.mark.parametrize(
    ("reference", "parts", "decision"),
    [
        ("CUST-reject-1", ("FRONT", "BACK", "FACE"), "REJECTED"),
        ("CUST-WARN-1", ("FRONT", "FACE"), "WARNING"),
        ("CUST-NOFACE", ("FRONT", "BACK"), "NOT_EXECUTED"),
        ("CUST-PASSPORT", ("FRONT", "FACE"), "PASSED"),
    ],
)
async def test_sandbox_decision_rule(
    jumio: JumioClient, callbacks: CallbackReceiver, reference: str, parts: tuple[str, ...], decision: str
) -> None:
    session = await jumio.create_account(
        consented(customer_reference=reference, workflow_key=10011, callback_url=callbacks.url)
    )
    await _upload_photos(jumio, session, parts)
    credential = session.credential_for_part("FRONT")
    await jumio.finalize(credential.finalize_url, credential.api_token)
    await callbacks.wait_for(
        lambda b: b["workflowExecution"]["id"] == session.execution_id and b["workflowExecution"]["status"] == "PROCESSED"
    )
    details = await jumio.get_details(session.account_id, session.execution_id)
    assert details.decision_type == decision
    labels = {(c.name, c.decision_type) for c in details.capabilities}
    if decision == "REJECTED":
        assert ("imageChecks", "REJECTED") in labels
    if decision == "NOT_EXECUTED":
        assert details.risk_score == -1.0
        assert ("similarity", "NOT_EXECUTED") in labels


async def test_finalizing_twice_is_refused_by_jumio(jumio: JumioClient) -> None:
    session = await jumio.create_account(consented(customer_reference="CUST-8", workflow_key=10011))
    await _upload_photos(jumio, session, ("FRONT", "FACE"))
    credential = session.credential_for_part("FRONT")
    await jumio.finalize(credential.finalize_url, credential.api_token)
    with pytest.raises(AuthenticationFailed):
        await jumio.finalize(credential.finalize_url, credential.api_token)


async def test_token_expired_when_the_link_is_never_used(
    sandbox: Sandbox, jumio: JumioClient, callbacks: CallbackReceiver
) -> None:
    sandbox.state.config.time_scale = 0.001  # 5m becomes 0.3 s
    session = await jumio.create_account(
        consented(customer_reference="CUST-9", workflow_key=10011, callback_url=callbacks.url, token_lifetime="5m")
    )
    body = await callbacks.wait_for(lambda b: b["workflowExecution"]["id"] == session.execution_id)
    assert body["workflowExecution"]["status"] == "TOKEN_EXPIRED"
    # "details will not be available" for an expired transaction (D-RETR): the status endpoint says which expiry.
    assert (await jumio.get_status(session.account_id, session.execution_id)).status == "TOKEN_EXPIRED"
    with pytest.raises(NotFound):
        await jumio.get_details(session.account_id, session.execution_id)
    credential = session.credential_for_part("FRONT")
    with pytest.raises(AuthenticationFailed):
        await jumio.upload_part(
            credential.part_url("FRONT"),
            credential.api_token,
            sample_photo("front"),
            filename="front.png",
            content_type="image/png",
        )


async def test_session_expires_after_idle_once_started(
    sandbox: Sandbox, jumio: JumioClient, callbacks: CallbackReceiver
) -> None:
    sandbox.state.config.time_scale = 0.0005  # 15 minutes idle become 0.45 s
    session = await jumio.create_account(
        consented(customer_reference="CUST-10", workflow_key=10011, callback_url=callbacks.url, token_lifetime="60d")
    )
    await _upload_photos(jumio, session, ("FRONT",))
    body = await callbacks.wait_for(lambda b: b["workflowExecution"]["id"] == session.execution_id)
    assert body["workflowExecution"]["status"] == "SESSION_EXPIRED"


async def test_web_client_page_plays_the_customer(sandbox: Sandbox, jumio: JumioClient, callbacks: CallbackReceiver) -> None:
    import httpx

    session = await jumio.create_account(
        consented(customer_reference="CUST-WEB", workflow_key=10011, callback_url=callbacks.url)
    )
    async with httpx.AsyncClient() as browser:
        page = await browser.get(session.web_href)
        assert page.status_code == 200 and "Use sample photos" in page.text
        token = session.web_href.split("authorizationToken=")[1].split("&")[0]
        submitted = await browser.post(session.web_href.split("?")[0], data={"authorizationToken": token, "sample": "1"})
        assert submitted.status_code == 200 and "submitted" in submitted.text
        again = await browser.get(session.web_href)
        assert again.status_code == 200 and "already submitted your photos" in again.text  # not a dead "9200"
    await callbacks.wait_for(lambda b: b["workflowExecution"]["status"] == "PROCESSED")
    details = await jumio.get_details(session.account_id, session.execution_id)
    assert details.decision_type == "PASSED"


async def test_delete_execution_and_account(jumio: JumioClient) -> None:
    from bot.jumio import NotFound

    session = await jumio.create_account(consented(customer_reference="CUST-11", workflow_key=10011))
    await jumio.delete_execution(session.account_id, session.execution_id)
    with pytest.raises(NotFound):
        await jumio.get_status(session.account_id, session.execution_id)
    await jumio.delete_account(session.account_id)
    with pytest.raises(NotFound):
        await jumio.delete_account(session.account_id)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"%PDF-1.7 not an image", "JPEG and PNG"),
        (b"", "empty"),
        (jpeg_header(300, 200), "too small"),
        (jpeg_header(9000, 600), "8000"),
        (b"\xff\xd8\xff" + b"\x00" * 100, "could not be read"),
    ],
)
async def test_sandbox_refuses_what_jumio_refuses(jumio: JumioClient, content: bytes, reason: str) -> None:
    session = await jumio.create_account(consented(customer_reference="CUST-12", workflow_key=10011))
    credential = session.credential_for_part("FRONT")
    with pytest.raises(InvalidRequest) as error:
        await jumio.upload_part(
            credential.part_url("FRONT"), credential.api_token, content, filename="x.jpg", content_type="image/jpeg"
        )
    assert reason in (error.value.jumio_message or "")


async def test_upload_over_15_mb_is_refused(jumio: JumioClient) -> None:
    session = await jumio.create_account(consented(customer_reference="CUST-13", workflow_key=10011))
    credential = session.credential_for_part("FRONT")
    content = jpeg_header(1000, 800, b"\x00" * (15 * 1024 * 1024))
    with pytest.raises(InvalidRequest) as error:
        await jumio.upload_part(
            credential.part_url("FRONT"), credential.api_token, content, filename="big.jpg", content_type="image/jpeg"
        )
    assert "15 MB" in str(error.value)


async def test_another_credentials_token_is_refused(jumio: JumioClient) -> None:
    session = await jumio.create_account(consented(customer_reference="CUST-14", workflow_key=10011))
    front = session.credential_for_part("FRONT")
    face = session.credential_for_part("FACE")
    with pytest.raises(AuthenticationFailed):
        await jumio.upload_part(
            front.part_url("FRONT"), face.api_token, sample_photo("front"), filename="f.png", content_type="image/png"
        )


async def test_wrong_client_secret_is_refused_by_the_token_endpoint(sandbox: Sandbox) -> None:
    async with sandbox.client(client_secret="not-the-secret") as client:
        with pytest.raises(AuthenticationFailed):
            await client.create_account(consented(customer_reference="CUST-15", workflow_key=10011))
    assert sandbox.state.executions == {}


async def test_jumio_refuses_api_photos_without_the_customers_consent(jumio: JumioClient) -> None:
    """Reference §5a: a transaction sent without the consent parameters is rejected (how: UNCONFIRMED; a 403 here)."""
    from bot.jumio import Forbidden

    session = await jumio.create_account(AccountRequest(customer_reference="CUST-NOCONSENT", workflow_key=10011))
    credential = session.credential_for_part("FRONT")
    assert credential is not None
    with pytest.raises(Forbidden, match="consent"):
        await jumio.upload_part(
            credential.part_url("FRONT") or "",
            credential.api_token or "",
            sample_photo("front"),
            filename="front.png",
            content_type="image/png",
        )


@pytest.mark.parametrize(
    ("consent", "words"),
    [
        (
            {"userLocation": {"country": "US"}, "consent": {"obtained": "yes", "obtainedAt": "2026-12-02T10:00:00.000Z"}},
            "alpha-3",
        ),
        (
            {"userLocation": {"country": "USA"}, "consent": {"obtained": "yes", "obtainedAt": "2026-12-02 10:00"}},
            "obtainedAt",
        ),
        (
            {
                "userIp": "not-an-ip",
                "userLocation": {"country": "DEU"},
                "consent": {"obtained": "yes", "obtainedAt": "2026-12-02T10:00:00.000Z"},
            },
            "userIp",
        ),
    ],
)
async def test_a_malformed_user_consent_is_refused(jumio: JumioClient, consent: dict, words: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        await jumio.create_account(
            AccountRequest(customer_reference="CUST-BADCONSENT", workflow_key=10011, user_consent=consent)
        )
    assert words in (refused.value.jumio_message or "")


async def test_finalize_without_json_headers_is_forbidden_and_the_client_sends_them(
    jumio: JumioClient, sandbox: Sandbox
) -> None:
    import httpx

    session = await jumio.create_account(consented(customer_reference="CUST-HEADERS", workflow_key=10011))
    await _upload_photos(jumio, session, ("FRONT", "FACE"))
    credential = session.credential_for_part("FRONT")
    assert credential is not None and credential.finalize_url and credential.api_token
    async with httpx.AsyncClient() as bare:  # what the client sent before: no JSON Content-Type
        refused = await bare.put(
            credential.finalize_url,
            headers={
                "Authorization": f"Bearer {credential.api_token}",
                "User-Agent": "Acme SupportDesk/1.0",
                "Accept": "application/json",
            },
        )
    assert refused.status_code == 403
    await jumio.finalize(credential.finalize_url, credential.api_token)
    assert sandbox.state.executions[session.execution_id].status == "ACQUIRED"


async def test_an_upload_answer_has_the_documented_shape(jumio: JumioClient) -> None:
    session = await jumio.create_account(consented(customer_reference="CUST-SHAPE", workflow_key=10011))
    credential = session.credential_for_part("FRONT")
    assert credential is not None
    answer = await jumio.upload_part(
        credential.part_url("FRONT") or "",
        credential.api_token or "",
        sample_photo("front"),
        filename="front.png",
        content_type="image/png",
    )
    assert answer.api_token == credential.api_token
    assert set(answer.parts) == {"front", "back"} and answer.parts["back"] == credential.part_url("BACK")
    assert answer.finalize_url == credential.finalize_url
