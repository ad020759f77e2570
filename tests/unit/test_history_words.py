"""Every audit action the bot writes has words in `/verify status`: found from the code, not listed by hand, so a new
action without words fails here instead of showing agents its raw name."""

from __future__ import annotations

import re
from pathlib import Path

from bot.blocks.history import step_words
from storage.models import AuditEntry

ROOT = Path(__file__).resolve().parents[2]
# store.audit(actor, "action", …): the action is the second argument, a string literal.
_AUDIT_CALL = re.compile(r"\.audit\(\s*(?:[^,()]|\([^)]*\))+,\s*\"([a-z_]+)\"")


def actions_the_bot_writes() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "bot").rglob("*.py"):
        found |= set(_AUDIT_CALL.findall(path.read_text()))
    return found


def test_every_audit_action_has_words() -> None:
    actions = actions_the_bot_writes()
    assert {"start", "photo_uploaded", "result", "answer_lost", "slack_file_reminder", "erase_refused"} <= actions

    def words(action: str) -> str:
        return step_words(AuditEntry(id=1, at=0.0, actor="UAGENT1", action=action, execution=1, detail="upload 1: a reason"))

    # What an undeclared action gets (its own name, "… by <@U…>"), so the check can fail: it must not be that.
    fallback = words("zz_not_an_action")
    date = fallback.removesuffix("zz not an action by <@UAGENT1>")
    assert date != fallback
    raw = [action for action in sorted(actions) if words(action) == f"{date}{action.replace('_', ' ')} by <@UAGENT1>"]
    assert raw == []
