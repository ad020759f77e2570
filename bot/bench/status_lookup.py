"""`/verify status` in storage, for one customer among a million executions."""

from __future__ import annotations

import time
from pathlib import Path

from bot.bench.figures import Figures, Sizes
from storage import Store


def measure_status_lookup(folder: Path, sizes: Sizes, figures: Figures) -> None:
    """`/verify status` in storage, for one customer among `executions` executions (each with audit rows)."""
    store = Store(str(folder / "big.sqlite3"))
    now = time.time()
    customers = max(1, sizes.executions // 5)
    batch = 50_000
    db = store.db
    for start in range(0, sizes.executions, batch):
        db.execute("BEGIN")
        rows = [
            (f"CUST-{i % customers}", 10011, "CVERIFY", f"{now}.{i}", "UAGENT1", "PROCESSED", now, now)
            for i in range(start, min(start + batch, sizes.executions))
        ]
        db.conn.executemany(
            "INSERT INTO executions (customer_ref, workflow_key, channel_id, thread_ts, started_by, "
            "status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        first = db.execute("SELECT max(id) FROM executions").fetchone()[0] - len(rows) + 1
        db.conn.executemany(
            "INSERT INTO audit (at, actor, action, execution, detail) VALUES (?, ?, ?, ?, ?)",
            [(now, "UAGENT1", action, first + j, "") for j in range(len(rows)) for action in ("start", "result")],
        )
        db.execute("COMMIT")
    target = "CUST-7"
    for _ in range(5):
        store.executions.customer_history(target)
    for _ in range(200):
        started = time.perf_counter()
        history = store.executions.customer_history(target)
        figures.status_ms.append((time.perf_counter() - started) * 1000)
    assert history and len(history) == 5
    store.close()
