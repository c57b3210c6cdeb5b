"""HTTP to the Pinecone control plane: one pooled session per project, retries, errors.

GETs are retried on 429, 5xx and lost connections. A POST or DELETE is retried
only when no connection could be opened: one that may have reached Pinecone is
never sent twice, because a second restore or backup is worse than an error.
"""

import json
import logging
import threading
import time
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote

import requests
import urllib3
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.exceptions import InvalidHeader, ReadTimeoutError
from urllib3.util.retry import Retry

from restoreui.pinecone import budget, hooks
from restoreui.pinecone.errors import BY_STATUS, NotFound, PineconeError, RateLimited, Unavailable
from restoreui.projects import Project

log = logging.getLogger(__name__)

USER_AGENT = "restoreui/0.1 (python-requests)"
RETRY_STATUSES = (429, 500, 502, 503, 504)
# The API's answers nest a few levels (a schema's fields); far more is not an answer.
MAX_DEPTH = 32

_sessions: dict[tuple[Project, int, float, float], requests.Session] = {}
_sessions_lock = threading.Lock()


def segment(value: str) -> str:
    """One percent-encoded path segment: an id can never change which path is called."""
    if value in ("", ".", ".."):
        # quote() leaves dots alone, and HTTP clients and proxies resolve dot segments.
        raise NotFound(f"{value!r} is not a Pinecone id or name")
    return quote(value, safe="")


class _Retry(Retry):
    """urllib3's Retry that also reads fractional Retry-After seconds and ignores garbage."""

    def parse_retry_after(self, retry_after: str) -> float:
        try:
            seconds = float(retry_after)
        except ValueError:
            try:
                return super().parse_retry_after(retry_after)
            except InvalidHeader:
                return 0.0
        return min(seconds if seconds > 0 else 0.0, self.retry_after_max)

    def sleep(self, response: urllib3.BaseHTTPResponse | None = None) -> None:
        left = budget.remaining()
        if left is not None:
            pause = (response and self.respect_retry_after_header and self.get_retry_after(response)) or 0.0
            pause = max(pause, self.get_backoff_time())
            attempt = settings.PINECONE_CONNECT_TIMEOUT + settings.PINECONE_READ_TIMEOUT
            if pause + attempt > left:
                raise budget.Spent(response)
        super().sleep(response)


def _retry() -> Retry:
    retries = settings.PINECONE_RETRIES
    return _Retry(
        total=retries,
        connect=retries,
        # A read error means the request was sent; for a GET that is safe to repeat,
        # but each attempt may wait a full read timeout, so only once.
        read=min(retries, 1),
        status=retries,
        other=0,
        redirect=0,
        allowed_methods=frozenset({"GET"}),
        status_forcelist=RETRY_STATUSES,
        backoff_factor=settings.PINECONE_BACKOFF,
        backoff_jitter=settings.PINECONE_BACKOFF,
        backoff_max=settings.PINECONE_RETRY_AFTER_MAX,
        respect_retry_after_header=True,
        # urllib3 annotates it as int, but takes any number of seconds.
        retry_after_max=settings.PINECONE_RETRY_AFTER_MAX,  # type: ignore[arg-type]
        raise_on_status=False,
    )


def session(project: Project) -> requests.Session:
    # Keyed by the retry settings too, so a changed setting takes effect without a restart.
    key = (project, settings.PINECONE_RETRIES, settings.PINECONE_BACKOFF, settings.PINECONE_RETRY_AFTER_MAX)
    with _sessions_lock:
        s = _sessions.get(key)
        if s is None:
            s = requests.Session()
            adapter = HTTPAdapter(pool_connections=1, pool_maxsize=16, max_retries=_retry())
            s.mount("http://", adapter)
            s.mount("https://", adapter)
            s.headers.update(
                {
                    "Api-Key": project.api_key,
                    "X-Pinecone-Api-Version": project.api_version,
                    "User-Agent": USER_AGENT,
                    "Accept": "application/json",
                }
            )
            _sessions[key] = s
        return s


def call(
    project: Project,
    method: str,
    endpoint: str,
    *,
    ids: tuple[str, ...] = (),
    params: dict[str, Any] | None = None,
    body: dict[str, Any] | None = None,
) -> Any:
    """Send one request and return its decoded JSON body (None when empty).

    `endpoint` is the path template, e.g. "/backups/{}", filled with the
    percent-encoded `ids`; it is also the label the metrics hook sees.
    """
    url = project.host + endpoint.format(*(segment(i) for i in ids))
    label = f"{method} {endpoint}"
    with budget.slot():
        return _call(project, method, url, label, params, body)


