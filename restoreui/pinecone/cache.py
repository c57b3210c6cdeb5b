"""Caching of upstream reads through Django's cache: single-flight and stale-on-error.

For each key three entries may exist, all plain picklable data:
  KEY        {"value", "at", "ttl"}: the fresh copy; fresh while now < at + ttl
  KEY:last   the same, kept for CACHE_STALE_FOR: served, marked stale, when Pinecone fails
  KEY:lock   a token held (via cache.add) by the one request loading KEY
  KEY:error  {"token", "error", "at", "ttl"}: the last load's failure, shared with the requests
             that waited for it and, for CACHE_TTL_RUNNING, answered from KEY:last at once
             instead of waiting on a failing Pinecone again (a 404 is never held this way)
The lock and polling work the same across processes (Redis) and threads (locmem).
"""

import hashlib
import math
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache

from restoreui.pinecone import budget, hooks
from restoreui.pinecone.errors import Busy, NotFound, PineconeError, Unavailable
from restoreui.projects import Project

POLL_SECONDS = 0.02


def key(project: Project, kind: str, *args: str) -> str:
    # Ids are arbitrary text; hashing keeps keys short and free of spaces.
    digest = hashlib.sha256(repr((project.host, project.api_version, *args)).encode()).hexdigest()
    return f"pinecone:{project.name}:{kind}:{digest[:32]}"


def _seconds(value: float) -> int:
    # Redis stores whole seconds; freshness itself is checked against "at" + "ttl".
    return max(1, math.ceil(value))


def _load_seconds() -> float:
    """The longest one load can take, retries and Retry-After waits included."""
    attempts = settings.PINECONE_RETRIES + 1
    per_attempt = settings.PINECONE_CONNECT_TIMEOUT + settings.PINECONE_READ_TIMEOUT
    return attempts * per_attempt + settings.PINECONE_RETRIES * settings.PINECONE_RETRY_AFTER_MAX


def _fresh(entry: Any) -> bool:
    return isinstance(entry, dict) and time.time() < entry["at"] + entry["ttl"]


def _hit(key: str) -> tuple[Any, float, None] | None:
    entry = cache.get(key)
    if not _fresh(entry):
        return None
    hooks.on_cache("hit")
    return entry["value"], entry["at"], None


def read(key: str, load: Callable[[], Any], ttl: Callable[[Any], float]) -> tuple[Any, float, PineconeError | None]:
    """Return (value, fetched at in epoch seconds, error); an error means the value is stale.

    Raises the PineconeError when there is no earlier copy to fall back on.
    """
    if hit := _hit(key):
        return hit
    failed = cache.get(f"{key}:error")
    if _fresh(failed) and not isinstance(failed["error"], NotFound):
        return _fall_back(key, failed["error"])
    try:
        # Waiting for another request's load is waiting on Pinecone too.
        with budget.slot():
            return _load_once(key, load, ttl)
    except Busy as error:
        return _fall_back(key, error)


def _load_once(
    key: str, load: Callable[[], Any], ttl: Callable[[Any], float]
) -> tuple[Any, float, PineconeError | None]:
    token = uuid.uuid4().hex
    if cache.add(f"{key}:lock", token, timeout=_seconds(_load_seconds())):
        try:
            # The lock may be free because a load finished just after our first look.
            if hit := _hit(key):
                return hit
            return _load(key, load, ttl, token)
        finally:
            cache.delete(f"{key}:lock")
    # Another request is loading this key: wait for its answer instead of asking again.
    holder = cache.get(f"{key}:lock")
    left = budget.remaining()
    deadline = time.monotonic() + (_load_seconds() if left is None else min(_load_seconds(), left))
    while time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        if hit := _hit(key):
            return hit
        failed = cache.get(f"{key}:error")
        if isinstance(failed, dict) and failed["token"] == holder:
            return _fall_back(key, failed["error"])
        if holder is None or cache.get(f"{key}:lock") != holder:
            # The holder stores its copy before letting go: look once more, then load.
            if hit := _hit(key):
                return hit
            break
    else:
        if left is not None:
            return _fall_back(
                key,
                Unavailable(
                    f"no answer within this page's time budget of {settings.RESTOREUI_PAGE_TIME_BUDGET:g} s",
                    timeout=settings.RESTOREUI_PAGE_TIME_BUDGET,
                ),
            )
    return _load(key, load, ttl, token)


def _load(
    key: str, load: Callable[[], Any], ttl: Callable[[Any], float], token: str
) -> tuple[Any, float, PineconeError | None]:
    hooks.on_cache("miss")
    try:
        value = load()
    except PineconeError as error:
        # Held for the shortest TTL: no longer than a running job goes without a refresh.
        hold = settings.CACHE_TTL_RUNNING
        failed = {"token": token, "error": error, "at": time.time(), "ttl": hold}
        cache.set(f"{key}:error", failed, timeout=_seconds(hold))
        return _fall_back(key, error)
    entry = {"value": value, "at": time.time(), "ttl": ttl(value)}
    cache.set(key, entry, timeout=_seconds(entry["ttl"]))
    cache.set(f"{key}:last", entry, timeout=_seconds(settings.CACHE_STALE_FOR))
    cache.delete(f"{key}:error")
    return value, entry["at"], None


def _fall_back(key: str, error: PineconeError) -> tuple[Any, float, PineconeError]:
    if isinstance(error, NotFound):
        # Something that is gone must look gone, not like an outage.
        cache.delete_many([key, f"{key}:last"])
        raise error
    last = cache.get(f"{key}:last")
    if not isinstance(last, dict):
        raise error
    hooks.on_cache("stale")
    return last["value"], last["at"], error


def drop(*keys: str) -> None:
    """Forget fresh copies after a write; the last good copies stay for outages."""
    cache.delete_many(list(keys))


def put_last(key: str, value: Any) -> None:
    """Keep VALUE as KEY's last copy (read back with last()) for CACHE_STALE_FOR."""
    cache.set(f"{key}:last", {"value": value, "at": time.time(), "ttl": 0}, timeout=_seconds(settings.CACHE_STALE_FOR))


def last(key: str) -> Any:
    """The last good value of KEY, if any, without asking Pinecone."""
    entry = cache.get(f"{key}:last")
    return entry["value"] if isinstance(entry, dict) else None


def last_read(key: str) -> tuple[Any, float] | None:
    """(the last good value of KEY, when it was read in epoch seconds), if any, without asking Pinecone."""
    entry = cache.get(f"{key}:last")
    return (entry["value"], entry["at"]) if isinstance(entry, dict) else None
