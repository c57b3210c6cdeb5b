"""The measurements. Each function returns report entries: name, value, unit, target, met."""

import difflib
import gzip
import json
import math
import os
import re
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from http import HTTPStatus

import django

# The targets hold the dashboard's own polling periods, cache lifetimes and page sizes, read
# from its code and settings. The clusters inherit this process's environment, so a setting
# read here is the one they run with, unless a cluster is started with its own.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "restoreui.settings")
django.setup()

from django.conf import settings  # noqa: E402

from bench.cluster import EMULATOR_KEY, Emulator, Gunicorn  # noqa: E402
from bench.load import Client, closed_loop, cookie_header, median, viewers  # noqa: E402
from restoreui.pinecone.service import PAGE_SIZE  # noqa: E402
from restoreui.views.jobs import POLL_EVERY, SEEN_HEADER, TABLE_REFRESH_EVERY  # noqa: E402

PROJECT = "bench"
HTMX = {"HX-Request": "true"}
GZIP = {"Accept-Encoding": "gzip, br"}


@dataclass
class Options:
    latency_ms: float
    quick: bool
    duration: float  # figure b
    load_seconds: float
    page_cap: int

    @property
    def rounds(self) -> int:
        return 2 if self.quick else 3

    @property
    def round_seconds(self) -> float:
        return 0.5 if self.quick else 5.0

    @property
    def warm_up_seconds(self) -> float:
        return 0.3 if self.quick else 1.0

    @property
    def samples(self) -> int:
        return 3 if self.quick else 15


def entry(figure: str, name: str, value, unit: str, target: str | None = None, met: bool | None = None) -> dict:
    if isinstance(value, float):
        value = round(value, 4)
    return {"figure": figure, "name": name, "value": value, "unit": unit, "target": target, "met": met}


def _created(job: dict) -> datetime | None:
    return datetime.fromisoformat(job["created_at"]) if job.get("created_at") else None


def newest_first(jobs: list[dict]) -> list[dict]:
    """The job table's default order: newest first, unknown creation times last."""
    known = sorted((j for j in jobs if _created(j)), key=lambda j: (_created(j), j["restore_job_id"]), reverse=True)
    return known + [j for j in jobs if not _created(j)]


def detail_jobs(emulator: Emulator) -> list[dict]:
    """Finished jobs whose backup still exists, newest first, one per backup.

    A finished job stays cached for an hour, and no two share a backup, so the
    first page view of each is cold on both of its lookups and later ones warm.
    """
    backups = {b["backup_id"] for b in emulator.all_backups()}
    seen, chosen = set(), []
    for job in newest_first(emulator.all_jobs()):
        if (
            job["status"] in ("Completed", "Failed", "Cancelled")
            and job["backup_id"] in backups
            and job["backup_id"] not in seen
        ):
            seen.add(job["backup_id"])
            chosen.append(job)
    return chosen


def newest_running(jobs: list[dict]) -> dict:
    """The running job that started last, so it runs longest after an emulator reset."""
    running = [j for j in jobs if j["status"] in ("Pending", "InProgress")]
    return max(running, key=lambda j: _created(j) or datetime.min)


def jobs_url(project: str = PROJECT) -> str:
    return f"/p/{project}/jobs/"


def job_url(job_id: str, project: str = PROJECT) -> str:
    return f"/p/{project}/jobs/{job_id}/"


def poll_url(job_id: str, project: str = PROJECT) -> str:
    """What an open job page asks every POLL_EVERY seconds (htmx)."""
    return f"{job_url(job_id, project)}poll"


# -- a. cached pages against bare Django -------------------------------------------------------


# The clock multipliers of figure a's emulator, and of c and d's.
FROZEN_SPEED = 0.001
RUNNING_SPEED = 0.1
# The dashboard's throughput on a cached page as a share of bare Django's on the same HTML; and the
# share of its latencies, which move most on a shared machine (tails above all).
OVERHEAD_TARGET = 0.85
LATENCY_TARGET = 0.6


