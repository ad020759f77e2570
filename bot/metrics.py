"""Metrics in Prometheus's text format at `GET /metrics` (prometheus_client).

Counters and the relay histogram count what this process did since it started (Prometheus handles the reset of a
restart); the gauges are read from SQLite at each scrape, so they are true whichever process did the work.

| metric | what | alert on |
|---|---|---|
| `idv_verifications_started_total` | verifications started | — |
| `idv_decisions_total{decision}` | Jumio's outcomes stored (PASSED … NOT_EXECUTED, or the expiry status) | — |
| `idv_photo_relay_seconds` | from the job's start to Jumio holding the photo | p95 rising |
| `idv_jumio_requests_total{operation,status}` | calls to Jumio by kind and HTTP status (`error`: none) | 5xx rate |
| `idv_jobs{state}` | jobs queued, running, done (kept a week) and dead | `dead` > 0 |
| `idv_oldest_due_job_seconds` | how long the oldest job that is due has waited | > a few minutes |
| `idv_open_verifications{status}` | verifications still open, by status | — |
| `idv_slack_socket_connected` | Socket Mode: 1 when the socket is up (absent in HTTP mode) | 0 |
| `idv_http_connections_shed_total{reason}` | connections the web server shed (bot.http_guard's reasons) | rising |

No label holds an ID, a token or personal data.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from storage import OPEN_STATUSES, JobState, Store

# Which Jumio call a request was, from its method and path (the paths of reference §1–§9).
_OPERATIONS = (
    ("POST", re.compile(r"/oauth2/token$"), "token"),
    ("POST", re.compile(r"/api/v1/accounts$"), "create_account"),
    ("PUT", re.compile(r"/api/v1/accounts/[^/]+$"), "update_account"),
    ("POST", re.compile(r"/parts/PREPARED_DATA$", re.IGNORECASE), "upload_prepared_data"),
    ("POST", re.compile(r"/parts/[^/]+$"), "upload_part"),
    ("PUT", re.compile(r"/workflow-executions/[^/]+$"), "finalize"),
    ("GET", re.compile(r"/workflow-executions/[^/]+/status$"), "status"),
    ("GET", re.compile(r"/workflow-executions/[^/]+$"), "details"),
    ("DELETE", re.compile(r"/workflow-executions/[^/]+$"), "delete_execution"),
    ("DELETE", re.compile(r"/api/v1/accounts/[^/]+$"), "delete_account"),
)
RELAY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)


def operation(method: str, path: str) -> str:
    for verb, pattern, name in _OPERATIONS:
        if method == verb and pattern.search(path):
            return name
    return "other"


class Metrics:
    """One registry per bot (tests run several in a process)."""

    def __init__(self, store: Store | None = None, *, socket_mode: bool = False) -> None:
        self.registry = CollectorRegistry()
        self.started = Counter("idv_verifications_started", "Verifications started", registry=self.registry)
        self.decisions = Counter("idv_decisions", "Jumio's outcomes stored", ["decision"], registry=self.registry)
        self.relay_seconds = Histogram(
            "idv_photo_relay_seconds",
            "From the relay job's start to Jumio holding the photo",
            buckets=RELAY_BUCKETS,
            registry=self.registry,
        )
        self.jumio_requests = Counter(
            "idv_jumio_requests", "Calls to Jumio", ["operation", "status"], registry=self.registry
        )
        self.http_shed = Counter(
            "idv_http_connections_shed", "Connections the web server shed", ["reason"], registry=self.registry
        )
        # Only in Socket Mode: in HTTP mode there is no socket, and a gauge stuck at 0 would fire its alert for ever.
        self.socket = (
            Gauge("idv_slack_socket_connected", "Socket Mode: 1 while the socket is up", registry=self.registry)
            if socket_mode
            else None
        )
        if store is not None:
            self.registry.register(_FromTheStore(store))

    def jumio_answered(self, method: str, path: str, status: int | None) -> None:
        self.jumio_requests.labels(operation(method, path), "error" if status is None else str(status)).inc()

    def render(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


class _FromTheStore(Collector):
    def __init__(self, store: Store) -> None:
        self.store = store

    def collect(self) -> Iterator[GaugeMetricFamily]:
        counts = self.store.jobs.counts()
        jobs = GaugeMetricFamily("idv_jobs", "Jobs by state", labels=["state"])
        for state in JobState:
            jobs.add_metric([state.value], counts.get(state.value, 0))
        yield jobs
        yield GaugeMetricFamily(
            "idv_oldest_due_job_seconds", "How long the oldest due job has waited", value=self.store.jobs.oldest_due_age()
        )
        open_ = GaugeMetricFamily("idv_open_verifications", "Verifications still open", labels=["status"])
        by_status = self.store.executions.open_counts()
        for status in OPEN_STATUSES:
            open_.add_metric([status.value], by_status.get(status.value, 0))
        yield open_
