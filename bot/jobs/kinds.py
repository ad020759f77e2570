"""Job kinds, each declared once: name, payload type, dedupe key, retry policy, title, what is erased, pacing.

    RELAY = JobKind("relay_photo", RelayPhoto, title="Sending the photo to Jumio",
                    dedupe=lambda p: f"relay:{p.upload}", retry=RetryPolicy(attempts=8))
    queue.add(RELAY, RelayPhoto(upload=7))

Payloads are dataclasses of JSON values; the queue stores them as JSON and the runner hands the handler the
dataclass back. A field named in `erase` (personal data) is set to None in SQLite when the job ends, done or dead.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

P = TypeVar("P")


@dataclass(frozen=True)
class RetryPolicy:
    """Attempts and exponential backoff with jitter: attempt n waits uniform(d/2, d), d = base·2^(n-1) capped."""

    attempts: int = 8
    backoff_base: float = 2.0
    backoff_cap: float = 300.0

    def longest_wait(self, attempt: int) -> float:
        return min(self.backoff_cap, self.backoff_base * 2 ** (attempt - 1))

    def wait(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds before the attempt after `attempt` (1-based)."""
        longest = self.longest_wait(attempt)
        return (rng or random).uniform(longest / 2, longest)

    def least_horizon(self) -> float:
        """The least time from the first attempt to the last: how long an outage this policy always rides out."""
        return sum(self.longest_wait(attempt) / 2 for attempt in range(1, self.attempts))


@dataclass(frozen=True)
class Pacing:
    """Runs of this bucket's jobs, across kinds and restarts, at most `per_second` (a slot reserved when queued)."""

    bucket: str
    per_second: float


KINDS: dict[str, JobKind[Any]] = {}


@dataclass(frozen=True, eq=False)
class JobKind(Generic[P]):
    """One kind of durable work. Declared at import; a second kind of the same name is an error."""

    name: str
    payload: type[P]
    title: str  # what the job does, for the agent: "Sending the photo to Jumio"
    dedupe: Callable[[P], str] | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    erase: tuple[str, ...] = ()
    pacing: Pacing | None = None
    tell_when_dead: bool = True  # False: a failure is audited, not posted (it would fail the same way, or is noise)
    priority: int = 0  # of the jobs due, the highest priority runs first
    concurrency: int | None = None  # at most this many of the kind run at once in a process; None: no limit

    def __post_init__(self) -> None:
        if self.name in KINDS:
            raise ValueError(f"job kind {self.name!r} is declared twice")
        names = {f.name for f in dataclasses.fields(self.payload)}  # type: ignore[arg-type]
        if not set(self.erase) <= names:
            raise ValueError(f"job kind {self.name!r} erases fields its payload does not have")
        KINDS[self.name] = self

    def encode(self, payload: P) -> dict[str, Any]:
        return dataclasses.asdict(payload)  # type: ignore[call-overload]

    def decode(self, data: dict[str, Any]) -> P:
        """The payload from its JSON; unknown keys (an older version's) are dropped, missing ones raise TypeError."""
        names = {f.name for f in dataclasses.fields(self.payload)}  # type: ignore[arg-type]
        return self.payload(**{key: value for key, value in data.items() if key in names})

    def dedupe_key(self, payload: P) -> str | None:
        return None if self.dedupe is None else self.dedupe(payload)

    def erased(self, data: dict[str, Any]) -> dict[str, Any] | None:
        """The stored payload with its personal fields blanked, or None when there is nothing to erase."""
        if not self.erase or all(data.get(name) is None for name in self.erase):
            return None
        return {**data, **dict.fromkeys(self.erase)}

    def __repr__(self) -> str:
        return f"JobKind({self.name!r})"
