"""Elapsed time, rate and ETA of a restore job from the progress seen so far."""

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone


@dataclass(frozen=True)
class Estimate:
    elapsed: timedelta | None
    rate_per_minute: float | None  # percentage points per minute
    remaining: timedelta | None


def estimate(job, now: datetime | None = None) -> Estimate:
    now = now or datetime.now(timezone.utc)
    if job.created_at is None:
        return Estimate(None, None, None)
    elapsed = max((job.completed_at or now) - job.created_at, timedelta(0))
    percent = job.percent_complete
    if job.finished or not percent or percent >= 100 or elapsed.total_seconds() < 1:
        return Estimate(elapsed, None, None)
    rate = percent / (elapsed.total_seconds() / 60)
    try:
        remaining = timedelta(minutes=(100 - percent) / rate)
    except OverflowError:
        # A crawl such as 1e-12 % so far: longer than any date, so no estimate.
        remaining = None
    return Estimate(elapsed, rate, remaining)
