"""Durable jobs in SQLite: kinds declared once (`JobKind`), queued by declaration (`Queue`), run by `JobRunner`."""

from bot.jobs.errors import Abandon, Failure, RetryLater, is_retryable, plain_reason
from bot.jobs.kinds import KINDS, JobKind, Pacing, RetryPolicy
from bot.jobs.queue import Queue
from bot.jobs.runner import GaveUp, Handler, JobRunner, RunnerOptions, owner_is_gone, worker_name

__all__ = [
    "KINDS",
    "Abandon",
    "Failure",
    "GaveUp",
    "Handler",
    "JobKind",
    "JobRunner",
    "Pacing",
    "Queue",
    "RetryLater",
    "RetryPolicy",
    "RunnerOptions",
    "is_retryable",
    "owner_is_gone",
    "plain_reason",
    "worker_name",
]