def shown_job(emulator: Emulator) -> dict:
    """Figure a's job page: the newest Completed job with its backup, whose page needs no index list."""
    return next(j for j in detail_jobs(emulator) if j["status"] == "Completed")


# What differs between two renderings of one page by design: per-response tokens, the
# address the page was asked at, and when the serving worker last fetched its copy.
PER_RESPONSE = (
    (re.compile(rb'(name="csrfmiddlewaretoken" value=")[^"]*"'), rb'\1(csrf)"'),
    (re.compile(rb'("X-CSRFToken": ")[^"]*"'), rb'\1(csrf)"'),
    (re.compile(rb'nonce="[^"]*"'), rb'nonce="(nonce)"'),
    (re.compile(rb"http://127\.0\.0\.1:\d+"), rb"http://(host)"),
    (re.compile(rb"(fetched |<span\s+data-checked>)<time [^>]*>[^<]*</time>"), rb"\1(fetched)"),
)


def normalised(body: bytes) -> bytes:
    for pattern, replacement in PER_RESPONSE:
        body = pattern.sub(replacement, body)
    return body


def same_html(logged_in: dict[Gunicorn, dict], path: str) -> int:
    """The page's size when both render it alike (tokens and fetch times aside); a RuntimeError naming the
    first difference when not. Asked up to four times, in case a shown time turned between two answers."""
    for _ in range(4):
        bodies = []
        for side, headers in logged_in.items():
            client = Client(side.port, headers)
            status, body, _ = client.get(path)
            client.close()
            if status != 200:
                raise RuntimeError(f"figure a: GET {path} from {side.name} answered {status}")
            bodies.append(normalised(body))
        if bodies[0] == bodies[1]:
            return len(bodies[0])
    lines = [b.decode(errors="replace").splitlines() for b in bodies]
    diff = "\n".join(list(difflib.unified_diff(lines[0], lines[1], "dashboard", "bare Django", n=1, lineterm=""))[:40])
    raise RuntimeError(f"figure a: the dashboard and bare Django render {path} differently:\n{diff}")


def cached_pages(options: Options, app: Gunicorn, bare: Gunicorn, table_job: dict) -> list[dict]:
    # Both sides are logged in as the same user; bare Django with its own login view, session
    # and authentication backend.
    logged_in = {app: cookie_header(app.login()), bare: cookie_header(bare.login())}
    job = job_url(table_job["restore_job_id"])
    pages = {"job table": [(jobs_url(), {})], "job detail": [(job, {})]}
    out = []
    for page, requests_ in pages.items():
        # Fill every worker's cache before timing anything.
        for side in (app, bare):
            closed_loop(side.port, requests_, connections=8, seconds=options.warm_up_seconds, headers=logged_in[side])
        size = same_html(logged_in, requests_[0][0])
        sides = {"app": None, "bare": None}
        cpu_used = {"app": 0.0, "bare": 0.0}
        for round_ in range(options.rounds):
            # Alternate which side goes first, so neither always runs on a warmer machine.
            order = ("app", "bare") if round_ % 2 == 0 else ("bare", "app")
            for side in order:
                cluster = app if side == "app" else bare
                cpu = cluster.cpu_seconds()
                result = closed_loop(
                    cluster.port, requests_, connections=8, seconds=options.round_seconds, headers=logged_in[cluster]
                )
                cpu_used[side] += cluster.cpu_seconds() - cpu
                sides[side] = result if sides[side] is None else sides[side].merge(result)
        a, b = sides["app"], sides["bare"]
        non_200 = sum(n for s, n in a.statuses.items() if s != 200) + sum(n for s, n in b.statuses.items() if s != 200)
        out += [
            entry("a", f"{page}: HTML, the same on both sides", size, "bytes"),
            entry("a", f"{page}: throughput, dashboard", a.rate, "req/s"),
            entry("a", f"{page}: throughput, bare Django", b.rate, "req/s"),
            entry("a", f"{page}: p50, dashboard", a.percentile(50) * 1000, "ms"),
            entry("a", f"{page}: p50, bare Django", b.percentile(50) * 1000, "ms"),
            entry("a", f"{page}: p99, dashboard", a.percentile(99) * 1000, "ms"),
            entry("a", f"{page}: p99, bare Django", b.percentile(99) * 1000, "ms"),
            # What the workers spent per answer: steadier than throughput when other work shares the CPUs.
            entry("a", f"{page}: worker CPU per request, dashboard", cpu_used["app"] / a.count * 1000, "ms"),
            entry("a", f"{page}: worker CPU per request, bare Django", cpu_used["bare"] / b.count * 1000, "ms"),
        ]
        for name, value, target in (
            ("throughput ratio (dashboard / bare)", a.rate / b.rate, OVERHEAD_TARGET),
            ("p50 ratio (bare / dashboard)", b.percentile(50) / a.percentile(50), LATENCY_TARGET),
            ("p99 ratio (bare / dashboard)", b.percentile(99) / a.percentile(99), LATENCY_TARGET),
        ):
            out.append(entry("a", f"{page}: {name}", value, "ratio", f">= {target:g}", value >= target))
        out.append(entry("a", f"{page}: answers other than 200", non_200, "count", "== 0", non_200 == 0))
    return out


