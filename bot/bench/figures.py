"""What the benchmark measures, at which sizes, and the figures it collects."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Sizes:
    commands: int
    jumio_latency: float
    photo_side: int  # a noise PNG of side² × 3 bytes: 1870 → 10 MB
    relays: int
    concurrent_relays: int
    accounts: int
    executions: int
    runs: int
    burst_photo_side: int = 600  # the photo dropped during the burst: 1 MB


FULL = Sizes(
    commands=100,
    jumio_latency=0.3,
    photo_side=1870,
    relays=3,
    concurrent_relays=10,
    accounts=30,
    executions=1_000_000,
    runs=3,
)
QUICK = Sizes(
    commands=10, jumio_latency=0.3, photo_side=600, relays=1, concurrent_relays=2, accounts=4, executions=20_000, runs=1
)


@dataclass
class Figures:
    ack: list[list[float]] = field(default_factory=list)
    ack_baseline: list[list[float]] = field(default_factory=list)
    relay: list[float] = field(default_factory=list)
    relay_baseline: list[float] = field(default_factory=list)
    relay_throttled: list[float] = field(default_factory=list)  # both stand-ins at 20 MB/s each way
    relay_throttled_baseline: list[float] = field(default_factory=list)
    # Plain httpx streaming the download into the upload, no bot: what piping itself gives on these legs.
    relay_piped_baseline: list[float] = field(default_factory=list)
    relay_throttled_piped_baseline: list[float] = field(default_factory=list)
    peak_rss_mb: list[float] = field(default_factory=list)
    idle_rss_mb: list[float] = field(default_factory=list)
    account_rate: list[float] = field(default_factory=list)
    account_lost: list[int] = field(default_factory=list)
    account_429: list[int] = field(default_factory=list)
    burst_relay: list[float] = field(default_factory=list)  # per run, the median of BURST_PHOTOS relays
    burst_relay_first: list[float] = field(default_factory=list)  # the one dropped right after the commands
    burst_relay_baseline: list[float] = field(default_factory=list)
    status_ms: list[float] = field(default_factory=list)


BURST_PHOTOS = 5  # photos relayed in each run, quiet and during the burst (one photo is mostly noise at ~30 ms)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]
