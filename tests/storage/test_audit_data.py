"""The audit's typed payloads (issue 22, item 1): written as JSON in `audit.data`, rendered from it with no sentence
parsed; rows written before schema 11 are read once by the migration and say what they said before."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlite_utils

from bot.blocks import audit
from bot.blocks.audit import EVENTS, words_for
from storage import Store
from storage.audit_data import READERS
from storage.schema import MIGRATIONS

# Sentences rows held before schema 11, and what /verify status said of them then (the agent is UAGENT1).
OLD_ROWS = {
    "photo_received": ("a Slack file as BACK", "ID back dropped by <@UAGENT1>"),
    "part_chosen": ("FACE for upload #3", "Selfie chosen by <@UAGENT1>"),
    "photo_held": ("FRONT from upload #4, until the customer consents", "ID front from <@UAGENT1> checked, held"),
    "photo_uploaded": ("FRONT from Slack file F0123ABC, 48211 bytes", "ID front from <@UAGENT1> sent to Jumio"),
    "photo_not_sent": ("upload 9: Slack did not let the bot download it", "a photo was not sent: Slack did not let"),
    "job_failed": ("relay_photo: Jumio refused the photo", "a step failed: Jumio refused the photo"),
    "result": ("PROCESSED REJECTED MANIPULATED_DOCUMENT", "Jumio decided REJECTED (MANIPULATED_DOCUMENT)"),
    "callback": ("says PROCESSED", "Jumio called back (PROCESSED)"),
    "retention": ("reduced to a tombstone 90 days after it ended", "reduced to a tombstone (90 days after it ended)"),
    "step_completed": ("failed", "the workflow's step was told it failed"),
    "step_refused": ("the channel is not one the bot is in", "was refused: the channel is not one the bot is in"),
    "photo_rejected": ("3 over the limit", "a photo from <@UAGENT1> was not sent: 3 over the limit"),
    "slack_refused": ("channel_not_found", "Slack refused a message: channel_not_found"),
}


def test_every_event_with_a_payload_has_a_reader_of_its_old_sentences_that_fits_the_payload() -> None:
    typed = {name for name, event in EVENTS.items() if event.payload is not None}
    assert typed == set(READERS) == set(OLD_ROWS)
    for name, (sentence, _) in OLD_ROWS.items():
        payload_type = EVENTS[name].payload
        assert payload_type is not None
        data = READERS[name](sentence)
        assert data is not None and payload_type(**data) is not None  # the migration's fields are the payload's


def test_rows_written_before_schema_11_still_read_as_they_did(tmp_path: Path) -> None:
    path = str(tmp_path / "v10.sqlite3")
    old = sqlite_utils.Database(path)
    for migration in MIGRATIONS[:10]:
        migration(old)
    old.execute("PRAGMA user_version = 10")
    old["audit"].insert_all(
        {"at": 1.0, "actor": "UAGENT1", "action": name, "execution": None, "detail": sentence}
        for name, (sentence, _) in OLD_ROWS.items()
    )
    old.conn.commit()
    old.close()
    store = Store(path)
    entries = store.audit.trail()
    assert all(entry.data is not None for entry in entries)
    for entry in entries:
        assert OLD_ROWS[entry.action][1] in words_for(entry), entry.action
        assert entry.detail == OLD_ROWS[entry.action][0]  # the sentence stays for whoever reads the table
    store.close()


def test_a_typed_event_takes_only_its_payload_and_renders_from_it(store: Store) -> None:
    with pytest.raises(TypeError, match="records a PhotoSent"):
        store.audit.add("UAGENT1", audit.PHOTO_UPLOADED, None, "FRONT from upload #1, 10 bytes")
    with pytest.raises(TypeError, match="declares no payload"):
        store.audit.add("UAGENT1", audit.START, None, audit.Reason("not a note"))  # type: ignore[arg-type]
    store.audit.add("UAGENT1", audit.PHOTO_UPLOADED, None, audit.PhotoSent("BACK", 7, 100))
    (entry,) = store.audit.trail()
    assert entry.data == {"part": "BACK", "upload": 7, "size": 100}
    assert entry.detail == "BACK from upload #7, 100 bytes"
    # The words come from the data: a sentence edited in the table changes nothing an agent reads.
    store.db.execute("UPDATE audit SET detail = 'FACE from upload #7' WHERE id = ?", (entry.id,))
    assert "ID back from <@UAGENT1> sent to Jumio" in words_for(store.audit.trail()[0])
