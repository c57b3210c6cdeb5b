"""How far along a restore job is: elapsed time, and either the rate and ETA from the
percentage Pinecone sends, or how long this project's earlier restores of similar size took.
"""

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

# Fewer comparable restores than this make percentiles guesswork.
MIN_SAMPLE = 5
# Backups within this factor of a size, either way, count as "this size".
SIZE_BAND = 2.0


@dataclass(frozen=True)
class Expected:
    """How long comparable restores took: 10th percentile, median and 90th percentile."""

    sample: int
    by_size: bool = True  # False when the backup's size is unknown and every restore counted
    low: timedelta | None = None
    median: timedelta | None = None
    high: timedelta | None = None

    @property
    def enough(self) -> bool:
        return self.median is not None


def expected_duration(history: Iterable[tuple[int | None, float]], size_bytes: int | None) -> Expected:
    """From (backup size in bytes, seconds taken) of completed restores, what to expect for SIZE_BYTES."""
    # Restore time grows with size but not in proportion (start-up costs weigh most on small
    # backups), so instead of scaling by seconds per byte this compares restores of backups
    # within a factor of two of this one, and takes percentiles, which a few stuck or
    # instant restores do not move the way they would move a mean.
    durations = [
        seconds
        for size, seconds in history
        if seconds >= 0
        and (size_bytes is None or (size is not None and size_bytes / SIZE_BAND <= size <= size_bytes * SIZE_BAND))
    ]
    by_size = size_bytes is not None
    if len(durations) < MIN_SAMPLE:
        return Expected(len(durations), by_size)
    deciles = statistics.quantiles(durations, n=10, method="inclusive")
    return Expected(
        len(durations),
        by_size,
        low=timedelta(seconds=deciles[0]),
        median=timedelta(seconds=statistics.median(durations)),
        high=timedelta(seconds=deciles[-1]),
    )


@dataclass(frozen=True)
class Estimate:
    elapsed: timedelta | None
    rate_per_minute: float | None  # percentage points per minute
    remaining: timedelta | None
    # Set for an unfinished job that reports no usable percentage.
    expected: Expected | None = None
    finish_at: datetime | None = None
    # Running longer than 90% of comparable restores.
    overdue: bool = False


def estimate(job, expected: Expected | None = None, now: datetime | None = None) -> Estimate:
    now = now or datetime.now(UTC)
    elapsed = max((job.completed_at or now) - job.created_at, timedelta(0)) if job.created_at else None
    if job.finished:
        return Estimate(elapsed, None, None)
    percent = job.percent_complete
    if elapsed is not None and percent and percent < 100 and elapsed.total_seconds() >= 1:
        rate = percent / (elapsed.total_seconds() / 60)
        try:
            remaining = timedelta(minutes=(100 - percent) / rate)
        except OverflowError:
            # A crawl such as 1e-12 % so far: longer than any date, so no estimate.
            remaining = None
        return Estimate(elapsed, rate, remaining)
    if elapsed is None or not expected or not expected.enough:
        return Estimate(elapsed, None, None, expected)
    left = expected.median - elapsed
    try:
        finish_at = job.created_at + expected.median
    except OverflowError:
        # A start time Pinecone put at the end of the calendar.
        finish_at = None
    return Estimate(
        elapsed,
        None,
        left if left > timedelta(0) else None,
        expected,
        finish_at=finish_at,
        overdue=elapsed > expected.high,
    )
