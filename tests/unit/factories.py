"""Stored state built in memory for the pure units (the builders), with what a test changes."""

from __future__ import annotations

import time
from typing import Any

from storage import Execution


def an_execution(**changes: object) -> Execution:
    """An INITIATED verification of CUST-42 in C1, started by U1; `changes` override any field."""
    now = time.time()
    values: dict[str, Any] = dict(
        id=7,
        customer_ref="CUST-42",
        user_ref=None,
        workflow_key=10011,
        locale=None,
        team_id="T1",
        channel_id="C1",
        thread_ts="1.1",
        started_by="U1",
        account_id="a",
        workflow_execution_id="w",
        status="INITIATED",
        decision_type=None,
        decision_label=None,
        risk_score=None,
        capabilities=[],
        web_expires_at=None,
        replaces=None,
        last_error=None,
        created_at=now,
        updated_at=now,
        finalized_at=None,
        completed_at=None,
    )
    values.update(changes)
    return Execution(**values)