# -- b. upstream amplification -------------------------------------------------------------------


def amplification(
    options: Options, clusters: dict[str, tuple[Gunicorn, Emulator]], viewers_count: int = 50
) -> list[dict]:
    runs = {}
    for label, (app, emulator) in clusters.items():
        emulator.reset()
        jobs = emulator.all_jobs()
        job = newest_running(jobs)
        state = emulator.control("GET", "state")
        runs[label] = {
            "app": app,
            "emulator": emulator,
            "job": job,
            "headers": cookie_header(app.login()),
            "job_pages": max(1, math.ceil(len(jobs) / PAGE_SIZE)),
            "backup_pages": max(1, math.ceil(state["backups"] / PAGE_SIZE)),
            "pids": set(app.worker_pids()),
            "before": emulator.stats()["calls"],
        }

    def run(r: dict) -> None:
        job_id = r["job"]["restore_job_id"]
        schedule = [(poll_url(job_id), HTMX, POLL_EVERY), (jobs_url(), HTMX, TABLE_REFRESH_EVERY)]
        first = [(job_url(job_id), {}), (jobs_url(), {})]
        started = time.monotonic()
        r["result"] = viewers(r["app"].port, viewers_count, options.duration, schedule, r["headers"], first)
        r["seconds"] = time.monotonic() - started
        r["pids"] |= set(r["app"].worker_pids())

    # Both caches face the same viewers at the same time.
    threads = [threading.Thread(target=run, args=(r,)) for r in runs.values()]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    out = []
    for label, r in runs.items():
        after = r["emulator"].stats()["calls"]
        calls = {k: after.get(k, 0) - r["before"].get(k, 0) for k in after}
        requests_ = r["result"].count
        shared = label == "Redis"
        processes = 1 if shared else len(r["pids"])
        scope = "cluster" if shared else f"worker ({processes} worker processes)"
        out.append(entry("b", f"{label}: viewer requests", requests_, "count"))
        out.append(
            entry(
                "b",
                f"{label}: upstream calls per viewer request",
                sum(calls.values()) / max(1, requests_),
                "calls/request",
            )
        )
        keys = (
            (
                "job detail (GET /restore-jobs/{id})",
                calls.get("GET /restore-jobs/{job_id}", 0),
                settings.CACHE_TTL_RUNNING,
            ),
            (
                "job list (GET /restore-jobs, per full walk)",
                calls.get("GET /restore-jobs", 0) / r["job_pages"],
                settings.CACHE_TTL_LIST,
            ),
            (
                "backup list (GET /backups, per full walk)",
                calls.get("GET /backups", 0) / r["backup_pages"],
                settings.CACHE_TTL_LIST,
            ),
            ("backup detail (GET /backups/{id})", calls.get("GET /backups/{backup_id}", 0), settings.CACHE_TTL_LIST),
        )
        for key, loads, ttl in keys:
            windows = math.floor(r["seconds"] / ttl) + 1
            allowed = windows * processes
            out.append(
                entry(
                    "b",
                    f"{label}: {key} loads in {r['seconds']:.0f} s",
                    loads,
                    "loads",
                    f"<= {allowed} (one per {ttl:g} s window per {scope})",
                    loads <= allowed,
                )
            )
        errors = r["result"].server_errors + r["result"].transport_errors
        out.append(entry("b", f"{label}: failed viewer requests", errors, "count", "== 0", errors == 0))
    return out


