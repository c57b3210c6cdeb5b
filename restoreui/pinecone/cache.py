"""Caching of upstream reads through Django's cache: single-flight, stale-on-error and stale-while-revalidate.

For each key these entries may exist, all plain picklable data:
  KEY:stamp  {"at", "ttl", "version"}: a few bytes naming the current copy; fresh while now < at + ttl,
             kept CACHE_REVALIDATE_WINDOW longer so a list can be served while it is refreshed
  KEY:last   {"value", "at", "ttl", "version"}: the copy itself, kept for CACHE_STALE_FOR: served,
             marked stale, when Pinecone fails
  KEY:lock   a token held (via cache.add) by the one request or refresh loading KEY
  KEY:error  {"token", "error", "at", "ttl"}: the last load's failure, shared with the requests
             that waited for it and, for CACHE_TTL_RUNNING, answered from KEY:last at once
             instead of waiting on a failing Pinecone again (a 404 is never held this way)
The lock and polling work the same across processes (Redis) and threads (locmem).

Each process holds what it made of each copy (parsed and sorted) by key and version (a digest of
the copy's content, so an unchanged refresh keeps it), and views hold what they make of copies
(merged, filtered) keyed on the same versions (`derived`): a warm read costs one small cache get
and no parsing, however long the list. Times come from `clock`, so tests
move past a lifetime instead of sleeping through it.

A list read after its lifetime ended (within CACHE_REVALIDATE_WINDOW) is answered from its last
copy at once, and refreshed behind the answer: the refresh starts once the response has been
sent (Django's request_finished), in a small per-process pool, and takes KEY:lock first, so one
refresh per key runs across the cluster. The watcher reads inside `refreshing_ahead`, loading
every copy that would expire before its next round, so with it running no viewer waits on a walk.
"""

import hashlib
import logging
import math
import pickle
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_for
from contextlib import contextmanager
from contextvars import ContextVar
from functools import partial
from typing import Any, NamedTuple

from django.conf import settings
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from restoreui.pinecone import budget, clock, hooks
from restoreui.pinecone.errors import Busy, NotFound, PineconeError, Unavailable
from restoreui.projects import Project

log = logging.getLogger(__name__)

POLL_SECONDS = 0.02


class Copy(NamedTuple):
    value: Any
    # When it was fetched from Pinecone, in epoch seconds.
    at: float
    # Set when the value is stale because Pinecone failed.
    error: PineconeError | None
    # Names this copy wherever it is held: equal versions, equal values.
    version: str


class _How(NamedTuple):
    load: Callable[[], Any]
    ttl: Callable[[Any], float]
    parse: Callable[[Any], Any]
    loaded: Callable[[Any], object] | None


def _same(value: Any) -> Any:
    return value


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


def _stamped(entry: Any) -> bool:
    return isinstance(entry, dict) and "at" in entry and "ttl" in entry


def _fresh(entry: Any) -> bool:
    return _stamped(entry) and clock.now() < entry["at"] + entry["ttl"]


# -- what this process made of each copy ------------------------------------------------------

_HELD: OrderedDict[str, tuple[str, Any]] = OrderedDict()
HELD_KEPT = 1024
_HELD_LOCK = threading.Lock()
_MISSING = object()


def _held(name: str, version: str) -> Any:
    with _HELD_LOCK:
        held = _HELD.get(name)
        if held is None or held[0] != version:
            return _MISSING
        _HELD.move_to_end(name)
        return held[1]


def derived[T](name: str, version: str, make: Callable[[], T]) -> T:
    """MAKE(), computed once in this process for each VERSION of what NAME stands for.

    One slot per name, the newest version replacing the last; the least recently used of
    HELD_KEPT names go first. The same version gives the very same object back, so callers
    may key their own derived values on it.
    """
    held = _held(name, version)
    if held is not _MISSING:
        kept: T = held
        return kept
    value = make()
    with _HELD_LOCK:
        _HELD[name] = (version, value)
        _HELD.move_to_end(name)
        while len(_HELD) > HELD_KEPT:
            _HELD.popitem(last=False)
    return value


