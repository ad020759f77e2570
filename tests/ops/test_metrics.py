"""`GET /metrics`: Prometheus's text format, the metrics DESIGN names and the gauges alerts need; no IDs, no tokens."""

from __future__ import annotations

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.metrics import operation
from bot.sandbox.images import sample_photo
from bot.sandbox.jumio import Fault
from tests.world import World


async def _scrape(world: World) -> tuple[str, dict[tuple[str, tuple[tuple[str, str], ...]], float]]:
    async with httpx.AsyncClient() as client:
        answer = await client.get(f"{world.env['IDV_PUBLIC_URL']}/metrics")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(answer.text)
        for s in family.samples
    }
    return answer.text, samples


async def test_metrics_count_the_journey_and_read_the_queue(world: World) -> None:
    world.jumio.faults.append(Fault(path_contains="/api/v1/accounts", method="POST", status=429, count=1))
    execution, root = await world.start("CUST-METRICS-1")
    await world.share(
        root, ("front.png", sample_photo("front")), ("back.png", sample_photo("back")), ("selfie.png", sample_photo("face"))
    )
    await world.decided("CUST-METRICS-1", timeout=20)
    await world.bot.runner.run_until_idle()
    text, samples = await _scrape(world)
    assert samples[("idv_verifications_started_total", ())] == 1
    assert samples[("idv_decisions_total", (("decision", "PASSED"),))] == 1
    assert samples[("idv_photo_relay_seconds_count", ())] == 3
    assert samples[("idv_jumio_requests_total", (("operation", "create_account"), ("status", "429")))] == 1
    assert samples[("idv_jumio_requests_total", (("operation", "create_account"), ("status", "200")))] >= 1
    assert samples[("idv_jumio_requests_total", (("operation", "upload_part"), ("status", "200")))] == 3
    assert samples[("idv_jumio_requests_total", (("operation", "finalize"), ("status", "200")))] == 1
    assert samples[("idv_jobs", (("state", "dead"),))] == 0 and samples[("idv_jobs", (("state", "done"),))] > 0
    assert samples[("idv_oldest_due_job_seconds", ())] < 5
    assert ("idv_open_verifications", (("status", "INITIATED"),)) in samples
    final = world.store.executions.get(execution.id)
    for private in (final.account_id, final.workflow_execution_id, "CUST-METRICS-1", world.env["SLACK_BOT_TOKEN"]):
        assert private and private not in text


async def test_a_dead_job_shows_in_the_gauge(world: World) -> None:
    await world.start("CUST-METRICS-2", consent=False)
    job_id = world.store.jobs.enqueue("check_status", {"execution": 1})
    with world.store.transaction() as db:
        db.execute("UPDATE jobs SET state = 'dead' WHERE id = ?", (job_id,))
    _, samples = await _scrape(world)
    assert samples[("idv_jobs", (("state", "dead"),))] == 1


@pytest.mark.security
@pytest.mark.parametrize("slack_mode", ["http", "socket"], indirect=True)
async def test_the_socket_gauge_exists_only_in_socket_mode(world: World, slack_mode: str) -> None:
    """In HTTP mode there is no socket: a gauge at 0 would fire README's alert for ever (security round 2)."""
    _, samples = await _scrape(world)
    socket = samples.get(("idv_slack_socket_connected", ()))
    assert socket == (1 if slack_mode == "socket" else None)


def test_operations_are_named_from_jumios_paths() -> None:
    assert operation("POST", "/oauth2/token") == "token"
    assert operation("PUT", "/api/v1/accounts/a1") == "update_account"
    assert operation("POST", "/api/v1/accounts/a/workflow-executions/w/credentials/c/parts/FRONT") == "upload_part"
    assert (
        operation("POST", "/api/v1/accounts/a/workflow-executions/w/credentials/c/parts/PREPARED_DATA")
        == "upload_prepared_data"
    )
    assert operation("PUT", "/api/v1/accounts/a/workflow-executions/w") == "finalize"
    assert operation("GET", "/api/v1/accounts/a/workflow-executions/w/status") == "status"
    assert operation("GET", "/api/v1/accounts/a/workflow-executions/w") == "details"
    assert operation("DELETE", "/api/v1/accounts/a") == "delete_account"
    assert operation("DELETE", "/api/v1/accounts/a/workflow-executions/w") == "delete_execution"
    assert operation("PATCH", "/x") == "other"


@pytest.mark.security
@pytest.mark.parametrize("bot_env_extra", [{"IDV_METRICS_TOKEN": "scraper-token-7d1f2a9c4b"}])
async def test_with_a_metrics_token_only_the_scraper_reads_the_metrics(world: World) -> None:
    """IDV_METRICS_TOKEN keeps /metrics to the scraper that holds it, wherever the port is reachable from."""
    url = f"{world.env['IDV_PUBLIC_URL']}/metrics"
    async with httpx.AsyncClient() as client:
        anonymous = await client.get(url)
        wrong = await client.get(url, headers={"Authorization": "Bearer scraper-token-0000000000"})
        scraper = await client.get(url, headers={"Authorization": "Bearer scraper-token-7d1f2a9c4b"})
    assert (anonymous.status_code, wrong.status_code, scraper.status_code) == (401, 401, 200)
    assert anonymous.headers["WWW-Authenticate"] == "Bearer" and "idv_" not in anonymous.text
    assert "idv_verifications_started_total" in scraper.text
