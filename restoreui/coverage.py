"""Can we restore, and how far back? Per-index recovery points and flags, from lists and schedules.

Pure: typed values from the service module in, plain rows out, with `now` given,
so it is tested without a server or a clock.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from restoreui.pinecone.models import Backup, Index, RestoreJob, Schedule

# A scheduled index is late when its last Ready backup is older than one period plus this share of it.
SLACK_SHARE = 0.25
MIN_SLACK = timedelta(hours=2)
TIMELINE_DAYS = 30

FLAGS = {
    "never": "never backed up",
    "late": "last backup older than its schedule's period plus slack",
    "failed": "last scheduled run failed",
    "disabled": "schedule disabled",
    "deleted": "source index deleted, backups remain",
    "pod": "pod-based: cannot be backed up",
}
# What a row's badge says; the title and the filter give FLAGS' full sentence.
SHORT = {
    "never": "never backed up",
    "late": "backup overdue",
    "failed": "last run failed",
    "disabled": "schedule disabled",
    "deleted": "index deleted",
    "pod": "pod: no backups",
}
SORTS = ("index", "age", "backups", "oldest", "next", "flags")


@dataclass(frozen=True)
class Mark:
    """One backup on the timeline: x from 0 (TIMELINE_DAYS ago) to 1 (now)."""

    x: float
    state: str
    backup_id: str


@dataclass(frozen=True)
class Row:
    index: str
    exists: bool
    last_ready: Backup | None
    age: timedelta | None
    schedule: Schedule | None
    # The newest finished run of any of the index's schedules.
    last_run: Backup | None
    backups: int
    oldest_ready: datetime | None
    flags: tuple[str, ...]
    marks: tuple[Mark, ...]
    # Stretches of the timeline (x, width) without a Ready backup for longer than the schedule's period plus slack.
    gaps: tuple[tuple[float, float], ...]

    @property
    def next_run(self) -> datetime | None:
        return self.schedule.next_run if self.schedule and self.schedule.enabled else None

    @property
    def flag_labels(self) -> list[tuple[str, str]]:
        """(short, full) per flag."""
        return [(SHORT[f], FLAGS[f]) for f in self.flags]


def slack(period: timedelta) -> timedelta:
    return max(MIN_SLACK, period * SLACK_SHARE)


def shown_schedule(schedules: tuple[Schedule, ...]) -> Schedule | None:
    """The enabled schedule (at most one), else the newest disabled one."""
    enabled = [s for s in schedules if s.enabled]
    if enabled:
        return enabled[0]
    return max(schedules, key=lambda s: (s.created_at is not None, s.created_at or 0), default=None)


def _created(backup: Backup) -> datetime:
    """When BACKUP was made, for backups already picked for carrying the time."""
    return backup.created_at or datetime.min.replace(tzinfo=UTC)


def scheduled_by(backup: Backup, schedules: tuple[Schedule, ...]) -> Schedule | None:
    return next((s for s in schedules if s.made(backup)), None)


def last_run(schedule: Schedule, backups: list[Backup]) -> Backup | None:
    """The newest finished (Ready or failed) backup SCHEDULE made."""
    runs = [b for b in backups if b.created_at and b.state in ("ready", "failed") and schedule.made(b)]
    return max(runs, key=_created, default=None)


def expiries(
    backups: list[Backup] | tuple[Backup, ...], schedules: dict[str, tuple[Schedule, ...] | None]
) -> dict[str, tuple[Schedule, datetime | None]]:
    """backup id -> (the schedule that made it, when its retention deletes it)."""
    found = {}
    for backup in backups:
        schedule = scheduled_by(backup, schedules.get(backup.source_index_name) or ())
        if schedule:
            found[backup.id] = (schedule, schedule.expires(backup))
    return found


def _marks(backups: list[Backup], now: datetime) -> tuple[Mark, ...]:
    window = timedelta(days=TIMELINE_DAYS)
    return tuple(
        Mark(round(1 - (now - b.created_at) / window, 4), b.state, b.id)
        for b in backups
        if b.created_at and timedelta(0) <= now - b.created_at <= window
    )


def _gaps(ready: list[Backup], schedule: Schedule | None, now: datetime) -> tuple[tuple[float, float], ...]:
    if schedule is None or not schedule.enabled or schedule.period is None:
        return ()
    window = timedelta(days=TIMELINE_DAYS)
    start = now - window
    allowed = schedule.period + slack(schedule.period)
    points = sorted(b.created_at for b in ready if b.created_at and b.created_at > start)
    gaps = []
    for earlier, later in zip([start, *points], [*points, now], strict=False):
        if later - earlier > allowed:
            gaps.append((round((earlier - start) / window, 4), round((later - earlier) / window, 4)))
    return tuple(gaps)


def row(
    name: str,
    index: Index | None,
    backups: list[Backup],
    schedules: tuple[Schedule, ...] | None,
    now: datetime,
) -> Row:
    """INDEX is None when the index is gone; SCHEDULES is None when they are unknown."""
    ready = [b for b in backups if b.state == "ready" and b.created_at]
    last_ready = max(ready, key=_created, default=None)
    schedule = shown_schedule(schedules or ())
    last = max((run for s in schedules or () if (run := last_run(s, backups))), key=_created, default=None)
    flags = []
    if index is None:
        flags.append("deleted")
    elif index.pod:
        flags.append("pod")
    elif last_ready is None:
        flags.append("never")
    if schedule and schedule.enabled and schedule.period and index is not None:
        if last_ready is None or now - _created(last_ready) > schedule.period + slack(schedule.period):
            flags.append("late")
    if last and last.state == "failed":
        flags.append("failed")
    if schedule and not schedule.enabled and index is not None:
        flags.append("disabled")
    return Row(
        index=name,
        exists=index is not None,
        last_ready=last_ready,
        age=now - _created(last_ready) if last_ready else None,
        schedule=schedule,
        last_run=last,
        backups=len(backups),
        oldest_ready=min((_created(b) for b in ready), default=None),
        flags=tuple(flags),
        marks=_marks(backups, now),
        gaps=_gaps(ready, schedule, now),
    )


def rows(
    indexes: tuple[Index, ...],
    backups: tuple[Backup, ...],
    schedules: dict[str, tuple[Schedule, ...] | None],
    now: datetime,
) -> list[Row]:
    """One row per live index and per deleted index whose backups remain, by name."""
    live = {i.name: i for i in indexes}
    by_index: dict[str, list[Backup]] = {name: [] for name in live}
    for backup in backups:
        # A backup that names no source index has no row to go in.
        if backup.source_index_name:
            by_index.setdefault(backup.source_index_name, []).append(backup)
    return [row(name, live.get(name), found, schedules.get(name), now) for name, found in sorted(by_index.items())]


def select(found: list[Row], flags: list[str]) -> list[Row]:
    """Rows with any of FLAGS; all rows when none is asked for."""
    wanted = set(flags)
    return [r for r in found if not wanted or wanted & set(r.flags)]


def sort(found: list[Row], key: str) -> list[Row]:
    """By SORTS name, "-" first for descending; rows without a value go last."""
    descending = key.startswith("-")
    name = key.lstrip("-")
    value = {
        "index": lambda r: r.index,
        "age": lambda r: r.age,
        "backups": lambda r: r.backups,
        "oldest": lambda r: r.oldest_ready,
        "next": lambda r: r.next_run,
        "flags": lambda r: len(r.flags) or None,
    }[name]
    known = [r for r in found if value(r) is not None]
    return sorted(known, key=value, reverse=descending) + [r for r in found if value(r) is None]


def flag_counts(found: list[Row]) -> Counter:
    return Counter(flag for r in found for flag in r.flags)


def job_counts(jobs: tuple[RestoreJob, ...], now: datetime) -> tuple[Counter, list[RestoreJob]]:
    """Restore jobs by state created in the last 24 hours, and the ones still running."""
    since = now - timedelta(hours=24)
    recent = Counter(j.state for j in jobs if j.created_at and j.created_at >= since)
    running = [j for j in jobs if not j.finished and j.state != "unknown"]
    return recent, running


def last_runs(
    backups: tuple[Backup, ...], schedules: dict[str, tuple[Schedule, ...] | None]
) -> list[tuple[str, Schedule, Backup | None]]:
    """(index, schedule, its last finished run or None) for every schedule of every index."""
    by_index: dict[str, list[Backup]] = {}
    for backup in backups:
        by_index.setdefault(backup.source_index_name, []).append(backup)
    return [
        (name, schedule, last_run(schedule, by_index.get(name, [])))
        for name, found in schedules.items()
        for schedule in found or ()
    ]


def gauges(
    found: list[Row],
    backups: tuple[Backup, ...],
    schedules: dict[str, tuple[Schedule, ...] | None],
    jobs: tuple[RestoreJob, ...],
) -> dict:
    """The values the watcher exports (metrics.CoverageCollector.update's arguments)."""
    failed = {
        (name, schedule.display_name): run is not None and run.state == "failed"
        for name, schedule, run in last_runs(backups, schedules)
    }
    return {
        "last_backups": {r.index: _created(r.last_ready).timestamp() for r in found if r.last_ready},
        "backups": {r.index: r.backups for r in found},
        "failed_runs": failed,
        "jobs": dict(Counter(j.state for j in jobs)),
    }