def _parsed(key: str, entry: dict[str, Any], parse: Callable[[Any], Any], error: PineconeError | None = None) -> Copy:
    # Copies written before versions existed are named by their time.
    version = entry.get("version") or f"at:{entry['at']!r}"
    return Copy(derived(key, version, lambda: parse(entry["value"])), entry["at"], error, version)


def _copy_of(key: str, stamp: dict[str, Any], parse: Callable[[Any], Any]) -> Copy | None:
    """The copy STAMP names, as this process holds it or else from KEY:last (which may be newer)."""
    if "version" in stamp and (value := _held(key, stamp["version"])) is not _MISSING:
        return Copy(value, stamp["at"], None, stamp["version"])
    last = cache.get(f"{key}:last")
    if not (_stamped(last) and "value" in last):
        return None
    return _parsed(key, last, parse)


# -- reading -----------------------------------------------------------------------------------

# (seconds, since): inside refreshing_ahead, a copy that expires within SECONDS counts as expired,
# unless it was fetched SINCE the block began.
_ahead: ContextVar[tuple[float, float] | None] = ContextVar("restoreui_cache_ahead", default=None)


@contextmanager
def refreshing_ahead(seconds: float) -> Iterator[None]:
    """Load every copy read in the block that would expire within SECONDS, and wait for it.

    For the watcher: a round every SECONDS then refreshes each list before its lifetime ends.
    """
    token = _ahead.set((seconds, clock.now()))
    try:
        yield
    finally:
        _ahead.reset(token)


def _current(stamp: dict[str, Any], strict: bool = True) -> bool:
    now = clock.now()
    if now >= stamp["at"] + stamp["ttl"]:
        return False
    ahead = _ahead.get() if strict else None
    if ahead is None:
        return True
    seconds, since = ahead
    return bool(stamp["at"] >= since or now + seconds < stamp["at"] + stamp["ttl"])


def _revalidating(stamp: dict[str, Any]) -> bool:
    return _ahead.get() is None and clock.now() < stamp["at"] + stamp["ttl"] + settings.CACHE_REVALIDATE_WINDOW


def _hit(key: str, parse: Callable[[Any], Any] = _same, strict: bool = True) -> Copy | None:
    stamp = cache.get(f"{key}:stamp")
    if not (_stamped(stamp) and _current(stamp, strict)):
        return None
    copy = _copy_of(key, stamp, parse)
    if copy is not None:
        hooks.on_cache("hit")
    return copy


def fetch(
    key: str,
    load: Callable[[], Any],
    ttl: Callable[[Any], float],
    *,
    parse: Callable[[Any], Any] = _same,
    loaded: Callable[[Any], object] | None = None,
    revalidate: bool = False,
) -> Copy:
    """KEY's copy: PARSE(what LOAD() returned), parsed once per process per copy.

    TTL(raw value) is a copy's lifetime. LOADED(parsed value) runs once per copy, in the
    process that loaded it. With REVALIDATE, a copy past its lifetime (by less than
    CACHE_REVALIDATE_WINDOW) is returned at once and refreshed behind the answer; once such
    a refresh has failed, the copy comes back marked stale with that error until one succeeds.
    Raises the PineconeError when there is no earlier copy to fall back on.
    """
    how = _How(load, ttl, parse, loaded)
    stamp = cache.get(f"{key}:stamp")
    if _stamped(stamp):
        if _current(stamp):
            if (copy := _copy_of(key, stamp, parse)) is not None:
                hooks.on_cache("hit")
                return copy
        elif revalidate and _revalidating(stamp) and (copy := _copy_of(key, stamp, parse)) is not None:
            return _revalidated(key, copy, how)
    failed = cache.get(f"{key}:error")
    if _fresh(failed) and not isinstance(failed["error"], NotFound):
        return _fall_back(key, failed["error"], parse)
    try:
        # Waiting for another request's load is waiting on Pinecone too.
        with budget.slot():
            return _load_once(key, how)
    except Busy as error:
        return _fall_back(key, error, parse)


def read(key: str, load: Callable[[], Any], ttl: Callable[[Any], float]) -> tuple[Any, float, PineconeError | None]:
    """Return (value, fetched at in epoch seconds, error); an error means the value is stale.

    Raises the PineconeError when there is no earlier copy to fall back on.
    """
    copy = fetch(key, load, ttl)
    return copy.value, copy.at, copy.error


