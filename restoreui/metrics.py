"""Prometheus metrics. Under gunicorn each worker writes its samples to files in
PROMETHEUS_MULTIPROC_DIR (set by gunicorn.conf.py) and /metrics adds them up, so a
scrape sees the whole instance, whichever worker answers it."""

import os
import time

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

UPSTREAM_SECONDS = Histogram(
    "restoreui_upstream_request_seconds",
    "Calls to the Pinecone control plane, by endpoint and HTTP status (0: no answer).",
    ["endpoint", "status"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30),
)
CACHE_LOOKUPS = Counter(
    "restoreui_cache_lookups",
    "Service-module cache lookups by result: hit, miss or stale.",
    ["result"],
)
PAGE_SECONDS = Histogram(
    "restoreui_page_render_seconds",
    "Time to answer a request, by URL name.",
    ["view", "status"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


def on_upstream_call(endpoint: str, status: int | None, seconds: float) -> None:
    UPSTREAM_SECONDS.labels(endpoint=endpoint, status=str(status or 0)).observe(seconds)


def on_cache(result: str) -> None:
    CACHE_LOOKUPS.labels(result=result).inc()


def page_timer_middleware(get_response):
    def middleware(request):
        started = time.perf_counter()
        response = get_response(request)
        match = getattr(request, "resolver_match", None)
        # Unmatched paths (scanners, typos) share one label so they cannot blow up the series count.
        view = (match.view_name if match else "") or "unmatched"
        PAGE_SECONDS.labels(view=view, status=str(response.status_code)).observe(time.perf_counter() - started)
        return response

    return middleware


def exposition() -> tuple[bytes, str]:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
