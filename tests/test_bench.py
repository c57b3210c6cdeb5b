"""`python -m bench --quick` end to end: it runs, and its report has every figure in the agreed shape.

Timings are the benchmark's business, not the test suite's: nothing here checks a number.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import redis

ROOT = Path(__file__).resolve().parent.parent
FIGURES = {"a", "b", "c", "d", "e", "f", "g", "load"}
REDIS_URL = "redis://127.0.0.1:6379/0"


def test_a_quick_benchmark_writes_a_report_with_every_figure(tmp_path):
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping()
    except redis.RedisError as e:
        pytest.skip(f"Redis at {REDIS_URL} is not answering ({e}); figures b and e need it")
    run = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--latency-ms", "5", "--out", str(tmp_path),
         "--redis-url", REDIS_URL],
        cwd=ROOT, capture_output=True, text=True, timeout=180,
    )
    assert run.returncode == 0, f"the benchmark failed:\n{run.stderr[-3000:]}"
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["options"]["quick"] is True
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
