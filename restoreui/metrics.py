"""Prometheus metrics. Under gunicorn each worker writes its samples to files in
PROMETHEUS_MULTIPROC_DIR (set by gunicorn.conf.py) and /metrics adds them up, so a
scrape sees the whole instance, whichever worker answers it."""

import hmac
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

UPSTREAM_SECONDS = Histogram(
    "restoreui_upstream_request_seconds",
    "Calls to the Pinecone control plane, by endpoint and HTTP status (0: no answer).",
    ["endpoint", "status"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30),
)
CACHE_LOOKUPS = Counter(
    "restoreui_cache_lookups",
    "Service-module cache lookups by result: hit, miss, stale or revalidate.",
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


# Each (view, status) series of PAGE_SECONDS, found once per process instead of once per request.
_page_series: dict[tuple[str, int], Histogram] = {}


def page_timer_middleware(get_response):
    def middleware(request):
        started = time.perf_counter()
        response = get_response(request)
        match = getattr(request, "resolver_match", None)
        # Unmatched paths (scanners, typos) share one label so they cannot blow up the series count.
        key = ((match.view_name if match else "") or "unmatched", response.status_code)
        series = _page_series.get(key)
        if series is None:
            series = _page_series.setdefault(key, PAGE_SECONDS.labels(view=key[0], status=str(key[1])))
        series.observe(time.perf_counter() - started)
        return response

    return middleware


def exposition() -> tuple[bytes, str]:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


class CoverageCollector:
    """What the watcher last saw of each project: recovery points, schedule runs and restore jobs.

    Kept as one snapshot per project and replaced whole each round, so an index
    that is gone drops out; ages are computed when scraped, so they keep growing
    between rounds.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._projects: dict[str, dict] = {}

    def update(self, project: str, last_backups: dict, backups: dict, failed_runs: dict, jobs: dict) -> None:
        """LAST_BACKUPS index -> epoch seconds of its last Ready backup; BACKUPS index -> count;
        FAILED_RUNS (index, schedule) -> bool; JOBS status -> count."""
        snapshot = {"last": last_backups, "backups": backups, "failed": failed_runs, "jobs": jobs}
        with self._lock:
            self._projects[project] = snapshot

    def collect(self):
        age = GaugeMetricFamily(
            "restoreui_index_last_backup_age_seconds",
            "Seconds since the index's last Ready backup (absent when it has none).",
            labels=["project", "index"],
        )
        count = GaugeMetricFamily(
            "restoreui_index_backups", "Backups of the index Pinecone lists, in any state.", labels=["project", "index"]
        )
        failed = GaugeMetricFamily(
            "restoreui_schedule_last_run_failed",
            "1 when the schedule's last finished run failed, else 0.",
            labels=["project", "index", "schedule"],
        )
        jobs = GaugeMetricFamily(
            "restoreui_restore_jobs", "Restore jobs Pinecone lists, by status.", labels=["project", "status"]
        )
        now = time.time()
        with self._lock:
            projects = dict(self._projects)
        for project, snapshot in sorted(projects.items()):
            for index, at in sorted(snapshot["last"].items()):
                age.add_metric([project, index], max(0.0, now - at))
            for index, n in sorted(snapshot["backups"].items()):
                count.add_metric([project, index], n)
            for (index, schedule), value in sorted(snapshot["failed"].items()):
                failed.add_metric([project, index, schedule], 1 if value else 0)
            for status, n in sorted(snapshot["jobs"].items()):
                jobs.add_metric([project, status], n)
        yield from (age, count, failed, jobs)


COVERAGE = CoverageCollector()
# The watcher's own registry, served by its own port (see serve_watch_metrics).
WATCH_REGISTRY = CollectorRegistry()
WATCH_REGISTRY.register(COVERAGE)


def serve_watch_metrics(host: str, port: int, token: str) -> ThreadingHTTPServer:
    """Serve WATCH_REGISTRY at /metrics on HOST:PORT to 'Authorization: Bearer TOKEN', like the site's /metrics."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format, *args):
            pass

        def do_GET(self):
            if self.path.split("?")[0] != "/metrics":
                return self._answer(404, b"Not found: the watcher serves /metrics only.\n")
            supplied = self.headers.get("Authorization", "")
            if not hmac.compare_digest(supplied.encode(), f"Bearer {token}".encode()):
                return self._answer(
                    401, b"Send the metrics token as 'Authorization: Bearer <token>'.\n", {"WWW-Authenticate": "Bearer"}
                )
            self._answer(200, generate_latest(WATCH_REGISTRY), {}, CONTENT_TYPE_LATEST)

        def _answer(self, status, body, headers=None, content_type="text/plain"):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="watch-metrics", daemon=True).start()
    return server
