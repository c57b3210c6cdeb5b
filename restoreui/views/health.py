"""Probes for load balancers and orchestrators, and the Prometheus scrape."""

import hmac
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor, wait

import requests
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.db import connection
from django.http import Http404, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from restoreui.metrics import exposition
from restoreui.projects import Project, all_projects

_ready_lock = threading.Lock()
_ready_result: tuple[float, dict] = (0.0, {})


@login_not_required
@require_safe
@never_cache
def healthz(request):
    """The process answers. No I/O, so a slow dependency never gets it restarted."""
    return JsonResponse({"status": "ok"})


def _check_database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    finally:
        # This runs on a pool thread of its own: its connection would outlive it.
        connection.close()
    return None


def _check_cache() -> str | None:
    token = uuid.uuid4().hex
    cache.set(f"restoreui:readyz:{token}", token, timeout=10)
    if cache.get(f"restoreui:readyz:{token}") != token:
        return "a value written to the cache did not come back"
    cache.delete(f"restoreui:readyz:{token}")
    return None


def _check_project(project: Project) -> str | None:
    # Straight to Pinecone, not through the service module: its cache would
    # happily answer for an upstream that has gone away.
    # The status line is the answer; the body, however slow, is never read.
    with requests.get(
        f"{project.host}/indexes",
        headers={"Api-Key": project.api_key, "X-Pinecone-Api-Version": project.api_version},
        timeout=settings.RESTOREUI_READYZ_TIMEOUT,
        allow_redirects=False,
        stream=True,
    ) as response:
        if response.status_code != 200:
            return f"GET /indexes answered HTTP {response.status_code}"
    return None


def _run(check, *args) -> dict:
    started = time.perf_counter()
    try:
        problem = check(*args)
    except requests.Timeout:
        problem = f"no answer within {settings.RESTOREUI_READYZ_TIMEOUT:g} s"
    except requests.RequestException as e:
        problem = f"cannot connect: {type(e).__name__}"
    except Exception as e:
        problem = f"{type(e).__name__}: {e}"
    result = {"ok": problem is None, "ms": round((time.perf_counter() - started) * 1000, 1)}
    if problem:
        result["error"] = problem
    return result


def _readiness() -> dict:
    projects = list(all_projects().values())
    # Checks run side by side, and the whole lot is given RESTOREUI_READYZ_TIMEOUT:
    # one still running then is failing, and is left to finish on its own.
    pool = ThreadPoolExecutor(max_workers=min(8, len(projects) + 2))
    futures = {"database": pool.submit(_run, _check_database), "cache": pool.submit(_run, _check_cache)}
    futures |= {f"pinecone:{p.name}": pool.submit(_run, _check_project, p) for p in projects}
    wait(futures.values(), timeout=settings.RESTOREUI_READYZ_TIMEOUT)
    pool.shutdown(wait=False, cancel_futures=True)
    late = {"ok": False, "error": f"no answer within {settings.RESTOREUI_READYZ_TIMEOUT:g} s"}
    checks = {
        name: future.result() if future.done() and not future.cancelled() else late for name, future in futures.items()
    }
    return {"status": "ok" if all(c["ok"] for c in checks.values()) else "failing", "checks": checks}


@login_not_required
@require_safe
@never_cache
def readyz(request):
    """Ready to serve: database, cache and every project's Pinecone answer.

    Anyone gets {"status": "ok" | "failing"}; the checks, with the project
    names, only come with the metrics token ("Authorization: Bearer <token>").

    The result is reused for RESTOREUI_READYZ_CACHE_SECONDS so that a probe
    from every load balancer does not turn into a stream of calls to Pinecone.
    """
    global _ready_result
    with _ready_lock:
        checked_at, result = _ready_result
        if time.monotonic() - checked_at >= settings.RESTOREUI_READYZ_CACHE_SECONDS:
            result = _readiness()
            _ready_result = (time.monotonic(), result)
    status = 200 if result["status"] == "ok" else 503
    # Which checks and projects there are is for the operators' scraper, not for anyone.
    return JsonResponse(result if _has_token(request) else {"status": result["status"]}, status=status)


def _has_token(request) -> bool:
    token = settings.RESTOREUI_METRICS_TOKEN
    supplied = request.headers.get("Authorization", "")
    return bool(token) and hmac.compare_digest(supplied.encode(), f"Bearer {token}".encode())


@login_not_required
@require_safe
@never_cache
def metrics(request):
    if not settings.RESTOREUI_METRICS_TOKEN:
        raise Http404("Metrics are off: set RESTOREUI_METRICS_TOKEN to turn them on.")
    if not _has_token(request):
        return HttpResponse(
            "Send the metrics token as 'Authorization: Bearer <token>'.\n",
            status=401,
            content_type="text/plain",
            headers={"WWW-Authenticate": "Bearer"},
        )
    body, content_type = exposition()
    return HttpResponse(body, content_type=content_type)
