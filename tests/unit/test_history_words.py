"""Audit events are declared once (`bot/blocks/audit.py`), each with its words in `/verify status`: every event the
code writes is a declared one (found from the code, not listed by hand), none renders as its raw name, a bare string
is refused by the store, and a name cannot be declared twice."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.blocks import audit
from bot.blocks.audit import EVENTS, AuditEvent, words_for
from storage import Store
from storage.models import AuditEntry

ROOT = Path(__file__).resolve().parents[2]
# store.audit.add(actor, audit.NAME, …): the event is the second argument.
_AUDIT_CALL = re.compile(r"\.audit\.add\(\s*(?:[^,()]|\([^)]*\))+,\s*audit\.([A-Z_]+)\b")


def events_the_bot_writes() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "bot").rglob("*.py"):
        found |= set(_AUDIT_CALL.findall(path.read_text()))
    return found


def _words(action: str) -> str:
    return words_for(AuditEntry(id=1, at=0.0, actor="UAGENT1", action=action, execution=1, detail="upload 1: a reason"))


def test_every_event_the_code_writes_is_declared_and_has_words() -> None:
    written = events_the_bot_writes()
    assert {"START", "PHOTO_UPLOADED", "RESULT", "ANSWER_LOST", "SLACK_FILE_REMINDER", "ERASE_REFUSED"} <= written
    assert sorted(name for name in written if not isinstance(getattr(audit, name, None), AuditEvent)) == []
    # What an undeclared name gets (its own name, "… by <@U…>"), so the check can fail: no event may read so.
    fallback = _words("zz_not_an_action")
    date = fallback.removesuffix("zz not an action by <@UAGENT1>")
    assert date != fallback
    raw = [name for name in sorted(EVENTS) if _words(name) == f"{date}{name.replace('_', ' ')} by <@UAGENT1>"]
    assert raw == []


def test_the_store_refuses_a_bare_action_and_a_name_cannot_be_declared_twice(store: Store) -> None:
    with pytest.raises(TypeError, match="bare string"):
        store.audit.add("UAGENT1", "start")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="declared twice"):
        AuditEvent("start", lambda entry, who: "again")
    store.audit.add("UAGENT1", audit.START)
    assert [entry.action for entry in store.audit.trail()] == ["start"]
