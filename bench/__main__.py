"""python -m bench [FIGURE ...]: measure the dashboard under gunicorn against emulators; see bench/__init__.py."""

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings

from bench import figures
from bench.cluster import ROOT, Lab
from bench.figures import Options

FIGURES = ("a", "b", "c", "d", "e", "g", "f", "load")
TITLES = {
    "a": "a. Cached pages against bare Django",
    "b": "b. Upstream amplification: 50 viewers polling one running job",
    "c": "c. Bytes on the wire",
    "d": "d. Time to answer against a direct SDK call",
    "e": "e. Job table cost as the project grows",
    "f": "f. Resident memory per gunicorn worker",
    "g": "g. Coverage overview and watcher as indexes grow",
    "load": "Load: 64 connections against the job pages",
}
GROWTH_SIZES = (100, 1_000, 10_000)
INDEX_SIZES = (10, 100, 500)
# The exit status of a run that finished and wrote its report but missed a target
# (1 is a crash, 2 a usage error).
MISSED = 3


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "figures", nargs="*", metavar="FIGURE", help=f"which to measure, of {', '.join(FIGURES)} (default: all)"
    )
    parser.add_argument(
        "--latency-ms", type=float, default=150.0, help="upstream latency the emulators add (default 150)"
    )
    parser.add_argument(
        "--duration", type=float, default=None, help="seconds of viewers in figure b (default 60; 5 with --quick)"
    )
    parser.add_argument(
        "--load-seconds", type=float, default=None, help="seconds of each load run (default 60; 2 with --quick)"
    )
    parser.add_argument("--quick", action="store_true", help="a short smoke run: same figures, fewer samples")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out", help="where report.md and report.json go")
    parser.add_argument(
        "--redis-url", default="redis://127.0.0.1:6379/0", help="the Redis of the shared-cache clusters"
    )
    args = parser.parse_args(argv)
    unknown = set(args.figures) - set(FIGURES)
    if unknown:
        parser.error(f"no figure {', '.join(sorted(unknown))}; choose from {', '.join(FIGURES)}")
    return args


