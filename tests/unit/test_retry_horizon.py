"""How long the production settings keep trying before a job gives up: longer than a 30-second Jumio outage.

The end-to-end outage test compresses time (a 1 s outage against a compressed retry schedule); this checks that
the real schedule covers a real 30 s outage with room to spare, using the least time each backoff may take.
"""

from __future__ import annotations

from bot.jobs import RunnerOptions


def test_production_retries_outlast_a_30_second_outage() -> None:
    runner = RunnerOptions()
    attempts = 8  # Store.enqueue's default max_attempts
    # The runner waits uniform(d/2, d) with d = base * 2**(attempt-1), capped: the least is d/2.
    least_runner_wait = sum(min(runner.backoff_cap, runner.backoff_base * 2 ** (a - 1)) / 2 for a in range(1, attempts))
    assert least_runner_wait > 30
