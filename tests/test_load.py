"""Many viewers at once: gunicorn with production settings under 64 connections, and the
single-flight cache that keeps Pinecone from seeing one call per viewer.

The gunicorn runs last RESTOREUI_LOAD_SECONDS each (default 8); `make bench` runs them for 60 s.
Deselect them with -m "not load".
"""

import os

import pytest
from django.core.cache import cache as django_cache

from bench import figures
from bench.cluster import Lab
from bench.load import closed_loop, cookie_header
from restoreui.pinecone import cache

LOAD_SECONDS = float(os.environ.get("RESTOREUI_LOAD_SECONDS", "8"))
CONNECTIONS = 64


class Interleaved:
    """Django's cache, with another request's steps slipped in before some of our calls.

    `steps` maps (method, key) to what happens before each call of it, in order;
    None lets a call through untouched.
    """

    def __init__(self, steps: dict):
        self.steps = steps

    def __getattr__(self, name):
        real = getattr(django_cache, name)

        def call(key, *args, **kwargs):
            queue = self.steps.get((name, key))
            step = queue.pop(0) if queue else None
            if step:
                step()
            return real(key, *args, **kwargs)

        return call


def counting_load(calls: list):
    def load():
        calls.append(1)
        return {"n": len(calls)}

    return load


def one_minute(value):
    return 60


def test_a_request_that_takes_the_lock_right_after_a_load_uses_that_copy(monkeypatch):
    key, calls = "pinecone:test:race-lock", []
    load = counting_load(calls)
    # Another request loads the key between our stale read and our taking the free lock.
    steps = {("add", f"{key}:lock"): [lambda: cache.read(key, load, one_minute)]}
    monkeypatch.setattr(cache, "cache", Interleaved(steps))
    value, _, error = cache.read(key, load, one_minute)
    assert (value, error) == ({"n": 1}, None)
    assert len(calls) == 1, "two requests asked Pinecone for the same thing within one cache lifetime"


def test_a_waiting_request_that_sees_the_lock_released_uses_the_new_copy(monkeypatch):
    key, calls = "pinecone:test:race-wait", []
    load = counting_load(calls)
    django_cache.add(f"{key}:lock", "other-request")

    def other_request_finishes():
        cache._load(key, load, one_minute, "other-request")
        django_cache.delete(f"{key}:lock")

    # The holder stores its copy and lets go of the lock between our looking for the
    # copy and our looking at the lock (the first look at the error entry comes before waiting).
    steps = {("get", f"{key}:error"): [None, other_request_finishes]}
    monkeypatch.setattr(cache, "cache", Interleaved(steps))
    monkeypatch.setattr(cache, "POLL_SECONDS", 0)
    value, _, error = cache.read(key, load, one_minute)
    assert (value, error) == ({"n": 1}, None)
    assert len(calls) == 1, "a request that waited for another's load asked Pinecone again"


@pytest.fixture(scope="module")
def served():
    """gunicorn (gunicorn.conf.py, production settings) in front of an emulator subprocess."""
    with Lab(latency_ms=20) as lab:
        emulator = lab.emulator()
        app = lab.app("load", {figures.PROJECT: emulator.url}).ready()
        yield app, emulator


def job_pages(emulator):
    jobs = emulator.all_jobs()
    running = figures.newest_running(jobs)["restore_job_id"]
    finished = [j["restore_job_id"] for j in figures.detail_jobs(emulator)[:6]]
    return [
        (figures.jobs_url(), {}),
        (figures.jobs_url(), figures.HTMX),
        (figures.jobs_url() + "?status=completed&sort=-duration", {}),
        (figures.job_url(running), {}),
        (figures.job_url(running), figures.HTMX),
        *[(figures.job_url(j), {}) for j in finished],
    ]


@pytest.mark.load
def test_64_connections_on_the_job_pages_get_no_server_error(served):
    app, emulator = served
    emulator.reset()
    result = closed_loop(
        app.port, job_pages(emulator), CONNECTIONS, LOAD_SECONDS, cookie_header(app.login()), max_requests=20_000
    )
    assert result.count > CONNECTIONS, f"only {result.count} answers in {LOAD_SECONDS:g} s"
    assert result.server_errors == 0, f"viewers saw server errors: {dict(result.statuses)}"
    assert result.transport_errors == 0, f"{result.transport_errors} connections broke"
    assert set(result.statuses) == {200}, f"unexpected answers: {dict(result.statuses)}"


@pytest.mark.load
def test_64_connections_while_pinecone_fails_a_fifth_of_calls_get_no_500(served):
    app, emulator = served
    emulator.reset()
    pages, headers = job_pages(emulator), cookie_header(app.login())
    emulator.set_faults(error_rate=0.2)
    try:
        result = closed_loop(app.port, pages, CONNECTIONS, LOAD_SECONDS, headers, max_requests=20_000)
    finally:
        emulator.clear_faults()
    assert result.count > CONNECTIONS, f"only {result.count} answers in {LOAD_SECONDS:g} s"
    assert result.statuses.get(500, 0) == 0, f"the dashboard crashed: {dict(result.statuses)}"
    assert result.transport_errors == 0, f"{result.transport_errors} connections broke"
    # Anything but a page or an honest "Pinecone failed" is a bug.
    assert set(result.statuses) <= {200, 502, 504}, f"unexpected answers: {dict(result.statuses)}"