@contextmanager
def phase(name: str):
    started = time.monotonic()
    print(f"bench: {name}...", file=sys.stderr, flush=True)
    yield
    print(f"bench: {name} took {time.monotonic() - started:.1f} s", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> dict:
    wanted = set(args.figures or FIGURES)
    options = Options(
        latency_ms=args.latency_ms,
        quick=args.quick,
        duration=args.duration or (5.0 if args.quick else 60.0),
        load_seconds=args.load_seconds or (2.0 if args.quick else 60.0),
        page_cap=settings.PINECONE_LIST_PAGE_CAP,
    )
    entries: list[dict] = []
    started = time.monotonic()
    with Lab(args.latency_ms) as lab:
        # Every process boots at once; each figure then waits only for its own.
        clusters = {}
        if wanted & {"c", "d"}:
            # Restores take ten minutes and more, as real ones do (at speed 1, one or two), so figure c's
            # running job is not in its last minute, whose time left the page counts in seconds.
            main = lab.emulator(speed=figures.RUNNING_SPEED)
            clusters["cached pages (c, d)"] = app = lab.app(
                "cached", {figures.PROJECT: main.url}, RESTOREUI_CACHE_TTL_LIST="3600"
            )
        if "a" in wanted:
            # Figure a times the cached path alone (the list lifetime outlasts the run). Its jobs crawl
            # (a second's progress takes 1000 s), so every worker and the baseline hold the same list
            # whenever each read it.
            frozen = lab.emulator(speed=figures.FROZEN_SPEED)
            clusters["cached pages (a)"] = a_app = lab.app(
                "a", {figures.PROJECT: frozen.url}, RESTOREUI_CACHE_TTL_LIST="3600"
            )
            table_job = figures.shown_job(frozen)
            clusters["bare Django"] = bare = lab.bare(figures.rows_file(lab.workdir / "rows.json", frozen, table_job))
        if "b" in wanted:
            b_local, b_shared = lab.emulator(), lab.emulator()
            b_apps = {
                "local memory": (lab.app("b-locmem", {figures.PROJECT: b_local.url}), b_local),
                "Redis": (lab.app("b-redis", {figures.PROJECT: b_shared.url}, cache_url=args.redis_url), b_shared),
            }
            clusters |= {f"viewers, {k} (b)": a for k, (a, _) in b_apps.items()}
        if "e" in wanted:
            growing = {size: lab.emulator(jobs=size) for size in GROWTH_SIZES}
            clusters["growth (e)"] = e_app = lab.app(
                "growth", {f"jobs{size}": e.url for size, e in growing.items()}, cache_url=args.redis_url
            )
        if "g" in wanted:
            by_size = {size: lab.emulator(extra_indexes=size) for size in INDEX_SIZES}
            # Lists live for the whole figure, so warm views are cache hits, as in figure a.
            clusters["coverage (g)"] = g_app = lab.app(
                "coverage",
                {f"idx{size}": e.url for size, e in by_size.items()},
                api_version="2026-07",
                RESTOREUI_CACHE_TTL_LIST="3600",
            )
        if "load" in wanted:
            load_emulator = lab.emulator()
            clusters["load"] = load_app = lab.app("load", {figures.PROJECT: load_emulator.url})

        if "c" in wanted:
            with phase("c"):
                main.reset()
                entries += figures.transfer(app.ready(), figures.newest_running(main.all_jobs()))
        if "a" in wanted:
            with phase("a"):
                entries += figures.cached_pages(options, a_app.ready(), bare.ready(), table_job)
        if "d" in wanted:
            with phase("d"):
                entries += figures.against_sdk(options, app.ready(), main)
        if "b" in wanted:
            with phase("b"):
                entries += figures.amplification(options, {k: (a.ready(), e) for k, (a, e) in b_apps.items()})
        if "e" in wanted:
            with phase("e"):
                entries += figures.growth(options, e_app.ready(), growing)
        if "g" in wanted:
            with phase("g"):
                entries += figures.coverage_growth(options, g_app.ready(), by_size, lab.watch_once)
        if "load" in wanted:
            with phase("load"):
                entries += figures.load(options, load_app.ready(), load_emulator)
        if "f" in wanted:
            entries += figures.memory(clusters)
    return {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": _commit(),
        "options": {
            "latency_ms": options.latency_ms,
            "quick": options.quick,
            "duration_b": options.duration,
            "load_seconds": options.load_seconds,
            "page_cap": options.page_cap,
            "figures": sorted(wanted),
        },
        "machine": {"cpus": os.process_cpu_count(), "python": platform.python_version(), "system": platform.platform()},
        "seconds": round(time.monotonic() - started, 1),
        "figures": entries,
    }


def _commit() -> str | None:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def _value(value) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def markdown(report: dict) -> str:
    o = report["options"]
    lines = [
        "# restoreui benchmark",
        "",
        f"Commit {report['commit']}, {report['generated_at']}, {report['machine']['cpus']} CPUs, "
        f"Python {report['machine']['python']}. Upstream latency {o['latency_ms']:g} ms; "
        f"viewers for {o['duration_b']:g} s; load runs of {o['load_seconds']:g} s; list page cap {o['page_cap']}"
        f"{'; quick run' if o['quick'] else ''}. Took {report['seconds']:g} s.",
    ]
    for figure in FIGURES:
        rows = [e for e in report["figures"] if e["figure"] == figure]
        if not rows:
            continue
        lines += ["", f"### {TITLES[figure]}", "", "| figure | value | unit | target | met |", "|---|---:|---|---|---|"]
        for e in rows:
            met = {True: "yes", False: "**no**", None: ""}[e["met"]]
            lines.append(f"| {e['name']} | {_value(e['value'])} | {e['unit']} | {e['target'] or ''} | {met} |")
    return "\n".join(lines) + "\n"


def missed(report: dict) -> list[dict]:
    return [e for e in report["figures"] if e["met"] is False]


def exit_status(report: dict) -> int:
    return MISSED if missed(report) else 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    report = run(args)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.out / "report.md").write_text(markdown(report))
    sys.stdout.write(markdown(report))
    misses = missed(report)
    if misses:
        print(f"\nbench: {len(misses)} target(s) missed:", file=sys.stderr)
        for e in misses:
            print(f"  {e['name']}: {_value(e['value'])} {e['unit']}, target {e['target']}", file=sys.stderr)
    return exit_status(report)


if __name__ == "__main__":
    sys.exit(main())
