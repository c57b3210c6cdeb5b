"""The time the cache layer reads: the system's, or one a test moves by hand.

Lifetimes, stale ages and revalidation windows are all measured against `now()`,
so a test advances a ManualClock past a lifetime instead of sleeping through it:

    with clock.using(clock.ManualClock()) as manual:
        ...
        manual.advance(settings.CACHE_TTL_LIST)

Only the cache's notion of age moves; waits on locks and on Pinecone stay real.
"""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch."""
        ...


class SystemClock:
    def now(self) -> float:
        return time.time()


class ManualClock:
    """A clock that stands still until advanced; starts at the system's time unless told."""

    def __init__(self, start: float | None = None) -> None:
        self._now = time.time() if start is None else start
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds


_clock: Clock = SystemClock()


def now() -> float:
    return _clock.now()


@contextmanager
def using[C: Clock](clock: C) -> Iterator[C]:
    """Read the time from CLOCK inside the block (every thread: refreshes behind an answer too)."""
    global _clock
    previous, _clock = _clock, clock
    try:
        yield clock
    finally:
        _clock = previous
