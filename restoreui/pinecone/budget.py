"""How long, and how many at once, page requests may wait on Pinecone.

Inside `page(seconds)` (every request, through the middleware):
- the request waits on Pinecone for `seconds` at most, retries and Retry-After
  pauses included: a retry is made only when its pause and a whole attempt still
  fit, and the first attempt's timeouts are cut to what is left;
- at most PINECONE_CONCURRENT_CALLS threads of the process wait on Pinecone at
  once (a call, or another request's call for the same cache key). A request
  that finds no free slot within PINECONE_SLOT_WAIT (a fraction of a second)
  answers with its stale copy or Busy instead of queueing; once a wait came to
  nothing, the requests of the next PINECONE_SLOT_WAIT seconds do not wait at all
  until a slot comes free, so a queue of them cannot hold the one free thread for
  long, and a burst that the slots clear in time (a cold start) is not turned
  away. With GUNICORN_THREADS - 1 slots, one thread per worker is always free
  for /healthz and cached pages, however slow Pinecone is.
Outside a request (management commands, direct calls) neither limit applies.
"""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

from django.conf import settings

from restoreui.pinecone.errors import Busy

if TYPE_CHECKING:
    import urllib3

_deadline: ContextVar[float | None] = ContextVar("restoreui_budget_deadline", default=None)
_holding: ContextVar[bool] = ContextVar("restoreui_budget_holding", default=False)
_slots: dict[int, threading.BoundedSemaphore] = {}
_slots_lock = threading.Lock()
# When a wait for a slot last came to nothing, and when a slot was last given back, in time.monotonic() seconds.
_gave_up_at = float("-inf")
_released_at = float("-inf")


@contextmanager
def page(seconds: float) -> Iterator[None]:
    token = _deadline.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


def remaining() -> float | None:
    """Seconds left to wait on Pinecone in this request; None outside a request."""
    deadline = _deadline.get()
    return None if deadline is None else max(0.0, deadline - time.monotonic())


def _semaphore() -> threading.BoundedSemaphore:
    # Keyed by the setting so a changed value takes effect without a restart.
    size = settings.PINECONE_CONCURRENT_CALLS
    with _slots_lock:
        return _slots.setdefault(size, threading.BoundedSemaphore(size))


@contextmanager
def slot() -> Iterator[None]:
    """Hold one of the process's slots for waiting on Pinecone, or raise Busy at once."""
    left = remaining()
    if left is None or _holding.get():
        yield
        return
    global _gave_up_at, _released_at
    semaphore = _semaphore()
    wait = min(settings.PINECONE_SLOT_WAIT, left)
    # Saturated: a wait came to nothing just now, and no slot has come free since.
    saturated = _released_at < _gave_up_at and time.monotonic() - _gave_up_at < settings.PINECONE_SLOT_WAIT
    if not (semaphore.acquire(blocking=False) if saturated else semaphore.acquire(timeout=wait)):
        _gave_up_at = time.monotonic()
        raise Busy(
            f"all {settings.PINECONE_CONCURRENT_CALLS} requests this process lets wait on Pinecone "
            "at once are waiting already"
        )
    token = _holding.set(True)
    try:
        yield
    finally:
        _holding.reset(token)
        _released_at = time.monotonic()
        semaphore.release()


class Spent(Exception):
    """A retry would not fit in the budget; RESPONSE is the last answer, if any."""

    def __init__(self, response: "urllib3.BaseHTTPResponse | None" = None) -> None:
        super().__init__("the page's time budget does not leave room for another attempt")
        self.response = response