def _call(
    project: Project, method: str, url: str, label: str, params: dict[str, Any] | None, body: dict[str, Any] | None
) -> Any:
    connect_timeout, read_timeout = settings.PINECONE_CONNECT_TIMEOUT, settings.PINECONE_READ_TIMEOUT
    left = budget.remaining()
    if left is not None:
        if left <= 0:
            raise _out_of_time(project, label, sent=False)
        connect_timeout, read_timeout = min(connect_timeout, left), min(read_timeout, left)
    started = time.monotonic()
    try:
        # requests follows redirects itself whatever urllib3's Retry says, and would
        # send the Api-Key (and a restore's body) to wherever a 3xx points.
        response = session(project).request(
            method,
            url,
            params=params,
            json=body,
            stream=True,
            allow_redirects=False,
            timeout=(connect_timeout, read_timeout),
        )
        left = budget.remaining()
        content = _read_body(response, time.monotonic() + (read_timeout if left is None else min(read_timeout, left)))
    except requests.RequestException as e:
        hooks.on_upstream_call(label, 0, time.monotonic() - started)
        raise _transport_error(project, label, e) from None
    except _TooLarge:
        limit = settings.PINECONE_MAX_BODY_BYTES
        log.warning("%s for project %s: the body is larger than %d bytes", label, project.name, limit)
        raise Unavailable(
            f"Pinecone sent an answer larger than {limit:,} bytes", status=response.status_code, project=project.name
        ) from None
    except budget.Spent as spent:
        if spent.response is None:
            hooks.on_upstream_call(label, 0, time.monotonic() - started)
            raise _out_of_time(project, label) from None
        response, content = _last_answer(spent.response), b""
    hooks.on_upstream_call(label, response.status_code, time.monotonic() - started)
    request_id = response.headers.get("x-pinecone-request-id")
    request_id = _scrub(project, request_id[:128]) if request_id else None
    if 300 <= response.status_code < 400:
        location = _scrub(project, response.headers.get("Location", "nowhere")[:500])
        log.warning(
            "%s -> %s for project %s: redirect to %s, not followed", label, response.status_code, project.name, location
        )
        raise Unavailable(
            f"Pinecone answered with a redirect to {location}; restoreui does not follow redirects",
            status=response.status_code,
            request_id=request_id,
            project=project.name,
        )
    if response.status_code >= 400:
        error = _http_error(project, response, content, request_id)
        log.warning("%s -> %s for project %s: %s", label, response.status_code, project.name, error)
        raise error
    if not content.strip():
        return None
    try:
        decoded = json.loads(content)
    except (ValueError, RecursionError):
        log.warning("%s for project %s: the body is not JSON", label, project.name)
        raise Unavailable(
            f"Pinecone answered HTTP {response.status_code} with a body that is not JSON",
            request_id=request_id,
            project=project.name,
        ) from None
    if _too_deep(decoded):
        log.warning("%s for project %s: the body nests deeper than %d levels", label, project.name, MAX_DEPTH)
        raise Unavailable(
            f"Pinecone answered with JSON nested deeper than {MAX_DEPTH} levels",
            request_id=request_id,
            project=project.name,
        )
    return decoded


def _too_deep(value: Any) -> bool:
    # Deep values would fail later, when pickled into the cache or dumped for a page.
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        for child in children:
            if isinstance(child, (dict, list)):
                if depth >= MAX_DEPTH:
                    return True
                stack.append((child, depth + 1))
    return False


def _out_of_time(project: Project, label: str, sent: bool = True) -> Unavailable:
    seconds = settings.RESTOREUI_PAGE_TIME_BUDGET
    log.warning("%s for project %s: the page's time budget of %g s is spent", label, project.name, seconds)
    return Unavailable(
        f"no answer within this page's time budget of {seconds:g} s", timeout=seconds, sent=sent, project=project.name
    )


def _last_answer(raw: urllib3.BaseHTTPResponse) -> requests.Response:
    """The answer urllib3 would have retried, as requests would have returned it (its body is gone)."""
    response = requests.Response()
    response.status_code = raw.status
    response.reason = raw.reason or ""
    response.headers = requests.structures.CaseInsensitiveDict(raw.headers)
    return response


