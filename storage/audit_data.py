"""Schema 11: the audit trail's typed payloads (`audit.data`, JSON), read once from the sentences rows written before
it kept in `detail`. After this, nothing parses an audit sentence: `/verify status` renders the data
(`bot.blocks.audit`); the field names here are those of its payload classes (tests/storage/test_audit_data.py holds
them to it)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import sqlite_utils

_PART = r"(FRONT|BACK|FACE)"


def _number(pattern: str, text: str) -> int | None:
    match = re.search(pattern, text)
    return int(match.group(1)) if match else None


def _photo(text: str) -> dict[str, Any]:
    """`FRONT from upload #7, 100 bytes` (and the older `FRONT from Slack file F1, 100 bytes`)."""
    part = re.match(_PART + r"\b", text)
    return {"part": part.group(1) if part else None, "upload": _number(r"#(\d+)", text)}


def _failed(text: str) -> dict[str, Any]:
    what, _, reason = text.partition(": ")
    return {"what": what, "reason": reason} if reason else {"what": "", "reason": text}


def _outcome(text: str) -> dict[str, Any]:
    status, _, rest = text.partition(" ")
    decision, _, label = rest.partition(" ")
    return {"status": status, "decision": decision or None, "label": label or None}


READERS: dict[str, Callable[[str], dict[str, Any] | None]] = {
    "photo_received": lambda t: {"part": m.group(1) if (m := re.search(r"as " + _PART + r"$", t)) else None},
    "part_chosen": _photo,
    "photo_held": _photo,
    "photo_uploaded": lambda t: {**_photo(t), "size": _number(r"(\d+) bytes", t)},
    "photo_not_sent": _failed,
    "job_failed": _failed,
    "result": _outcome,
    "callback": lambda t: {"status": t.removeprefix("says ")},
    "retention": lambda t: {"days": days} if (days := _number(r"(\d+) days", t)) is not None else None,
    "step_completed": lambda t: {"how": t},
    "step_refused": lambda t: {"text": t},
    "photo_rejected": lambda t: {"text": t},
    "slack_refused": lambda t: {"text": t},
}


def fill_audit_data(db: sqlite_utils.Database) -> None:
    audit = db.table("audit")
    if "data" not in audit.columns_dict:
        audit.add_column("data", str)
    marks = ", ".join("?" for _ in READERS)
    rows = db.execute(
        f"SELECT id, action, detail FROM audit WHERE data IS NULL AND detail IS NOT NULL AND action IN ({marks})",
        tuple(READERS),
    ).fetchall()
    for audit_id, action, detail in rows:
        data = READERS[action](detail)
        if data is not None:
            db.execute("UPDATE audit SET data = ? WHERE id = ?", (json.dumps(data, sort_keys=True), audit_id))
