"""Pure formatting helpers behind the template filters."""

import math
import re
from datetime import UTC, datetime, timedelta

DASH = "—"


def number(value) -> str:
    if value is None:
        return DASH
    return f"{value:,}"


def bytes_human(value) -> str:
    if value is None:
        return DASH
    try:
        size = float(value)
    except OverflowError:
        return DASH
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        # Compare what will be shown: 1023.96 KiB would otherwise read "1024.0 KiB".
        if round(abs(size), 1) < 1024 or unit == "TiB":
            return f"{int(size)} B" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def duration(value: timedelta | None) -> str:
    """Two largest units: '42 s', '3 min 5 s', '1 h 4 min', '2 d 3 h'."""
    if value is None:
        return DASH
    seconds = int(value.total_seconds())
    if seconds < 0:
        return DASH
    parts: list[str] = []
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60), ("s", 1)):
        if seconds >= size or (unit == "s" and not parts):
            parts.append(f"{seconds // size} {unit}")
            seconds %= size
        elif parts:
            break
    return " ".join(parts[:2])


def relative(value: datetime | None, now: datetime | None = None) -> str:
    """Largest unit only: '5 min ago', 'in 2 h'."""
    if value is None:
        return DASH
    seconds = int(((now or datetime.now(UTC)) - value).total_seconds())
    if abs(seconds) < 5:
        return "just now"
    amount = next(
        f"{abs(seconds) // size} {unit}"
        for unit, size in (("d", 86400), ("h", 3600), ("min", 60), ("s", 1))
        if abs(seconds) >= size
    )
    return f"{amount} ago" if seconds > 0 else f"in {amount}"


def utc(value: datetime | None, seconds: bool = True) -> str:
    if value is None:
        return DASH
    pattern = "%Y-%m-%d %H:%M:%S UTC" if seconds else "%Y-%m-%d %H:%M UTC"
    return value.astimezone(UTC).strftime(pattern)


def iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def percent(value) -> str:
    """One decimal, rounded down: a job at 99.96% is not yet "100.0%"."""
    if value is None:
        return DASH
    shown = math.floor(value * 10 + 1e-9) / 10
    return f"{shown:.1f}%" if shown % 1 else f"{int(shown)}%"


def rough(value: timedelta | None) -> str:
    """A duration rounded to the minute once past one: '40 s', '11 min', '1 h 5 min'."""
    if value is None:
        return DASH
    seconds = value.total_seconds()
    if seconds < 60:
        return duration(value)
    return duration(timedelta(minutes=round(seconds / 60)))


def elapsed(value: timedelta | None) -> str:
    """How long a job has run, as its live page shows it: 'under 1 min', then rough.

    Counting seconds would change the page at every poll of a job's first minute.
    """
    if value is not None and timedelta(0) <= value < timedelta(minutes=1):
        return "under 1 min"
    return rough(value)


def approx(value: timedelta | None, sign: str = "about ") -> str:
    """Time left by an estimate: 'about 25 min' ('~25 min' with SIGN '~'), 'under 1 min' in the last minute.

    An estimate from comparable restores has no seconds to count, and counting them
    would change a live page at every poll of its last minute.
    """
    if value is None:
        return DASH
    if timedelta(0) <= value < timedelta(minutes=1):
        return "under 1 min"
    return f"{sign}{rough(value)}"


def span(low: timedelta, high: timedelta) -> str:
    """'6 to 18 min'; '40 s to 2 min' when the units differ."""
    first, last = rough(low), rough(high)
    if first == last:
        return first
    first_parts, last_parts = first.split(), last.split()
    if len(first_parts) == len(last_parts) == 2 and first_parts[1] == last_parts[1]:
        return f"{first_parts[0]} to {last}"
    return f"{first} to {last}"


def _restores(count: int) -> str:
    return f"{count} completed restore{'' if count == 1 else 's'}" if count else "no completed restores"


def expectation(expected) -> str:
    """What this project's earlier restores say about a running one (a progress.Expected)."""
    if expected is None:
        return "No estimate: the project's restore jobs could not be read from Pinecone."
    if not expected.enough:
        where = "of comparable size" if expected.by_size else "here"
        return f"Too little history to estimate: {_restores(expected.sample)} {where}."
    took, median = span(expected.low, expected.high), rough(expected.median)
    if expected.by_size:
        return f"Restores of backups this size took {took} here, median {median}, from {expected.sample} restores."
    return (
        f"Restores here took {took}, median {median}, from {expected.sample} restores "
        "(this backup's size is unknown, so all of them count)."
    )


def running_note(estimate) -> str:
    """A running job's elapsed and expected time in a line of text (a progress.Estimate)."""
    if estimate is None or estimate.elapsed is None:
        return ""
    note = f"running {elapsed(estimate.elapsed)}"
    expected = estimate.expected
    if expected and expected.enough:
        which = "restores this size take" if expected.by_size else "restores here take"
        note += f", {which} {span(expected.low, expected.high)} (median {rough(expected.median)})"
        if estimate.overdue:
            note += ", longer than 90% of them"
    elif expected:
        note += ", too little history to estimate"
    return note


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#!|~])")


def markdown_escape(text: str) -> str:
    """TEXT as literal Markdown: no link, emphasis, code or HTML can come of it."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def cut_middle(value, length: int = 28) -> str:
    """VALUE in at most LENGTH characters, cut in the middle so a dated suffix stays visible.

    The end keeps the larger share: restore targets differ mostly there (`-restore-1125-2`).
    """
    text = "" if value is None else str(value)
    if len(text) <= length or length < 3:
        return text
    head = (length - 1) // 2
    tail = length - 1 - head
    return f"{text[:head]}…{text[-tail:]}"


def expires(value: datetime | None, now: datetime | None = None) -> str:
    """When retention deletes a backup: 'expires 2026-12-24, in 29 days'."""
    if value is None:
        return DASH
    left = value - (now or datetime.now(UTC))
    day = value.astimezone(UTC).strftime("%Y-%m-%d")
    if left <= timedelta(0):
        return f"expired {day}, due for deletion"
    if left < timedelta(days=1):
        return f"expires {day}, {relative(value, now)}"
    days = left.days
    return f"expires {day}, in {days} day{'' if days == 1 else 's'}"