def _revalidated(key: str, copy: Copy, how: _How) -> Copy:
    failed = cache.get(f"{key}:error")
    if not _fresh(failed):
        # A failure just now is left to rest, as a waiting page would: CACHE_TTL_RUNNING.
        _refresh_later(key, how)
    if _stamped(failed) and failed["at"] >= copy.at and not isinstance(failed["error"], NotFound):
        hooks.on_cache("stale")
        return copy._replace(error=failed["error"])
    hooks.on_cache("revalidate")
    return copy


def _load_once(key: str, how: _How) -> Copy:
    token = uuid.uuid4().hex
    if cache.add(f"{key}:lock", token, timeout=_seconds(_load_seconds())):
        try:
            # The lock may be free because a load finished just after our first look.
            if hit := _hit(key, how.parse):
                return hit
            return _load(key, how.load, how.ttl, token, how.parse, how.loaded)
        finally:
            cache.delete(f"{key}:lock")
    # Another request is loading this key: wait for its answer instead of asking again.
    holder = cache.get(f"{key}:lock")
    left = budget.remaining()
    deadline = time.monotonic() + (_load_seconds() if left is None else min(_load_seconds(), left))
    while time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        # Whatever the holder just loaded will do, even for a watcher reading ahead.
        if hit := _hit(key, how.parse, strict=False):
            return hit
        failed = cache.get(f"{key}:error")
        if isinstance(failed, dict) and failed["token"] == holder:
            return _fall_back(key, failed["error"], how.parse)
        if holder is None or cache.get(f"{key}:lock") != holder:
            # The holder stores its copy before letting go: look once more, then load.
            if hit := _hit(key, how.parse, strict=False):
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
                how.parse,
            )
    return _load(key, how.load, how.ttl, token, how.parse, how.loaded)


def _load(
    key: str,
    load: Callable[[], Any],
    ttl: Callable[[Any], float],
    token: str,
    parse: Callable[[Any], Any] = _same,
    loaded: Callable[[Any], object] | None = None,
) -> Copy:
    hooks.on_cache("miss")
    try:
        value = load()
    except PineconeError as error:
        # Held for the shortest TTL: no longer than a running job goes without a refresh. Kept
        # past that, so copies served while they are refreshed say Pinecone failed until it answers.
        hold = settings.CACHE_TTL_RUNNING
        failed = {"token": token, "error": error, "at": clock.now(), "ttl": hold}
        cache.set(f"{key}:error", failed, timeout=_seconds(hold + settings.CACHE_REVALIDATE_WINDOW))
        return _fall_back(key, error, parse)
    lifetime = ttl(value)
    entry = {"value": value, "at": clock.now(), "ttl": lifetime, "version": _version(value)}
    # The copy before its stamp: whoever sees the new stamp finds the copy it names (or a newer one).
    cache.set(f"{key}:last", entry, timeout=_seconds(settings.CACHE_STALE_FOR))
    stamp = {"at": entry["at"], "ttl": lifetime, "version": entry["version"]}
    cache.set(f"{key}:stamp", stamp, timeout=_seconds(lifetime + settings.CACHE_REVALIDATE_WINDOW))
    cache.delete(f"{key}:error")
    copy = _parsed(key, entry, parse)
    if loaded:
        loaded(copy.value)
    return copy


def _version(value: Any) -> str:
    """A copy's identity, from its content: a refresh that brings nothing new keeps every process's
    parsed copy and what views made of it, so a list refreshed every lifetime is parsed once."""
    digest = hashlib.blake2b(digest_size=16)
    try:
        # Pickled straight into the hash, a frame at a time: a long list is never held twice.
        pickle.Pickler(_Sink(digest.update), protocol=pickle.HIGHEST_PROTOCOL).dump(value)
    except (pickle.PicklingError, TypeError, AttributeError):
        return uuid.uuid4().hex
    return digest.hexdigest()


class _Sink(NamedTuple):
    write: Callable[[bytes], object]


def _fall_back(key: str, error: PineconeError, parse: Callable[[Any], Any] = _same) -> Copy:
    if isinstance(error, NotFound):
        # Something that is gone must look gone, not like an outage.
        cache.delete_many([f"{key}:stamp", f"{key}:last"])
        raise error
    last = cache.get(f"{key}:last")
    if not (_stamped(last) and "value" in last):
        raise error
    hooks.on_cache("stale")
    return _parsed(key, last, parse, error)


