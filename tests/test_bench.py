"""`python -m bench --quick` end to end: it runs, its report has every figure in the agreed shape,
and its exit status says whether every target was met.

Timings are the benchmark's business, not the test suite's: nothing here checks a number, so the
smoke run may meet its targets (exit 0) or miss some (exit 3), but must not crash.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import redis

from bench.__main__ import MISSED, exit_status
from bench.figures import entry

ROOT = Path(__file__).resolve().parent.parent
FIGURES = {"a", "b", "c", "d", "e", "f", "g", "load"}
REDIS_URL = "redis://127.0.0.1:6379/0"


def report_of(*entries: dict) -> dict:
    return {"figures": list(entries)}


def test_a_report_whose_every_target_is_met_exits_zero():
    report = report_of(entry("a", "throughput", 120.0, "req/s"), entry("a", "ratio", 0.9, "ratio", ">= 0.85", True))
    assert exit_status(report) == 0


def test_a_report_without_targets_exits_zero():
    assert exit_status(report_of(entry("f", "largest worker RSS", 80.0, "MB"))) == 0


def test_one_missed_target_among_met_ones_makes_the_run_exit_with_the_missed_status():
    report = report_of(
        entry("a", "ratio", 0.9, "ratio", ">= 0.85", True),
        entry("c", "unchanged poll", 900, "bytes", "<= 677", False),
        entry("a", "throughput", 120.0, "req/s"),
    )
    assert MISSED not in (0, 1, 2), "the missed status must not look like success, a crash or a usage error"
    assert exit_status(report) == MISSED


def test_a_quick_benchmark_writes_a_report_with_every_figure(tmp_path):
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping()
    except redis.RedisError as e:
        pytest.skip(f"Redis at {REDIS_URL} is not answering ({e}); figures b and e need it")
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--quick",
            "--latency-ms",
            "5",
            "--out",
            str(tmp_path),
            "--redis-url",
            REDIS_URL,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode in (0, MISSED), f"the benchmark failed:\n{run.stderr[-3000:]}"
    report = json.loads((tmp_path / "report.json").read_text())
    missed = [e["name"] for e in report["figures"] if e["met"] is False]
    assert run.returncode == (MISSED if missed else 0), "the exit status does not follow the report"
    assert all(name in run.stderr for name in missed), "stderr leaves out a missed figure"
    assert report["options"]["quick"] is True
    errors = {e["name"]: e["value"] for e in report["figures"] if e["figure"] == "a" and "other than 200" in e["name"]}
    assert errors and not any(errors.values()), f"a cached page or its bare baseline answered errors: {errors}"
    assert report["options"]["latency_ms"] == 5
    entries = report["figures"]
    assert {e["figure"] for e in entries} == FIGURES, "some figures are missing from the report"
    for e in entries:
        assert set(e) == {"figure", "name", "value", "unit", "target", "met"}, e
        assert isinstance(e["name"], str) and e["name"]
        assert isinstance(e["value"], (int, float)) and not isinstance(e["value"], bool), e
        assert isinstance(e["unit"], str) and e["unit"]
        # A figure with a target says whether it met it; one without says nothing.
        assert (e["target"] is None) == (e["met"] is None), e
        assert e["met"] in (True, False, None)
    names = [e["name"] for e in entries]
    assert len(names) == len(set(names)), "two figures share a name"
    markdown = (tmp_path / "report.md").read_text()
    assert all(f"| {name} |" in markdown for name in names), "report.md leaves out figures of report.json"
