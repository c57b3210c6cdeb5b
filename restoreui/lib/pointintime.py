"""Restore to a point in time: reading the time an operator typed, picking the backup, naming the index."""

import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

# "2026-11-25 14:30", "2026-11-25T14:30:15", either with "Z" or "+01:00"; or "14:30" for today.
_MOMENT = re.compile(
    r"^(?:(?P<date>\d{4}-\d{2}-\d{2})[ T])?(?P<time>\d{1,2}:\d{2}(?::\d{2})?)\s*(?P<zone>Z|UTC|[+-]\d{2}:?\d{2})?$",
    re.IGNORECASE,
)
INDEX_NAME_MAX = 45
# An offset from UTC that no time zone exceeds (UTC-12 to UTC+14).
MAX_OFFSET_MINUTES = 14 * 60


class BadMoment(ValueError):
    """A time that cannot be used, with the message to show."""


def parse_moment(text: str, offset_minutes: int | None, now: datetime) -> datetime:
    """The UTC time TEXT names, read on a 24-hour clock.

    OFFSET_MINUTES is the local time's offset east of UTC when the operator chose
    local time, None for UTC; an offset written in TEXT wins over both. A time
    without a date is today, in that zone.
    """
    match = _MOMENT.match(text.strip())
    if not match:
        raise BadMoment(
            f"“{text.strip()[:40]}” is not a time restoreui reads. "
            "Write it as 2026-11-25 14:30 (24-hour clock), optionally with a date and an offset such as +01:00."
        )
    zone = (match["zone"] or "").upper()
    if zone in ("Z", "UTC"):
        offset = timedelta(0)
    elif zone:
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        offset = sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    else:
        offset = timedelta(minutes=offset_minutes or 0)
    if abs(offset) > timedelta(minutes=MAX_OFFSET_MINUTES):
        raise BadMoment("That offset from UTC is larger than any time zone's (−12:00 to +14:00).")
    date = match["date"] or (now + offset).strftime("%Y-%m-%d")
    clock = match["time"] if match["time"].count(":") == 2 else f"{match['time']}:00"
    try:
        moment = datetime.strptime(f"{date} {clock.zfill(8)}", "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC) - offset
    except (ValueError, OverflowError):
        raise BadMoment(
            f"{date} {match['time']} is not a date and time that exists (24-hour clock, 00:00 to 23:59)."
        ) from None
    if moment > now:
        raise BadMoment(f"{moment:%Y-%m-%d %H:%M} UTC is in the future. Enter a time that has passed.")
    return moment


def canonical(moment: datetime) -> str:
    """The time as the shareable URL carries it: UTC, minutes, seconds only when set."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ" if moment.second else "%Y-%m-%dT%H:%MZ")


def last_ready_before(backups: Iterable, moment: datetime) -> tuple:
    """(the newest Ready backup created before MOMENT, the Ready one before it), either None."""
    ready = sorted(
        (b for b in backups if b.state == "ready" and b.created_at and b.created_at < moment),
        key=lambda b: (b.created_at, b.id),
        reverse=True,
    )
    chosen, previous = (ready + [None, None])[:2]
    return chosen, previous


def restore_name(index_name: str, when: datetime) -> str:
    """`<index>-restore-<yyyymmdd-hhmm>`, the index part cut so the name keeps to Pinecone's 45 characters."""
    suffix = f"-restore-{when.astimezone(UTC):%Y%m%d-%H%M}"
    head = index_name[: INDEX_NAME_MAX - len(suffix)].rstrip("-")
    return f"{head}{suffix}"