# -- c. bytes on the wire -------------------------------------------------------------------------


def _answer(client: Client, path: str, extra: dict) -> tuple[int, int, int, bytes]:
    """(status, body bytes as sent, header bytes, body) of one answer."""
    status, body, headers = client.get(path, extra)
    if status >= 400:
        raise RuntimeError(f"GET {path} answered {status}")
    header_bytes = len(f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n")
    header_bytes += sum(len(f"{k}: {v}\r\n") for k, v in headers.items()) + 2
    encoding = {k.lower(): v for k, v in headers.items()}.get("content-encoding")
    text = gzip.decompress(body) if encoding == "gzip" else body
    return status, len(body), header_bytes, text


def _wire(client: Client, path: str, extra: dict) -> tuple[int, int, bytes]:
    """(body bytes as sent, header bytes, body) of one answer."""
    return _answer(client, path, extra)[1:]


# The unchanged progress poll sent the whole region before it could answer 204: 1,355 B on the wire.
WHOLE_REGION_POLL_BYTES = 1355


def _seen(html: bytes, header: str) -> str:
    return re.search(rb'"%s": "([^"]+)"' % header.encode(), html).group(1).decode()


def _unchanged_poll(client: Client, poll: str, page: bytes, header: str, every: float) -> tuple[int, int]:
    """(body, headers) of a poll that finds the job as the page showed it.

    Sent as an open page sends it: one interval after the page, with what the page
    showed. Shown times move at minute steps, and a step between two polls is a
    real change, so up to three polls are sent to find an unchanged one.
    """
    seen = _seen(page, header)
    for _ in range(3):
        time.sleep(every)
        status, body, header_bytes, text = _answer(client, poll, {**HTMX, header: seen})
        if status == 204:
            break
        seen = _seen(text, header)
    return body, header_bytes


def transfer(app: Gunicorn, running_job: dict) -> list[dict]:
    client = Client(app.port, {**cookie_header(app.login()), **GZIP})
    detail = job_url(running_job["restore_job_id"])
    poll = poll_url(running_job["restore_job_id"])
    client.get(detail)  # the first answer would include the upstream wait, not the size
    page_body, page_headers, page = _wire(client, detail, {})
    # A page that saw something else gets every live part.
    changed_body, changed_headers, _ = _wire(client, poll, {**HTMX, SEEN_HEADER: "another"})
    same_body, same_headers = _unchanged_poll(client, poll, page, SEEN_HEADER, POLL_EVERY)
    changed_total, same_total = changed_body + changed_headers, same_body + same_headers
    same_target = WHOLE_REGION_POLL_BYTES // 2
    out = [
        entry("c", "changed poll (every live part): body", changed_body, "bytes"),
        entry(
            "c",
            "changed poll (every live part): body + headers",
            changed_total,
            "bytes",
            "<= 2048",
            changed_total <= 2048,
        ),
        entry(
            "c",
            "unchanged poll (204): body + headers",
            same_total,
            "bytes",
            f"<= {same_target} (half the whole-region poll's {WHOLE_REGION_POLL_BYTES})",
            same_total <= same_target,
        ),
        entry("c", "job detail full reload: body + headers", page_body + page_headers, "bytes"),
        entry("c", "changed poll / full reload", changed_total / (page_body + page_headers), "ratio"),
    ]
    for name, path in (("job table", jobs_url()), ("job detail", detail)):
        html, html_headers, body = _wire(client, path, {})
        assets = sorted(set(re.findall(rb'(?:href|src)="(/static/[^"]+)"', body)))
        static = 0
        for asset in assets:
            size, headers_size, _ = _wire(client, asset.decode(), {})
            static += size + headers_size
        out.append(entry("c", f"{name} first load: HTML", html + html_headers, "bytes"))
        out.append(
            entry(
                "c",
                f"{name} first load: HTML + {len(assets)} static files (compressed)",
                html + html_headers + static,
                "bytes",
            )
        )
    client.close()
    return out


# -- d. the dashboard against a direct SDK call ---------------------------------------------------


def against_sdk(options: Options, app: Gunicorn, emulator: Emulator) -> list[dict]:
    from pinecone import Pinecone

    # The warm job is warmed below; cold ones are jobs no figure has asked for.
    chosen = detail_jobs(emulator)
    warm_job = shown_job(emulator)
    page_jobs = [j for j in chosen if j["restore_job_id"] != warm_job["restore_job_id"]]
    taken = {j["restore_job_id"] for j in chosen}
    partial_jobs = [j for j in emulator.all_jobs() if j["status"] == "Completed" and j["restore_job_id"] not in taken]

    sdk = Pinecone(api_key=EMULATOR_KEY, host=emulator.url)
    sdk.describe_restore_job(job_id=warm_job["restore_job_id"])  # connection and imports, not timed
    client = Client(app.port, cookie_header(app.login()))
    for _ in range(12):  # every worker holds the warm job
        client.get(job_url(warm_job["restore_job_id"]))
        client.get(poll_url(warm_job["restore_job_id"]), HTMX)

    def timed(call) -> float:
        started = time.perf_counter()
        call()
        return time.perf_counter() - started

    def page(path: str, extra: dict):
        def call():
            status, _, _ = client.get(path, extra)
            # A finished job's poll answers 286: htmx's "stop polling".
            if status not in (200, 286):
                raise RuntimeError(f"the job page answered {status}")

        return call

    times = {name: [] for name in ("direct", "cold page", "cold poll", "warm page", "warm poll")}
    warm = warm_job["restore_job_id"]
    for page_job, partial_job in zip(page_jobs[: options.samples], partial_jobs[: options.samples], strict=False):
        # Interleaved, so a slow moment of the machine lands on every side alike.
        times["direct"].append(timed(lambda job=page_job: sdk.describe_restore_job(job_id=job["restore_job_id"])))
        times["cold page"].append(timed(page(job_url(page_job["restore_job_id"]), {})))
        times["warm page"].append(timed(page(job_url(warm), {})))
        times["cold poll"].append(timed(page(poll_url(partial_job["restore_job_id"]), HTMX)))
        times["warm poll"].append(timed(page(poll_url(warm), HTMX)))
    client.close()
    direct = median(times["direct"])
    out = [
        entry("d", f"{name} (median of {len(values)})", median(values) * 1000, "ms") for name, values in times.items()
    ]
    for name, limit in (("cold page", 1.1), ("cold poll", 1.1), ("warm page", 0.1), ("warm poll", 0.1)):
        ratio = median(times[name]) / direct
        out.append(entry("d", f"{name} / direct SDK call", ratio, "ratio", f"<= {limit:g}", ratio <= limit))
    return out


# -- e. the job table as the project grows --------------------------------------------------------


# A warm table at the largest project against the smallest, and the first answer after a
# list's lifetime ended against a warm one (stale-while-revalidate).
WARM_GROWTH_TARGET = 2.0
REVALIDATED_TARGET = 1.5


def growth(options: Options, app: Gunicorn, emulators: dict[int, Emulator]) -> list[dict]:
    """Cold and warm job tables as the project grows, and the first view after the lists' lifetime.

    Each round waits out the lists' lifetime, times the first view after it (answered from the
    last copy, the refresh running behind it), waits for that refresh to end, then times warm
    views, inside the new copy's lifetime. Every request goes over one connection, kept open
    across the waits by health checks, so to one worker: a worker that never saw a list parses
    it once, lifetime or not, and that is not what these figures compare. The lifetime and the
    window come from the settings the cluster runs with.
    """
    # A cold table of 10,000 jobs walks 100 pages: on a busy machine, longer than the usual timeout.
    client = Client(app.port, cookie_header(app.login()), timeout=180.0)
    out, warm_medians = [], {}
    rounds = 1 if options.quick else 3
    if settings.CACHE_TTL_LIST + 1 >= settings.CACHE_REVALIDATE_WINDOW:
        raise SystemExit("bench: RESTOREUI_CACHE_REVALIDATE_WINDOW must outlast the list lifetime by a second")
    for size, emulator in emulators.items():
        path = jobs_url(f"jobs{size}")
        before = emulator.stats()["calls"]
        started = time.perf_counter()
        status, _, _ = client.get(path)
        cold = time.perf_counter() - started
        middle = emulator.stats()["calls"]
        cold_calls = middle.get("GET /restore-jobs", 0) - before.get("GET /restore-jobs", 0)
        other = sum(middle.values()) - sum(before.values()) - cold_calls
        expected = min(math.ceil(size / PAGE_SIZE), options.page_cap)
        warm_times, revalidated, walks, warm_calls, warm_other, statuses = [], [], [], 0, 0, set()
        for _ in range(rounds):
            _idle(client, settings.CACHE_TTL_LIST + 0.5)
            before_walk = emulator.stats()["calls"].get("GET /restore-jobs", 0)
            started = time.perf_counter()
            answer, _, _ = client.get(path)
            revalidated.append(time.perf_counter() - started)
            statuses.add(answer)
            walked, walk_ended = _refresh_ended(client, emulator, before_walk, expected, options)
            walks.append(walked)
            calls_before = emulator.stats()["calls"]
            # Warm means inside the refreshed copy's lifetime: a slow machine gets fewer samples.
            for n in range(max(1, options.samples // rounds)):
                if n and time.monotonic() - walk_ended > settings.CACHE_TTL_LIST - 1.0:
                    break
                started = time.perf_counter()
                answer, _, _ = client.get(path)
                warm_times.append(time.perf_counter() - started)
                statuses.add(answer)
            calls_after = emulator.stats()["calls"]
            walked_warm = calls_after.get("GET /restore-jobs", 0) - calls_before.get("GET /restore-jobs", 0)
            warm_calls += walked_warm
            # The backup list, loaded at another moment, may reach its lifetime among these loads:
            # it is then refreshed behind an answer, which no viewer waits for.
            warm_other += sum(calls_after.values()) - sum(calls_before.values()) - walked_warm
        warm_medians[size] = median(warm_times)
        ratio = median(revalidated) / warm_medians[size]
        out += [
            entry(
                "e",
                f"{size} jobs: cold load, GET /restore-jobs calls",
                cold_calls,
                "calls",
                f"== {expected} (pages, capped at {options.page_cap})",
                cold_calls == expected and status == 200,
            ),
            entry("e", f"{size} jobs: cold load, other upstream calls (backup names)", other, "calls"),
            entry("e", f"{size} jobs: cold load time", cold, "s"),
            entry("e", f"{size} jobs: cold load time per page", cold / max(1, cold_calls + other) * 1000, "ms"),
            entry(
                "e",
                f"{size} jobs: warm loads ({len(warm_times)}), GET /restore-jobs calls",
                warm_calls,
                "calls",
                "== 0",
                warm_calls == 0,
            ),
            entry("e", f"{size} jobs: warm loads, other calls (refreshes behind an answer)", warm_other, "calls"),
            entry("e", f"{size} jobs: warm load time (median)", warm_medians[size] * 1000, "ms"),
            entry(
                "e",
                f"{size} jobs: first load after the lists' {settings.CACHE_TTL_LIST:g} s lifetime "
                f"(median of {len(revalidated)})",
                median(revalidated) * 1000,
                "ms",
            ),
            entry(
                "e",
                f"{size} jobs: first load after the lifetime / warm load",
                ratio,
                "ratio",
                f"<= {REVALIDATED_TARGET:g}",
                ratio <= REVALIDATED_TARGET and statuses == {200},
            ),
            entry(
                "e",
                f"{size} jobs: GET /restore-jobs calls per refresh behind those loads (median)",
                median(walks),
                "calls",
                f"== {expected} (one walk, across the cluster)",
                median(walks) == expected,
            ),
        ]
    smallest, largest = min(warm_medians), max(warm_medians)
    growth_ratio = warm_medians[largest] / warm_medians[smallest]
    out.append(
        entry(
            "e",
            f"warm load time, {largest} / {smallest} jobs",
            growth_ratio,
            "ratio",
            f"<= {WARM_GROWTH_TARGET:g}",
            growth_ratio <= WARM_GROWTH_TARGET,
        )
    )
    client.close()
    return out


def _idle(client: Client, seconds: float) -> None:
    """Wait SECONDS, keeping the connection (and so the worker) with a health check every second."""
    until = time.monotonic() + seconds
    while (left := until - time.monotonic()) > 0:
        time.sleep(min(1.0, left))
        client.get("/healthz")


def _refresh_ended(client: Client, emulator: Emulator, before: int, pages: int, options: Options) -> tuple[int, float]:
    """Wait until the refresh behind an answer has walked the job list and settled.

    Returns the pages it asked and (about) when its last page came, on the monotonic clock.
    """
    deadline, seen, since = time.monotonic() + 60 + pages * 2, -1, time.monotonic()
    while time.monotonic() < deadline:
        _idle(client, 0.3 + options.latency_ms / 1000)
        now = emulator.stats()["calls"].get("GET /restore-jobs", 0) - before
        if now == seen and now >= pages:
            break
        seen, since = now, time.monotonic()
    # The refresher records the history of the new copy, in the worker the next views go to.
    _idle(client, 0.5)
    return seen, since


# -- g: the coverage overview and the watcher as indexes grow ---------------------------------------

SCHEDULE_LIST = "GET /indexes/{index_name}/backup-schedules"


def coverage_growth(options: Options, app: Gunicorn, emulators: dict[int, Emulator], watch) -> list[dict]:
    """Upstream calls and time per overview view, cold and warm, and the watcher's calls per hour."""
    client = Client(app.port, cookie_header(app.login()))
    out, cold, warm_times = [], {}, {size: [] for size in emulators}
    for size, emulator in emulators.items():
        before = sum(emulator.stats()["calls"].values())
        started = time.perf_counter()
        status, _, _ = client.get(f"/p/idx{size}/")
        cold[size] = (status, sum(emulator.stats()["calls"].values()) - before, time.perf_counter() - started)
    # Warm views of every size in turn, so a busy machine slows them all alike.
    before = {size: sum(e.stats()["calls"].values()) for size, e in emulators.items()}
    for _ in range(options.samples * 2):
        for size in emulators:
            started = time.perf_counter()
            client.get(f"/p/idx{size}/")
            warm_times[size].append(time.perf_counter() - started)
    warm_medians = {size: median(times) for size, times in warm_times.items()}
    for size, emulator in emulators.items():
        warm_calls = sum(emulator.stats()["calls"].values()) - before[size]
        status, cold_calls, cold_time = cold[size]
        rows = len(emulator.api("/indexes")["indexes"])
        out += [
            entry(
                "g",
                f"{size} added indexes ({rows} live): cold view, upstream calls",
                cold_calls,
                "calls",
                f"<= {rows + 40} (lists + one schedule list per index)",
                status == 200 and cold_calls <= rows + 40,
            ),
            entry("g", f"{size} added indexes: cold view time", cold_time, "s"),
            entry(
                "g",
                f"{size} added indexes: warm views ({options.samples * 2}), upstream calls",
                warm_calls,
                "calls",
                "== 0",
                warm_calls == 0,
            ),
            entry("g", f"{size} added indexes: warm view time (median)", warm_medians[size] * 1000, "ms"),
        ]
    client.close()
    smallest, largest = min(warm_medians), max(warm_medians)
    ratio = warm_medians[largest] / warm_medians[smallest]
    out.append(entry("g", f"warm view time, {largest} / {smallest} added indexes", ratio, "ratio", "<= 3", ratio <= 3))
    for size, emulator in emulators.items():
        emulator.reset()
        watch({"watched": emulator.url})
        calls = emulator.stats()["calls"]
        schedules = calls.get(SCHEDULE_LIST, 0)
        lists = sum(calls.values()) - schedules
        # Each round reloads the lists (their lifetime is shorter than a round); each index's
        # schedules are asked again only when their own lifetime has run out.
        per_hour = lists * 3600 / settings.RESTOREUI_WATCH_INTERVAL + schedules * 3600 / settings.CACHE_TTL_SCHEDULES
        out += [
            entry("g", f"{size} added indexes: watcher round, list calls", lists, "calls"),
            entry("g", f"{size} added indexes: watcher round, schedule calls", schedules, "calls"),
            entry(
                "g",
                f"{size} added indexes: watcher calls per hour",
                per_hour,
                "calls/h",
                "< 7200 (2 per second)",
                per_hour < 7200,
            ),
        ]
    return out


# -- load: many connections, a healthy and a failing upstream -------------------------------------


def load(options: Options, app: Gunicorn, emulator: Emulator, connections: int = 64) -> list[dict]:
    emulator.reset()
    jobs = emulator.all_jobs()
    running = newest_running(jobs)["restore_job_id"]
    finished = detail_jobs(emulator)
    requests_ = [(jobs_url(), {}), (jobs_url(), HTMX), (job_url(running), {}), (poll_url(running), HTMX)]
    requests_ += [(job_url(j["restore_job_id"]), {}) for j in finished[:8]]
    headers = cookie_header(app.login())
    out = []
    for label, faults in (("healthy upstream", {}), ("20% upstream errors", {"error_rate": 0.2})):
        emulator.clear_faults()
        if faults:
            emulator.set_faults(**faults)
        result = closed_loop(app.port, requests_, connections, options.load_seconds, headers)
        name = f"{connections} connections, {options.load_seconds:g} s, {label}"
        out += [
            entry("load", f"{name}: requests", result.count, "count"),
            entry("load", f"{name}: throughput", result.rate, "req/s"),
            entry("load", f"{name}: p50", result.percentile(50) * 1000, "ms"),
            entry("load", f"{name}: p99", result.percentile(99) * 1000, "ms"),
            entry(
                "load",
                f"{name}: broken connections",
                result.transport_errors,
                "count",
                "== 0",
                result.transport_errors == 0,
            ),
        ]
        if faults:
            errors = result.statuses.get(500, 0)
            out.append(entry("load", f"{name}: 500 answers", errors, "count", "== 0", errors == 0))
            out.append(
                entry(
                    "load",
                    f"{name}: 502/504 answers (nothing cached to show)",
                    result.statuses.get(502, 0) + result.statuses.get(504, 0),
                    "count",
                )
            )
        else:
            errors = result.server_errors
            out.append(entry("load", f"{name}: 5xx answers", errors, "count", "== 0", errors == 0))
    emulator.clear_faults()
    return out


# -- f. memory --------------------------------------------------------------------------------------


def memory(clusters: dict[str, Gunicorn]) -> list[dict]:
    out = []
    for label, cluster in clusters.items():
        sizes = cluster.rss_mb()
        if not sizes:
            continue
        largest = max(sizes.values())
        target = None if label == "bare Django" else "<= 120"
        met = None if target is None else largest <= 120
        out.append(entry("f", f"{label}: largest worker RSS ({len(sizes)} workers)", largest, "MB", target, met))
    return out


def rows_file(path, emulator: Emulator, job: dict):
    """What the bare views render: every job and backup, and the job shown in detail with its backup."""
    backups = emulator.all_backups()
    backup = next(b for b in backups if b["backup_id"] == job["backup_id"])
    path.write_text(json.dumps({"jobs": emulator.all_jobs(), "backups": backups, "job": job, "backup": backup}))
    return path
