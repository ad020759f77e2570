"""How long the production settings keep trying before a job gives up: longer than a 30-second Jumio outage.

The end-to-end outage test compresses time (a 1 s outage against a compressed retry schedule); this checks that
every declared kind that talks to Jumio or Slack rides out a real 30 s outage with room to spare, reading the least
time each backoff may take from the kind's own declaration.
"""

from __future__ import annotations

from bot.jobs import JobKind
from bot.journey import delivery, photos, results, starting

JOURNEY_KINDS = {
    value.name: value
    for family in (delivery, photos, results, starting)
    for value in vars(family).values()
    if isinstance(value, JobKind)
}


def test_every_kind_that_retries_outlasts_a_30_second_outage() -> None:
    retrying = {name: kind for name, kind in JOURNEY_KINDS.items() if kind.tell_when_dead}
    assert len(retrying) >= 9, "the journey's families declare their kinds"
    for name, kind in retrying.items():
        assert kind.retry.least_horizon() > 30, name


def test_quiet_kinds_are_the_sweep_check_and_slack_delivery() -> None:
    """A kind whose failure is not posted must be one the next sweep repeats, or Slack delivery itself."""
    KINDS = JOURNEY_KINDS
    quiet = {name for name, kind in KINDS.items() if not kind.tell_when_dead}
    assert quiet == {"check_status", "post_message", "redraw_root", "delete_execution"}  # Jumio expires it anyway
    assert KINDS["post_message"].retry.least_horizon() > 30 * 60  # Slack failing: about an hour of tries