# -- refreshing behind the answer --------------------------------------------------------------

_refreshing: set[str] = set()
_running: set[Future[None]] = set()
_refresh_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
# The refreshes a request asked for, started once its answer has been sent.
_after_answer = threading.local()


def _refresh_later(key: str, how: _How) -> None:
    with _refresh_lock:
        if key in _refreshing:
            return
        _refreshing.add(key)
    task = partial(_refresh, key, how)
    waiting = getattr(_after_answer, "tasks", None)
    if waiting is None:
        _start(task)
    else:
        waiting.append(task)


def _start(task: partial[None]) -> None:
    global _pool
    with _refresh_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(settings.CACHE_REFRESH_THREADS, thread_name_prefix="restoreui-refresh")
        try:
            future = _pool.submit(task)
        except RuntimeError:
            # The process is exiting: the copy is left to the next reader, in this process or another.
            _refreshing.discard(task.args[0])
            return
        _running.add(future)
    future.add_done_callback(_done)


def _done(future: Future[None]) -> None:
    with _refresh_lock:
        _running.discard(future)


def _refresh(key: str, how: _How) -> None:
    try:
        token = uuid.uuid4().hex
        # One refresh per key across the cluster: whoever holds the lock is loading it already.
        if not cache.add(f"{key}:lock", token, timeout=_seconds(_load_seconds())):
            return
        try:
            if _fresh(cache.get(f"{key}:stamp")):
                return
            _load(key, how.load, how.ttl, token, how.parse, how.loaded)
        finally:
            cache.delete(f"{key}:lock")
    except PineconeError as error:
        log.info("refreshing %s: %s", key, error.explain())
    except Exception:
        log.exception("refreshing %s failed", key)
    finally:
        with _refresh_lock:
            _refreshing.discard(key)
        # LOADED may have written history from this thread.
        close_old_connections()


def _answer_started(**kwargs: Any) -> None:
    # Anything left from an answer that was never closed starts now rather than never.
    for task in getattr(_after_answer, "tasks", None) or ():
        _start(task)
    _after_answer.tasks = []


def _answer_sent(**kwargs: Any) -> None:
    tasks, _after_answer.tasks = getattr(_after_answer, "tasks", None), None
    for task in tasks or ():
        _start(task)


request_started.connect(_answer_started, dispatch_uid="restoreui.pinecone.cache.started")
request_finished.connect(_answer_sent, dispatch_uid="restoreui.pinecone.cache.finished")


def settle(timeout: float = 60.0) -> bool:
    """Wait for the refreshes started so far in this process; True when none is left running."""
    with _refresh_lock:
        running = list(_running)
    return not wait_for(running, timeout).not_done


# -- writes and side doors ---------------------------------------------------------------------


def drop(*keys: str) -> None:
    """Forget fresh copies after a write; the last good copies stay for outages."""
    cache.delete_many([name for k in keys for name in (k, f"{k}:stamp")])


def put_last(key: str, value: Any) -> None:
    """Keep VALUE as KEY's last copy (read back with last()) for CACHE_STALE_FOR."""
    entry = {"value": value, "at": clock.now(), "ttl": 0, "version": uuid.uuid4().hex}
    cache.set(f"{key}:last", entry, timeout=_seconds(settings.CACHE_STALE_FOR))


def peek(key: str, parse: Callable[[Any], Any] = _same) -> Copy | None:
    """KEY's newest copy, fresh or not, without asking Pinecone; None when none is held.

    PARSE must be the one KEY is fetched with: the parsed copy is this process's, shared with fetch.
    """
    stamp = cache.get(f"{key}:stamp")
    if _stamped(stamp):
        return _copy_of(key, stamp, parse)
    last = cache.get(f"{key}:last")
    return _parsed(key, last, parse) if _stamped(last) and "value" in last else None


def last(key: str) -> Any:
    """The last good value of KEY, if any, without asking Pinecone."""
    entry = cache.get(f"{key}:last")
    return entry["value"] if isinstance(entry, dict) else None
