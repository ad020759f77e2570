"""The benchmark cannot rot: its quick mode runs in CI and prints the whole table (figures are not judged here)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_quick_benchmark_prints_the_table(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot", "bench", "--quick", "--json", str(tmp_path / "figures.json")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    rows = [line for line in done.stdout.splitlines() if line.startswith("| ")]
    figures = [row.split("|")[1].strip() for row in rows[1:]]
    assert figures == [
        "command ack latency p50 / p99 / max",
        "baseline ack latency p50 / p99 / max",
        "photo relay time, 1 MB PNG",
        "baseline relay time",
        "piped baseline",
        "photo relay time, 1 MB PNG, network-bound",
        "baseline relay time, network-bound",
        "piped baseline, network-bound",
        "peak RSS of the bot",
        "sustained account creation",
        "photo relay during an account burst, 1 MB PNG",
        "baseline relay, no burst",
        "status lookup",
    ]
    assert "lost 0" in done.stdout
    raw = json.loads((tmp_path / "figures.json").read_text())
    for name in (
        "ack",
        "ack_baseline",
        "relay",
        "relay_baseline",
        "peak_rss_mb",
        "idle_rss_mb",  # kept names
        "relay_throttled",
        "relay_throttled_baseline",
        "relay_piped_baseline",  # and the new ones
        "relay_throttled_piped_baseline",
    ):
        assert raw[name], name
