"""One vocabulary per idea, as enums, and every member has its words: our statuses, Jumio's workflow statuses and
decision types, and the action ids buttons carry (declared once in `bot/blocks/kit.py`, each one registered)."""

from __future__ import annotations

import re
from pathlib import Path

from bot.blocks import decisions, kit
from bot.journey.context import local_status
from bot.jumio import DecisionType, WorkflowStatus
from storage import Status

ROOT = Path(__file__).resolve().parents[2]


def test_every_status_and_decision_type_has_words() -> None:
    assert set(kit.STATUS_WORDS) == set(Status)
    assert set(kit.DECISION_MARKS) == set(DecisionType) == set(decisions.MEANINGS)
    assert all(local_status(status) is not None for status in WorkflowStatus)  # Jumio's statuses are ours too
    assert kit.decision_mark("A_TYPE_JUMIO_ADDS_LATER") == ":white_circle:"
    assert decisions.meaning("A_TYPE_JUMIO_ADDS_LATER") == decisions.MEANINGS[DecisionType.NOT_EXECUTED]


def test_every_action_id_is_declared_once_and_registered() -> None:
    declared = {name: value for name, value in vars(kit).items() if name.startswith("ACTION_")}
    declared |= {
        name: value
        for name, value in vars(__import__("bot.blocks.privacy").blocks.privacy).items()
        if name.startswith("ACTION_")
    }
    assert len(set(declared.values())) == len(declared)  # no two names for one id
    registered = (ROOT / "bot" / "listeners" / "actions" / "__init__.py").read_text()
    assert not re.search(r"app\.action\(\"", registered)  # no action id typed in a listener
    unregistered = [name for name in declared if name not in registered and name != "ACTION_CHOOSE_PART"]
    assert unregistered == [] and "ACTION_CHOOSE_PART" in registered
    for path in (ROOT / "bot").rglob("*.py"):
        if path.name != "kit.py":
            assert not re.search(r"\"action_id\": \"(?!file\"|value\")", path.read_text()), path