class _TooLarge(Exception):
    pass


def _read_body(response: requests.Response, deadline: float) -> bytes:
    # The read timeout bounds each socket read; a body that trickles in needs a deadline too.
    chunks = []
    with response:
        try:
            # read1 returns what has arrived; iter_content would wait for a full chunk.
            size = 0
            while chunk := response.raw.read1(65536, decode_content=True):
                chunks.append(chunk)
                size += len(chunk)
                if size > settings.PINECONE_MAX_BODY_BYTES:
                    raise _TooLarge()
                if time.monotonic() > deadline:
                    raise TimeoutError("the body took longer than the read timeout")
        except (urllib3.exceptions.HTTPError, OSError) as e:
            raise requests.ConnectionError(e) from e
    return b"".join(chunks)


SCRUB_PIECE = 8


def _scrub(project: Project, text: str) -> str:
    """TEXT without the API key: any piece of it of 8 or more characters, in any case."""
    key, lowered = project.api_key.casefold(), text.casefold()
    if len(lowered) != len(text):
        # Case folding changed the length (ß -> ss): positions would not line up.
        lowered = text.lower()
    piece = min(SCRUB_PIECE, len(key))
    pieces = {key[i : i + piece] for i in range(len(key) - piece + 1)}
    hidden = [False] * len(text)
    for i in range(len(text) - piece + 1):
        if lowered[i : i + piece] in pieces:
            hidden[i : i + piece] = [True] * piece
    out, i = [], 0
    while i < len(text):
        if hidden[i]:
            while i < len(text) and hidden[i]:
                i += 1
            out.append("[api key]")
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _causes(e: BaseException) -> list[BaseException]:
    """E and what caused it, outermost first."""
    chain = [e]
    for _ in range(10):
        inner = e.__cause__ or e.__context__ or getattr(e, "reason", None)
        if inner is None and e.args and isinstance(e.args[0], BaseException):
            inner = e.args[0]
        if not isinstance(inner, BaseException):
            break
        e = inner
        chain.append(e)
    return chain


def _transport_error(project: Project, label: str, e: requests.RequestException) -> Unavailable:
    causes = _causes(e)
    cause = causes[-1]
    # No connection was made, so nothing reached Pinecone.
    sent = not any(isinstance(c, (requests.ConnectTimeout, urllib3.exceptions.NewConnectionError)) for c in causes)
    if isinstance(e, requests.ConnectTimeout):
        timeout = settings.PINECONE_CONNECT_TIMEOUT
        message = f"timed out after {timeout:g} s connecting to {project.host}"
    elif isinstance(e, requests.Timeout) or isinstance(cause, (ReadTimeoutError, TimeoutError)):
        # requests reports a timeout while reading the body as a ConnectionError.
        timeout = settings.PINECONE_READ_TIMEOUT
        message = f"timed out after {timeout:g} s waiting for {project.host} to answer"
    else:
        timeout = None
        message = f"no answer from {project.host} ({type(cause).__name__})"
    log.warning("%s for project %s: %s (%s)", label, project.name, message, _scrub(project, str(e)))
    return Unavailable(message, timeout=timeout, sent=sent, project=project.name)


def _http_error(project: Project, response: requests.Response, content: bytes, request_id: str | None) -> PineconeError:
    status = response.status_code
    code, message = None, None
    try:
        envelope = json.loads(content)
    except ValueError:
        envelope = None
    if isinstance(envelope, dict):
        detail = envelope.get("error")
        if isinstance(detail, dict):
            code = _scrub(project, detail["code"][:64]) if isinstance(detail.get("code"), str) else None
            message = detail.get("message") if isinstance(detail.get("message"), str) else None
        elif isinstance(detail, str):
            message = detail
    message = _scrub(project, message or f"HTTP {status} {response.reason or ''}".strip())
    cls = BY_STATUS.get(status, Unavailable if status >= 500 else PineconeError)
    if cls is RateLimited:
        return RateLimited(
            message,
            retry_after=_retry_after(response),
            status=status,
            code=code,
            request_id=request_id,
            project=project.name,
        )
    return cls(message, status=status, code=code, request_id=request_id, project=project.name)


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None
