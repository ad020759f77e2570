"""Uploads: each Slack file claimed once per execution, and its way to Jumio."""

from __future__ import annotations

from storage.connection import TableGroup
from storage.models import Upload
from storage.statuses import UploadState


class Uploads(TableGroup):
    """The `uploads` table."""

    def claim(
        self, execution: int, slack_file_id: str, uploaded_by: str, part: str | None, *, in_channel: bool = True
    ) -> Upload | None:
        """Claim a Slack file for an execution once; None when it was claimed before (by this execution, or by
        another of the same thread: the one a consent or a new link replaced). `in_channel` False: given in the
        private photos modal, never shared into the channel."""
        now = self.clock()
        with self._write() as db:
            elsewhere = db.execute(
                "SELECT 1 FROM uploads u JOIN executions other ON other.id = u.execution "
                "JOIN executions this ON this.id = ? WHERE u.slack_file_id = ? AND u.execution != this.id "
                "AND other.channel_id = this.channel_id AND other.thread_ts = this.thread_ts LIMIT 1",
                (execution, slack_file_id),
            ).fetchone()
            if elsewhere:
                return None
            cursor = db.execute(
                "INSERT OR IGNORE INTO uploads (execution, slack_file_id, part, uploaded_by, state, created_at, "
                "updated_at, in_channel) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (execution, slack_file_id, part, uploaded_by, UploadState.CLAIMED, now, now, int(in_channel)),
            )
            if cursor.rowcount != 1:
                # Taken before; only a file whose fate a crash hid may be sent again.
                cursor = db.execute(
                    "UPDATE uploads SET state = ?, part = coalesce(?, part), uploaded_by = ?, error = NULL, "
                    "updated_at = ? WHERE execution = ? AND slack_file_id = ? AND state = ?",
                    (UploadState.CLAIMED, part, uploaded_by, now, execution, slack_file_id, UploadState.UNCERTAIN.value),
                )
                if cursor.rowcount != 1:
                    return None
        return self.by_file(execution, slack_file_id)

    def by_file(self, execution: int, slack_file_id: str) -> Upload | None:
        return self._first_upload("execution = ? AND slack_file_id = ?", (execution, slack_file_id))

    def get(self, upload: int) -> Upload | None:
        return self._first_upload("id = ?", (upload,))

    def _first_upload(self, where: str, args: tuple[object, ...]) -> Upload | None:
        for row in self.db.query(f"SELECT * FROM uploads WHERE {where} LIMIT 1", args):
            return Upload.from_row(row)
        return None

    def choose_part(self, upload: int, part: str) -> Upload | None:
        """Set the part of an upload that had none (the agent pressed a button); None if it already had one."""
        with self._write() as db:
            cursor = db.execute(
                "UPDATE uploads SET part = ?, updated_at = ? WHERE id = ? AND part IS NULL AND state = ?",
                (part, self.clock(), upload, UploadState.CLAIMED),
            )
            if cursor.rowcount != 1:
                return None
        return self.get(upload)

    def record_done(self, upload: int, *, part: str, sha256: str, size: int) -> list[Upload]:
        """The part reached Jumio; earlier uploads of the same part are marked replaced and returned."""
        now = self.clock()
        with self._write() as db:
            execution = db.execute("SELECT execution FROM uploads WHERE id = ?", (upload,)).fetchone()[0]
            same_part = (
                "execution = ? AND part = ? AND state = ? AND id != ?",
                (execution, part, UploadState.UPLOADED, upload),
            )
            replaced = [Upload.from_row(row) for row in db.table("uploads").rows_where(*same_part)]
            db.execute(
                f"UPDATE uploads SET state = ?, updated_at = ? WHERE {same_part[0]}",
                (UploadState.REPLACED.value, now, *same_part[1]),
            )
            db.execute(
                "UPDATE uploads SET state = ?, part = ?, sha256 = ?, size = ?, error = NULL, updated_at = ? WHERE id = ?",
                (UploadState.UPLOADED, part, sha256, size, now, upload),
            )
        return replaced

    def mark_sending(self, upload: int) -> bool:
        """claimed → sending, just before the bytes go to Jumio; False if it was not claimed."""
        return self._move_upload(upload, UploadState.CLAIMED, UploadState.SENDING)

    def mark_unsent(self, upload: int) -> None:
        """sending → claimed: the attempt failed in this process, so Jumio did not take it; try again later."""
        self._move_upload(upload, UploadState.SENDING, UploadState.CLAIMED)

    def _move_upload(self, upload: int, was: str, becomes: str) -> bool:
        with self._write() as db:
            cursor = db.execute(
                "UPDATE uploads SET state = ?, updated_at = ? WHERE id = ? AND state = ?",
                (becomes, self.clock(), upload, was),
            )
            return cursor.rowcount == 1

    def record_rejected(self, upload: int, reason: str, *, state: UploadState = UploadState.REJECTED) -> None:
        with self._write() as db:
            db.execute(
                "UPDATE uploads SET state = ?, error = ?, updated_at = ? WHERE id = ?",
                (state.value, reason, self.clock(), upload),
            )

    def counted(self, execution: int) -> int:
        """How many photos this execution took (refused ones left out): what its cap counts."""
        return int(
            self.db.execute(
                "SELECT count(*) FROM uploads WHERE execution = ? AND state != ?", (execution, UploadState.REJECTED.value)
            ).fetchone()[0]
        )

    def parts_done(self, execution: int) -> set[str]:
        rows = self.db.execute(
            "SELECT DISTINCT part FROM uploads WHERE execution = ? AND state = ?", (execution, UploadState.UPLOADED)
        ).fetchall()
        return {row[0] for row in rows}

    def mark_told_not_sent(self, upload: int) -> bool:
        """The thread is told this photo is not at Jumio yet: True the first time only."""
        with self._write() as db:
            return (
                db.execute("UPDATE uploads SET told_not_sent = 1 WHERE id = ? AND told_not_sent = 0", (upload,)).rowcount
                == 1
            )

    def of_execution(self, execution: int) -> list[Upload]:
        rows = self.db.table("uploads").rows_where("execution = ?", (execution,), order_by="id")
        return [Upload.from_row(r) for r in rows]

    def move_waiting(self, source: int, target: int) -> list[Upload]:
        """Photos waiting on `source` (held for consent, or still being checked, or waiting for their part) go to
        `target`, claimed again; returns them."""
        waiting = (UploadState.HELD.value, UploadState.CLAIMED.value)
        with self._write() as db:
            rows = list(db.table("uploads").rows_where("execution = ? AND state IN (?, ?)", (source, *waiting)))
            db.execute(
                "UPDATE uploads SET execution = ?, state = ?, updated_at = ? WHERE execution = ? AND state IN (?, ?)",
                (target, UploadState.CLAIMED.value, self.clock(), source, *waiting),
            )
        return [Upload.from_row({**row, "execution": target, "state": UploadState.CLAIMED.value}) for row in rows]

    def mark_held(self, upload: int, execution: int) -> bool:
        """claimed → held once its bytes passed the check; False if it moved on (or to another execution) meanwhile."""
        with self._write() as db:
            cursor = db.execute(
                "UPDATE uploads SET state = ?, updated_at = ? WHERE id = ? AND execution = ? AND state = ?",
                (UploadState.HELD.value, self.clock(), upload, execution, UploadState.CLAIMED.value),
            )
            return cursor.rowcount == 1
